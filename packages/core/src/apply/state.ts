import type { Stats } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { InputError } from '../errors.js';
import type { LocalHost } from '../local-host.js';
import { describeFileType } from '../regular-file.js';
import { errnoCode } from './fs-util.js';

/** Where the engine keeps its lock and journals, inside the target. */
export const STATE_DIR = '/var/lib/xen-gentoo';

export interface StatePaths {
  dir: string;
  lock: string;
  runs: string;
}

/** Paths on this machine of the state directory; `create` makes them if missing. */
export async function statePaths(host: LocalHost, create = false): Promise<StatePaths> {
  const dir = await host.resolve(STATE_DIR);
  const runs = posix.join(dir, 'runs');
  await assertDirectoriesOrMissing(host.root, runs);
  if (create) {
    await mkdir(posix.dirname(dir), { recursive: true, mode: 0o755 });
    await mkdir(runs, { recursive: true, mode: 0o700 });
  }
  return { dir, lock: posix.join(dir, 'lock'), runs };
}

/**
 * Every directory from `root` down to `path` is either a directory or missing. A file where the
 * state directory (or one above it) should be is bad input, named, not an ENOTDIR crash.
 */
async function assertDirectoriesOrMissing(root: string, path: string): Promise<void> {
  const rel = posix.relative(root, path);
  let at = root;
  for (const part of rel.split('/').filter(Boolean)) {
    at = posix.join(at, part);
    const stats = await statOrUndefined(at);
    if (!stats) return;
    if (!stats.isDirectory()) {
      throw new InputError(
        at,
        undefined,
        `is ${describeFileType(stats)}, where xen-gentoo keeps its lock and run journals`,
        'a directory (or nothing there)',
      );
    }
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
