import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rm, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { UsageError } from '../errors.js';
import type { LocalHost } from '../local-host.js';
import { readRegularFile } from '../regular-file.js';
import { errnoCode, fsyncDir, fsyncPath, sha256, unlinkIfExists, writeAll } from './fs-util.js';
import type { Entry } from './fs-util.js';
import { statePaths } from './state.js';

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

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId)) throw new UsageError(`not a valid run id: ${runId}`);
}

class FileJournal implements Journal {
  #seq = 0;
  #queue: Promise<void> = Promise.resolve();
  #handle: FileHandle | undefined;

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
      await writeAll(handle, line);
      await handle.sync();
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async saveBackup(seq: number, data: Buffer): Promise<string> {
    const name = posix.join(BACKUP_DIR, String(seq).padStart(6, '0'));
    const path = posix.join(this.dir, name);
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      await writeAll(handle, data);
      await handle.sync();
    } finally {
      await handle.close();
    }
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
    await unlinkIfExists(posix.join(this.dir, JOURNAL_FILE));
    await fsyncDir(this.dir);
    await rm(this.dir, { recursive: true, force: true });
    await fsyncDir(posix.dirname(this.dir));
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
  const handle = await open(
    posix.join(dir, JOURNAL_FILE),
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND,
    0o600,
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
  records: JournalRecord[];
  /** Line number (1-based) in the journal file of each record, for naming a damaged one. */
  lines: number[];
  /** The last line was cut short (the run was killed while appending it). */
  torn: boolean;
  /** Bytes up to the end of the last whole line. */
  validLength: number;
}

/** Read a journal, ignoring a torn last line and any line that is not a record. */
export async function readJournal(runDir: string): Promise<JournalContents> {
  // A FIFO or device in place of the journal is refused (InputError), never read.
  const data = await readRegularFile(posix.join(runDir, JOURNAL_FILE));
  if (data === undefined) return { records: [], lines: [], torn: false, validLength: 0 };
  const validLength = data.lastIndexOf(0x0a) + 1;
  const records: JournalRecord[] = [];
  const lines: number[] = [];
  for (const [index, line] of data.subarray(0, validLength).toString('utf8').split('\n').entries()) {
    if (!line) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed && typeof parsed === 'object' && typeof (parsed as { t?: unknown }).t === 'string') {
        records.push(parsed as JournalRecord);
        lines.push(index + 1);
      }
    } catch {
      // A damaged line: skip it; the records around it still describe the run.
    }
  }
  return { records, lines, torn: validLength < data.length, validLength };
}

/** Cut a torn last line so that the next record starts on a line of its own. */
export async function repairJournal(runDir: string, contents: JournalContents): Promise<void> {
  if (!contents.torn) return;
  const path = posix.join(runDir, JOURNAL_FILE);
  await truncate(path, contents.validLength);
  await fsyncPath(path);
}

/** Append one record to the journal of a run that is not open in this process. */
export async function appendToRun(runDir: string, record: JournalRecord): Promise<void> {
  const handle = await open(posix.join(runDir, JOURNAL_FILE), constants.O_WRONLY | constants.O_APPEND);
  try {
    await writeAll(handle, Buffer.from(`${JSON.stringify(record)}\n`));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface RunSummary {
  runId: string;
  startedAt: string;
  /** The run ended normally (even when it stopped on an error). */
  finished: boolean;
  /** How the run ended; `interrupted` once a later run found it killed. */
  status: 'ok' | 'failed' | 'interrupted' | 'running';
  /** Changes that modified the target (files, links, directories, commands run). */
  changes: number;
  rolledBack: boolean;
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
  const { runs } = await statePaths(host);
  let names: string[];
  try {
    names = await readdir(runs);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const result: RunSummary[] = [];
  for (const name of names) {
    if (!RUN_ID.test(name)) continue;
    const { records } = await readJournal(posix.join(runs, name));
    if (records.length === 0) continue;
    result.push(summarizeRun(name, records));
  }
  return result.sort((a, b) =>
    a.startedAt === b.startedAt ? a.runId.localeCompare(b.runId) : a.startedAt.localeCompare(b.startedAt),
  );
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
