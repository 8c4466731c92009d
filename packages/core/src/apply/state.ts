import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { InputError } from '../errors.js';
import type { LocalHost } from '../local-host.js';
import { describeFileType } from '../regular-file.js';
import { errnoCode, lstatOrUndefined } from './fs-util.js';

/** Where the engine keeps its lock and journals, inside the target. */
export const STATE_DIR = '/var/lib/xen-gentoo';

export interface StatePaths {
  dir: string;
  lock: string;
  runs: string;
}

/**
 * Paths on this machine of the state directory; `create` makes them if missing.
 *
 * `/var/lib/xen-gentoo` itself is resolved inside the root like any target path (a symlink in
 * the target points into the target). Below it nothing is followed: `runs`, each run's
 * directory, its `backups` and its files must be what they claim to be, never links, so a target
 * cannot make the engine write, read or delete anything outside it through its own state.
 */
export async function statePaths(host: LocalHost, create = false): Promise<StatePaths> {
  const dir = await host.resolve(STATE_DIR);
  const runs = posix.join(dir, 'runs');
  await assertDirectoriesOrMissing(host.root, dir);
  if (create) {
    // One level at a time: a recursive mkdir reports a read-only file system as ENOENT.
    const above = posix.relative(host.root, posix.dirname(dir)).split('/').filter(Boolean);
    for (let i = 1; i <= above.length; i++) await mkdirIfMissing(posix.join(host.root, ...above.slice(0, i)));
    await mkdirOwn(dir);
  }
  if ((await ownDirectory(dir)) && create) await mkdirOwn(runs);
  else await ownDirectory(runs);
  return { dir, lock: posix.join(dir, 'lock'), runs };
}

async function mkdirIfMissing(path: string): Promise<void> {
  try {
    await mkdir(path, { mode: 0o755 });
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
}

/** Create a directory of the engine's own (not following a link in its place), unless it is there. */
export async function mkdirOwn(path: string): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700 });
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
  await ownDirectory(path);
}

/**
 * Whether the engine's own directory `path` exists: true for a real directory, false when there
 * is nothing; a symlink, file or anything else in its place is bad input naming the path (never
 * followed: it could lead anywhere on this machine).
 */
export async function ownDirectory(path: string): Promise<boolean> {
  const stats = await lstatOrUndefined(path);
  if (!stats) return false;
  if (stats.isDirectory()) return true;
  throw notOwn(path, stats, 'a directory (or nothing there)');
}

/** The InputError for something at a path of the engine's own that it did not put there. */
export function notOwn(path: string, stats: Stats, expected: string): InputError {
  return new InputError(
    path,
    undefined,
    `is ${describeFileType(stats)}, where xen-gentoo keeps its lock and run journals ` +
      '(nothing there is followed; move it away)',
    expected,
  );
}

/**
 * Open a file of the engine's own state without following a link in its place (O_NOFOLLOW): a
 * symlink there is bad input naming the path. A missing file with no O_CREAT throws ENOENT.
 */
export async function openOwnFile(path: string, flags: number, mode = 0o600): Promise<FileHandle> {
  try {
    const handle = await open(path, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode);
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      throw notOwn(path, stats, 'a regular file');
    }
    return handle;
  } catch (error) {
    if (errnoCode(error) === 'ELOOP') {
      const stats = await lstatOrUndefined(path);
      if (stats) throw notOwn(path, stats, 'a regular file');
    }
    throw error;
  }
}

/** A new file of the tool's own, created exclusively (never through a link). */
export function createOwnFile(path: string): Promise<FileHandle> {
  return openOwnFile(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
}

/**
 * Every directory from `root` down to `path` is either a directory or missing. A file where the
 * state directory (or one above it) should be is bad input, named, not an ENOTDIR crash. The
 * path is resolved already (no link left in it), so following is only the live root's business.
 */
async function assertDirectoriesOrMissing(root: string, path: string): Promise<void> {
  const rel = posix.relative(root, path);
  let at = root;
  for (const part of rel.split('/').filter(Boolean)) {
    at = posix.join(at, part);
    const stats = await statOrUndefined(at);
    if (!stats) return;
    if (!stats.isDirectory()) throw notOwn(at, stats, 'a directory (or nothing there)');
  }
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
