import { rename } from 'node:fs/promises';
import { posix } from 'node:path';
import { InputError } from '../errors.js';
import type { LocalHost } from '../local-host.js';
import { readRegularFile } from '../regular-file.js';
import { fsyncDir, lstatOrUndefined, unlinkIfExists, writeNewFile } from './fs-util.js';
import { createOwnFile, notOwn, statePaths } from './state.js';

/** The file, in the state directory, that says where the last run stopped for a reboot. */
export const RESUME_FILE = 'resume.json';
export const RESUME_VERSION = 1;

/**
 * Where a run stopped because the rest needs the machine booted into Xen: the step that waits,
 * the boot entry to pick, and the boot the run saw (kernel release and /proc's boot id), so the
 * next run can tell "not rebooted yet" from "rebooted into the wrong entry".
 */
export interface ResumeState {
  version: number;
  /** The run that stopped (null when it changed nothing and kept no journal). */
  runId: string | null;
  /** When it stopped (ISO 8601). */
  at: string;
  /** The step that waits for the reboot. */
  step: string;
  /** The boot entry to pick, as the boot steps write it. */
  entry: string;
  /** The kernel release that ran when the run stopped. */
  kernel?: string;
  /** /proc/sys/kernel/random/boot_id of that boot. */
  bootId?: string;
}

const MAX_RESUME_BYTES = 64 * 1024;

/** The resume state of a target, or undefined. A file that is not the engine's is bad input naming it. */
export async function readResumeState(host: LocalHost): Promise<ResumeState | undefined> {
  const { dir } = await statePaths(host);
  const path = posix.join(dir, RESUME_FILE);
  // Never followed: a symlink, FIFO or device in its place is refused (InputError), not read.
  const data = await readRegularFile(path, path, { followSymlinks: false, limit: MAX_RESUME_BYTES });
  if (data === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new InputError(path, 1, 'is not the JSON xen-gentoo writes there', 'a resume record (or nothing)');
  }
  const problem = resumeProblem(value);
  if (problem !== undefined)
    throw new InputError(path, 1, problem, 'a resume record of xen-gentoo (delete the file to start afresh)');
  return value as ResumeState;
}

/** What is wrong with a parsed resume record, or undefined when it is sound. */
export function resumeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  const v = value as Record<string, unknown>;
  if (v.version !== RESUME_VERSION) return `has version ${JSON.stringify(v.version)}, not ${RESUME_VERSION}`;
  if (!(v.runId === null || (typeof v.runId === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v.runId))))
    return 'has no valid runId';
  for (const key of ['at', 'step', 'entry'] as const)
    if (typeof v[key] !== 'string' || v[key] === '') return `has no ${key}`;
  for (const key of ['kernel', 'bootId'] as const)
    if (v[key] !== undefined && typeof v[key] !== 'string') return `has a ${key} that is not a string`;
  const known = new Set(['version', 'runId', 'at', 'step', 'entry', 'kernel', 'bootId']);
  const extra = Object.keys(v).find((k) => !known.has(k));
  return extra === undefined ? undefined : `has an unknown field ${extra}`;
}

/**
 * Record where the run stopped, whole or not at all: a new file of the engine's own (created
 * exclusively, never through a link), synced, then renamed over the old record. Call it under
 * the target's lock.
 */
export async function writeResumeState(host: LocalHost, state: ResumeState): Promise<void> {
  const problem = resumeProblem(state);
  if (problem !== undefined) throw new Error(`resume record ${problem}`);
  const { dir } = await statePaths(host, true);
  const path = posix.join(dir, RESUME_FILE);
  await assertOwnFileOrMissing(path);
  const tmp = `${path}.tmp`;
  await removeOwnFile(tmp);
  await writeNewFile(tmp, Buffer.from(`${JSON.stringify(state, null, 2)}\n`), createOwnFile);
  await rename(tmp, path);
  await fsyncDir(dir);
}

/** Remove the resume record (the wait is over). Returns whether there was one. Call it under the lock. */
export async function clearResumeState(host: LocalHost): Promise<boolean> {
  const { dir } = await statePaths(host);
  const path = posix.join(dir, RESUME_FILE);
  const removed = await removeOwnFile(path);
  if (removed) await fsyncDir(dir);
  return removed;
}

/** A regular file of the engine's own, or nothing; anything else in its place is bad input naming it. */
async function assertOwnFileOrMissing(path: string): Promise<void> {
  const stats = await lstatOrUndefined(path);
  if (stats && !stats.isFile()) throw notOwn(path, stats, 'a regular file (or nothing there)');
}

/** Unlink a file of the engine's own (a symlink in its place is refused, never followed or removed). */
async function removeOwnFile(path: string): Promise<boolean> {
  await assertOwnFileOrMissing(path);
  return unlinkIfExists(path);
}
