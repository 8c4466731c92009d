import { mkdir, rmdir, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { DriftError, InputError, UsageError } from '../errors.js';
import type { LocalHost } from '../local-host.js';
import { readRegularFile } from '../regular-file.js';
import {
  errnoCode,
  fsyncDir,
  readEntry,
  sha256,
  tempPathFor,
  toTargetPath,
  unlinkIfExists,
  writeNewFile,
  writeFileAtomic,
  writeSymlinkAtomic,
} from './fs-util.js';
import {
  BACKUP_DIR,
  appendToRun,
  assertRunId,
  isRunDirectory,
  journalPath,
  listRuns,
  readJournal,
} from './journal.js';
import { stateOf, type CurrentState } from './journal.js';
import type { JournaledState, WriteRecord } from './journal.js';
import { acquireLock } from './lock.js';
import { recoverInterruptedRuns } from './recover.js';
import { takeDownLeftovers } from './leftovers.js';
import { assertNoHostMounts } from '../mounts.js';
import { backupName } from './records.js';
import { createOwnFile, ownDirectory, statePaths } from './state.js';

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
  /** What killed runs had left running or mounted, taken down first (one line each). */
  leftovers: string[];
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
  // A run with a damaged journal counts: rolling back an older run past it would be wrong.
  const newest = runs.filter((r) => (r.changes > 0 || r.damaged) && !r.rolledBack).at(-1);
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
  // No run ever recorded here: nothing to roll back, and nothing (not even the lock) is created.
  if (!(await ownDirectory((await statePaths(host)).runs)))
    throw new UsageError(
      runId === undefined ? 'there is no run to roll back' : `no run ${runId} on this target`,
    );
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
  // Nothing is restored through a mount of this machine: a killed run's are taken down first.
  const leftovers = await takeDownLeftovers(host);
  if (!host.isLive) assertNoHostMounts(host.root);
  await recoverInterruptedRuns(host);
  const id = await pickRun(host, runId);
  const runDir = posix.join((await statePaths(host)).runs, id);
  if (!(await isRunDirectory(runDir))) throw new UsageError(`no run ${id} on this target`);
  const { records, lines, damaged, torn } = await readJournal(runDir);
  const journal = journalPath(runDir);
  // The whole journal is checked before anything is restored: one damaged line, and the run's
  // changes cannot be known, so none is undone.
  const firstDamaged =
    damaged[0] ??
    (torn ? { line: lines.length + damaged.length + 1, problem: 'a line cut short' } : undefined);
  if (firstDamaged) {
    throw new InputError(
      journal,
      firstDamaged.line,
      `${firstDamaged.problem} (run ${id}): the journal is damaged; nothing was restored`,
      'a record the run wrote',
    );
  }
  // The backups are read from the run's own directory, never through a link in its place.
  await ownDirectory(posix.join(runDir, BACKUP_DIR));
  const lineOf = new Map(records.map((record, i) => [record, lines[i]]));
  const writes = records.filter((r): r is WriteRecord => r.t === 'write').reverse();

  // Check everything before touching anything, following the run's writes backwards.
  const seen = new Map<string, CurrentState>();
  const plan: { record: WriteRecord; action: 'restore' | 'skip'; forced: boolean; data?: Buffer }[] = [];
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

  // Every backup to restore is read and checked before anything is touched: a damaged one stops
  // the rollback with nothing restored, rather than halfway.
  for (const entry of plan) {
    if (entry.action === 'restore' && entry.record.before.kind === 'file')
      entry.data = await readBackup(runDir, entry.record, journal, lineOf.get(entry.record));
  }

  const result: RollbackResult = {
    runId: id,
    restored: [],
    alreadyRestored: [],
    directoriesRemoved: [],
    directoriesKept: [],
    commandsNotUndone: records.flatMap((r) => (r.t === 'command' ? [r.argv] : [])),
    forced: [],
    leftovers,
  };
  await appendToRun(runDir, {
    t: 'rollback-start',
    at: new Date().toISOString(),
    force: options.force ?? false,
  });
  for (const { record, action, forced, data } of plan) {
    if (action === 'skip') {
      result.alreadyRestored.push(record.path);
      continue;
    }
    const disk = await host.resolve(record.target, false);
    if (forced) {
      const entry = await readEntry(disk);
      if (entry.kind === 'file') await keepForced(runDir, record.seq, entry.data);
      result.forced.push(record.path);
    }
    await restore(host, runDir, record, disk, data);
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

async function restore(
  host: LocalHost,
  runDir: string,
  record: WriteRecord,
  disk: string,
  data: Buffer | undefined,
): Promise<void> {
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
    target: toTargetPath(host, disk),
    tmp: toTargetPath(host, tmp),
  });
  if (before.kind === 'symlink') {
    await writeSymlinkAtomic(disk, tmp, before.target, owner);
    return;
  }
  if (data === undefined) throw new Error(`the backup of ${record.target} was not read`);
  // The restored file gets the current time, as cp and git checkout give it: with the old time a
  // restored kernel .config would look older than what Kbuild derived from the rolled-back one,
  // and make would not notice the change.
  await writeFileAtomic(disk, tmp, data, { mode: before.mode, ...owner });
}

/** Keep what a forced rollback overwrote, in the run's own backups (never through a link). */
async function keepForced(runDir: string, seq: number, data: Buffer): Promise<void> {
  const path = posix.join(runDir, BACKUP_DIR, `forced-${seq}`);
  await unlinkIfExists(path);
  await writeNewFile(path, data, createOwnFile);
}

/**
 * The content a write record replaced, from the run's backups. A missing, special or damaged
 * backup (its hash is not the journaled one) is bad input naming the backup file: restoring it
 * would put back content that was never there.
 */
async function readBackup(
  runDir: string,
  record: WriteRecord,
  journal: string,
  line: number | undefined,
): Promise<Buffer> {
  const name = backupName(record.backup);
  const before = record.before;
  if (name === undefined || before.kind !== 'file')
    throw new InputError(journal, line, `no backup of ${record.target}`, 'a record the run wrote');
  const path = posix.join(runDir, BACKUP_DIR, name);
  const expected = `the content ${record.target} had before the run`;
  const data = await readRegularFile(path, path, { followSymlinks: false });
  if (data === undefined)
    throw new InputError(
      path,
      undefined,
      `the backup of ${record.target} is missing; nothing was restored`,
      expected,
    );
  if (sha256(data) !== before.hash) {
    throw new InputError(
      path,
      undefined,
      `the backup of ${record.target} is damaged (it is not what the run saved); nothing was restored`,
      expected,
    );
  }
  return data;
}
