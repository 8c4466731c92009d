import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, copyRoot, SAMPLES } from './helpers.js';

describe('domu add, list, remove (recorded: emerge skipped)', () => {
  it('adds one guest from flags, lists it, removes it (the image only with --image)', async () => {
    const root = copyRoot(SAMPLES.current);
    const add = await cli(
      [
        'domu',
        'add',
        'web2',
        '--root',
        root,
        '--yes',
        '--skip-commands',
        '--stage',
        '/opt/stages/stage3-tiny.tar.gz',
        '--disk-size',
        '32M',
        '--swap',
        '0',
        '--kernel',
        '/boot/vmlinuz-6.12.58-gentoo-xenU',
        '--autostart',
        'yes',
        '--root-password-env',
        'XG_WEB2_ROOT_PASSWORD',
      ],
      { env: { XG_WEB2_ROOT_PASSWORD: 'Xg-web2-Pa55' } },
    );
    expect(add.exitCode, String(add.stderr)).toBe(0);
    expect(String(add.stdout)).not.toMatch(/buildpkg|kernel-split/); // only the guest steps
    expect(existsSync(join(root, 'var/xen/web2.img'))).toBe(true);
    expect(readFileSync(join(root, 'etc/xen/web2'), 'utf8')).toContain('name = "web2"');
    expect(lstatSync(join(root, 'etc/xen/auto/web2')).isSymbolicLink()).toBe(true);

    const list = await cli(['domu', 'list', '--root', root, '--json']);
    expect(JSON.parse(String(list.stdout))).toMatchObject({
      guests: [
        { name: 'web2', memory: '256', image: '/var/xen/web2.img', imagePresent: true, autostart: true },
      ],
    });

    const remove = await cli(['domu', 'remove', 'web2', '--root', root, '--yes']);
    expect(remove.exitCode, String(remove.stderr)).toBe(0);
    expect(existsSync(join(root, 'etc/xen/web2'))).toBe(false);
    expect(existsSync(join(root, 'etc/xen/auto/web2'))).toBe(false);
    expect(existsSync(join(root, 'var/xen/web2.img'))).toBe(true);
  });

  it('bad names and values are usage errors, nothing written', async () => {
    const root = copyRoot(SAMPLES.current);
    expect((await cli(['domu', 'add', '../x', '--root', root, '--yes'])).exitCode).toBe(2);
    const bad = await cli(['domu', 'add', 'a', '--root', root, '--yes', '--stage', 'relative.tar']);
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toMatch(/--stage/);
    expect((await cli(['domu', 'remove', 'a;b', '--root', root, '--yes'])).exitCode).toBe(2);
    expect(existsSync(join(root, 'var/xen'))).toBe(false);
  });

  it('a guest whose glibc predates 2.7 gets an MD5-crypt root password that openssl agrees with; never shown', async () => {
    const root = copyRoot(SAMPLES.current);
    const work = mkdtempSync(join(tmpdir(), 'xg-oldglibc-'));
    const stage = join(work, 'stage');
    mkdirSync(join(stage, 'etc'), { recursive: true });
    mkdirSync(join(stage, 'lib'));
    writeFileSync(join(stage, 'lib/libc-2.5.so'), '');
    writeFileSync(join(stage, 'etc/shadow'), 'root:*:13000:0:::::\n', { mode: 0o600 });
    execFileSync('tar', ['-czf', join(root, 'opt/stages/stage3-2007.tar.gz'), '-C', stage, '.']);
    const password = 'old-glibc-secret';
    writeFileSync(join(work, 'pw'), `${password}\n`);
    const args = ['--root', root, '--skip-commands', '--stage', '/opt/stages/stage3-2007.tar.gz'];
    const common = [
      ...args,
      '--disk-size',
      '16M',
      '--swap',
      '0',
      '--kernel',
      '/boot/vmlinuz-6.12.58-gentoo-xenU',
    ];
    const add = await cli([
      'domu',
      'add',
      'old',
      ...common,
      '--root-password-file',
      join(work, 'pw'),
      '--yes',
    ]);
    expect(add.exitCode, String(add.stderr)).toBe(0);
    const shadow = execFileSync('debugfs', ['-R', 'cat /etc/shadow', join(root, 'var/xen/old.img')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const hash = /^root:(\$1\$([./0-9A-Za-z]{8})\$[./0-9A-Za-z]{22}):/.exec(shadow);
    expect(hash, 'an MD5-crypt hash').not.toBeNull();
    const openssl = execFileSync('openssl', ['passwd', '-1', '-salt', hash![2]!, '-stdin'], {
      input: `${password}\n`,
      encoding: 'utf8',
    }).trim();
    expect(openssl).toBe(hash![1]);
    const shown = `${String(add.stdout)}${String(add.stderr)}`;
    expect(shown).not.toContain(password);
    expect(shown).not.toContain(hash![1]!);
  });
});
