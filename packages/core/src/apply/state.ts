import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { LocalHost } from '../local-host.js';

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
  if (create) {
    await mkdir(posix.dirname(dir), { recursive: true, mode: 0o755 });
    await mkdir(runs, { recursive: true, mode: 0o700 });
  }
  return { dir, lock: posix.join(dir, 'lock'), runs };
}
