import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { LocalHost } from './local-host.js';

function root(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xg-host-'));
  mkdirSync(join(dir, 'etc/portage'), { recursive: true });
  mkdirSync(join(dir, 'var/db/repos/gentoo/profiles/default'), { recursive: true });
  writeFileSync(join(dir, 'var/db/repos/gentoo/profiles/default/eapi'), '8\n');
  return dir;
}

describe('LocalHost on a target root', () => {
  it('resolves absolute symlinks inside the root, never on the machine running the tool', async () => {
    const dir = root();
    symlinkSync('/var/db/repos/gentoo/profiles/default', join(dir, 'etc/portage/make.profile'));
    symlinkSync('/etc/passwd', join(dir, 'etc/escape'));
    const host = new LocalHost(dir);
    expect(await host.readFile('/etc/portage/make.profile/eapi')).toBe('8\n');
    expect(await host.readFile('/etc/escape')).toBeUndefined();
    expect(await host.readlink('/etc/portage/make.profile')).toBe('/var/db/repos/gentoo/profiles/default');
    expect((await host.stat('/etc/portage/make.profile'))?.kind).toBe('symlink');
    expect(await host.list('/etc/portage/make.profile')).toEqual(['eapi']);
  });

  it('a symlink loop is bad input, not a crash', async () => {
    const dir = root();
    symlinkSync('b', join(dir, 'etc/a'));
    symlinkSync('a', join(dir, 'etc/b'));
    await expect(new LocalHost(dir).readFile('/etc/a')).rejects.toBeInstanceOf(InputError);
  });

  it('runs commands in a target directory and feeds stdin', async () => {
    const dir = root();
    const host = new LocalHost(dir);
    const pwd = await host.run(['pwd'], { cwd: '/etc/portage' });
    expect(pwd.stdout.trim()).toBe(join(dir, 'etc/portage'));
    const cat = await host.run(['head', '-c', '3'], { input: '\n\n\n\n' });
    expect(cat.stdout).toBe('\n\n\n');
    const failed = await host.run(['sh', '-c', 'echo oops >&2; exit 3']);
    expect(failed).toMatchObject({ exitCode: 3, stderr: 'oops\n' });
    const missing = await host.run(['/nonexistent/program']);
    expect(missing.exitCode).not.toBe(0);
  });
});

describe.runIf(process.getuid?.() === 0)('mounts for programs run inside a target root', () => {
  it('mounts /proc, /sys, /dev and /run into the root once, and takes them down again', async () => {
    const { readFileSync } = await import('node:fs');
    const dir = root();
    for (const d of ['proc', 'sys', 'dev', 'run']) mkdirSync(join(dir, d));
    const host = new LocalHost(dir);
    const mountedAt = () =>
      readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4])
        .filter((p) => p?.startsWith(`${dir}/`));
    try {
      await host.mountChrootFilesystems();
      await host.mountChrootFilesystems();
      const mounted = mountedAt();
      for (const d of ['proc', 'sys', 'dev', 'run'])
        expect(mounted.filter((p) => p === join(dir, d))).toHaveLength(1);
    } finally {
      expect(await host.unmountChrootFilesystems()).toEqual([]);
    }
    expect(mountedAt()).toEqual([]);
  });
});
