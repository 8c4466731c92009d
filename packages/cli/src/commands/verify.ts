import { planSteps, withoutCommands } from '@xen-gentoo/core';
import { ALL_STEPS } from '@xen-gentoo/steps';
import pc from 'picocolors';
import { BaseCommand } from '../lib/base-command.js';
import { onlyFlag } from './plan.js';

export default class Verify extends BaseCommand<typeof Verify> {
  static override summary =
    "Check every step's end state (CI mode). Exit 0 when nothing is left to do, 1 otherwise.";
  static override examples = [
    '<%= config.bin %> verify --json',
    '<%= config.bin %> verify --root /mnt/gentoo',
  ];
  static override flags = { only: onlyFlag };

  async run(): Promise<void> {
    const answers = await this.loadAnswers();
    const only = this.checkOnly(this.flags.only);
    await this.checkGentooTarget(this.host());
    const host = withoutCommands(this.host());
    const plan = await planSteps(ALL_STEPS, host, answers, { only });
    const steps = plan.steps.map((s) => ({
      id: s.id,
      status: s.status,
      reason: s.reason,
      ok: s.status === 'done' || s.status === 'not-applicable',
    }));
    const ok = steps.every((s) => s.ok);
    if (this.flags.json) this.writeJson({ version: 1, root: plan.root, ok, steps });
    else {
      const c = pc.createColors(this.color);
      for (const s of steps) {
        const mark = s.ok ? c.green('ok  ') : c.red('FAIL');
        process.stdout.write(`${mark} ${s.id.padEnd(20)} ${s.status}: ${s.reason}\n`);
      }
      const failed = steps.filter((s) => !s.ok).length;
      process.stdout.write(
        ok ? 'verify: every step is done or not applicable\n' : `verify: ${failed} step(s) not done\n`,
      );
    }
    if (!ok) process.exitCode = 1;
  }
}
