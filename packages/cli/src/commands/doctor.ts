import * as Flags from '@oclif/core/flags';
import { UsageError, View, withoutCommands } from '@xen-gentoo/core';
import { doctor, getSystem } from '@xen-gentoo/steps';
import { BaseCommand } from '../lib/base-command.js';
import { renderDoctor } from '../lib/doctor-output.js';

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override summary =
    "Run the HOWTO's Troubleshooting checks on the target. Exit 0 when nothing needs fixing, 1 otherwise.";
  static override description =
    "Each check says what it found, whether it matters on this host's era (2007 or today), and the fix: the HOWTO's and today's. Reads the target only (through --root on a mounted system); writes nothing and runs no program on it.";
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --root /mnt/gentoo --json',
    '<%= config.bin %> doctor --only kernel-elf-notes',
  ];
  static override flags = {
    only: Flags.string({ summary: 'Run only this check (repeatable).', multiple: true, helpValue: 'CHECK' }),
  };

  async run(): Promise<void> {
    const answers = await this.loadAnswers();
    const host = this.host();
    await this.checkGentooTarget(host);
    let checks = doctor.DOCTOR_CHECKS;
    if (this.flags.only?.length) {
      const ids = checks.map((c) => c.id);
      for (const id of this.flags.only)
        if (!ids.includes(id))
          throw new UsageError(`unknown check "${id}" for --only; checks: ${ids.join(', ')}`);
      checks = checks.filter((c) => this.flags.only!.includes(c.id));
    }
    const view = new View(withoutCommands(host));
    const sys = await getSystem(view);
    const results = await doctor.runDoctor({ view, answers }, checks);
    const ok = results.every((r) => r.status !== 'problem');
    if (this.flags.json) this.writeJson({ version: 1, root: host.root, era: sys.era, ok, checks: results });
    else process.stdout.write(renderDoctor(host.root, sys.era, results, this.color));
    if (!ok) process.exitCode = 1;
  }
}
