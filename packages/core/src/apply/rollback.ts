import { mkdir, readFile, rmdir, unlink, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { DriftError, UsageError } from '../errors.js';
import type { LocalHost } from '../local-host.js';
import {
  errnoCode,
  fsyncDir,
  readEntry,
  sha256,
  tempPathFor,
  toTargetPath,
  writeFileAtomic,
  writeSymlinkAtomic,
} from './fs-util.js';
import { appendToRun, assertRunId, listRuns, readJournal } from './journal.js';
import { stateOf, type CurrentState } from './journal.js';
import type { JournaledState, WriteRecord } from './journal.js';
import { acquireLock } from './lock.js';
import { recoverInterruptedRuns } from './recover.js';
import { statePaths } from './state.js';

export interface RollbackOptions {
  /** Restore even the files changed since the run wrote them (their content is kept in the run's backups). */
  force?: boolean;
  /** The caller already holds the target's lock; otherwise the rollback takes it while it works. */
  lockHeld?: boolean;
}

export interface RollbackResult {
  runId: string;
  /** Paths put back as they were before the run; a file the run created is removed. */
  restored: string[];
  /** Paths that already held what they held before the run. */
  alreadyRestored: string[];
  /** Directories the run created, removed again. */
  directoriesRemoved: string[];
  /** Directories the run created that are no longer empty, so they stay. */
  directoriesKept: string[];
  /** Commands the run ran: they are not undone. */
  commandsNotUndone: string[][];
  /** Paths restored under `force` although they had changed; the content they had is in `backups/`. */
  forced: string[];
}

function same(current: CurrentState, expected: JournaledState): boolean {
  if (current.kind === 'file' && expected.kind === 'file') return current.hash === expected.hash;
  if (current.kind === 'symlink' && expected.kind === 'symlink') return current.target === expected.target;
  return current.kind === 'absent' && expected.kind === 'absent';
}

async function pickRun(host: LocalHost, runId: string | undefined): Promise<string> {
  const runs = await listRuns(host);
  if (runId !== undefined) {
    assertRunId(runId);
    if (!runs.some((r) => r.runId === runId)) throw new UsageError(`no run ${runId} on this target`);
    return runId;
  }
  const newest = runs.filter((r) => r.changes > 0 && !r.rolledBack).at(-1);
  if (!newest) throw new UsageError('there is no run to roll back');
  return newest.runId;
}

/**
 * Undo the file changes of a run (default: the newest run with changes not yet rolled back), in
 * reverse order, each atomically with its old owner and mode. Every path is checked first: if one
 * no longer holds what the run wrote, a DriftError is thrown and nothing is touched (unless
 * `force`). Commands are not undone; they are listed in the result. Takes the target's lock
 * (LockError while a run is active) unless `lockHeld`, and first recovers interrupted runs.
 */
export async function rollbackRun(
  host: LocalHost,
  runId?: string,
  options: RollbackOptions = {},
): Promise<RollbackResult> {
  if (options.lockHeld) return rollbackLocked(host, runId, options);
  const lock = await acquireLock(host);
  try {
    return await rollbackLocked(host, runId, options);
  } finally {
    await lock.release();
  }
}

async function rollbackLocked(
  host: LocalHost,
  runId: string | undefined,
  options: RollbackOptions,
): Promise<RollbackResult> {
  await recoverInterruptedRuns(host);
  const id = await pickRun(host, runId);
  const runDir = posix.join((await statePaths(host)).runs, id);
  const { records } = await readJournal(runDir);
  const writes = records.filter((r): r is WriteRecord => r.t === 'write').reverse();

  // Check everything before touching anything, following the run's writes backwards.
  const seen = new Map<string, CurrentState>();
  const plan: { record: WriteRecord; action: 'restore' | 'skip'; forced: boolean }[] = [];
  const drifted: string[] = [];
  for (const record of writes) {
    let current = seen.get(record.target);
    if (current === undefined) current = stateOf(await readEntry(await host.resolve(record.target, false)));
    if (same(current, record.after)) plan.push({ record, action: 'restore', forced: false });
    else if (same(current, record.before)) plan.push({ record, action: 'skip', forced: false });
    else if (options.force) plan.push({ record, action: 'restore', forced: true });
    else drifted.push(record.target);
    seen.set(record.target, record.before);
  }
  const firstDrifted = drifted[0];
  if (firstDrifted !== undefined) {
    const others = drifted.slice(1);
    throw new DriftError(
      firstDrifted,
      `it no longer holds what run ${id} wrote${others.length ? ` (nor do ${others.join(', ')})` : ''}; ` +
        'nothing was restored; force the rollback to overwrite',
    );
  }

  const result: RollbackResult = {
    runId: id,
    restored: [],
    alreadyRestored: [],
    directoriesRemoved: [],
    directoriesKept: [],
    commandsNotUndone: records.flatMap((r) => (r.t === 'command' ? [r.argv] : [])),
    forced: [],
  };
  await appendToRun(runDir, {
    t: 'rollback-start',
    at: new Date().toISOString(),
    force: options.force ?? false,
  });
  for (const { record, action, forced } of plan) {
    if (action === 'skip') {
      result.alreadyRestored.push(record.path);
      continue;
    }
    const disk = await host.resolve(record.target, false);
    if (forced) {
      const entry = await readEntry(disk);
      if (entry.kind === 'file') {
        await writeFile(posix.join(runDir, 'backups', `forced-${record.seq}`), entry.data, { mode: 0o600 });
      }
      result.forced.push(record.path);
    }
    await restore(host, runDir, record, disk);
    // A path the run wrote several times is restored step by step, but listed once.
    if (!result.restored.includes(record.path)) result.restored.push(record.path);
  }
  for (const record of records.filter((r) => r.t === 'mkdir').reverse()) {
    const disk = await host.resolve(record.path, false);
    try {
      await rmdir(disk);
      await fsyncDir(posix.dirname(disk));
      result.directoriesRemoved.push(record.path);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') result.directoriesKept.push(record.path);
      else if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
  }
  await appendToRun(runDir, { t: 'rolled-back', at: new Date().toISOString(), restored: result.restored });
  return result;
}

async function restore(host: LocalHost, runDir: string, record: WriteRecord, disk: string): Promise<void> {
  const before = record.before;
  const owner =
    record.uid !== undefined && record.gid !== undefined ? { uid: record.uid, gid: record.gid } : undefined;
  if (before.kind === 'absent') {
    await appendToRun(runDir, { t: 'restore', seq: record.seq, target: record.target });
    const entry = await readEntry(disk);
    if (entry.kind === 'directory') throw new DriftError(record.path, 'it is a directory now');
    if (entry.kind === 'absent') return;
    await unlink(disk);
    await fsyncDir(posix.dirname(disk));
    return;
  }
  await mkdir(posix.dirname(disk), { recursive: true, mode: 0o755 });
  const tmp = tempPathFor(disk);
  await appendToRun(runDir, {
    t: 'restore',
    seq: record.seq,
    target: record.target,
    tmp: toTargetPath(host, tmp),
  });
  if (before.kind === 'symlink') {
    await writeSymlinkAtomic(disk, tmp, before.target, owner);
    return;
  }
  if (record.backup === undefined) throw new Error(`run journal has no backup for ${record.target}`);
  const data = await readFile(posix.join(runDir, record.backup));
  if (sha256(data) !== before.hash)
    throw new Error(`the backup of ${record.target} is damaged: ${record.backup}`);
  await writeFileAtomic(disk, tmp, data, { mode: before.mode, ...owner });
}
