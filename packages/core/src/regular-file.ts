import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, open, stat } from 'node:fs/promises';
import { InputError } from './errors.js';

/**
 * Opening a FIFO for reading blocks until a writer appears, and reading a character device such
 * as /dev/zero never ends: the tool must never do either. O_NONBLOCK makes the open return at
 * once whatever the file is (it changes nothing for a regular file), so a FIFO or device swapped
 * in between the stat and the open is still refused by the fstat, never read.
 */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** What kind of file `stats` is, in words, for error messages. */
export function describeFileType(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'a special file';
}

/**
 * The largest file the tool reads (8 MiB). Configuration files are a few kilobytes (a kernel
 * `.config` a few hundred); anything near this size is not one, and reading it would only cost
 * time and memory before failing.
 */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/** InputError when a file of `size` bytes is over `limit`; `name` is the path the user knows. */
function assertSize(size: number, name: string, limit: number): void {
  if (size <= limit) return;
  throw new InputError(
    name,
    undefined,
    `is ${formatBytes(size)}, more than the ${formatBytes(limit)} the tool reads from a file`,
    `a file of at most ${formatBytes(limit)}`,
  );
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1 ? `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB` : `${bytes} bytes`;
}

/** InputError unless `stats` is of a regular file; `name` is the path the user knows. */
function assertRegular(stats: Stats, name: string): void {
  if (stats.isFile()) return;
  if (stats.isDirectory()) throw new InputError(name, undefined, 'is a directory', 'a regular file');
  throw new InputError(
    name,
    undefined,
    `is not a regular file (it is ${describeFileType(stats)})`,
    'a regular file',
  );
}

/**
 * The bytes of the regular file at `diskPath` (symlinks followed), or undefined when there is
 * nothing there. Anything else (directory, FIFO, device, socket) is an InputError naming `name`,
 * and is never opened in blocking mode; so is a file larger than `limit` (default
 * {@link MAX_INPUT_BYTES}), which is not read at all. Files that report size 0 (/proc) are read
 * to the end.
 */
export function readRegularFileSync(
  diskPath: string,
  name = diskPath,
  limit = MAX_INPUT_BYTES,
): Buffer | undefined {
  try {
    // No exception for a missing file: planning probes many paths that do not exist.
    const stats = statSync(diskPath, { throwIfNoEntry: false });
    if (stats === undefined) return undefined;
    // Checked before opening: opening some devices has effects of its own (/dev/watchdog).
    assertRegular(stats, name);
    const fd = openSync(diskPath, READ_FLAGS);
    try {
      const opened = fstatSync(fd);
      assertRegular(opened, name);
      assertSize(opened.size, name, limit);
      const data = readFileSync(fd);
      assertSize(data.length, name, limit);
      return data;
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * `readRegularFileSync` through the thread pool, for the apply engine's own files. With
 * `followSymlinks: false` a symlink is refused too (a file of a run's own directory must be there
 * itself, not point elsewhere on the machine). With `limit`, a larger file is an InputError.
 */
export async function readRegularFile(
  diskPath: string,
  name = diskPath,
  { followSymlinks = true, limit }: { followSymlinks?: boolean; limit?: number } = {},
): Promise<Buffer | undefined> {
  try {
    assertRegular(await (followSymlinks ? stat : lstat)(diskPath), name);
    const handle = await open(diskPath, followSymlinks ? READ_FLAGS : READ_FLAGS | constants.O_NOFOLLOW);
    try {
      const opened = await handle.stat();
      assertRegular(opened, name);
      if (limit !== undefined) assertSize(opened.size, name, limit);
      const data = await handle.readFile();
      if (limit !== undefined) assertSize(data.length, name, limit);
      return data;
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

// ignoreBOM keeps a byte order mark in the text, so that writing the text back gives the same bytes.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decode UTF-8 strictly. A lenient decode turns invalid bytes into U+FFFD: the plan would then
 * show a file that is not on disk, every apply would find it "changed since it was planned", and
 * writing it back would destroy the original bytes. So invalid bytes are bad input, named by the
 * first line holding them.
 */
export function decodeUtf8(data: Buffer, name: string): string {
  try {
    return strictUtf8.decode(data);
  } catch {
    throw new InputError(
      name,
      firstInvalidLine(data),
      'holds bytes that are not valid UTF-8 (convert the file, e.g. iconv -f LATIN1 -t UTF-8)',
      'UTF-8 text',
    );
  }
}

/** 1-based number of the first line that does not decode as UTF-8 (only called on failure). */
function firstInvalidLine(data: Buffer): number {
  let start = 0;
  for (let line = 1; ; line++) {
    const newline = data.indexOf(0x0a, start);
    const end = newline === -1 ? data.length : newline;
    try {
      strictUtf8.decode(data.subarray(start, end));
    } catch {
      return line;
    }
    if (newline === -1) return line;
    start = newline + 1;
  }
}
