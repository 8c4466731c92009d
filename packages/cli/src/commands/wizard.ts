import { writeFile, rename } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { planSteps, renderPlan, UsageError, View, withoutCommands, importOnDemand } from '@xen-gentoo/core';
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
    const { confirm, input, select } = await importOnDemand(
      '@inquirer/prompts',
      () => import('@inquirer/prompts'),
    );
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
    const kernelWay = await select({
      message: 'How should the kernel be built?',
      choices: [
        { name: "two kernels from one tree, dom0 and domU (the HOWTO's make0/makeU)", value: 'split' },
        { name: 'one kernel for dom0 and the domUs', value: 'single' },
        { name: 'genkernel', value: 'genkernel' },
      ],
      default: 'split',
    });
    const kernel: Record<string, string> = {
      sources: await input({ message: 'Kernel source tree', default: '/usr/src/linux' }),
      split: kernelWay === 'split' ? 'yes' : 'no',
      genkernel: kernelWay === 'genkernel' ? 'yes' : 'no',
      build: (await confirm({ message: 'Build and install the kernels (takes long)?', default: true }))
        ? 'yes'
        : 'no',
    };
    const bootAnswers: Record<string, string> = {
      dom0_mem: await input({
        message: 'Memory for dom0 (dom0_mem; auto = 256M on 2007 hosts, 1024M,max:1024M today)',
        default: 'auto',
      }),
      serial: (await confirm({ message: 'Serial console for Xen and dom0 (com1)?', default: false }))
        ? 'yes'
        : 'no',
    };
    const pxe = await input({ message: 'TFTP root of a PXE boot server (empty: none)', default: '' });
    if (pxe) bootAnswers.pxe_dir = pxe;
    const profile = await input({ message: 'Profile to select (empty: keep the current one)', default: '' });
    if (profile) raw.system.profile = profile;
    const full = { ...raw, kernel, boot: bootAnswers };
    const parsed = answersSchema.safeParse(full);
    if (!parsed.success)
      throw new UsageError(
        `the answers are not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const answers: Answers = parsed.data;
    const text = `; xen-gentoo answers file, written by the wizard\n${stringify(full)}`;
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
