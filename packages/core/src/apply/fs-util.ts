import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readlink, rename, symlink, unlink, lchown } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { posix } from 'node:path';
import { asWriteError } from '../errors.js';
import type { LocalHost } from '../local-host.js';
import { readRegularFile } from '../regular-file.js';

/** Suffix of every temporary file the engine creates next to a file it replaces. */
export const TEMP_SUFFIX = '.xen-gentoo-tmp';
const NAME_MAX = 255;

export function errnoCode(error: unknown): string | undefined {
  return error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Whether a relative path climbs out of the directory it is relative to. Only a whole `..`
 * segment does: `..bash_profile` (the temporary file of `/.bash_profile`) is a name inside it.
 */
export function climbsOut(rel: string): boolean {
  return rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel);
}

/** The target path ("/etc/x") of a path on this machine that lies inside the host's root. */
export function toTargetPath(host: LocalHost, diskPath: string): string {
  if (host.root === '/') return diskPath;
  const rel = posix.relative(host.root, diskPath);
  if (climbsOut(rel)) throw new Error(`${diskPath} is outside the target root ${host.root}`);
  return `/${rel}`;
}

/** The path on this machine of a target path, without following any symlink in it. */
export function toDiskPath(host: LocalHost, targetPath: string): string {
  return host.root === '/' ? targetPath : posix.join(host.root, targetPath);
}

/**
 * The deterministic name of the temporary file used to replace `diskPath`: hidden, in the same
 * directory (so the rename is atomic), and recognisable by its suffix.
 */
export function tempPathFor(diskPath: string): string {
  const dir = posix.dirname(diskPath);
  const base = posix.basename(diskPath);
  const name = `.${base}${TEMP_SUFFIX}`;
  if (Buffer.byteLength(name) <= NAME_MAX) return posix.join(dir, name);
  return posix.join(dir, `.${sha256(base).slice(0, 32)}${TEMP_SUFFIX}`);
}

export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** What is at a path right now (symlinks are not followed). */
export type Entry =
  | { kind: 'absent' }
  | { kind: 'file'; data: Buffer; stats: Stats }
  | { kind: 'symlink'; target: string; stats: Stats }
  | { kind: 'directory'; stats: Stats }
  | { kind: 'other'; stats: Stats };

export async function readEntry(diskPath: string): Promise<Entry> {
  const stats = await lstatOrUndefined(diskPath);
  if (!stats) return { kind: 'absent' };
  if (stats.isSymbolicLink()) return { kind: 'symlink', target: await readlink(diskPath), stats };
  if (stats.isDirectory()) return { kind: 'directory', stats };
  if (!stats.isFile()) return { kind: 'other', stats };
  // Never opened in blocking mode: a FIFO swapped in after the lstat is refused, not waited on.
  const data = await readRegularFile(diskPath);
  return data === undefined ? { kind: 'absent' } : { kind: 'file', data, stats };
}

export function describeEntry(entry: Entry): string {
  switch (entry.kind) {
    case 'absent':
      return 'nothing';
    case 'file':
      return 'a file';
    case 'symlink':
      return `a symlink to ${entry.target}`;
    case 'directory':
      return 'a directory';
    case 'other':
      return 'a special file';
  }
}

export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Make a rename, creation or removal in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  await fsyncPath(dir);
}

export async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Write `data` to a file `open` has just created, synced (unless `sync` is false: a file that need
 * not survive a power cut); on any failure (a full disk) the file is removed, so nothing cut short
 * is left behind.
 */
export async function writeNewFile(
  path: string,
  data: Buffer,
  openNew: (path: string) => Promise<FileHandle>,
  sync = true,
): Promise<void> {
  const handle = await openNew(path);
  try {
    await writeAll(handle, data);
    if (sync) await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlinkIfExists(path).catch(() => undefined);
    throw asWriteError(error, path) ?? error;
  }
  await handle.close();
}

export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

export interface Ownership {
  mode: number;
  /** Owner to give the file; undefined keeps the creating process's (root for a real run). */
  uid?: number;
  gid?: number;
}

/**
 * Replace `diskPath` with `data` atomically: write a temporary file beside it, sync it, give it
 * its owner and mode, rename it over the target and sync the directory. A crash at any instant
 * leaves either the old file or the new one, plus at most the temporary file (whose name the
 * caller journaled before calling this).
 */
export async function writeFileAtomic(
  diskPath: string,
  tempPath: string,
  data: Buffer,
  ownership: Ownership,
): Promise<void> {
  await unlinkIfExists(tempPath);
  try {
    const handle = await open(
      tempPath,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      await writeAll(handle, data);
      const stats = await handle.stat();
      const uid = ownership.uid ?? stats.uid;
      const gid = ownership.gid ?? stats.gid;
      // chown before chmod: chown clears set-id bits.
      if (uid !== stats.uid || gid !== stats.gid) await handle.chown(uid, gid);
      await handle.chmod(ownership.mode & 0o7777);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, diskPath);
  } catch (error) {
    await unlinkIfExists(tempPath).catch(() => undefined);
    throw asWriteError(error, diskPath) ?? error;
  }
  await fsyncDir(posix.dirname(diskPath));
}

/** Create or repoint the symlink `diskPath` atomically (temporary link, then rename). */
export async function writeSymlinkAtomic(
  diskPath: string,
  tempPath: string,
  linkTarget: string,
  owner?: { uid: number; gid: number },
): Promise<void> {
  await unlinkIfExists(tempPath);
  try {
    await symlink(linkTarget, tempPath);
    if (owner) {
      const stats = await lstat(tempPath);
      if (stats.uid !== owner.uid || stats.gid !== owner.gid) await lchown(tempPath, owner.uid, owner.gid);
    }
    await rename(tempPath, diskPath);
  } catch (error) {
    await unlinkIfExists(tempPath).catch(() => undefined);
    throw asWriteError(error, diskPath) ?? error;
  }
  await fsyncDir(posix.dirname(diskPath));
}
