import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../errors.js';
import { LocalHost } from '../local-host.js';
import { applyChange } from './apply-change.js';
import { sha256 } from './fs-util.js';
import { JOURNAL_FILE, listRuns, openJournal, readJournal } from './journal.js';
import { recoverInterrupted, recoverInterruptedRuns } from './recover.js';
import { rollbackRun } from './rollback.js';

let root: string;
let host: LocalHost;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'xg-recover-'));
  host = new LocalHost(root);
  await mkdir(join(root, 'etc'), { recursive: true });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const disk = (p: string) => join(root, p);

describe('openJournal and listRuns', () => {
  it('names runs by UTC time and a random suffix, and refuses a duplicate id', async () => {
    const journal = await openJournal(host);
    expect(journal.runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(journal.dir).toBe(disk(`var/lib/xen-gentoo/runs/${journal.runId}`));
    await journal.finish();
    await (await openJournal(host, 'manual-1')).finish();
    await expect(openJournal(host, 'manual-1')).rejects.toThrow(UsageError);
    await expect(openJournal(host, '../../etc')).rejects.toThrow(UsageError);
  });

  it('summarises runs oldest first', async () => {
    const a = await openJournal(host, 'a');
    await applyChange(
      { kind: 'file', path: '/etc/one', before: null, after: '1' },
      { host, journal: a, skipCommands: false },
    );
    await applyChange(
      { kind: 'file', path: '/etc/d/two', before: null, after: '2' },
      { host, journal: a, skipCommands: false },
    );
    await applyChange(
      { kind: 'file', path: '/etc/one', before: null, after: '1' },
      { host, journal: a, skipCommands: false },
    );
    await a.finish();
    const b = await openJournal(host, 'b');
    const runs = await listRuns(host);
    expect(
      runs.map(({ runId, finished, changes, status }) => ({ runId, finished, changes, status })),
    ).toEqual([
      { runId: 'a', finished: true, changes: 2, status: 'ok' },
      { runId: 'b', finished: false, changes: 0, status: 'running' },
    ]);
    expect(Date.parse(runs[0]?.startedAt ?? '')).not.toBeNaN();
    await b.finish('failed');
    expect((await listRuns(host))[1]?.status).toBe('failed');
  });
});

describe('journal files that are not regular files', () => {
  it('a FIFO in place of a journal is bad input naming it, never read (that would block)', async () => {
    const journal = await openJournal(host, 'fifo');
    await journal.finish();
    const path = join(journal.dir, JOURNAL_FILE);
    await rm(path);
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    const error = await readJournal(journal.dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).file).toBe(path);
    await expect(listRuns(host)).rejects.toThrow(/is not a regular file \(it is a FIFO\)/);
  });

  it('a file among the runs is no run', async () => {
    await (await openJournal(host, 'real')).finish();
    await writeFile(disk('var/lib/xen-gentoo/runs/stray'), 'junk');
    expect((await listRuns(host)).map((r) => r.runId)).toEqual(['real']);
  });
});

describe('recoverInterrupted', () => {
  /** A journal left as a run killed in the middle of writing /etc/a would leave it. */
  async function killedRun(): Promise<string> {
    await writeFile(disk('etc/a'), 'old');
    const journal = await openJournal(host, 'killed');
    await applyChange(
      { kind: 'file', path: '/etc/b', before: null, after: 'b' },
      { host, journal, skipCommands: false },
    );
    // What the engine does for /etc/a up to the moment of the kill: backup, record, temporary file.
    const backup = await journal.saveBackup(2, Buffer.from('old'));
    await journal.append({
      t: 'write',
      seq: 2,
      op: 'file',
      path: '/etc/a',
      target: '/etc/a',
      tmp: '/etc/.a.xen-gentoo-tmp',
      before: { kind: 'file', hash: sha256('old'), mode: 0o644 },
      after: { kind: 'file', hash: sha256('new'), mode: 0o644 },
      backup,
    });
    await writeFile(disk('etc/.a.xen-gentoo-tmp'), 'ne');
    await writeFile(join(journal.dir, 'backups/000003'), 'partial backup');
    await appendFile(join(journal.dir, JOURNAL_FILE), '{"t":"write","seq":3,"pa'); // torn
    return journal.dir;
  }

  it('removes the temporary files and partial backups of a killed run and marks it interrupted', async () => {
    const dir = await killedRun();
    // Pretend the run belongs to another (dead) process: forget it is open here.
    const { openRunDirs } = await import('./journal.js');
    openRunDirs.delete(dir);
    expect((await readJournal(dir)).torn).toBe(true);

    const report = await recoverInterruptedRuns(host);
    expect(report.interrupted).toEqual(['killed']);
    expect(report.removed).toEqual([
      '/etc/.a.xen-gentoo-tmp',
      '/var/lib/xen-gentoo/runs/killed/backups/000003',
    ]);
    expect((await readdir(disk('etc'))).sort()).toEqual(['a', 'b']);
    expect(await readFile(disk('etc/a'), 'utf8')).toBe('old');
    const contents = await readJournal(dir);
    expect(contents.torn).toBe(false);
    expect(contents.records.at(-1)).toMatchObject({ t: 'interrupted' });
    expect((await listRuns(host))[0]).toMatchObject({
      runId: 'killed',
      finished: false,
      status: 'interrupted',
    });

    expect(await recoverInterrupted(host)).toEqual([]); // once is enough
    // The interrupted run can be rolled back: /etc/b goes, /etc/a was never replaced.
    const result = await rollbackRun(host, 'killed');
    expect(result.restored).toEqual(['/etc/b']);
    expect(result.alreadyRestored).toEqual(['/etc/a']);
  });

  it('leaves alone a run that is open in this process', async () => {
    const journal = await openJournal(host);
    await writeFile(disk('etc/.a.xen-gentoo-tmp'), 'in progress');
    await journal.append({
      t: 'write',
      seq: 1,
      op: 'file',
      path: '/etc/a',
      target: '/etc/a',
      tmp: '/etc/.a.xen-gentoo-tmp',
      before: { kind: 'absent' },
      after: { kind: 'file', hash: 'y', mode: 0o644 },
    });
    expect(await recoverInterrupted(host)).toEqual([]);
    expect((await readdir(disk('etc'))).sort()).toEqual(['.a.xen-gentoo-tmp']);
    await journal.finish();
  });

  it('removes a run killed before its first record, and dead private lock files', async () => {
    await mkdir(disk('var/lib/xen-gentoo/runs/20261125-000000-dead/backups'), { recursive: true });
    await writeFile(disk('var/lib/xen-gentoo/lock.999999999.0abc.tmp'), '{}');
    const report = await recoverInterruptedRuns(host);
    expect(report.interrupted).toEqual(['20261125-000000-dead']);
    expect(report.removed.sort()).toEqual([
      '/var/lib/xen-gentoo/lock.999999999.0abc.tmp',
      '/var/lib/xen-gentoo/runs/20261125-000000-dead',
    ]);
    expect(await readdir(disk('var/lib/xen-gentoo/runs'))).toEqual([]);
  });

  it('does nothing on a target that never saw a run', async () => {
    expect(await recoverInterrupted(host)).toEqual([]);
    expect(await listRuns(host)).toEqual([]);
  });
});
