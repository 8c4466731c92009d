import * as Flags from '@oclif/core/flags';
import {
  ApplySession,
  planSteps,
  renderPlan,
  UsageError,
  withoutCommands,
  importOnDemand,
} from '@xen-gentoo/core';
import { BaseCommand } from '../../lib/base-command.js';
import { kernelConfigStep, kernelFlags, kernelPathFlags, withKernelFlags } from '../../lib/kernel-role.js';
import { interactive } from '../../lib/output.js';
import { planToJson } from '../../lib/plan-json.js';

export default class KernelConfig extends BaseCommand<typeof KernelConfig> {
  static override summary =
    'Write the Xen options of the HOWTO into a kernel .config and let Kconfig resolve it.';
  static override description =
    'The same step as kernel-dom0-config / kernel-domU-config: merges the fragment into a base (existing .config, /proc/config.gz, /boot/config-*, or defconfig), runs `make olddefconfig` in the output directory, and on the next run checks what Kconfig kept. Shows the plan; --apply carries it out.';
  static override examples = [
    '<%= config.bin %> kernel config --role dom0 --source /usr/src/linux',
    '<%= config.bin %> kernel config --role domU --source /usr/src/linux --out /usr/src/linux/_domU --apply --yes',
  ];
  static override flags = {
    ...kernelFlags,
    apply: Flags.boolean({ summary: 'Carry the plan out.', default: false }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask.', default: false }),
  };

  async run(): Promise<void> {
    const paths = kernelPathFlags(this.flags);
    const answers = withKernelFlags(await this.loadAnswers(), { ...paths, base: this.flags.base });
    const step = kernelConfigStep(this.flags.role as 'dom0' | 'domU', paths.out);
    const host = this.host();
    const plan = await planSteps([step], withoutCommands(host), answers);
    const shown = plan.steps[0]!;
    if (this.flags.json && !this.flags.apply) return this.writeJson(planToJson(plan));
    if (!this.flags.json) process.stdout.write(renderPlan(plan, { color: this.color }));
    if (!this.flags.apply || shown.status !== 'pending') {
      if (shown.status === 'blocked') process.exitCode = 5;
      return;
    }
    if (!this.flags.yes) {
      if (!interactive()) throw new UsageError('pass --yes when there is no terminal');
      const { confirm } = await importOnDemand('@inquirer/prompts', () => import('../../lib/prompts.js'));
      if (!(await confirm({ message: 'Apply?', default: false }))) return;
    }
    const session = await ApplySession.open(host, { skipCommands: false });
    let completed = false;
    try {
      const result = await session.applyStep(step, shown, answers);
      completed = true;
      if (this.flags.json)
        this.writeJson({ runId: session.runId, outcomes: result.outcomes.map((o) => o.outcome) });
      else
        process.stdout.write(
          `applied (run ${session.runId}); run the command again to check what Kconfig kept\n`,
        );
    } finally {
      await session.close(completed ? 'ok' : 'failed');
    }
  }
}
