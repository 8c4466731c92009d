import { writeFile, rename } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { planSteps, renderPlan, UsageError, View, withoutCommands } from '@xen-gentoo/core';
import { ALL_STEPS, answersSchema, detectSystem, type Answers } from '@xen-gentoo/steps';
import { stringify } from 'ini';
import { BaseCommand } from '../lib/base-command.js';
import { interactive } from '../lib/output.js';

const triChoices = [
  { name: 'auto (decide from the target)', value: 'auto' },
  { name: 'yes', value: 'yes' },
  { name: 'no', value: 'no' },
] as const;

export default class Wizard extends BaseCommand<typeof Wizard> {
  static override summary =
    'Ask what the answers file holds, write it, show the plan, then apply it if you agree.';
  static override examples = ['<%= config.bin %> wizard --out /root/xen-gentoo.ini'];
  static override flags = {
    out: Flags.file({ summary: 'Where to write the answers file.', default: 'xen-gentoo.ini' }),
  };

  async run(): Promise<void> {
    if (!interactive())
      throw new UsageError('the wizard needs a terminal; use --answers FILE for unattended runs');
    const { confirm, input, select } = await import('@inquirer/prompts');
    const host = this.host();
    const sys = await detectSystem(new View(withoutCommands(host)));
    process.stdout.write(
      `Target ${host.root}: ${sys.era === 'legacy' ? '2007-era' : 'current'} Gentoo (${sys.eraEvidence}), arch ${sys.arch}, profile ${sys.profile ?? 'none'}, init ${sys.initSystem}\n\n`,
    );
    const raw = {
      system: {} as Record<string, string>,
      portage: {
        tls_flag: await select({
          message: '-mno-tls-direct-seg-refs in CFLAGS?',
          choices: triChoices,
          default: 'auto',
        }),
        nptlonly: await select({ message: 'USE=nptlonly?', choices: triChoices, default: 'auto' }),
        buildpkg: (await confirm({
          message: 'Keep binary packages for the domUs (FEATURES=buildpkg)?',
          default: true,
        }))
          ? 'yes'
          : 'no',
        rebuild_world: (await confirm({
          message: 'Rebuild every package when CFLAGS change (emerge -e @world)?',
          default: true,
        }))
          ? 'yes'
          : 'no',
        hvm: await select({
          message: 'HVM guest support (needs vmx/svm)?',
          choices: triChoices,
          default: 'auto',
        }),
      },
      xen: {
        keywords: await select({
          message: 'Accept testing (~arch) Xen versions?',
          choices: triChoices,
          default: 'auto',
        }),
        interface: await input({ message: 'Network interface the bridge will use', default: 'eth0' }),
      },
    };
    const profile = await input({ message: 'Profile to select (empty: keep the current one)', default: '' });
    if (profile) raw.system.profile = profile;
    const answers: Answers = answersSchema.parse(raw);
    const text = `; xen-gentoo answers file, written by the wizard\n${stringify(raw)}`;
    const tmp = `${this.flags.out}.tmp-${process.pid}`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, this.flags.out);
    process.stdout.write(`\nWrote ${this.flags.out}\n\n`);
    const plan = await planSteps(ALL_STEPS, withoutCommands(host), answers);
    process.stdout.write(renderPlan(plan, { color: this.color }));
    if (
      plan.steps.some((s) => s.status === 'pending') &&
      (await confirm({ message: 'Apply this plan now?', default: false }))
    ) {
      await this.config.runCommand('apply', ['--root', host.root, '--answers', this.flags.out, '--yes']);
    } else process.stdout.write(`Apply later with: xen-gentoo apply --answers ${this.flags.out}\n`);
  }
}
