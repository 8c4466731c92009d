/**
 * Programs run inside a target root for real: a tiny root made of Debian's static busybox, the
 * command run through chroot with /proc, /sys, /dev and /run mounted for it (and this machine's
 * resolv.conf over the target's), in the working directory the change names. With namespaces
 * the mounts exist for the command alone; without (the fallback) they are made here and taken
 * down after it. Either way no mount is left, and no mount point is ever outside the root.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../packages/core/src/local-host.js';
import { busybox, installBusybox, mountsUnder, processesIn, removeRoot } from './chroot-support.js';

const bb = process.getuid?.() === 0 ? busybox() : undefined;

function busyboxRoot(base = mkdtempSync(join(tmpdir(), 'xg-chroot-'))): string {
  installBusybox(base, bb!, ['sh', 'cat', 'pwd', 'ls', 'sleep']);
  mkdirSync(join(base, 'etc/portage'), { recursive: true });
  return base;
}

describe.runIf(bb !== undefined)('commands inside a target root (chroot)', () => {
  for (const namespaces of [true, false]) {
    const mode = namespaces ? 'in their own namespaces' : 'without namespaces (fallback)';

    it(`run ${mode} with /proc and /dev mounted and the named working directory, and leave no mount behind`, async () => {
      const root = busyboxRoot();
      try {
        const ownResolv = 'nameserver 192.0.2.53\n';
        writeFileSync(join(root, 'etc/resolv.conf'), ownResolv);
        const host = new LocalHost(root, { namespaces });
        const recorded: { mounts: string[]; namespace: boolean }[] = [];
        const result = await host.run(
          ['sh', '-c', 'pwd; cat /proc/self/comm; ls /dev/null; cat /etc/resolv.conf'],
          {
            inRoot: true,
            cwd: '/etc/portage',
            beforeMounts: async (mounts, namespace) => {
              recorded.push({ mounts, namespace });
            },
          },
        );
        expect(result.exitCode, result.stderr).toBe(0);
        expect(result.stdout.split('\n').slice(0, 3)).toEqual(['/etc/portage', 'cat', '/dev/null']);
        if (existsSync('/etc/resolv.conf'))
          expect(result.stdout.split('\n').slice(3).join('\n')).toBe(
            readFileSync('/etc/resolv.conf', 'utf8'),
          );
        expect(recorded).toEqual([
          { mounts: ['/proc', '/sys', '/dev', '/run', '/etc/resolv.conf'], namespace: namespaces },
        ]);
        expect(readFileSync(join(root, 'etc/resolv.conf'), 'utf8')).toBe(ownResolv);
        expect(mountsUnder(root)).toEqual([]);
        expect(processesIn(root)).toEqual([]);
      } finally {
        removeRoot(root);
      }
    });

    it(`never mount ${mode} through an etc symlink that leads out of the root`, async () => {
      // base/r/root/etc -> ../../outside/etcx, which is base/outside/etcx on this machine.
      const base = mkdtempSync(join(tmpdir(), 'xg-escape-'));
      const root = join(base, 'r/root');
      const outside = join(base, 'outside/etcx');
      try {
        mkdirSync(root, { recursive: true });
        mkdirSync(outside, { recursive: true });
        busyboxRoot(root);
        // Replace the root's etc with the link.
        removeRoot(join(root, 'etc'));
        symlinkSync('../../outside/etcx', join(root, 'etc'));
        const victim = join(outside, 'resolv.conf');
        const victimText = 'nameserver 198.51.100.1\n';
        writeFileSync(victim, victimText);
        utimesSync(victim, new Date(2001, 0, 1), new Date(2001, 0, 1));
        const before = snapshot(join(base, 'outside'));
        const host = new LocalHost(root, { namespaces });
        const warnings: string[] = [];
        const seen = new Set<string>();
        let running = true;
        const watch = (async () => {
          while (running) {
            seen.add(readFileSync(victim, 'utf8'));
            await new Promise((r) => setTimeout(r, 20));
          }
        })();
        const result = await host.run(['sleep', '1'], {
          inRoot: true,
          onWarning: (m) => warnings.push(m),
        });
        running = false;
        await watch;
        expect(result.exitCode, result.stderr).toBe(0);
        expect([...seen]).toEqual([victimText]);
        expect(snapshot(join(base, 'outside'))).toEqual(before);
        expect(warnings).toEqual([
          expect.stringMatching(/^\/etc\/resolv\.conf is not mounted .*leads out of the target root/),
        ]);
        expect(mountsUnder(base)).toEqual([]);
      } finally {
        removeRoot(base);
      }
    });
  }

  it('keeps the mounts private to the command: none is visible here while it runs', async () => {
    const root = busyboxRoot();
    try {
      const host = new LocalHost(root, { namespaces: true });
      const seen: string[][] = [];
      let running = true;
      const watch = (async () => {
        while (running) {
          seen.push(mountsUnder(root));
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const result = await host.run(
        ['sh', '-c', 'ls /proc/1 >/dev/null && sleep 1 && cat /proc/self/mountinfo'],
        {
          inRoot: true,
        },
      );
      running = false;
      await watch;
      expect(result.exitCode, result.stderr).toBe(0);
      // Inside, the command sees its mounts (paths shown relative to its root).
      expect(result.stdout).toMatch(/ \/proc /);
      expect(result.stdout).toMatch(/ \/dev /);
      expect(seen.flat()).toEqual([]);
    } finally {
      removeRoot(root);
    }
  });
});

function snapshot(dir: string): [string, string, number][] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((name) => {
      const path = join(dir, name);
      const stats = statSync(path);
      return [name, stats.isFile() ? readFileSync(path, 'utf8') : 'dir', stats.mtimeMs];
    });
}
