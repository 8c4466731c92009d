import { readdir, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import type { LocalHost } from '../local-host.js';
import {
  TEMP_SUFFIX,
  errnoCode,
  fsyncDir,
  lstatOrUndefined,
  toDiskPath,
  toTargetPath,
  unlinkIfExists,
} from './fs-util.js';
import { BACKUP_DIR, appendToRun, openRunDirs, readJournal, repairJournal } from './journal.js';
import type { JournalRecord } from './journal.js';
import { removeDeadLockFiles } from './lock.js';
import { statePaths } from './state.js';

export interface RecoveryReport {
  /** Runs found killed (no end record), now marked interrupted. */
  interrupted: string[];
  /** Target paths of the files removed: temporary files, partial backups, private lock files. */
  removed: string[];
}

function needsRecovery(records: JournalRecord[]): { unfinished: boolean; rollbackOpen: boolean } {
  let ended = false;
  let rollbackOpen = false;
  for (const record of records) {
    if (record.t === 'finish' || record.t === 'interrupted') ended = true;
    if (record.t === 'rollback-start') rollbackOpen = true;
    if (record.t === 'rolled-back') rollbackOpen = false;
  }
  return { unfinished: !ended, rollbackOpen };
}

/**
 * Clean up after runs that were killed: remove the temporary files they announced in their
 * journals (the files they were replacing are untouched: the rename never happened, or it did
 * and the new file is whole), drop partial backups, repair a torn last journal line and mark the
 * runs interrupted. Changes such a run completed stay; planning again picks up from there.
 * Call at the start of every apply or rollback, under the lock.
 */
export async function recoverInterruptedRuns(host: LocalHost): Promise<RecoveryReport> {
  const report: RecoveryReport = { interrupted: [], removed: [] };
  const { runs } = await statePaths(host);
  for (const path of await removeDeadLockFiles(host)) report.removed.push(toTargetPath(host, path));
  let names: string[];
  try {
    names = (await readdir(runs)).sort();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return report;
    throw error;
  }
  for (const runId of names) {
    const runDir = posix.join(runs, runId);
    if (openRunDirs.has(runDir)) continue;
    if (!(await lstatOrUndefined(runDir))?.isDirectory()) continue;
    const contents = await readJournal(runDir);
    if (contents.records.length === 0) {
      // Killed before its first record: nothing was done.
      await rm(runDir, { recursive: true, force: true });
      await fsyncDir(runs);
      report.interrupted.push(runId);
      report.removed.push(toTargetPath(host, runDir));
      continue;
    }
    const { unfinished, rollbackOpen } = needsRecovery(contents.records);
    if (!unfinished && !rollbackOpen) continue;
    await repairJournal(runDir, contents);

    const removedHere: string[] = [];
    for (const record of contents.records) {
      if ((record.t !== 'write' && record.t !== 'restore') || record.tmp === undefined) continue;
      if (!record.tmp.endsWith(TEMP_SUFFIX)) continue;
      const disk = toDiskPath(host, record.tmp);
      const stats = await lstatOrUndefined(disk);
      if (!stats || !(stats.isFile() || stats.isSymbolicLink())) continue;
      await unlinkIfExists(disk);
      await fsyncDir(posix.dirname(disk));
      removedHere.push(record.tmp);
    }
    if (unfinished) {
      const referenced = new Set(
        contents.records.flatMap((r) => (r.t === 'write' && r.backup !== undefined ? [r.backup] : [])),
      );
      const backupDir = posix.join(runDir, BACKUP_DIR);
      const backups = await readdir(backupDir).catch(() => [] as string[]);
      for (const name of backups) {
        if (referenced.has(posix.join(BACKUP_DIR, name))) continue;
        if (await unlinkIfExists(posix.join(backupDir, name))) {
          removedHere.push(toTargetPath(host, posix.join(backupDir, name)));
        }
      }
      await appendToRun(runDir, { t: 'interrupted', at: new Date().toISOString(), removed: removedHere });
      report.interrupted.push(runId);
    }
    report.removed.push(...removedHere);
  }
  return report;
}

/** `recoverInterruptedRuns`, returning the target paths of the files it removed. */
export async function recoverInterrupted(host: LocalHost): Promise<string[]> {
  return (await recoverInterruptedRuns(host)).removed;
}
