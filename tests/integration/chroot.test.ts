/**
 * Programs run inside a target root for real: a tiny root made of Debian's static busybox, the
 * command run through chroot with /proc, /sys, /dev and /run mounted for it (and this machine's
 * resolv.conf over the target's), in the working directory the change names, and every mount
 * taken down afterwards.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../packages/core/src/local-host.js';

const REPO = resolve(import.meta.dirname, '../..');

function busybox(): string | undefined {
  const cached = join(REPO, '.cache/boot/root/bin/busybox');
  if (existsSync(cached)) return cached;
  try {
    const out = execFileSync('bash', [join(REPO, 'tests/integration/setup/boot.sh'), '--print'], {
      encoding: 'utf8',
    });
    return existsSync(cached) ? cached : out.match(/^XG_BUSYBOX=(.*)$/m)?.[1];
  } catch {
    return undefined;
  }
}

const bb = process.getuid?.() === 0 ? busybox() : undefined;

describe.runIf(bb !== undefined)('commands inside a target root (chroot)', () => {
  it('run with /proc and /dev mounted and the named working directory, and leave no mount behind', async () => {
    const root = mkdtempSync(join(tmpdir(), 'xg-chroot-'));
    for (const d of ['bin', 'etc/portage', 'proc', 'sys', 'dev', 'run'])
      mkdirSync(join(root, d), { recursive: true });
    copyFileSync(bb!, join(root, 'bin/busybox'));
    for (const applet of ['sh', 'cat', 'pwd', 'ls']) symlinkSync('busybox', join(root, 'bin', applet));
    const ownResolv = 'nameserver 192.0.2.53\n';
    writeFileSync(join(root, 'etc/resolv.conf'), ownResolv);
    const host = new LocalHost(root);
    try {
      const result = await host.run(
        ['sh', '-c', 'pwd; cat /proc/self/comm; ls /dev/null; cat /etc/resolv.conf'],
        { inRoot: true, cwd: '/etc/portage' },
      );
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout.split('\n').slice(0, 3)).toEqual(['/etc/portage', 'cat', '/dev/null']);
      if (existsSync('/etc/resolv.conf')) {
        expect(result.stdout.split('\n').slice(3).join('\n')).toBe(readFileSync('/etc/resolv.conf', 'utf8'));
      }
    } finally {
      expect(await host.unmountChrootFilesystems()).toEqual([]);
    }
    expect(readFileSync(join(root, 'etc/resolv.conf'), 'utf8')).toBe(ownResolv);
    const left = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.split(' ')[4]?.startsWith(`${root}/`));
    expect(left).toEqual([]);
  });
});
