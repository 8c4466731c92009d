import { constants } from 'node:fs';
import { readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { LocalHost } from '../local-host.js';
import { errnoCode, lstatOrUndefined, writeNewFile } from './fs-util.js';
import { createOwnFile, mkdirOwn, ownDirectory, statePaths } from './state.js';

/**
 * Staged trees set aside for removal (a built image's, renamed out of the way) are removed after
 * the run has closed its journal. Each run lists those it has not removed yet in
 * `/var/lib/xen-gentoo/removing/<run id>` before it renames them, and deletes that list once they
 * are gone; the next run removes what a killed run's list still names.
 */
const REMOVING = 'removing';

/** The name a staged tree is set aside under: the image's staged tree, a process id and a time. */
export const SET_ASIDE_TAIL = '.removing-';
const SET_ASIDE_NAME = /\.xen-gentoo-stage\.removing-\d+-\d+$/;

/** A list holds at most this much (a run builds a few images). */
const MAX_LIST_BYTES = 1 << 16;

async function removingDir(host: LocalHost, create: boolean): Promise<string | undefined> {
  const { dir } = await statePaths(host, create);
  const removing = posix.join(dir, REMOVING);
  if (create) await mkdirOwn(removing);
  return (await ownDirectory(removing)) ? removing : undefined;
}

/** Record (replacing the run's list) the target paths of the trees run `runId` has set aside. */
export async function recordSetAside(host: LocalHost, runId: string, trees: string[]): Promise<void> {
  const dir = (await removingDir(host, true))!;
  const file = posix.join(dir, runId);
  const tmp = `${file}.xen-gentoo-tmp`;
  await rm(tmp, { force: true });
  // Not synced: the list is for a killed run, whose writes the kernel keeps; after a power cut the
  // next build of the same image removes its tree (see applyImage).
  await writeNewFile(tmp, Buffer.from(`${JSON.stringify(trees)}\n`), createOwnFile, false);
  await rename(tmp, file);
}

/** The run removed every tree it set aside: its list goes. */
export async function forgetSetAside(host: LocalHost, runId: string): Promise<void> {
  const dir = await removingDir(host, false).catch(() => undefined);
  if (dir === undefined) return;
  await unlink(posix.join(dir, runId)).catch((error: unknown) => {
    if (errnoCode(error) !== 'ENOENT') throw error;
  });
}

/** Remove one tree set aside (a target path of the expected name, a directory, never a link). */
export async function removeSetAsideTree(host: LocalHost, tree: string): Promise<boolean> {
  const disk = posix.join(await host.resolve(posix.dirname(tree)), posix.basename(tree));
  const stats = await lstatOrUndefined(disk);
  if (!stats?.isDirectory()) return false;
  await rm(disk, { recursive: true, force: true });
  return true;
}

/** Whether a list's entry is a tree this engine sets aside (anything else is left alone). */
function isSetAsideTree(entry: unknown): entry is string {
  return (
    typeof entry === 'string' &&
    entry.startsWith('/') &&
    !entry.includes('\0') &&
    posix.normalize(entry) === entry &&
    !entry.split('/').includes('..') &&
    SET_ASIDE_NAME.test(posix.basename(entry))
  );
}

/**
 * Remove the trees that killed runs set aside and did not remove (their lists), then the lists.
 * Returns one message per tree removed. Call under the lock, with no run of this process open.
 */
export async function removeLeftSetAside(host: LocalHost): Promise<string[]> {
  const dir = await removingDir(host, false).catch(() => undefined);
  if (dir === undefined) return [];
  const messages: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const file = posix.join(dir, name);
    // Only the engine's own lists: anything else there is left alone.
    if (!(await lstatOrUndefined(file))?.isFile()) continue;
    if (name.endsWith('.xen-gentoo-tmp')) {
      await rm(file, { force: true });
      continue;
    }
    let entries: unknown = [];
    try {
      const text = await readFile(file, {
        encoding: 'utf8',
        flag: constants.O_RDONLY | constants.O_NOFOLLOW,
      });
      entries = text.length <= MAX_LIST_BYTES ? JSON.parse(text) : [];
    } catch {
      entries = [];
    }
    for (const tree of Array.isArray(entries) ? entries.filter(isSetAsideTree) : [])
      if (await removeSetAsideTree(host, tree))
        messages.push(`removed ${tree}, a staged tree run ${name} had set aside and not removed`);
    await rm(file, { force: true });
  }
  return messages;
}
