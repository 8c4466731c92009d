/**
 * A real domU image from a busybox stage tarball this test makes itself (Debian's static busybox,
 * a setuid file, a file of another owner, a device node and an extended attribute), built by
 * `xen-gentoo domu add` with the real tar and e2fsprogs, then read back with debugfs and e2fsck.
 * emerge and the chroot fix-ups are Gentoo-only: skipped (--skip-commands), as the test name says.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addBusyboxGuest, busyboxStage, targetWithStage } from './domu-support.js';

const REPO = resolve(import.meta.dirname, '../..');
const BUSYBOX = join(REPO, '.cache/boot/root/bin/busybox');
const root = process.getuid?.() === 0;
const hasPython = spawnSync('python3', ['-c', 'import os; os.setxattr']).status === 0;

function debugfs(image: string, request: string): string {
  return execFileSync('debugfs', ['-R', request, image], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

describe.runIf(root && existsSync(BUSYBOX))(
  'domU image from a busybox stage tarball (recorded: emerge skipped)',
  () => {
    it('keeps owners, modes, device nodes and xattrs; e2fsck finds nothing; the password is set', () => {
      const work = mkdtempSync(join(tmpdir(), 'xg-bbstage-'));
      const stage = join(work, 'stage');
      busyboxStage(stage, BUSYBOX, ['sh', 'mount', 'cat', 'ls'], ['home/user']);
      writeFileSync(
        join(stage, 'etc/passwd'),
        'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n',
      );
      writeFileSync(join(stage, 'etc/shadow'), 'root:*:19000:0:::::\nuser:!:19000:0:::::\n', { mode: 0o600 });
      writeFileSync(join(stage, 'home/user/marker'), 'xen-gentoo domU marker\n');
      chownSync(join(stage, 'home/user/marker'), 1000, 1000);
      writeFileSync(join(stage, 'bin/suid'), '#!/bin/sh\n', { mode: 0o4755 });
      chmodSync(join(stage, 'bin/suid'), 0o4755);
      chmodSync(join(stage, 'tmp'), 0o1777);
      if (hasPython)
        execFileSync('python3', [
          '-c',
          `import os; os.setxattr(${JSON.stringify(join(stage, 'bin/busybox'))}, 'user.xg', b'kept')`,
        ]);

      const target = targetWithStage('xg-bbroot-', stage, ['--xattrs']);
      writeFileSync(join(work, 'pw'), 'busybox-root-pw\n');

      const result = addBusyboxGuest(target, [
        '--disk-size',
        '64M',
        '--swap',
        '16M',
        '--kernel',
        '/boot/vmlinuz-6.1.0-xenU',
        '--root-password-file',
        join(work, 'pw'),
      ]);
      expect(result.status, result.stderr).toBe(0);
      const image = join(target, 'var/xen/bb.img');
      expect(spawnSync('e2fsck', ['-fn', image]).status).toBe(0);
      execFileSync('debugfs', ['-R', `dump /bin/busybox ${join(work, 'busybox.out')}`, image], {
        stdio: 'ignore',
      });
      expect(readFileSync(join(work, 'busybox.out')).equals(readFileSync(BUSYBOX))).toBe(true);
      expect(debugfs(image, 'stat /dev/console')).toMatch(
        /Type: character special[\s\S]*Device major\/minor number: 05:01/,
      );
      expect(debugfs(image, 'stat /bin/suid')).toMatch(/Mode:\s+04755/);
      expect(debugfs(image, 'stat /tmp')).toMatch(/Mode:\s+01777/);
      expect(debugfs(image, 'stat /home/user/marker')).toMatch(/User:\s+1000\s+Group:\s+1000/);
      expect(debugfs(image, 'cat /home/user/marker')).toBe('xen-gentoo domU marker\n');
      expect(debugfs(image, 'stat /bin/sh')).toMatch(/Type: symlink/);
      if (hasPython) expect(debugfs(image, 'ea_get /bin/busybox user.xg')).toContain('kept');
      expect(debugfs(image, 'cat /etc/shadow')).toMatch(/^root:\$6\$[^:]+:\d+:0:::::\nuser:!:/);
      expect(debugfs(image, 'cat /etc/fstab')).toMatch(/^\/swap\t\tnone\t\tswap/m);
      expect(readFileSync(join(target, 'etc/xen/bb'), 'utf8')).toContain('target=/var/xen/bb.img');
    });
  },
);
