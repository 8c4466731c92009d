import { isDeepStrictEqual } from 'node:util';
import {
  acquireLock,
  applyChange,
  openJournal,
  recoverInterrupted,
  takeDownLeftovers,
  type ChangeOutcome,
  type Journal,
} from './apply/index.js';
import {
  commandPaths,
  commandTouches,
  type Change,
  type CommandChange,
  type ManualChange,
} from './change.js';
import { DriftError, PreconditionError, XenGentooError } from './errors.js';
import type { LocalHost } from './local-host.js';
import { assertNoHostMounts } from './mounts.js';
import { lstatOrUndefined } from './apply/fs-util.js';
import { forgetSetAside, recordSetAside, removeLeftSetAside, removeSetAsideTree } from './apply/set-aside.js';
import { statePaths } from './apply/state.js';
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
  /** Warnings about how a command runs (a mount skipped, no namespaces). */
  onWarning?: (message: string) => void;
}

/** The run was stopped by a signal: exit 130 for SIGINT, 143 for SIGTERM (128 + the signal). */
export class InterruptedError extends XenGentooError {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals, what: string) {
    super(
      'interrupted',
      signal === 'SIGTERM' ? 143 : 130,
      `interrupted by ${signal}: ${what}; run apply again to continue from where it stopped`,
    );
    this.signal = signal;
  }
}

/**
 * One apply run: holds the lock and the journal, and applies steps one at a time. Each step is
 * planned again on the target as it is now; the result must equal the plan that was shown,
 * unless a command run earlier in this session explains every difference: each differing change
 * lies in what those commands may have changed (see explainedBy). Then the new plan is used.
 */
export class ApplySession {
  readonly #host: LocalHost;
  readonly #options: ApplySessionOptions;
  readonly #release: () => Promise<void>;
  readonly #journal: Journal;
  /** Skipped commands' declared installs, so later steps plan as if they had run. */
  readonly #assumed: CommandChange[] = [];
  /** What the commands run so far in this session may have changed. */
  readonly #ran: Explanation = { paths: [], packages: [] };
  /** A step threw: the run ends as failed. */
  #failed = false;
  #view: View | undefined;
  /**
   * Staged trees set aside by a change (see ApplyContext.setAside), whose removal has not started:
   * it starts when the next change begins, or once the run is closed. Removing a large tree makes
   * every fsync meanwhile wait for it (the journal's, the lock's), so it is kept out of their
   * way; starting it before the next change keeps one staged tree on the disk at a time.
   */
  readonly #setAside: string[] = [];
  /** Trees set aside and not removed yet: the run's list (see set-aside.ts). */
  readonly #notRemoved = new Set<string>();
  /** Removals started, to wait for before the process ends. */
  readonly #removing: Promise<void>[] = [];
  /** Whether this run listed a tree it set aside (its list goes once they are all removed). */
  #listed = false;
  /** The signal that stopped the run, once one came. */
  #interrupted: NodeJS.Signals | undefined;
  readonly recovered: string[];
  /** What killed runs had left running or mounted, and this run took down (one line each). */
  readonly leftovers: string[];

  private constructor(
    host: LocalHost,
    options: ApplySessionOptions,
    release: () => Promise<void>,
    journal: Journal,
    recovered: string[],
    leftovers: string[],
  ) {
    this.#host = host;
    this.#options = options;
    this.#release = release;
    this.#journal = journal;
    this.recovered = recovered;
    this.leftovers = leftovers;
  }

  /**
   * Take the lock, take down what killed runs left (their commands, their mounts), refuse to go on
   * while anything of this machine is still mounted under the root (HostMountError), recover
   * interrupted runs' files, and start the journal.
   */
  /**
   * Before planning an apply: under the lock, take down what killed runs left (their commands,
   * their mounts: a plan read through them would show this machine, not the target), and refuse
   * (HostMountError) while anything of this machine is still mounted under the root. Returns
   * what was taken down, one line each.
   */
  static async prepare(host: LocalHost): Promise<string[]> {
    if (host.isLive) return [];
    // No run ever recorded here: nothing to take down, and nothing is created before the plan.
    if (!(await lstatOrUndefined((await statePaths(host)).runs))?.isDirectory()) {
      assertNoHostMounts(host.root);
      return [];
    }
    const lock = await acquireLock(host);
    try {
      const leftovers = await takeDownLeftovers(host);
      assertNoHostMounts(host.root);
      return leftovers;
    } finally {
      await lock.release();
    }
  }

  static async open(host: LocalHost, options: ApplySessionOptions): Promise<ApplySession> {
    const lock = await acquireLock(host);
    try {
      const leftovers = await takeDownLeftovers(host);
      if (!host.isLive) assertNoHostMounts(host.root);
      const recovered = await recoverInterrupted(host);
      leftovers.push(...(await removeLeftSetAside(host)));
      const journal = await openJournal(host);
      return new ApplySession(host, options, () => lock.release(), journal, recovered, leftovers);
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
      this.#view.assume(this.#assumed);
    }
    return this.#view;
  }

  /**
   * Apply one step. A step that throws (drift, a failed command, a blocked step) marks the run
   * failed in its journal, so that the runs listed afterwards tell a failed run from a good one.
   */
  async applyStep<A>(step: Step<A, unknown>, shown: PlannedStep, answers: A): Promise<StepApplyResult> {
    try {
      this.#checkInterrupted();
      return await this.#applyStep(step, shown, answers);
    } catch (error) {
      this.#failed = true;
      // A command stopped by interrupt() fails: say why instead.
      this.#checkInterrupted();
      throw error;
    }
  }

  /**
   * Stop the run on a signal: a command running now is stopped (its processes killed, its mounts
   * gone with them), and no further change is applied; the step being applied then throws an
   * InterruptedError. The caller closes the session as usual.
   */
  interrupt(signal: NodeJS.Signals): void {
    this.#interrupted ??= signal;
    this.#host.stopCommands();
  }

  #checkInterrupted(): void {
    if (this.#interrupted)
      throw new InterruptedError(
        this.#interrupted,
        'the command running was stopped and nothing more was changed',
      );
  }

  async #applyStep<A>(step: Step<A, unknown>, shown: PlannedStep, answers: A): Promise<StepApplyResult> {
    const now = toPlannedStep(step, await planStep(step, this.view(), answers));
    const same = now.status === shown.status && isDeepStrictEqual(now.changes, shown.changes);
    if (!same) {
      const ran = this.#ran.paths.length > 0 || this.#ran.packages.length > 0;
      const unexplained = ran
        ? unexplainedChanges(shown.changes, now.changes, this.#ran)
        : differentChanges(shown.changes, now.changes);
      if (unexplained.length > 0 || (!ran && now.status !== shown.status)) {
        const path =
          unexplained.map((c) => ('path' in c ? c.path : undefined)).find((p) => p !== undefined) ??
          unexplained.map(changeLabel).find((p) => p !== undefined);
        const why = ran ? ', and no command run since explains it' : '';
        throw new DriftError(
          path ?? step.id,
          `the target changed since the plan was made (step ${step.id})${why}`,
        );
      }
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
      this.#checkInterrupted();
      this.#startDeferred();
      const outcome = await applyChange(change, {
        host: this.#host,
        journal: this.#journal,
        skipCommands: this.#options.skipCommands,
        onOutput: this.#options.onOutput,
        onWarning: this.#options.onWarning,
        setAside: async (tree) => {
          this.#notRemoved.add(tree);
          await recordSetAside(this.#host, this.runId, [...this.#notRemoved]);
          this.#listed = true;
          this.#setAside.push(tree);
        },
        onSkipped: (command) => {
          result.skippedCommands.push(command);
          this.#assumed.push(command);
          this.#view?.assume([command]);
        },
      });
      result.outcomes.push({ change, outcome });
      if (change.kind === 'command') {
        if (outcome === 'skipped') {
          result.skippedCommands.push(change);
          this.#assumed.push(change);
          this.#view?.assume([change]);
        } else if (!change.readOnly) {
          const touched = commandTouches(change);
          this.#ran.paths.push(...touched.paths);
          this.#ran.packages.push(...touched.packages);
          this.#view = undefined;
        }
      }
      if (change.kind === 'manual') result.manual.push(change);
      if (change.kind === 'image' || change.kind === 'remove-image') {
        // A built or deleted image explains later differences at its path.
        this.#ran.paths.push(change.path);
        this.#view = undefined;
      }
    }
    return result;
  }

  /**
   * Wait for the work the changes left to finish (a staged tree being removed), which goes on
   * while the run ends; call it last, after close and whatever the command still reports.
   */
  async settle(): Promise<void> {
    this.#startDeferred();
    await Promise.all(this.#removing.splice(0));
    if (this.#notRemoved.size === 0 && this.#listed) await forgetSetAside(this.#host, this.runId);
  }

  /** Start removing the trees set aside (see #setAside). */
  #startDeferred(): void {
    for (const tree of this.#setAside.splice(0)) {
      this.#removing.push(
        removeSetAsideTree(this.#host, tree).then(
          () => void this.#notRemoved.delete(tree),
          // A failure is a warning: the tree stays listed and goes with the next run.
          (error: unknown) =>
            this.#options.onWarning?.(`could not finish removing a staged tree: ${(error as Error).message}`),
        ),
      );
    }
  }

  /** After close: the run is kept in the target's journals (a run that changed nothing is not). */
  recorded = false;

  /**
   * End the run. It is recorded as failed when a step threw, or when the caller says so (an
   * error of its own between steps); a run that succeeded without changing anything leaves no
   * run directory behind.
   */
  async close(status?: 'ok' | 'failed'): Promise<void> {
    const failed = this.#failed || status === 'failed' || this.#interrupted !== undefined;
    try {
      await this.#endJournal(failed);
    } finally {
      await this.#release();
      this.#startDeferred();
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

/** What commands that ran may have changed: paths (a directory covers what is under it) and packages. */
export interface Explanation {
  paths: string[];
  packages: string[];
}

const under = (path: string, dir: string): boolean =>
  path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** The changes one plan has and the other has not (compared whole). */
export function differentChanges(shown: Change[], now: Change[]): Change[] {
  const missing = (list: Change[]) => (c: Change) => !list.some((d) => isDeepStrictEqual(c, d));
  return [...shown.filter(missing(now)), ...now.filter(missing(shown))];
}

/**
 * Whether what the commands that ran may have changed explains a change that differs between the
 * shown plan and the new one: a change of a path under a touched path or in the package database
 * entry of an installed package; a command that installs only packages already installed, or
 * that names a touched path. A change for a person (manual) is never carried out by apply, so it
 * needs no explanation.
 */
export function explainedBy(change: Change, ran: Explanation): boolean {
  const touched = (path: string): boolean =>
    ran.paths.some((dir) => under(path, dir)) ||
    ran.packages.some(
      (pkg) => path.startsWith(`/var/db/pkg/${pkg}-`) && /^\d/.test(path.slice(`/var/db/pkg/${pkg}-`.length)),
    );
  switch (change.kind) {
    case 'manual':
      return true;
    case 'command': {
      const installs = change.installs ?? [];
      if (installs.length > 0 && installs.every((p) => ran.packages.includes(p))) return true;
      return commandPaths(change).some(touched);
    }
    default:
      return touched(change.path);
  }
}

/** The differing changes (differentChanges) that the commands that ran do not explain. */
export function unexplainedChanges(shown: Change[], now: Change[], ran: Explanation): Change[] {
  return differentChanges(shown, now).filter((c) => !explainedBy(c, ran));
}

function changeLabel(change: Change): string | undefined {
  if ('path' in change) return change.path;
  return change.kind === 'command' ? change.argv.join(' ') : undefined;
}
