import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { LocalHost } from '../local-host.js';
import { readMountInfo, stopLeftCommand, unmountAll } from '../mounts.js';
import { errnoCode, lstatOrUndefined } from './fs-util.js';
import { openRunDirs, readJournal } from './journal.js';
import { statePaths } from './state.js';

/**
 * Take down what runs that were killed left behind in the target: the commands they started that
 * still run (stopped with SIGKILL), then the mounts they made on this machine for them (recorded
 * in their journals before they were made; deepest first, lazily when busy). Mounts made in a
 * command's own namespace went with it and need nothing. Returns one message per thing done, for
 * the caller to show. Call under the lock, before anything is written.
 */
export async function takeDownLeftovers(host: LocalHost): Promise<string[]> {
  if (host.isLive) return [];
  const { runs } = await statePaths(host);
  let names: string[];
  try {
    names = (await readdir(runs)).sort();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return [];
    throw error;
  }
  const messages: string[] = [];
  const recorded = new Map<string, string>();
  for (const runId of names) {
    const runDir = posix.join(runs, runId);
    if (openRunDirs.has(runDir)) continue;
    if (!(await lstatOrUndefined(runDir))?.isDirectory()) continue;
    const { records } = await readJournal(runDir);
    if (records.some((r) => r.t === 'finish' || r.t === 'interrupted')) continue;
    for (const record of records) {
      // Journal records are input: only whole numbers and paths inside the root are used.
      if (record.t === 'process' && typeof record.pid === 'number') {
        const start = typeof record.start === 'number' ? record.start : undefined;
        const stopped = await stopLeftCommand(host.root, record.pid, start);
        if (stopped > 0)
          messages.push(
            `stopped the command run ${runId} left running (${stopped} process${stopped === 1 ? '' : 'es'} of group ${record.pid})`,
          );
      }
      if (record.t === 'mounts' && record.namespace === false && Array.isArray(record.mounts)) {
        for (const path of record.mounts) {
          if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) continue;
          const at = posix.join(host.root, posix.normalize(path));
          if (at.startsWith(`${host.root}/`)) recorded.set(at, runId);
        }
      }
    }
  }
  if (recorded.size === 0) return messages;
  const live = new Set(readMountInfo().map((m) => m.point));
  const mounted = [...recorded.keys()].filter((at) => live.has(at));
  const left = await unmountAll(mounted);
  for (const at of mounted.filter((m) => !left.includes(m)))
    messages.push(`unmounted ${at}, left mounted by run ${recorded.get(at)}`);
  return messages;
}
