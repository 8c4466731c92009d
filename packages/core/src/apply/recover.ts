import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { InputError } from '../errors.js';
import type { LocalHost } from '../local-host.js';
import { errnoCode, fsyncDir, lstatOrUndefined, toTargetPath, unlinkIfExists } from './fs-util.js';
import {
  BACKUP_DIR,
  BACKUP_NAME,
  RUN_ID,
  appendToRun,
  isRunDirectory,
  journalPath,
  openRunDirs,
  readJournal,
  removeEmptyRun,
  repairJournal,
} from './journal.js';
import type { JournalRecord } from './journal.js';
import { removeDeadLockFiles } from './lock.js';
import { ownDirectory, statePaths } from './state.js';

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
 *
 * Only what the engine itself made is removed, and only where it made it: a temporary file is
 * the one the journal names beside its target (`.NAME.xen-gentoo-tmp`), resolved inside the
 * root; a backup is a numbered file in the run's own `backups`; a run directory goes only when it
 * holds nothing but an empty journal and backups directory. A journal with a damaged or crafted
 * line is bad input naming it, and nothing of that run is touched.
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
    if (!(await isRunDirectory(runDir))) continue;
    const contents = await readJournal(runDir);
    if (contents.records.length === 0 && contents.damaged.length === 0) {
      // Killed before its first record: nothing was done.
      if (RUN_ID.test(runId) && (await removeEmptyRun(runDir))) {
        report.interrupted.push(runId);
        report.removed.push(toTargetPath(host, runDir));
      }
      continue;
    }
    const { unfinished, rollbackOpen } = needsRecovery(contents.records);
    if (!unfinished && !rollbackOpen) continue;
    const damaged = contents.damaged[0];
    if (damaged) {
      throw new InputError(
        journalPath(runDir),
        damaged.line,
        `${damaged.problem}: the journal of the killed run ${runId} is damaged, so nothing it ` +
          'announced was cleaned up (nor was anything else); move that run directory away to go on',
        'a record the run wrote',
      );
    }
    await repairJournal(runDir, contents);

    const removedHere: string[] = [];
    for (const record of contents.records) {
      if ((record.t !== 'write' && record.t !== 'restore') || record.tmp === undefined) continue;
      // The record is sound (readJournal checked it): its tmp is the engine's name beside its
      // target. The directory is resolved inside the root, as the engine resolved it.
      const disk = posix.join(await host.resolve(posix.dirname(record.tmp)), posix.basename(record.tmp));
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
      const backups = (await ownDirectory(backupDir)) ? await readdir(backupDir) : [];
      for (const name of backups) {
        // Only a backup the engine names (its change's number); nothing else there is its own.
        if (!BACKUP_NAME.test(name) || referenced.has(posix.join(BACKUP_DIR, name))) continue;
        const path = posix.join(backupDir, name);
        if (!(await lstatOrUndefined(path))?.isFile()) continue;
        if (await unlinkIfExists(path)) removedHere.push(toTargetPath(host, path));
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
