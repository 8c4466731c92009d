import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApplySession } from './apply-session.js';
import { applyChange } from './apply/apply-change.js';
import { openJournal } from './apply/journal.js';
import { takeDownLeftovers } from './apply/leftovers.js';
import { LocalHost } from './local-host.js';
import {
  HostMountError,
  chrootMounts,
  hostMountsUnder,
  processStartTime,
  readMountInfo,
  resolveInRoot,
} from './mounts.js';

function root(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xg-mounts-'));
  for (const d of ['proc', 'sys', 'dev', 'run', 'etc']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'etc/resolv.conf'), 'nameserver 192.0.2.1\n');
  return dir;
}

describe('mount points resolved inside the root, component by component', () => {
  it('follows absolute and relative links inside the root, as the chrooted command sees them', () => {
    const dir = root();
    mkdirSync(join(dir, 'real/etc'), { recursive: true });
    symlinkSync('/real', join(dir, 'r'));
    symlinkSync('../real/etc', join(dir, 'real/link'));
    expect(resolveInRoot(dir, '/r/etc/resolv.conf')).toEqual({ at: join(dir, 'real/etc/resolv.conf') });
    expect(resolveInRoot(dir, '/r/link/resolv.conf')).toEqual({ at: join(dir, 'real/etc/resolv.conf') });
  });

  it('reports a link that climbs above the root, and a loop, instead of following them', () => {
    const dir = root();
    symlinkSync('../../outside/etcx', join(dir, 'up'));
    symlinkSync('loop', join(dir, 'loop'));
    expect(resolveInRoot(dir, '/up/resolv.conf')).toEqual({ escapes: '/up/resolv.conf' });
    expect(resolveInRoot(dir, '/loop/x')).toEqual({ escapes: '/loop/x' });
    expect(resolveInRoot(dir, '/../etc/resolv.conf')).toEqual({ escapes: '/../etc/resolv.conf' });
  });

  it('skips resolv.conf with a warning when etc leads out of the root, and what is not there', () => {
    const base = mkdtempSync(join(tmpdir(), 'xg-mounts-'));
    const dir = join(base, 'a/root');
    mkdirSync(join(base, 'outside/etcx'), { recursive: true });
    writeFileSync(join(base, 'outside/etcx/resolv.conf'), 'nameserver 198.51.100.1\n');
    mkdirSync(join(dir, 'proc'), { recursive: true });
    writeFileSync(join(dir, 'run'), 'a file, not a directory\n');
    symlinkSync('../../outside/etcx', join(dir, 'etc'));
    const warnings: string[] = [];
    const mounts = chrootMounts(dir, (m) => warnings.push(m));
    expect(mounts.map((m) => m.at)).toEqual([join(dir, 'proc')]);
    expect(warnings).toEqual([expect.stringMatching(/^\/etc\/resolv\.conf is not mounted/)]);
  });
});

const INFO = [
  '22 1 8:1 / / rw - ext4 /dev/vda rw',
  '23 22 0:5 / /dev rw - devtmpfs udev rw',
  '24 22 0:25 / /run rw - tmpfs tmpfs rw',
  '40 22 0:30 / /mnt/gentoo rw - ext4 /dev/loop0 rw',
  '41 40 0:31 / /mnt/gentoo/boot rw - ext4 /dev/loop1 rw',
  '42 40 0:60 / /mnt/gentoo/proc rw - proc proc rw',
  '43 40 0:5 / /mnt/gentoo/dev rw - devtmpfs udev rw',
  '44 43 0:61 / /mnt/gentoo/dev/pts rw - devpts devpts rw',
  '45 40 0:25 / /mnt/gentoo/run rw - tmpfs tmpfs rw',
  '46 40 8:1 /etc/resolv.conf /mnt/gentoo/etc/resolv.conf rw - ext4 /dev/vda rw',
  '47 40 0:30 /srv /mnt/gentoo/mnt/srv rw - ext4 /dev/loop0 rw',
  '48 40 0:62 / /mnt/gentoo/tmp rw - tmpfs tmpfs rw',
  '50 22 8:1 /tmp/r /tmp/r\\040x rw - ext4 /dev/vda rw',
].join('\n');

describe('mounts of this machine under a root', () => {
  it("tells this machine's mounts (kernel filesystems, binds of what is mounted outside) from the target's own", () => {
    expect(hostMountsUnder('/mnt/gentoo', readMountInfo(INFO)).map((m) => m.point)).toEqual([
      '/mnt/gentoo/etc/resolv.conf',
      '/mnt/gentoo/dev/pts',
      '/mnt/gentoo/run',
      '/mnt/gentoo/dev',
      '/mnt/gentoo/proc',
    ]);
  });

  it('reads escaped mount points, and a bind within the root on its own filesystem is the target', () => {
    const info = `${INFO}\n51 50 8:1 /tmp/r/sub /tmp/r\\040x/mnt rw - ext4 /dev/vda rw`;
    expect(readMountInfo(info).at(-2)?.point).toBe('/tmp/r x');
    expect(hostMountsUnder('/tmp/r x', readMountInfo(info))).toEqual([]);
    expect(hostMountsUnder('/', readMountInfo(INFO))).toEqual([]);
  });
});

const asRoot = process.getuid?.() === 0;

describe.runIf(asRoot)('no file change while this machine is mounted under the root', () => {
  it('refuses a file change and a new run while /run is bound into the root, and writes nothing', async () => {
    const dir = root();
    const host = new LocalHost(dir);
    execFileSync('mount', ['--bind', '/run', join(dir, 'run')]);
    execFileSync('mount', ['--make-private', join(dir, 'run')]);
    const probe = `xg-probe-${process.pid}`;
    try {
      const journal = await openJournal(host);
      const change = {
        kind: 'file',
        path: `/run/${probe}/.bash_profile`,
        before: null,
        after: 'x\n',
        why: 't',
      } as const;
      const error = await applyChange(change, { host, journal, skipCommands: false }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HostMountError);
      expect((error as HostMountError).exitCode).toBe(5);
      expect((error as Error).message).toContain(`umount -R ${join(dir, 'run')}`);
      await journal.finish('failed');
      await expect(ApplySession.open(host, { skipCommands: true })).rejects.toThrow(HostMountError);
    } finally {
      execFileSync('umount', [join(dir, 'run')]);
    }
    expect(existsSync(`/run/${probe}`)).toBe(false);
    expect(hostMountsUnder(dir)).toEqual([]);
  });

  it('a killed run is taken down by the next: its command stopped, its recorded mounts unmounted', async () => {
    const dir = root();
    const host = new LocalHost(dir);
    const sleeper = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const pid = sleeper.pid!;
    const gone = new Promise((r) => sleeper.on('exit', r));
    try {
      const journal = await openJournal(host);
      await journal.append({ t: 'command', seq: 1, argv: ['sleep', '60'], inRoot: true });
      await journal.append({ t: 'mounts', seq: 1, mounts: ['/proc', '/run'], namespace: false });
      await journal.append({ t: 'process', seq: 1, pid, start: processStartTime(pid)! });
      // A crafted record naming a path outside the root is ignored.
      await journal.append({ t: 'mounts', seq: 1, mounts: ['/../../run', 'run'], namespace: false });
      const outside = () =>
        readMountInfo()
          .filter((m) => !m.point.startsWith(dir))
          .map((m) => m.point);
      const hostMounts = outside();
      execFileSync('mount', ['-t', 'proc', 'proc', join(dir, 'proc')]);
      execFileSync('mount', ['--bind', '/run', join(dir, 'run')]);
      execFileSync('mount', ['--make-rslave', join(dir, 'run')]);
      // The journal is left as a killed run leaves it (not finished, not open in this process).
      const { openRunDirs } = await import('./apply/journal.js');
      openRunDirs.delete(journal.dir);
      const messages = await takeDownLeftovers(host);
      expect(messages).toEqual([
        expect.stringMatching(/^stopped the command run .* left running/),
        `unmounted ${join(dir, 'proc')}, left mounted by run ${journal.runId}`,
        `unmounted ${join(dir, 'run')}, left mounted by run ${journal.runId}`,
      ]);
      await gone;
      expect(hostMountsUnder(dir)).toEqual([]);
      expect(outside()).toEqual(hostMounts);
    } finally {
      for (const at of ['run', 'proc']) spawnQuiet('umount', ['-l', join(dir, at)]);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // stopped
      }
    }
  });
});

function spawnQuiet(file: string, args: string[]): void {
  try {
    execFileSync(file, args, { stdio: 'ignore' });
  } catch {
    // not mounted
  }
}
