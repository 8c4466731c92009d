import { spawnSync } from 'node:child_process';
import {
  appendFile,
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
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { LocalHost } from '../local-host.js';
import { applyChange } from './apply-change.js';
import { sha256 } from './fs-util.js';
import { JOURNAL_FILE, listRuns, openJournal, openRunDirs, readJournal } from './journal.js';
import { acquireLock } from './lock.js';
import { recoverInterruptedRuns } from './recover.js';
import { rollbackRun } from './rollback.js';

// A target root is hostile ground: links planted in the engine's own state directory, and
// journals written by hand, must never make it read, write or delete anything outside the root.

let root: string;
let outside: string;
let host: LocalHost;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'xg-hostile-'));
  outside = await mkdtemp(join(tmpdir(), 'xg-outside-'));
  host = new LocalHost(root);
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'var/lib/xen-gentoo'), { recursive: true });
  // The victim: directories and files that a recovery with rm -rf would take.
  await mkdir(join(outside, 'victim/20261125-000000-dead/backups'), { recursive: true });
  await mkdir(join(outside, 'victim/photos'), { recursive: true });
  await writeFile(join(outside, 'victim/photos/cat.jpg'), 'meow');
  await writeFile(join(outside, 'victim/000001'), 'not a backup of the tool');
  await writeFile(join(outside, 'victim/notes.txt'), 'keep me\n');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const state = (p = '') => join(root, 'var/lib/xen-gentoo', p);

/** Every entry under `dir`, with its content or link target. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    const s = await lstat(full);
    out[relative(dir, full)] = s.isSymbolicLink()
      ? `-> ${await readlink(full)}`
      : s.isFile()
        ? await readFile(full, 'utf8')
        : `dir ${(s.mode & 0o7777).toString(8)}`;
  }
  return out;
}

async function refused(promise: Promise<unknown>, file: string): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).exitCode).toBe(2);
  expect((error as InputError).file).toBe(file);
  return error as InputError;
}

/** A finished run that replaced /etc/a ('v1' → 'v2'); its directory on disk. */
async function runOverA(): Promise<string> {
  await writeFile(join(root, 'etc/a'), 'v1');
  const journal = await openJournal(host, '20261125-100000-aaaa');
  await applyChange(
    { kind: 'file', path: '/etc/a', before: 'v1', after: 'v2' },
    { host, journal, skipCommands: false },
  );
  await journal.finish();
  return journal.dir;
}

describe('links in the state directory are never followed out of the root', () => {
  for (const [kind, link] of [
    ['an absolute', () => join(outside, 'victim')],
    ['a relative', () => relative(state(), join(outside, 'victim'))],
  ] as const) {
    it(`${kind} runs link: apply, rollback, recovery and the runs list refuse it, the victim untouched`, async () => {
      await symlink(link(), state('runs'));
      const before = await tree(outside);
      for (const attempt of [
        () => openJournal(host),
        () => recoverInterruptedRuns(host),
        () => listRuns(host),
        () => rollbackRun(host),
      ]) {
        const error = await refused(attempt(), state('runs'));
        expect(error.message).toMatch(/is a symbolic link, where xen-gentoo keeps its lock and run journals/);
      }
      expect(await tree(outside)).toEqual(before);
    });
  }

  it('a run directory that is a link is refused, not recovered, listed or rolled back', async () => {
    await mkdir(state('runs'));
    await symlink(join(outside, 'victim/20261125-000000-dead'), state('runs/20261125-000000-dead'));
    const before = await tree(outside);
    for (const attempt of [() => recoverInterruptedRuns(host), () => listRuns(host)])
      await refused(attempt(), state('runs/20261125-000000-dead'));
    expect(await tree(outside)).toEqual(before);
  });

  it('a backups link in a killed run: recovery refuses it and unlinks nothing behind it', async () => {
    const dir = await runOverA();
    // The run looks killed: its end record goes, and its backups point at the victim.
    const journal = join(dir, JOURNAL_FILE);
    const lines = (await readFile(journal, 'utf8')).trimEnd().split('\n');
    await writeFile(journal, `${lines.slice(0, -1).join('\n')}\n`);
    await rm(join(dir, 'backups'), { recursive: true });
    await symlink(join(outside, 'victim'), join(dir, 'backups'));
    const before = await tree(outside);
    await refused(recoverInterruptedRuns(host), join(dir, 'backups'));
    await refused(rollbackRun(host), join(dir, 'backups'));
    expect(await tree(outside)).toEqual(before);
    expect(await readFile(join(root, 'etc/a'), 'utf8')).toBe('v2');
  });

  it('a journal link: never truncated, appended to or read', async () => {
    const dir = await runOverA();
    const victim = join(outside, 'victim/notes.txt');
    await rm(join(dir, JOURNAL_FILE));
    await symlink(victim, join(dir, JOURNAL_FILE));
    for (const attempt of [() => listRuns(host), () => rollbackRun(host, '20261125-100000-aaaa')]) {
      const error = await refused(attempt(), join(dir, JOURNAL_FILE));
      expect(error.message).toMatch(/symbolic link/);
    }
    await refused(readJournal(dir), join(dir, JOURNAL_FILE));
    expect(await readFile(victim, 'utf8')).toBe('keep me\n');
  });

  it('a lock link is refused, and the file behind it is neither read as a lock nor removed', async () => {
    await writeFile(join(outside, 'lock'), '{"pid":1,"startedAt":"x"}');
    await symlink(join(outside, 'lock'), state('lock'));
    const error = await refused(acquireLock(host), state('lock'));
    expect(error.message).toMatch(/symbolic link/);
    expect(await readFile(join(outside, 'lock'), 'utf8')).toBe('{"pid":1,"startedAt":"x"}');
  });

  it('the state directory itself may be a link inside the target: it resolves there', async () => {
    await rm(state(), { recursive: true });
    await mkdir(join(root, 'srv/state'), { recursive: true });
    await symlink('/srv/state', state());
    await runOverA();
    expect(await readdir(join(root, 'srv/state/runs'))).toEqual(['20261125-100000-aaaa']);
    // An absolute link pointing outside the root resolves inside it, too.
    await rm(state());
    await symlink(join(outside, 'victim'), state());
    const before = await tree(outside);
    await (await openJournal(host, 'inside')).finish();
    expect(await readdir(join(root, outside, 'victim/runs'))).toEqual(['inside']);
    expect(await tree(outside)).toEqual(before);
  });
});

describe('recovery removes only what the engine made', () => {
  it('a run directory without records keeps whatever the engine did not put there', async () => {
    const dir = state('runs/20261125-000000-dead');
    await mkdir(join(dir, 'backups'), { recursive: true });
    await mkdir(join(dir, 'photos'));
    await writeFile(join(dir, 'photos/cat.jpg'), 'meow');
    await writeFile(join(dir, 'backups/000001'), 'not the tool’s');
    const report = await recoverInterruptedRuns(host);
    expect(report.removed).toEqual([]);
    expect(await tree(dir)).toEqual({
      backups: 'dir 755',
      'backups/000001': 'not the tool’s',
      photos: 'dir 755',
      'photos/cat.jpg': 'meow',
    });
  });

  it('only numbered backups of a killed run go; other files in backups stay', async () => {
    const dir = await runOverA();
    const journal = join(dir, JOURNAL_FILE);
    const lines = (await readFile(journal, 'utf8')).trimEnd().split('\n');
    await writeFile(journal, `${lines.slice(0, -1).join('\n')}\n`);
    await writeFile(join(dir, 'backups/000002'), 'partial');
    await writeFile(join(dir, 'backups/README'), 'someone’s');
    await mkdir(join(dir, 'backups/000003'));
    openRunDirs.delete(dir);
    const report = await recoverInterruptedRuns(host);
    expect(report.removed).toEqual([`/var/lib/xen-gentoo/runs/20261125-100000-aaaa/backups/000002`]);
    expect((await readdir(join(dir, 'backups'))).sort()).toEqual(['000001', '000003', 'README']);
  });
});

describe('journal records are input', () => {
  /** A killed run whose write record of /etc/a announces `tmp`; the journal's path. */
  async function killedRunAnnouncing(tmp: unknown, target = '/etc/a'): Promise<string> {
    const journal = await openJournal(host, '20261125-110000-bbbb');
    openRunDirs.delete(journal.dir);
    await journal.append({
      t: 'write',
      seq: 1,
      op: 'file',
      path: target,
      target,
      tmp: tmp as string,
      before: { kind: 'absent' },
      after: { kind: 'file', hash: sha256('new'), mode: 0o644 },
    });
    return join(journal.dir, JOURNAL_FILE);
  }

  it('a crafted tmp path climbing out of the root deletes nothing: recovery refuses it, naming the line', async () => {
    const victim = join(outside, 'x.xen-gentoo-tmp');
    await writeFile(victim, 'precious');
    const climb = `/${'../'.repeat(12)}${victim.slice(1)}`;
    const journal = await killedRunAnnouncing(climb);
    const error = await refused(recoverInterruptedRuns(host), journal);
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/is not the one the engine makes for \/etc\/a/);
    expect(error.message).toMatch(/nothing it announced was cleaned up/);
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });

  it('a tmp that is not the engine’s name beside its target is refused too, whatever it names', async () => {
    await writeFile(join(root, 'etc/shadow'), 'root:x');
    for (const tmp of ['/etc/shadow', '/etc/.shadow.xen-gentoo-tmp', '/etc/./.a.xen-gentoo-tmp', 42]) {
      const journal = await killedRunAnnouncing(tmp);
      await refused(recoverInterruptedRuns(host), journal);
      await rm(join(journal, '..'), { recursive: true });
    }
    expect(await readFile(join(root, 'etc/shadow'), 'utf8')).toBe('root:x');
  });

  it('paths with .. or empty parts are refused in every record', async () => {
    for (const target of ['/etc/../../x', '//etc/a', '/etc/a/', 'etc/a', '/etc/a\u0000b']) {
      const journal = await killedRunAnnouncing(undefined, target);
      expect((await readJournal(join(journal, '..'))).damaged, target).toHaveLength(1);
      await rm(join(journal, '..'), { recursive: true });
    }
  });

  it('the engine’s own tmp is removed where it made it, also through a directory link inside the root', async () => {
    await mkdir(join(root, 'usr/etc'), { recursive: true });
    await writeFile(join(root, 'usr/etc/.a.xen-gentoo-tmp'), 'partial');
    await killedRunAnnouncing('/usr/etc/.a.xen-gentoo-tmp', '/usr/etc/a');
    const report = await recoverInterruptedRuns(host);
    expect(report.removed).toEqual(['/usr/etc/.a.xen-gentoo-tmp']);
    expect(await readdir(join(root, 'usr/etc'))).toEqual([]);
  });
});

describe('a damaged journal line', () => {
  it('rollback restores nothing and names the run and the line; the runs list shows it', async () => {
    await writeFile(join(root, 'etc/b'), 'b1');
    await writeFile(join(root, 'etc/a'), 'a1');
    const journal = await openJournal(host, '20261125-120000-cccc');
    for (const [path, before, after] of [
      ['/etc/a', 'a1', 'a2'],
      ['/etc/b', 'b1', 'b2'],
    ] as const)
      await applyChange({ kind: 'file', path, before, after }, { host, journal, skipCommands: false });
    await journal.finish();
    const path = join(journal.dir, JOURNAL_FILE);
    // sed -i '2s/^{/{{/': the write record of /etc/a is no longer JSON.
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines[1] = `{${lines[1] ?? ''}`;
    await writeFile(path, lines.join('\n'));
    const error = await refused(rollbackRun(host), path);
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/run 20261125-120000-cccc\): the journal is damaged; nothing was restored/);
    expect(await readFile(join(root, 'etc/a'), 'utf8')).toBe('a2');
    expect(await readFile(join(root, 'etc/b'), 'utf8')).toBe('b2');
    expect((await listRuns(host))[0]?.damaged).toEqual({ line: 2, problem: 'not a JSON record' });
  });

  it('a line cut short in a finished run is damage too', async () => {
    await runOverA();
    await appendFile(state('runs/20261125-100000-aaaa/journal.jsonl'), '{"t":"wri');
    const error = await refused(rollbackRun(host), state('runs/20261125-100000-aaaa/journal.jsonl'));
    expect(error.message).toMatch(/nothing was restored/);
    expect(await readFile(join(root, 'etc/a'), 'utf8')).toBe('v2');
  });
});

describe('rollback --list', () => {
  it('a run with no end record is running only while its process holds the lock', async () => {
    const lock = await acquireLock(host);
    const journal = await openJournal(host, '20261125-130000-dddd');
    await journal.append({ t: 'mkdir', seq: journal.nextSeq(), path: '/etc/x', mode: 0o755 });
    openRunDirs.delete(journal.dir); // as another process sees it
    expect((await listRuns(host))[0]?.status).toBe('running');
    await lock.release();
    // Killed: the lock's holder is gone (here: released), and no later run has recovered it yet.
    expect((await listRuns(host))[0]?.status).toBe('interrupted');
  });

  it('a run whose process is dead is interrupted even if its stale lock is still there', async () => {
    const child = spawnSync('true');
    const pid = child.pid ?? 0;
    const dir = state('runs/20261125-140000-eeee');
    await mkdir(join(dir, 'backups'), { recursive: true });
    await writeFile(
      join(dir, JOURNAL_FILE),
      `${JSON.stringify({ t: 'start', version: 1, runId: '20261125-140000-eeee', startedAt: '2026-11-25T14:00:00.000Z', pid, root })}\n`,
    );
    await writeFile(
      state('lock'),
      JSON.stringify({ pid, startedAt: '2026-11-25T14:00:00.000Z', hostname: '' }),
    );
    expect((await listRuns(host))[0]?.status).toBe('interrupted');
  });
});

describe('changes never write into the state directory', () => {
  it('a path that leads there through a link in the target is refused, nothing written', async () => {
    await mkdir(state('runs'), { recursive: true });
    await symlink('/var/lib/xen-gentoo/runs', join(root, 'root'));
    const journal = await openJournal(host, '20261125-150000-ffff');
    const before = await tree(state('runs'));
    for (const change of [
      { kind: 'file', path: '/root/.bash_profile', before: null, after: 'alias make0=…\n' },
      { kind: 'directory', path: '/root/bin' },
      { kind: 'symlink', path: '/var/lib/xen-gentoo/lock', target: '/x', before: null },
    ] as const) {
      const error = await refused(applyChange(change, { host, journal, skipCommands: false }), change.path);
      expect(error.message).toMatch(/leads into \/var\/lib\/xen-gentoo/);
    }
    expect(await tree(state('runs'))).toEqual(before);
    await journal.finish();
  });
});
