import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, readdir, rmdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { UsageError, asWriteError } from '../errors.js';
import type { LocalHost } from '../local-host.js';
import { readRegularFile } from '../regular-file.js';
import { errnoCode, fsyncDir, sha256, unlinkIfExists, writeAll, writeNewFile } from './fs-util.js';
import type { Entry } from './fs-util.js';
import { recordProblem } from './records.js';
import { createOwnFile, openOwnFile, ownDirectory, statePaths } from './state.js';
import { staleLockHolder } from './lock.js';

export const JOURNAL_FILE = 'journal.jsonl';
export const BACKUP_DIR = 'backups';
export const JOURNAL_VERSION = 1;

/** What a path held (or holds) as far as rollback cares. */
export type JournaledState =
  { kind: 'absent' } | { kind: 'file'; hash: string; mode: number } | { kind: 'symlink'; target: string };

/**
 * Written before the engine replaces or removes anything: enough to put the old entry back
 * (`backup` holds the old content) and to tell whether the path still holds what the run wrote.
 */
export interface WriteRecord {
  t: 'write';
  seq: number;
  op: 'file' | 'symlink' | 'remove';
  /** The path named by the change. */
  path: string;
  /** The target path actually replaced (symlinks in `path` resolved). */
  target: string;
  /** Target path of the temporary file, created only after this record is durable. */
  tmp?: string;
  before: JournaledState;
  after: JournaledState;
  uid?: number;
  gid?: number;
  /** Old file content, relative to the run directory. */
  backup?: string;
}

export type JournalRecord =
  | { t: 'start'; version: number; runId: string; startedAt: string; pid: number; root: string }
  /** Written before the directory is created. */
  | { t: 'mkdir'; seq: number; path: string; mode: number }
  | WriteRecord
  | { t: 'done'; seq: number }
  | { t: 'command'; seq: number; argv: string[]; inRoot: boolean; cwd?: string }
  /**
   * Written before the mounts of an in-root command are made: the target paths, and whether they
   * are made in the command's own mount namespace (`namespace`) or on this machine.
   */
  | { t: 'mounts'; seq: number; mounts: string[]; namespace: boolean }
  /** An in-root command's process (the leader of its process group) and its start time. */
  | { t: 'process'; seq: number; pid: number; start?: number }
  | { t: 'command-end'; seq: number; exitCode: number }
  /** A disk image built (never its content; rollback does not delete images). */
  | { t: 'image'; seq: number; path: string; filesystem: string; bytes: number }
  /** A disk image deleted (not backed up). */
  | { t: 'remove-image'; seq: number; path: string }
  /** A password set in a shadow file: the user only, never the password or its hash. */
  | { t: 'secret'; seq: number; path: string; user: string }
  | { t: 'finish'; at: string; status: 'ok' | 'failed' }
  | { t: 'interrupted'; at: string; removed: string[] }
  | { t: 'rollback-start'; at: string; force: boolean }
  /** Written by rollback before it creates a temporary file. */
  | { t: 'restore'; seq: number; target: string; tmp?: string }
  | { t: 'rolled-back'; at: string; restored: string[] };

/**
 * The run's append-only record. Every record is one JSON line, synced to disk before the action
 * it announces, so a run killed at any instant leaves a journal the next run can read.
 */
export interface Journal {
  readonly runId: string;
  /** Directory of the run on this machine. */
  readonly dir: string;
  /** Number for the next change; records of one change share it. */
  nextSeq(): number;
  append(record: JournalRecord): Promise<void>;
  /** Keep `data` in the run's backups; returns its name relative to `dir`. */
  saveBackup(seq: number, data: Buffer): Promise<string>;
  /** Mark the run as ended (`failed` when it stopped on an error) and close the journal. */
  finish(status?: 'ok' | 'failed'): Promise<void>;
  /** A change was journaled (a directory, a write or a command): the run did something. */
  readonly hasChanges: boolean;
  /**
   * Close the journal and remove the run's directory, for a run that journaled no change: a run
   * that did nothing leaves nothing to list or roll back.
   */
  discard(): Promise<void>;
}

/** Run directories with a journal open in this process (never treated as interrupted). */
export const openRunDirs = new Set<string>();

export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const time = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${date}-${time}-${randomBytes(2).toString('hex')}`;
}

export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** The name of a backup the engine saves: its change's number. */
export const BACKUP_NAME = /^\d{6,}$/;

export function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId)) throw new UsageError(`not a valid run id: ${runId}`);
}

class FileJournal implements Journal {
  #seq = 0;
  #queue: Promise<void> = Promise.resolve();
  #handle: FileHandle | undefined;
  /** Bytes of whole records written: a record that could not be written whole is cut off again. */
  #length = 0;

  constructor(
    readonly runId: string,
    readonly dir: string,
    handle: FileHandle,
  ) {
    this.#handle = handle;
  }

  nextSeq(): number {
    return ++this.#seq;
  }

  append(record: JournalRecord): Promise<void> {
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    const next = this.#queue.then(async () => {
      const handle = this.#handle;
      if (!handle) throw new Error(`journal of run ${this.runId} is closed`);
      try {
        await writeAll(handle, line);
        await handle.sync();
      } catch (error) {
        // A full disk can take half a line: cut it, so the journal stays whole records.
        await handle.truncate(this.#length).catch(() => undefined);
        throw asWriteError(error, journalPath(this.dir)) ?? error;
      }
      this.#length += line.length;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async saveBackup(seq: number, data: Buffer): Promise<string> {
    const name = posix.join(BACKUP_DIR, String(seq).padStart(6, '0'));
    const path = posix.join(this.dir, name);
    await writeNewFile(path, data, createOwnFile);
    await fsyncDir(posix.dirname(path));
    return name;
  }

  async finish(status: 'ok' | 'failed' = 'ok'): Promise<void> {
    if (!this.#handle) return;
    await this.append({ t: 'finish', at: new Date().toISOString(), status });
    await this.#close();
  }

  get hasChanges(): boolean {
    return this.#seq > 0;
  }

  async discard(): Promise<void> {
    if (!this.#handle) return;
    if (this.hasChanges) throw new Error(`run ${this.runId} journaled changes: it cannot be discarded`);
    await this.#close();
    // The journal goes first: killed after that, what is left has no record, and the next run's
    // recovery removes it as a run that did nothing.
    await removeEmptyRun(this.dir, { ownJournal: true });
  }

  async #close(): Promise<void> {
    await this.#queue;
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
    openRunDirs.delete(this.dir);
  }
}

/** Start the journal of a new run under `<root>/var/lib/xen-gentoo/runs/<runId>/`. */
export async function openJournal(host: LocalHost, runId?: string): Promise<Journal> {
  const { runs } = await statePaths(host, true);
  let id = runId ?? newRunId();
  assertRunId(id);
  let dir = posix.join(runs, id);
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(dir, { mode: 0o700 });
      break;
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
      if (runId !== undefined) throw new UsageError(`run ${runId} already exists`);
      if (attempt > 20) throw error;
      id = newRunId();
      dir = posix.join(runs, id);
    }
  }
  await mkdir(posix.join(dir, BACKUP_DIR), { mode: 0o700 });
  const handle = await openOwnFile(
    posix.join(dir, JOURNAL_FILE),
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND,
  );
  await fsyncDir(dir);
  await fsyncDir(runs);
  const journal = new FileJournal(id, dir, handle);
  openRunDirs.add(dir);
  await journal.append({
    t: 'start',
    version: JOURNAL_VERSION,
    runId: id,
    startedAt: new Date().toISOString(),
    pid: process.pid,
    root: host.root,
  });
  return journal;
}

export interface JournalContents {
  /** The sound records, in order (a damaged line is left out, and named in `damaged`). */
  records: JournalRecord[];
  /** Line number (1-based) in the journal file of each record, for naming a damaged one. */
  lines: number[];
  /** Whole lines that are not records the engine writes: each with what is wrong with it. */
  damaged: { line: number; problem: string }[];
  /** The last line was cut short (the run was killed while appending it). */
  torn: boolean;
  /** Bytes up to the end of the last whole line. */
  validLength: number;
}

/** Path of a run's journal on this machine. */
export function journalPath(runDir: string): string {
  return posix.join(runDir, JOURNAL_FILE);
}

/**
 * Read a journal: every whole line is checked (`recordProblem`); a line that is not a record of
 * the engine's shape is listed in `damaged`, never acted on. A torn last line is not damage (a
 * killed run leaves one) but is reported. The run directory and the journal must be what they
 * say (a symlink in their place is bad input, never followed).
 */
export async function readJournal(runDir: string): Promise<JournalContents> {
  const empty: JournalContents = { records: [], lines: [], damaged: [], torn: false, validLength: 0 };
  if (!(await ownDirectory(runDir))) return empty;
  // A FIFO, device or symlink in place of the journal is refused (InputError), never read.
  const path = journalPath(runDir);
  const data = await readRegularFile(path, path, { followSymlinks: false });
  if (data === undefined) return empty;
  const validLength = data.lastIndexOf(0x0a) + 1;
  const contents: JournalContents = { ...empty, torn: validLength < data.length, validLength };
  for (const [index, line] of data.subarray(0, validLength).toString('utf8').split('\n').entries()) {
    if (line === '') continue; // the end of the last line (an empty line holds no record either)
    let problem: string | undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
      problem = recordProblem(parsed);
    } catch {
      problem = 'not a JSON record';
    }
    if (problem === undefined && contents.records.length === 0 && (parsed as JournalRecord).t !== 'start')
      problem = 'the journal does not begin with the start record of its run';
    if (problem !== undefined) contents.damaged.push({ line: index + 1, problem });
    else {
      contents.records.push(parsed as JournalRecord);
      contents.lines.push(index + 1);
    }
  }
  return contents;
}

/** Cut a torn last line so that the next record starts on a line of its own. */
export async function repairJournal(runDir: string, contents: JournalContents): Promise<void> {
  if (!contents.torn) return;
  const handle = await openOwnFile(journalPath(runDir), constants.O_WRONLY);
  try {
    await handle.truncate(contents.validLength);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Append one record to the journal of a run that is not open in this process. */
export async function appendToRun(runDir: string, record: JournalRecord): Promise<void> {
  const handle = await openOwnFile(journalPath(runDir), constants.O_WRONLY | constants.O_APPEND);
  try {
    const { size } = await handle.stat();
    try {
      await writeAll(handle, Buffer.from(`${JSON.stringify(record)}\n`));
      await handle.sync();
    } catch (error) {
      await handle.truncate(size).catch(() => undefined);
      throw asWriteError(error, journalPath(runDir)) ?? error;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Remove the directory of a run that did nothing (no record in its journal), and only what the
 * engine itself puts there: the journal, an empty `backups` directory. Anything else in it stays,
 * and so does the directory (false is returned); nothing is removed recursively.
 */
export async function removeEmptyRun(runDir: string, { ownJournal = false } = {}): Promise<boolean> {
  const names = await readdir(runDir);
  if (names.some((name) => name !== JOURNAL_FILE && name !== BACKUP_DIR)) return false;
  const backups = posix.join(runDir, BACKUP_DIR);
  if (names.includes(BACKUP_DIR)) {
    if (!(await ownDirectory(backups)) || (await readdir(backups)).length > 0) return false;
  }
  if (names.includes(JOURNAL_FILE)) {
    const data = await readRegularFile(journalPath(runDir), journalPath(runDir), { followSymlinks: false });
    // A journal with whole lines is kept, unless it is this process's own (a run that did nothing).
    if (!ownJournal && data !== undefined && data.includes(0x0a)) return false;
    await unlinkIfExists(journalPath(runDir));
  }
  if (names.includes(BACKUP_DIR)) await rmdir(backups);
  await fsyncDir(runDir);
  await rmdir(runDir);
  await fsyncDir(posix.dirname(runDir));
  return true;
}

export interface RunSummary {
  runId: string;
  startedAt: string;
  /** The run ended normally (even when it stopped on an error). */
  finished: boolean;
  /**
   * How the run ended; `interrupted` once a later run found it killed, or when it has no end
   * record and the lock no longer has a live holder (it was killed); `running` while it holds it.
   */
  status: 'ok' | 'failed' | 'interrupted' | 'running';
  /** Changes that modified the target (files, links, directories, commands run). */
  changes: number;
  rolledBack: boolean;
  /** The first line of its journal that is not a sound record: the run cannot be rolled back. */
  damaged?: { line: number; problem: string };
}

export function summarizeRun(runId: string, records: JournalRecord[]): RunSummary {
  let startedAt = '';
  let status: RunSummary['status'] = 'running';
  let finished = false;
  let rolledBack = false;
  const seqs = new Set<number>();
  for (const record of records) {
    switch (record.t) {
      case 'start':
        startedAt = record.startedAt;
        break;
      case 'mkdir':
      case 'write':
      case 'command':
      case 'image':
      case 'remove-image':
      case 'secret':
        seqs.add(record.seq);
        break;
      case 'finish':
        finished = true;
        status = record.status;
        break;
      case 'interrupted':
        status = 'interrupted';
        break;
      case 'rolled-back':
        rolledBack = true;
        break;
      default:
        break;
    }
  }
  return { runId, startedAt, finished, status, changes: seqs.size, rolledBack };
}

/** The runs recorded on the target, oldest first. */
export async function listRuns(host: LocalHost): Promise<RunSummary[]> {
  const { runs, lock } = await statePaths(host);
  let names: string[];
  try {
    names = await readdir(runs);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  // A run without an end record is running only while a live process holds the lock for it.
  const holder = await staleLockHolder(lock);
  const result: RunSummary[] = [];
  for (const name of names) {
    if (!RUN_ID.test(name)) continue;
    const runDir = posix.join(runs, name);
    if (!(await isRunDirectory(runDir))) continue;
    const { records, damaged } = await readJournal(runDir);
    if (records.length === 0 && damaged.length === 0) continue;
    const summary = summarizeRun(name, records);
    const start = records.find((r) => r.t === 'start');
    if (summary.status === 'running' && !openRunDirs.has(runDir)) {
      const live = holder.live && start?.t === 'start' && start.pid === holder.pid;
      if (!live) summary.status = 'interrupted';
    }
    const firstDamaged = damaged[0];
    result.push(firstDamaged ? { ...summary, damaged: firstDamaged } : summary);
  }
  return result.sort((a, b) =>
    a.startedAt === b.startedAt ? a.runId.localeCompare(b.runId) : a.startedAt.localeCompare(b.startedAt),
  );
}

/**
 * Whether an entry of `runs/` is a run's directory: a directory is, a plain file is no run (it
 * is skipped), and a symlink is bad input naming it (following it could lead anywhere).
 */
export async function isRunDirectory(runDir: string): Promise<boolean> {
  try {
    return await ownDirectory(runDir);
  } catch (error) {
    if ((await lstatKind(runDir)) === 'symlink') throw error;
    return false;
  }
}

async function lstatKind(path: string): Promise<'symlink' | 'other'> {
  return (await lstat(path)).isSymbolicLink() ? 'symlink' : 'other';
}

/** What is at a path now, in the journal's terms ('other' for what a run never writes). */
export type CurrentState = JournaledState | { kind: 'other'; what: string };

export function stateOf(entry: Entry): CurrentState {
  switch (entry.kind) {
    case 'absent':
      return { kind: 'absent' };
    case 'file':
      return { kind: 'file', hash: sha256(entry.data), mode: entry.stats.mode & 0o7777 };
    case 'symlink':
      return { kind: 'symlink', target: entry.target };
    case 'directory':
      return { kind: 'other', what: 'a directory' };
    case 'other':
      return { kind: 'other', what: 'a special file' };
  }
}
