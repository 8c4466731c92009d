/**
 * The on-disk half of the step-test harness: copies of the sample roots, a snapshot of a tree,
 * and "plan, apply, plan again" through the real apply engine. Programs never run here: the
 * engine runs commands through a recorded runner (RecordedHost) or skips them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
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
import {
  ApplySession,
  planSteps,
  RecordedHost,
  STATE_DIR,
  withoutCommands,
  type Plan,
  type Step,
  type StepApplyResult,
} from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';

export const SAMPLES_DIR = resolve(import.meta.dirname, '../../../../samples');
export type SampleName = 'current-amd64' | 'legacy-x86';
export const SAMPLE_NAMES: readonly SampleName[] = ['current-amd64', 'legacy-x86'];

const copies: string[] = [];

/** Write a file (its directories made) or a symlink under `root`. */
export function put(root: string, path: string, content: string | { link: string }): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  if (typeof content === 'string') writeFileSync(full, content);
  else symlinkSync(content.link, full);
}

/** A copy of a sample root in a temporary directory, with `extra` files and links put in it. */
export function copySample(name: SampleName, extra: Record<string, string | { link: string }> = {}): string {
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
  hash?: string;
  target?: string;
}

/** Every path under `root` with its kind, mode and content hash (link target); `exclude` relative paths. */
export function treeSnapshot(root: string, exclude: readonly string[] = []): Map<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = relative(root, full);
      if (exclude.some((e) => rel === e || rel.startsWith(`${e}/`))) continue;
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out.set(rel, { kind: 'link', mode: 0, target: readlinkSync(full) });
      else if (st.isDirectory()) {
        out.set(rel, { kind: 'dir', mode: st.mode });
        walk(full);
      } else
        out.set(rel, {
          kind: 'file',
          mode: st.mode,
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

/** Plan steps on a root as `plan` does: over one view, every command refused. */
export function planRoot(root: string, steps: readonly AnyStep[], answers: Answers): Promise<Plan> {
  return planSteps(steps, withoutCommands(new RecordedHost(root)), answers);
}

/**
 * Apply a plan's pending steps through the real engine, as `apply --yes` does: commands are
 * recorded (RecordedHost: exit 0, nothing run) or, with `skipCommands`, skipped and listed.
 */
export async function applyPlan(
  root: string,
  steps: readonly AnyStep[],
  plan: Plan,
  answers: Answers,
  options: { skipCommands?: boolean } = {},
): Promise<StepApplyResult[]> {
  const session = await ApplySession.open(new RecordedHost(root), {
    skipCommands: options.skipCommands ?? true,
  });
  const results: StepApplyResult[] = [];
  let ok = false;
  try {
    for (const shown of plan.steps.filter((s) => s.status === 'pending')) {
      const step = steps.find((s) => s.id === shown.id)!;
      results.push(await session.applyStep(step, shown, answers));
    }
    ok = true;
  } finally {
    await session.close(ok ? 'ok' : 'failed');
  }
  return results;
}

/** Plan, apply that plan, plan again: the two plans and what the apply did. */
export async function applyThenPlan(
  root: string,
  steps: readonly AnyStep[],
  answers: Answers,
  options: { skipCommands?: boolean } = {},
): Promise<{ first: Plan; applied: StepApplyResult[]; again: Plan }> {
  const first = await planRoot(root, steps, answers);
  const applied = await applyPlan(root, steps, first, answers, options);
  const again = await planRoot(root, steps, answers);
  return { first, applied, again };
}
