import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockError } from '../errors.js';
import { LocalHost } from '../local-host.js';
import { listRuns, openJournal } from './journal.js';
import { acquireLock, removeDeadLockFiles } from './lock.js';
import type { LockInfo } from './lock.js';
import { inputError } from '../test-support/errors.js';

let root: string;
let host: LocalHost;
let lockPath: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'xg-lock-'));
  host = new LocalHost(root);
  lockPath = join(root, 'var/lib/xen-gentoo/lock');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync('true');
  if (child.pid === undefined) throw new Error('could not start true');
  return child.pid;
}

async function plantLock(info: Partial<LockInfo>): Promise<void> {
  await mkdir(join(root, 'var/lib/xen-gentoo'), { recursive: true });
  const full: LockInfo = {
    pid: process.pid,
    startedAt: '2026-11-25T10:00:00.000Z',
    hostname: hostname(),
    ...info,
  };
  await writeFile(lockPath, JSON.stringify(full));
}

const stateFiles = async () => (await readdir(join(root, 'var/lib/xen-gentoo'))).filter((n) => n !== 'runs');

describe('acquireLock', () => {
  it('writes the pid and start time, and release removes the lock', async () => {
    const lock = await acquireLock(host);
    const info = JSON.parse(await readFile(lockPath, 'utf8')) as LockInfo;
    expect(info.pid).toBe(process.pid);
    expect(Date.parse(info.startedAt)).not.toBeNaN();
    expect(lock.tookOverFrom).toBeUndefined();
    expect(await stateFiles()).toEqual(['lock']);
    await lock.release();
    expect(await stateFiles()).toEqual([]);
    await lock.release(); // twice is harmless
  });

  it('refuses while another live run holds it, naming its pid', async () => {
    const lock = await acquireLock(host);
    const error = await acquireLock(host).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockError);
    expect((error as Error).message).toContain(`pid ${process.pid}`);
    expect(await stateFiles()).toEqual(['lock']); // no private file left behind
    await lock.release();
    await (await acquireLock(host)).release();
  });

  it('lets exactly one of several simultaneous attempts win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock(host)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(7);
    for (const r of lost) expect(r.reason).toBeInstanceOf(LockError);
    expect(await stateFiles()).toEqual(['lock']);
  });

  it('lets exactly one of many simultaneous attempts win when the lock they find is stale', async () => {
    // Every attempt judges the same dead run's lock stale and takes it over at the same time: a
    // takeover must never move aside a lock that another attempt has meanwhile taken, or a third
    // attempt could link its own in the gap while the first still believes it holds the lock.
    const pid = deadPid();
    for (let round = 0; round < 25; round++) {
      await plantLock({ pid, startedAt: `2026-11-25T10:00:${String(round).padStart(2, '0')}.000Z` });
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => acquireLock(host)));
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(won, `round ${round}`).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockError);
      expect((JSON.parse(await readFile(lockPath, 'utf8')) as LockInfo).pid).toBe(process.pid);
      expect(await stateFiles(), `round ${round}`).toEqual(['lock']);
      for (const lock of won) await lock.release();
      expect(await stateFiles()).toEqual([]);
    }
  });

  it('takes over a lock whose process is gone, and says so', async () => {
    const pid = deadPid();
    await plantLock({ pid });
    const lock = await acquireLock(host);
    expect(lock.tookOverFrom?.pid).toBe(pid);
    expect((JSON.parse(await readFile(lockPath, 'utf8')) as LockInfo).pid).toBe(process.pid);
    expect(await stateFiles()).toEqual(['lock']);
    await lock.release();
  });

  it('a run killed while taking over a stale lock does not block the next one, and recovery drops its marker', async () => {
    const dead = deadPid();
    await plantLock({ pid: dead });
    const stale = await readFile(lockPath, 'utf8');
    const marker = join(root, 'var/lib/xen-gentoo', `lock.takeover.${'0'.repeat(32)}`);
    // The marker the killed taker held, named after the stale lock, and one of a long gone lock.
    const name = createHash('sha256').update(`lock\n${stale}`).digest('hex').slice(0, 32);
    const real = join(root, 'var/lib/xen-gentoo', `lock.takeover.${name}`);
    const taker = JSON.stringify({
      pid: deadPid(),
      startedAt: '2026-11-25T10:00:01.000Z',
      hostname: hostname(),
    });
    await writeFile(real, taker);
    await writeFile(marker, taker);
    const lock = await acquireLock(host);
    expect(lock.tookOverFrom?.pid).toBe(dead);
    expect((await stateFiles()).sort()).toEqual(['lock', `lock.takeover.${'0'.repeat(32)}`]);
    expect(await removeDeadLockFiles(host)).toEqual([marker]);
    expect(await stateFiles()).toEqual(['lock']);
    await lock.release();
  });

  it('refuses while a live run is taking over the stale lock', async () => {
    await plantLock({ pid: deadPid() });
    const stale = await readFile(lockPath, 'utf8');
    const name = createHash('sha256').update(`lock\n${stale}`).digest('hex').slice(0, 32);
    const live = JSON.stringify({
      pid: process.pid,
      startedAt: '2026-11-25T10:00:01.000Z',
      hostname: hostname(),
    });
    await writeFile(join(root, 'var/lib/xen-gentoo', `lock.takeover.${name}`), live);
    await expect(acquireLock(host)).rejects.toThrow(/is taking over .*lock/);
    expect(await readFile(lockPath, 'utf8')).toBe(stale);
  });

  it('takes over a lock from before the last reboot, even if its pid is alive now', async () => {
    await plantLock({ pid: process.pid, bootId: '00000000-0000-0000-0000-000000000000' });
    const lock = await acquireLock(host);
    expect(lock.tookOverFrom?.bootId).toBe('00000000-0000-0000-0000-000000000000');
    await lock.release();
  });

  it('takes over a lock whose process was killed and is left unreaped (a zombie nobody waits for)', async () => {
    // The short sleep exits once its parent has exec'd the long one, which never waits for it.
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 5'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = Number((await once(parent.stdout, 'data'))[0]);
      for (let i = 0; i < 300 && !/\) Z /.test(await readFile(`/proc/${pid}/stat`, 'utf8')); i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      await plantLock({ pid });
      const lock = await acquireLock(host);
      expect(lock.tookOverFrom?.pid).toBe(pid);
      await lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('takes over a lock whose pid now belongs to another process', async () => {
    await plantLock({ pid: process.pid, processStart: '1' });
    const lock = await acquireLock(host);
    expect(lock.tookOverFrom?.pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over an unreadable lock file', async () => {
    await mkdir(join(root, 'var/lib/xen-gentoo'), { recursive: true });
    for (const junk of ['{"pid":', '{"pid":0,"startedAt":"x"}', '']) {
      await writeFile(lockPath, junk);
      const lock = await acquireLock(host);
      expect(lock.tookOverFrom).toBeDefined();
      await lock.release();
    }
  });

  it('refuses a lock taken on another machine (cannot tell whether it is alive)', async () => {
    await plantLock({ pid: deadPid(), hostname: 'other-machine' });
    await expect(acquireLock(host)).rejects.toThrow(/other-machine/);
  });

  it('release leaves alone a lock that is no longer its own', async () => {
    const lock = await acquireLock(host);
    await plantLock({ pid: deadPid() });
    await lock.release();
    expect(await stateFiles()).toEqual(['lock']);
  });
});

describe('a state directory that is not one', () => {
  it('a regular file at /var/lib/xen-gentoo is bad input naming it, for the lock, a journal and the runs list', async () => {
    await mkdir(join(root, 'var/lib'), { recursive: true });
    await writeFile(join(root, 'var/lib/xen-gentoo'), 'not a directory\n');
    for (const attempt of [() => acquireLock(host), () => openJournal(host), () => listRuns(host)]) {
      const error = await inputError(attempt());
      expect(error.file).toBe(join(root, 'var/lib/xen-gentoo'));
      expect(error.expected).toMatch(/a directory/);
    }
    expect(await readFile(join(root, 'var/lib/xen-gentoo'), 'utf8')).toBe('not a directory\n');
  });

  it('a file above it (/var/lib) is named too', async () => {
    await mkdir(join(root, 'var'), { recursive: true });
    await writeFile(join(root, 'var/lib'), '');
    expect((await inputError(acquireLock(host))).file).toBe(join(root, 'var/lib'));
  });

  it('a file where the runs directory should be is named', async () => {
    await mkdir(join(root, 'var/lib/xen-gentoo'), { recursive: true });
    await writeFile(join(root, 'var/lib/xen-gentoo/runs'), '');
    expect((await inputError(openJournal(host))).file).toBe(join(root, 'var/lib/xen-gentoo/runs'));
  });

  it('a directory where the lock file should be is bad input, not "other runs keep taking it"', async () => {
    await mkdir(lockPath, { recursive: true });
    const error = await inputError(acquireLock(host));
    expect(error.file).toBe(lockPath);
    expect(error.message).toMatch(/is a directory/);
    expect(await stateFiles()).toEqual(['lock']); // no private lock file left behind
  });

  it('a FIFO where the lock file should be is bad input, never read (that would block)', async () => {
    await mkdir(join(root, 'var/lib/xen-gentoo'), { recursive: true });
    expect(spawnSync('mkfifo', [lockPath]).status).toBe(0);
    const error = await inputError(acquireLock(host));
    expect(error.file).toBe(lockPath);
    expect(error.message).toMatch(/is not a regular file \(it is a FIFO\)/);
  });
});
