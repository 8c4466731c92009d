import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { LocalHost } from './local-host.js';
import { inputError } from './test-support/errors.js';

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

describe("LocalHost's reads for one plan", () => {
  it('follow symlinks as the host does, never out of the root, and refuse a loop alike', async () => {
    const dir = root();
    symlinkSync('/var/db/repos/gentoo/profiles/default', join(dir, 'etc/portage/make.profile'));
    symlinkSync('/etc/passwd', join(dir, 'etc/escape'));
    symlinkSync('../../..', join(dir, 'etc/portage/up'));
    symlinkSync('b', join(dir, 'etc/a'));
    symlinkSync('a', join(dir, 'etc/b'));
    const host = new LocalHost(dir);
    const reads = host.planReads();
    for (const reader of [host, reads]) {
      expect(await reader.readFile('/etc/portage/make.profile/eapi')).toBe('8\n');
      expect(await reader.readBytes!('/etc/portage/make.profile/eapi', 10)).toEqual(Buffer.from('8\n'));
      expect(await reader.readFile('/etc/escape')).toBeUndefined();
      expect(await reader.readFile('/etc/portage/up/etc/portage/make.profile/eapi')).toBe('8\n');
      expect(await reader.readlink('/etc/portage/make.profile')).toBe(
        '/var/db/repos/gentoo/profiles/default',
      );
      expect((await reader.stat('/etc/portage/make.profile'))?.kind).toBe('symlink');
      expect((await reader.stat('/etc/portage/make.profile/eapi'))?.kind).toBe('file');
      expect(await reader.stat('/etc/none/eapi')).toBeUndefined();
      expect(await reader.list('/etc/portage/make.profile')).toEqual(['eapi']);
      await expect(reader.readFile('/etc/a')).rejects.toBeInstanceOf(InputError);
    }
  });

  it('look at each directory on the way once: a plan sees one state of the target', async () => {
    const dir = root();
    mkdirSync(join(dir, 'srv/other'), { recursive: true });
    writeFileSync(join(dir, 'etc/portage/make.conf'), 'A=1\n');
    writeFileSync(join(dir, 'srv/other/make.conf'), 'B=2\n');
    const host = new LocalHost(dir);
    const reads = host.planReads();
    expect(await reads.readFile('/etc/portage/make.conf')).toBe('A=1\n');
    // /etc/portage becomes a link after the plan looked at it: this plan's reads still go where
    // they went; the host itself (and the next plan) follows the link.
    spawnSync('mv', [join(dir, 'etc/portage'), join(dir, 'etc/portage.old')]);
    symlinkSync('/srv/other', join(dir, 'etc/portage'));
    expect(await reads.list('/etc/portage')).toBeUndefined();
    expect(await host.readFile('/etc/portage/make.conf')).toBe('B=2\n');
    expect(await host.planReads().readFile('/etc/portage/make.conf')).toBe('B=2\n');
  });
});

/** Make a FIFO: opening one for reading blocks until a writer comes, so a read would hang. */
function mkfifo(path: string): void {
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo ${path} failed: ${String(made.stderr)}`);
}

describe('LocalHost reads only regular files', () => {
  it('refuses a FIFO, directly or through a symlink, without blocking on it', async () => {
    const dir = root();
    mkdirSync(join(dir, 'proc'));
    mkfifo(join(dir, 'proc/cpuinfo'));
    symlinkSync('/proc/cpuinfo', join(dir, 'etc/cpuinfo'));
    const host = new LocalHost(dir);
    for (const path of ['/proc/cpuinfo', '/etc/cpuinfo']) {
      const error = await inputError(host.readFile(path));
      expect(error.message).toMatch(/is not a regular file \(it is a FIFO\)/);
      expect(error.file).toBe(path);
      expect(error.expected).toBe('a regular file');
    }
  });

  it.runIf(process.getuid?.() === 0)('refuses a character device (mknod c 1 5, /dev/zero)', async () => {
    const dir = root();
    expect(spawnSync('mknod', [join(dir, 'etc/portage/make.conf'), 'c', '1', '5']).status).toBe(0);
    const error = await inputError(new LocalHost(dir).readFile('/etc/portage/make.conf'));
    expect(error.message).toMatch(/is not a regular file \(it is a character device\)/);
  });

  it('still reads /proc files of the live system, which report size 0', async () => {
    const status = await new LocalHost('/').readFile('/proc/self/status');
    expect(status).toMatch(/^Name:/);
  });

  it('still says a directory is a directory', async () => {
    const error = await inputError(new LocalHost(root()).readFile('/etc/portage'));
    expect(error.message).toMatch(/is a directory/);
  });
});

describe('LocalHost decodes UTF-8 strictly', () => {
  it('names the first line with invalid bytes, expecting UTF-8 text, and suggests iconv', async () => {
    const dir = root();
    writeFileSync(
      join(dir, 'etc/portage/make.conf'),
      Buffer.concat([
        Buffer.from('CFLAGS="-O2"\n# caf\u00e9\nUSE="'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"\n'),
      ]),
    );
    const error = await inputError(new LocalHost(dir).readFile('/etc/portage/make.conf'));
    expect(error.file).toBe('/etc/portage/make.conf');
    expect(error.line).toBe(3);
    expect(error.expected).toBe('UTF-8 text');
    expect(error.message).toMatch(/^\/etc\/portage\/make\.conf:3: .*not valid UTF-8.*iconv/);
  });

  it('finds a bad byte on the last line without a newline, and a truncated sequence', async () => {
    const dir = root();
    writeFileSync(join(dir, 'etc/a'), Buffer.from([0x61, 0x0a, 0x62, 0x0a, 0xc3]));
    expect((await inputError(new LocalHost(dir).readFile('/etc/a'))).line).toBe(3);
  });

  it('keeps valid text byte for byte, a byte order mark included', async () => {
    const dir = root();
    const text = '\ufeffUSE="xen"\n\u00e9t\u00e9 \u{1f600}\n';
    writeFileSync(join(dir, 'etc/a'), text);
    const read = await new LocalHost(dir).readFile('/etc/a');
    expect(read).toBe(text);
    expect(Buffer.from(read ?? '', 'utf8')).toEqual(Buffer.from(text, 'utf8'));
  });
});
