import * as Flags from '@oclif/core/flags';
import { CachedReads, planSteps, renderPlan, shellQuote, withoutCommands } from '@xen-gentoo/core';
import { ALL_STEPS } from '@xen-gentoo/steps';
import { BaseCommand } from '../lib/base-command.js';
import { planToJson } from '../lib/plan-json.js';

export const onlyFlag = Flags.string({
  summary: 'Plan or apply only this step (repeatable).',
  multiple: true,
  helpValue: 'STEP',
});

export default class Plan extends BaseCommand<typeof Plan> {
  static override summary = "Show every step's state and the exact changes it would make. Writes nothing.";
  static override examples = [
    '<%= config.bin %> plan',
    '<%= config.bin %> plan --root /mnt/gentoo --answers host.ini',
    '<%= config.bin %> plan --only cflags-tls --only buildpkg --json',
  ];
  static override flags = {
    only: onlyFlag,
    'per-step': Flags.boolean({
      summary: 'One diff per step instead of one combined diff per file.',
      default: false,
    }),
  };

  async run(): Promise<void> {
    const answers = await this.loadAnswers();
    const only = this.checkOnly(this.flags.only);
    // A dry run may read, never run a mutating program: steps get no way to run one. The check
    // that this is a Gentoo system and the plan read the same unchanged target: each read once.
    const target = new CachedReads(withoutCommands(this.host()));
    await this.checkGentooTarget(target);
    const plan = await planSteps(ALL_STEPS, target, answers, { only });
    if (this.flags.json) this.writeJson(planToJson(plan));
    else
      process.stdout.write(
        renderPlan(plan, {
          color: this.color,
          perStep: this.flags['per-step'],
          // Phase 8 has no step: it is a command of its own. A plan narrowed with --only leaves it out.
          phaseNotes: only === undefined ? { Troubleshooting: this.doctorNote() } : {},
        }),
      );
  }

  /** Where phase 8 lives: the doctor command, with the target and answers this plan used. */
  private doctorNote(): string {
    const args = [this.config.bin, 'doctor'];
    if (this.flags.root !== '/') args.push('--root', this.flags.root);
    if (this.flags.answers !== undefined) args.push('--answers', this.flags.answers);
    return `no step here: run \`${args.map(shellQuote).join(' ')}\` for the HOWTO's Troubleshooting checks (phase 8); each says what it found, whether it matters on this era, and the fix; it writes nothing`;
  }
}
