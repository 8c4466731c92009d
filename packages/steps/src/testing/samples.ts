/**
 * The on-disk half of the step-test harness: copies of the sample roots, a snapshot of a tree,
 * and "plan, apply, plan again" through the real apply engine. Programs never run here: the
 * engine runs commands through a recorded runner (RecordedHost) or skips them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  ApplySession,
  LocalHost,
  planSteps,
  RecordedHost,
  STATE_DIR,
  View,
  withoutCommands,
  type Change,
  type Host,
  type Plan,
  type RunOptions,
  type RunResult,
  type Step,
  type StepApplyResult,
  type StepPlan,
} from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';

export const SAMPLES_DIR = resolve(import.meta.dirname, '../../../../samples');
export type SampleName = 'current-amd64' | 'legacy-x86';
export const SAMPLE_NAMES: readonly SampleName[] = ['current-amd64', 'legacy-x86'];

const copies: string[] = [];

/** What `put` writes: a text file, a file of bytes, or a symlink. */
export type SampleContent = string | Uint8Array | { link: string };

/** Write a file (its directories made) or a symlink under `root`. */
export function put(root: string, path: string, content: SampleContent): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  if (typeof content === 'string' || content instanceof Uint8Array) writeFileSync(full, content);
  else symlinkSync(content.link, full);
}

/** A copy of a sample root in a temporary directory, with `extra` files and links put in it. */
export function copySample(name: SampleName, extra: Record<string, SampleContent> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `xg-${name}-`));
  execFileSync('cp', ['-a', `${join(SAMPLES_DIR, name)}/.`, dir]);
  for (const [path, content] of Object.entries(extra)) put(dir, path, content);
  copies.push(dir);
  return dir;
}

/** Remove every copy made so far (for afterEach / afterAll). */
export function removeSampleCopies(): void {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface TreeEntry {
  kind: 'file' | 'dir' | 'link';
  mode: number;
  /** With `mtimes`: a file's modification time (0 for a directory or a link). */
  mtimeMs?: number;
  hash?: string;
  target?: string;
}

/**
 * Every path under `root` with its kind, mode and content hash (link target); `exclude` relative
 * paths. With `mtimes`, files' modification times too (what an apply that writes nothing keeps).
 */
export function treeSnapshot(
  root: string,
  exclude: readonly string[] = [],
  options: { mtimes?: boolean } = {},
): Map<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  const mtime = (ms: number): { mtimeMs?: number } => (options.mtimes ? { mtimeMs: ms } : {});
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = relative(root, full);
      if (exclude.some((e) => rel === e || rel.startsWith(`${e}/`))) continue;
      const st = lstatSync(full);
      if (st.isSymbolicLink())
        out.set(rel, { kind: 'link', mode: 0, ...mtime(0), target: readlinkSync(full) });
      else if (st.isDirectory()) {
        out.set(rel, { kind: 'dir', mode: st.mode, ...mtime(0) });
        walk(full);
      } else
        out.set(rel, {
          kind: 'file',
          mode: st.mode,
          ...mtime(st.mtimeMs),
          hash: createHash('sha256').update(readFileSync(full)).digest('hex'),
        });
    }
  };
  walk(root);
  return out;
}

/** The tool's own state directory, relative to a root (left out of snapshots after an apply). */
export const STATE_REL = STATE_DIR.replace(/^\//, '');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStep = Step<Answers, any>;

/**
 * Plan one step on a root (or a host) over its own view, and check that planning is pure: the
 * same facts give the same plan, and the plan is plain data.
 */
export async function planOne(target: string | Host, step: AnyStep, answers: Answers): Promise<StepPlan> {
  const host = typeof target === 'string' ? new LocalHost(target) : target;
  const facts: unknown = await step.detect({ view: new View(host), answers });
  const plan = step.plan(facts, answers);
  if (!isDeepStrictEqual(step.plan(facts, answers), plan))
    throw new Error(`${step.id}: the same facts gave another plan`);
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(plan)), plan))
    throw new Error(`${step.id}: the plan is not plain data`);
  return plan;
}

/** Programs played on a copy: argv[0] → what the program would do there ('*': any other program). */
export type Players = Record<string, (argv: string[]) => void | Promise<void>>;

/**
 * A stand-in apply for the states between two steps (part of a step's changes, a command that
 * stopped half-way): files (with their modes), directories and symlinks written under `root`,
 * commands played by `play` (a command without a player throws). Returns the commands' argv.
 * Whole steps go through the real engine instead: applyThenPlan.
 */
export async function applyChanges(root: string, changes: Change[], play: Players = {}): Promise<string[][]> {
  const commands: string[][] = [];
  for (const c of changes) {
    if (c.kind === 'file') {
      put(root, c.path, c.after);
      if (c.mode) chmodSync(join(root, c.path), c.mode);
    } else if (c.kind === 'directory') mkdirSync(join(root, c.path), { recursive: true });
    else if (c.kind === 'symlink') put(root, c.path, { link: c.target });
    else if (c.kind === 'command') {
      const player = play[c.argv[0] ?? ''] ?? play['*'];
      if (!player) throw new Error(`unexpected command ${c.argv.join(' ')}`);
      await player(c.argv);
      commands.push(c.argv);
    }
  }
  return commands;
}

/** A recorded runner that also plays the programs it has a player for (on the target's copy). */
class PlayingHost extends RecordedHost {
  readonly #play: Players;

  constructor(root: string, play: Players) {
    super(root);
    this.#play = play;
  }

  override async run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
    const player = this.#play[argv[0] ?? ''] ?? this.#play['*'];
    if (!player) throw new Error(`unexpected command ${argv.join(' ')}`);
    await player(argv);
    return super.run(argv, options);
  }
}

/** Plan steps on a root as `plan` does: over one view, every command refused. */
export function planRoot(root: string, steps: readonly AnyStep[], answers: Answers): Promise<Plan> {
  return planSteps(steps, withoutCommands(new RecordedHost(root)), answers);
}

/** How applyPlan treats commands: skipped and listed (the default), recorded, or played. */
export interface ApplyOptions {
  skipCommands?: boolean;
  /** Commands are played on the copy (and recorded); one without a player throws. */
  play?: Players;
}

/**
 * Apply a plan's pending steps through the real engine, as `apply --yes` does: commands are
 * skipped and listed (`skipCommands`, the default), recorded (RecordedHost: exit 0, nothing
 * run) with `skipCommands: false`, or played with `play`.
 */
export async function applyPlan(
  root: string,
  steps: readonly AnyStep[],
  plan: Plan,
  answers: Answers,
  options: ApplyOptions = {},
): Promise<StepApplyResult[]> {
  const host = options.play ? new PlayingHost(root, options.play) : new RecordedHost(root);
  return applyPending(host, steps, plan, answers, options.skipCommands ?? !options.play);
}

/**
 * Plan `steps` on a recorded runner's root as `plan --only` does (every step without `only`),
 * then apply the pending ones through the real engine with the runner recording the commands:
 * the ids of the steps applied (none when everything was done already).
 */
export async function applyRecorded(
  host: RecordedHost,
  steps: readonly AnyStep[],
  answers: Answers,
  only?: readonly string[],
): Promise<string[]> {
  const plan = await planSteps(steps, withoutCommands(host), answers, { only });
  if (!plan.steps.some((s) => s.status === 'pending')) return [];
  const applied = await applyPending(host, steps, plan, answers, false);
  return applied.map((r) => r.id);
}

/** Apply a plan's pending steps on `host` in one session, closed (and settled) whatever happens. */
async function applyPending(
  host: RecordedHost,
  steps: readonly AnyStep[],
  plan: Plan,
  answers: Answers,
  skipCommands: boolean,
): Promise<StepApplyResult[]> {
  const session = await ApplySession.open(host, { skipCommands });
  const results: StepApplyResult[] = [];
  let ok = false;
  try {
    for (const shown of plan.steps.filter((s) => s.status === 'pending')) {
      const step = steps.find((s) => s.id === shown.id)!;
      results.push(await session.applyStep(step, shown, answers));
    }
    ok = true;
  } finally {
    try {
      await session.close(ok ? 'ok' : 'failed');
    } finally {
      await session.settle();
    }
  }
  return results;
}

/** Plan, apply that plan, plan again: the two plans and what the apply did. */
export async function applyThenPlan(
  root: string,
  steps: readonly AnyStep[],
  answers: Answers,
  options: ApplyOptions = {},
): Promise<{ first: Plan; applied: StepApplyResult[]; again: Plan }> {
  const first = await planRoot(root, steps, answers);
  const applied = await applyPlan(root, steps, first, answers, options);
  const again = await planRoot(root, steps, answers);
  return { first, applied, again };
}
