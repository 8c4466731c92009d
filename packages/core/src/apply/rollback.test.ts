import { spawnSync } from 'node:child_process';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Change } from '../change.js';
import { DriftError, InputError, LockError, UsageError } from '../errors.js';
import { LocalHost } from '../local-host.js';
import { RecordedHost } from '../recorded-host.js';
import { applyChange } from './apply-change.js';
import { listRuns, openJournal } from './journal.js';
import { acquireLock } from './lock.js';
import { rollbackRun } from './rollback.js';

const isRoot = process.getuid?.() === 0;

let root: string;
let host: LocalHost;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'xg-rollback-'));
  host = new RecordedHost(root);
  await mkdir(join(root, 'etc/portage'), { recursive: true });
  await mkdir(join(root, 'var/lib'), { recursive: true });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const disk = (p: string) => join(root, p);

interface Snapshot {
  [path: string]: { mode: number; uid: number; gid: number; content: string };
}

/** Every entry under the root except the engine's state: type, mode, owner and content. */
async function snapshot(): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    if (full.startsWith(disk('var/lib/xen-gentoo'))) continue;
    const s = await lstat(full);
    const content = s.isSymbolicLink()
      ? `-> ${await readlink(full)}`
      : s.isFile()
        ? (await readFile(full)).toString('base64')
        : 'dir';
    out[full.slice(root.length)] = { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, content };
  }
  return out;
}

async function applyRun(changes: Change[]): Promise<string> {
  const journal = await openJournal(host);
  for (const change of changes) await applyChange(change, { host, journal, skipCommands: false });
  await journal.finish();
  return journal.runId;
}

async function seed(): Promise<void> {
  await writeFile(disk('etc/portage/make.conf'), 'CFLAGS="-O2 -pipe"\n\u00e9t\u00e9\n');
  await chmod(disk('etc/portage/make.conf'), 0o640);
  if (isRoot) await chown(disk('etc/portage/make.conf'), 1234, 5678);
  await writeFile(disk('etc/obsolete'), 'old file\n');
  await chmod(disk('etc/obsolete'), 0o600);
  await symlink('../usr/share/zoneinfo/UTC', disk('etc/localtime'));
}

const changes: Change[] = [
  {
    kind: 'file',
    path: '/etc/portage/make.conf',
    before: 'CFLAGS="-O2 -pipe"\n\u00e9t\u00e9\n',
    after: 'CFLAGS="-O2 -pipe"\n\u00e9t\u00e9\nUSE="xen"\n',
  },
  { kind: 'file', path: '/etc/xen/auto/vm1', before: null, after: 'name = "vm1"\n' },
  { kind: 'directory', path: '/var/lib/xen/images', mode: 0o700 },
  {
    kind: 'symlink',
    path: '/etc/localtime',
    target: '../usr/share/zoneinfo/CET',
    before: '../usr/share/zoneinfo/UTC',
  },
  { kind: 'remove', path: '/etc/obsolete', before: 'old file\n' },
  { kind: 'command', argv: ['emerge', 'xen'], why: 'install' },
];

async function fullRun(): Promise<string> {
  return applyRun(changes);
}

describe('rollbackRun', () => {
  it('restores every file byte for byte with its mode and owner, and lists commands as not undone', async () => {
    await seed();
    const original = await snapshot();
    const runId = await fullRun();
    expect(await snapshot()).not.toEqual(original);
    const result = await rollbackRun(host);
    expect(result.runId).toBe(runId);
    expect(await snapshot()).toEqual(original);
    expect(result.restored).toEqual([
      '/etc/obsolete',
      '/etc/localtime',
      '/etc/xen/auto/vm1',
      '/etc/portage/make.conf',
    ]);
    expect(result.directoriesRemoved).toEqual([
      '/var/lib/xen/images',
      '/var/lib/xen',
      '/etc/xen/auto',
      '/etc/xen',
    ]);
    expect(result.commandsNotUndone).toEqual([['emerge', 'xen']]);
    expect((await listRuns(host)).find((r) => r.runId === runId)?.rolledBack).toBe(true);
  });

  it('refuses, touching nothing, when a file changed since the run wrote it', async () => {
    await seed();
    await fullRun();
    await writeFile(disk('etc/xen/auto/vm1'), 'edited by hand\n');
    const afterEdit = await snapshot();
    const error = await rollbackRun(host).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriftError);
    expect((error as DriftError).path).toBe('/etc/xen/auto/vm1');
    expect(await snapshot()).toEqual(afterEdit);
  });

  it('with force restores anyway and keeps the overwritten content', async () => {
    await seed();
    const original = await snapshot();
    const runId = await fullRun();
    await writeFile(disk('etc/xen/auto/vm1'), 'edited by hand\n');
    const result = await rollbackRun(host, undefined, { force: true });
    expect(result.forced).toEqual(['/etc/xen/auto/vm1']);
    expect(await snapshot()).toEqual(original);
    const backups = await readdir(disk(`var/lib/xen-gentoo/runs/${runId}/backups`));
    const forced = backups.find((n) => n.startsWith('forced-'));
    expect(forced).toBeDefined();
    expect(await readFile(disk(`var/lib/xen-gentoo/runs/${runId}/backups/${forced}`), 'utf8')).toBe(
      'edited by hand\n',
    );
  });

  it('keeps a created directory that is no longer empty', async () => {
    await seed();
    await fullRun();
    await writeFile(disk('etc/xen/auto/vm2'), 'mine');
    const result = await rollbackRun(host);
    expect(result.directoriesKept).toEqual(['/etc/xen/auto', '/etc/xen']);
    expect(await readFile(disk('etc/xen/auto/vm2'), 'utf8')).toBe('mine');
  });

  it('rolls back runs newest first, one per call, and then has nothing left', async () => {
    await writeFile(disk('etc/a'), 'v1');
    const original = await snapshot();
    const first = await applyRun([{ kind: 'file', path: '/etc/a', before: 'v1', after: 'v2' }]);
    await applyRun([]); // a run with no changes is never picked
    const second = await applyRun([{ kind: 'file', path: '/etc/a', before: 'v2', after: 'v3' }]);
    await expect(rollbackRun(host, first)).rejects.toThrow(DriftError); // v3 is not what the first run wrote
    expect((await rollbackRun(host)).runId).toBe(second);
    expect(await readFile(disk('etc/a'), 'utf8')).toBe('v2');
    expect((await rollbackRun(host)).runId).toBe(first);
    expect(await snapshot()).toEqual(original);
    await expect(rollbackRun(host)).rejects.toThrow(UsageError);
    // Rolling back an already rolled-back run again is harmless.
    expect((await rollbackRun(host, first)).alreadyRestored).toEqual(['/etc/a']);
  });

  it('undoes several writes of one file in one run', async () => {
    await writeFile(disk('etc/a'), 'v1');
    await applyRun([
      { kind: 'file', path: '/etc/a', before: 'v1', after: 'v2' },
      { kind: 'file', path: '/etc/a', before: 'v2', after: 'v3', mode: 0o600 },
    ]);
    await rollbackRun(host);
    expect(await readFile(disk('etc/a'), 'utf8')).toBe('v1');
    expect((await lstat(disk('etc/a'))).mode & 0o777).toBe(0o644);
  });

  it('takes the lock, and refuses while another run holds it', async () => {
    await writeFile(disk('etc/a'), 'v1');
    await applyRun([{ kind: 'file', path: '/etc/a', before: 'v1', after: 'v2' }]);
    const lock = await acquireLock(host);
    await expect(rollbackRun(host)).rejects.toThrow(LockError);
    expect(await readFile(disk('etc/a'), 'utf8')).toBe('v2');
    await rollbackRun(host, undefined, { lockHeld: true });
    await lock.release();
    expect(await readFile(disk('etc/a'), 'utf8')).toBe('v1');
    expect(await readdir(disk('var/lib/xen-gentoo'))).toEqual(['runs']);
  });

  it('rejects an unknown run', async () => {
    await expect(rollbackRun(host, '20990101-000000-abcd')).rejects.toThrow(UsageError);
    await expect(rollbackRun(host, '../etc')).rejects.toThrow(UsageError);
  });

  describe('a damaged journal or backup', () => {
    /** A run that replaced /etc/a ('v1' → 'v2'), and its journal's path on disk. */
    async function runOverA(): Promise<{ runId: string; journal: string }> {
      await writeFile(disk('etc/a'), 'v1');
      await writeFile(disk('etc/b'), 'b1');
      const runId = await applyRun([
        { kind: 'file', path: '/etc/b', before: 'b1', after: 'b2' },
        { kind: 'file', path: '/etc/a', before: 'v1', after: 'v2' },
      ]);
      return { runId, journal: disk(`var/lib/xen-gentoo/runs/${runId}/journal.jsonl`) };
    }

    async function editJournal(path: string, edit: (record: Record<string, unknown>) => void): Promise<void> {
      const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
      const edited = lines.map((line) => {
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.t === 'write' && record.target === '/etc/a') edit(record);
        return JSON.stringify(record);
      });
      await writeFile(path, `${edited.join('\n')}\n`);
    }

    async function rollbackError(): Promise<InputError> {
      const error = await rollbackRun(host).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).exitCode).toBe(2);
      return error as InputError;
    }

    it('refuses a backup path outside the run backups directory, reading nothing there', async () => {
      const { journal } = await runOverA();
      const secret = join(root, 'secret');
      await writeFile(secret, 'v1'); // what the escape would restore, hash and all
      const before = await snapshot();
      for (const backup of [
        '../../../../secret',
        'backups/../../../../../secret',
        secret,
        'backups/',
        'journal.jsonl',
      ]) {
        await editJournal(journal, (record) => {
          record.backup = backup;
        });
        const error = await rollbackError();
        expect(error.file).toBe(journal);
        expect(error.line).toBe(4); // start, write and done of /etc/b, then the write of /etc/a
        expect(error.message).toMatch(/journal is damaged; nothing was restored/);
        expect(await snapshot()).toEqual(before);
      }
    });

    it('a truncated backup is bad input naming it, and nothing at all is restored', async () => {
      const { runId } = await runOverA();
      const backups = disk(`var/lib/xen-gentoo/runs/${runId}/backups`);
      const [first, second] = (await readdir(backups)).sort();
      expect(second).toBeDefined();
      await writeFile(join(backups, second ?? ''), 'v'); // the backup of /etc/a, cut short
      const before = await snapshot();
      const error = await rollbackError();
      expect(error.file).toBe(join(backups, second ?? ''));
      expect(error.message).toMatch(/backup of \/etc\/a is damaged/);
      expect(await snapshot()).toEqual(before); // /etc/b is not restored either
      expect(first).toBeDefined();
      expect((await listRuns(host)).find((r) => r.runId === runId)?.rolledBack).toBe(false);
    });

    it('a missing backup, or a FIFO or symlink in its place, is bad input naming it', async () => {
      const { runId } = await runOverA();
      const backups = disk(`var/lib/xen-gentoo/runs/${runId}/backups`);
      const name = join(backups, (await readdir(backups)).sort()[1] ?? '');
      await rm(name);
      expect((await rollbackError()).message).toMatch(/backup of \/etc\/a is missing/);
      expect(spawnSync('mkfifo', [name]).status).toBe(0);
      expect((await rollbackError()).file).toBe(name);
      await rm(name);
      await symlink(join(root, 'etc/a.old'), name); // a planted link, even to the right content
      await writeFile(disk('etc/a.old'), 'v1');
      expect((await rollbackError()).message).toMatch(/is not a regular file \(it is a symbolic link\)/);
      expect(await readFile(disk('etc/a'), 'utf8')).toBe('v2');
    });

    it('a write record without its states is a damaged journal, not a crash', async () => {
      const { journal } = await runOverA();
      await editJournal(journal, (record) => {
        delete record.before;
      });
      expect((await rollbackError()).message).toMatch(/does not say what it replaced/);
    });
  });
});

describe('rollback on a target where no run was ever recorded', () => {
  it('says there is no such run and creates nothing (no state directory, no lock)', async () => {
    await expect(rollbackRun(host, 'no-such-run')).rejects.toThrow(
      new UsageError('no run no-such-run on this target'),
    );
    await expect(rollbackRun(host)).rejects.toThrow(new UsageError('there is no run to roll back'));
    expect(await readdir(join(root, 'var/lib'))).toEqual([]);
  });
});
