import { isDeepStrictEqual } from 'node:util';
import {
  acquireLock,
  applyChange,
  openJournal,
  recoverInterrupted,
  type ChangeOutcome,
  type Journal,
} from './apply/index.js';
import type { Change, CommandChange, ManualChange } from './change.js';
import { DriftError, PreconditionError } from './errors.js';
import type { LocalHost } from './local-host.js';
import { planStep, toPlannedStep, type PlannedStep } from './plan.js';
import type { Step } from './step.js';
import { View } from './view.js';

export interface StepApplyResult {
  id: string;
  outcomes: { change: Change; outcome: ChangeOutcome }[];
  skippedCommands: CommandChange[];
  manual: ManualChange[];
  /** The step was planned again on the live target and the result differed from the shown plan. */
  replanned: boolean;
}

export interface ApplySessionOptions {
  skipCommands: boolean;
  onOutput?: (chunk: string) => void;
}

/**
 * One apply run: holds the lock and the journal, and applies steps one at a time. Each step is
 * planned again on the target as it is now; the result must equal the plan that was shown,
 * unless a command run earlier in this session changed the target (then the new plan is used).
 */
export class ApplySession {
  readonly #host: LocalHost;
  readonly #options: ApplySessionOptions;
  readonly #release: () => Promise<void>;
  readonly #journal: Journal;
  /** Skipped commands' declared installs, so later steps plan as if they had run. */
  readonly #assumed: CommandChange[] = [];
  #commandsRan = false;
  /** A step threw: the run ends as failed. */
  #failed = false;
  #view: View | undefined;
  readonly recovered: string[];

  private constructor(
    host: LocalHost,
    options: ApplySessionOptions,
    release: () => Promise<void>,
    journal: Journal,
    recovered: string[],
  ) {
    this.#host = host;
    this.#options = options;
    this.#release = release;
    this.#journal = journal;
    this.recovered = recovered;
  }

  static async open(host: LocalHost, options: ApplySessionOptions): Promise<ApplySession> {
    const lock = await acquireLock(host);
    try {
      const recovered = await recoverInterrupted(host);
      const journal = await openJournal(host);
      return new ApplySession(host, options, () => lock.release(), journal, recovered);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  get runId(): string {
    return this.#journal.runId;
  }

  /**
   * The target as it is now, plus what skipped commands would have installed. One view serves
   * the steps until a command changes the target (files written meanwhile are read through it),
   * so system facts are detected once, as when the plan was made.
   */
  view(): View {
    if (!this.#view) {
      this.#view = new View(this.#host);
      this.#view.apply(this.#assumed);
    }
    return this.#view;
  }

  /**
   * Apply one step. A step that throws (drift, a failed command, a blocked step) marks the run
   * failed in its journal, so that the runs listed afterwards tell a failed run from a good one.
   */
  async applyStep<A>(step: Step<A, unknown>, shown: PlannedStep, answers: A): Promise<StepApplyResult> {
    try {
      return await this.#applyStep(step, shown, answers);
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  async #applyStep<A>(step: Step<A, unknown>, shown: PlannedStep, answers: A): Promise<StepApplyResult> {
    const now = toPlannedStep(
      step as unknown as Step<never, never>,
      await planStep(step, this.view(), answers),
    );
    const same = now.status === shown.status && isDeepStrictEqual(now.changes, shown.changes);
    if (!same && !this.#commandsRan) {
      const path = firstDifferentPath(shown.changes, now.changes);
      throw new DriftError(path ?? step.id, `the target changed since the plan was made (step ${step.id})`);
    }
    if (now.status === 'blocked') throw new PreconditionError(step.id, now.reason);
    const result: StepApplyResult = {
      id: step.id,
      outcomes: [],
      skippedCommands: [],
      manual: [],
      replanned: !same,
    };
    for (const change of now.changes) {
      const outcome = await applyChange(change, {
        host: this.#host,
        journal: this.#journal,
        skipCommands: this.#options.skipCommands,
        onOutput: this.#options.onOutput,
      });
      result.outcomes.push({ change, outcome });
      if (change.kind === 'command') {
        if (outcome === 'skipped') {
          result.skippedCommands.push(change);
          this.#assumed.push(change);
          this.#view?.apply([change]);
        } else if (!change.readOnly) {
          this.#commandsRan = true;
          this.#view = undefined;
        }
      }
      if (change.kind === 'manual') result.manual.push(change);
    }
    return result;
  }

  /** Filesystems still mounted in the target after close (busy), for the caller to report. */
  stillMounted: string[] = [];

  /** After close: the run is kept in the target's journals (a run that changed nothing is not). */
  recorded = false;

  /**
   * End the run. It is recorded as failed when a step threw, or when the caller says so (an
   * error of its own between steps); a run that succeeded without changing anything leaves no
   * run directory behind.
   */
  async close(status?: 'ok' | 'failed'): Promise<void> {
    let failed = this.#failed || status === 'failed';
    try {
      try {
        this.stillMounted = await this.#host.unmountChrootFilesystems();
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        await this.#endJournal(failed);
      }
    } finally {
      await this.#release();
    }
  }

  async #endJournal(failed: boolean): Promise<void> {
    if (!failed && !this.#journal.hasChanges) {
      await this.#journal.discard();
      return;
    }
    await this.#journal.finish(failed ? 'failed' : 'ok');
    this.recorded = true;
  }
}

function firstDifferentPath(a: Change[], b: Change[]): string | undefined {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (!isDeepStrictEqual(x, y)) {
      const path = (x && 'path' in x ? x.path : undefined) ?? (y && 'path' in y ? y.path : undefined);
      if (path) return path;
    }
  }
  return undefined;
}
