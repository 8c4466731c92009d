import * as Flags from '@oclif/core/flags';
import {
  ApplySession,
  type LocalHost,
  planSteps,
  renderChange,
  renderPlan,
  UsageError,
  withoutCommands,
  type CommandChange,
  type ManualChange,
  type StepApplyResult,
  importOnDemand,
} from '@xen-gentoo/core';
import { ALL_STEPS, type Answers } from '@xen-gentoo/steps';
import { BaseCommand } from '../lib/base-command.js';
import { interactive } from '../lib/output.js';
import { planToJson } from '../lib/plan-json.js';
import { progressRenderer, runProgress } from '../lib/progress.js';
import { recordResume, resumeNotice } from '../lib/resume.js';
import { onlyFlag } from './plan.js';

/**
 * Whether a run takes in the running step, the one that waits for the reboot into Xen: only such
 * a run stops for the reboot (or finds it over), so only such a run records where it stopped. A
 * run of other steps (domu add, --only) leaves the record as it was.
 */
function coversRunning(only: string[] | undefined): boolean {
  return only === undefined || only.includes('running');
}

export default class Apply extends BaseCommand<typeof Apply> {
  static override summary = 'Carry the plan out: atomic writes, a journal for rollback, and progress.';
  static override description =
    'Plans first and shows the plan, then asks (like emerge --ask) unless --yes is given. Every file is written atomically and its old content kept in a per-run journal (see rollback). Each step is planned again just before it is applied; if the target changed since the plan, nothing more is written (exit 4).';
  static override examples = [
    '<%= config.bin %> apply --answers host.ini',
    '<%= config.bin %> apply --yes --skip-commands --root /mnt/gentoo',
    '<%= config.bin %> apply -p',
  ];
  static override flags = {
    only: onlyFlag,
    yes: Flags.boolean({
      char: 'y',
      summary: 'Do not ask; required when there is no terminal. Conflicts with --ask.',
      default: false,
    }),
    ask: Flags.boolean({
      char: 'a',
      summary: 'Ask before acting (the default on a terminal). Conflicts with --yes.',
      default: false,
    }),
    pretend: Flags.boolean({
      char: 'p',
      summary: 'Show what would be done and stop (same as plan).',
      default: false,
    }),
    'skip-commands': Flags.boolean({
      summary: 'Apply every file change but run no command; list the commands left.',
      default: false,
    }),
  };

  async run(): Promise<void> {
    // emerge: --ask asks; --yes is ours and means the opposite, so both at once is a mistake.
    if (this.flags.ask && this.flags.yes)
      throw new UsageError(
        '--ask and --yes conflict: --ask asks before applying, --yes never asks; pass one',
      );
    const answers = await this.loadAnswers();
    const only = this.checkOnly(this.flags.only);
    const host = this.host();
    await this.checkGentooTarget(host);
    // An answer the run needs and lacks: without a terminal, or with --yes, every one of them is
    // named at once and nothing is changed; a person at a terminal sees them before the question.
    if (!this.flags.pretend) {
      const missing = await this.neededAnswers(host, answers, only ?? ALL_STEPS.map((s) => s.id));
      if (missing.length && (this.flags.yes || !interactive())) throw this.missingAnswersError(missing);
      for (const m of missing)
        process.stderr.write(`warning: missing answer: ${this.missingAnswerProblem(m).message}\n`);
    }
    // What a killed run left mounted is taken down before the plan reads the target through it.
    if (!this.flags.pretend)
      for (const line of await ApplySession.prepare(host)) process.stderr.write(`${line}\n`);
    // A run that stopped for the reboot into Xen: say whether this boot is the one it waits for.
    const notice = await resumeNotice(host, answers);
    if (notice !== undefined) process.stderr.write(`${notice}\n`);
    const plan = await planSteps(ALL_STEPS, withoutCommands(host), answers, { only });
    const pending = plan.steps.filter((s) => s.status === 'pending');
    const json = this.flags.json;
    if (!json) process.stdout.write(renderPlan(plan, { color: this.color }));
    if (this.flags.pretend) {
      if (json) this.writeJson(planToJson(plan));
      return;
    }
    if (pending.length === 0) {
      if (json) this.writeJson({ version: 1, runId: null, applied: [], skippedCommands: [], manual: [] });
      else process.stdout.write('Nothing to do.\n');
      if (coversRunning(only)) await recordResume(host, answers, null);
      await this.reportBlocked(host, answers, only);
      return;
    }
    const mustAsk = this.flags.ask || !this.flags.yes;
    if (mustAsk) {
      if (!interactive())
        throw new UsageError('apply asks before changing anything: pass --yes when there is no terminal');
      const { confirm } = await importOnDemand('@inquirer/prompts', () => import('../lib/prompts.js'));
      const go = await confirm({ message: `Apply ${pending.length} step(s)?`, default: false });
      if (!go) {
        process.stderr.write('Nothing changed.\n');
        process.exitCode = 1;
        return;
      }
    }

    const session = await ApplySession.open(host, {
      skipCommands: this.flags['skip-commands'],
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
    });
    try {
      for (const line of session.leftovers) process.stderr.write(`${line}\n`);
      // SIGINT (Ctrl-C) and SIGTERM stop the command running (its mounts go with it) and the run,
      // which then ends normally: journal closed, lock released, exit 130 or 143.
      const onSignal = (signal: NodeJS.Signals) => session.interrupt(signal);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const results: StepApplyResult[] = [];
      let completed = false;
      try {
        await runProgress(
          pending.map((shown) => ({
            title: `${shown.id}: ${shown.title}`,
            task: async (retitle) => {
              const step = ALL_STEPS.find((s) => s.id === shown.id)!;
              const result = await session.applyStep(step, shown, answers);
              results.push(result);
              const written = result.outcomes.filter((o) => o.outcome === 'applied').length;
              const skipped = result.skippedCommands.length;
              retitle(
                `${shown.id}: ${written} change(s) applied${skipped ? `, ${skipped} command(s) skipped` : ''}`,
              );
            },
          })),
          progressRenderer(json),
        );
        completed = true;
      } finally {
        try {
          await session.close(completed ? 'ok' : 'failed');
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      }
      // Where the run stopped, for the first apply after the reboot into Xen.
      if (coversRunning(only)) await recordResume(host, answers, session.recorded ? session.runId : null);
      const skipped: CommandChange[] = results.flatMap((r) => r.skippedCommands);
      const manual: ManualChange[] = results.flatMap((r) => r.manual);
      if (json) {
        this.writeJson({
          version: 1,
          runId: session.recorded ? session.runId : null,
          applied: results.map((r) => ({
            id: r.id,
            outcomes: r.outcomes.map((o) => ({
              kind: o.change.kind,
              path: 'path' in o.change ? o.change.path : undefined,
              argv: 'argv' in o.change ? o.change.argv : undefined,
              outcome: o.outcome,
            })),
          })),
          skippedCommands: skipped.map((c) => ({ argv: c.argv, why: c.why, inRoot: c.inRoot ?? false })),
          manual: manual.map((m) => m.text),
        });
        await this.reportBlocked(host, answers, only);
        return;
      }
      if (skipped.length) {
        process.stdout.write(`\nCommands left to run (--skip-commands), in order:\n`);
        for (const command of skipped) process.stdout.write(`  ${renderChange(command, this.color)}\n`);
      }
      if (manual.length) {
        process.stdout.write('\nFor you to do:\n');
        for (const m of manual) process.stdout.write(`  ${m.text}\n`);
      }
      if (session.recorded)
        process.stdout.write(
          `\nRun ${session.runId} recorded; undo its file changes with: xen-gentoo rollback ${session.runId}\n`,
        );
      else process.stdout.write('\nNothing was changed.\n');
      await this.reportBlocked(host, answers, only);
    } finally {
      // A staged tree set aside goes on being removed while the run ends; the process waits for it.
      await session.settle();
    }
  }

  /** Steps still blocked after the run: listed, and exit 5, so an unattended run does not pass them by. */
  private async reportBlocked(host: LocalHost, answers: Answers, only: string[] | undefined): Promise<void> {
    const after = await planSteps(ALL_STEPS, withoutCommands(host), answers, { only });
    const blocked = after.steps.filter((s) => s.status === 'blocked');
    if (blocked.length === 0) return;
    if (!this.flags.json) {
      process.stderr.write(`\n${blocked.length} step(s) blocked:\n`);
      for (const step of blocked) process.stderr.write(`  ${step.id}: ${step.reason}\n`);
    }
    process.exitCode = 5;
  }
}
