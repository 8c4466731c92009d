import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bashVars, cli, copyRoot, SAMPLES, snapshot, STATE_DIR } from './helpers.js';

interface JsonPlan {
  steps: { id: string; status: string; changes: { kind: string; path?: string }[] }[];
}

async function planJson(root: string): Promise<JsonPlan> {
  const result = await cli(['plan', '--root', root, '--json']);
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return JSON.parse(String(result.stdout)) as JsonPlan;
}

describe.each(Object.entries(SAMPLES))(
  'apply --yes --skip-commands on a copy of the %s root',
  (era, sample) => {
    it('converges: no file change left, a second apply touches no file', async () => {
      const root = copyRoot(sample);
      const first = await cli(['apply', '--root', root, '--yes', '--skip-commands']);
      expect(first.exitCode, String(first.stderr) + String(first.stdout)).toBe(0);
      expect(String(first.stdout)).toContain('Commands left to run');

      const after = await planJson(root);
      for (const step of after.steps) {
        const fileChanges = step.changes.filter((c) => c.kind !== 'command' && c.kind !== 'manual');
        expect(fileChanges, `${step.id} still has file changes`).toEqual([]);
      }

      const before = snapshot(root, [STATE_DIR]);
      const second = await cli(['apply', '--root', root, '--yes', '--skip-commands']);
      expect(second.exitCode, String(second.stderr)).toBe(0);
      expect(snapshot(root, [STATE_DIR])).toEqual(before);

      // bash is the judge of what the make.conf now means
      const makeConf = era === 'legacy' ? join(root, 'etc/make.conf') : join(root, 'etc/portage/make.conf');
      const vars = bashVars(makeConf, ['CFLAGS', 'CXXFLAGS', 'USE', 'FEATURES']);
      expect(vars.FEATURES.split(/\s+/)).toContain('buildpkg');
      if (era === 'legacy') {
        expect(vars.CFLAGS.split(/\s+/)).toContain('-mno-tls-direct-seg-refs');
        expect(vars.CXXFLAGS.split(/\s+/)).toContain('-mno-tls-direct-seg-refs');
        expect(vars.USE.split(/\s+/)).toEqual(expect.arrayContaining(['hvm', 'X', 'ssl']));
        expect(readFileSync(join(root, 'etc/portage/package.keywords'), 'utf8')).toMatch(
          /^app-emulation\/xen ~x86$/m,
        );
      } else {
        expect(vars.CFLAGS).toBe('-O2 -pipe');
      }
    });
  },
);

describe('rollback', () => {
  it.each(Object.entries(SAMPLES))('restores the %s root as it was before apply', async (_era, sample) => {
    const root = copyRoot(sample);
    const before = snapshot(root);
    expect((await cli(['apply', '--root', root, '--yes', '--skip-commands'])).exitCode).toBe(0);
    const result = await cli(['rollback', '--root', root]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    // Content, mode and owner come back; the restored files get the current time (as cp and git
    // checkout give them) so that make notices a restored kernel .config.
    const strip = (m: ReturnType<typeof snapshot>) =>
      [...m].filter(([p]) => !p.startsWith('var/lib')).map(([p, e]) => [p, e.kind, e.mode, e.hash, e.target]);
    expect(strip(snapshot(root))).toEqual(strip(before));
  });
});

describe('bad input changes nothing', () => {
  it('a malformed make.conf gives exit 2 naming file and line', async () => {
    const root = copyRoot(SAMPLES.current);
    const conf = join(root, 'etc/portage/make.conf');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(conf, 'COMMON_FLAGS="-O2 -pipe"\nCFLAGS="${COMMON_FLAGS}\nUSE="X"\n');
    const before = snapshot(root);
    for (const command of ['plan', 'apply']) {
      const result = await cli([command, '--root', root, ...(command === 'apply' ? ['--yes'] : [])]);
      expect(result.exitCode).toBe(2);
      expect(String(result.stderr)).toMatch(/\/etc\/portage\/make\.conf:\d+:/);
    }
    expect(snapshot(root)).toEqual(before);
  });

  it('a make.conf line Portage rejects is refused with its line', async () => {
    const root = copyRoot(SAMPLES.current);
    const { appendFileSync } = await import('node:fs');
    appendFileSync(join(root, 'etc/portage/make.conf'), 'FEATURES+=" ccache"\n');
    const before = snapshot(root);
    const result = await cli(['apply', '--root', root, '--yes']);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/make\.conf:16:/);
    expect(snapshot(root)).toEqual(before);
  });

  it('a bad answers file gives exit 2 naming file, line and the allowed values', async () => {
    const root = copyRoot(SAMPLES.current);
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'xg-ans-')), 'host.ini');
    writeFileSync(file, '[portage]\nbuildpkg = yes\nhvm = maybe\n');
    const before = snapshot(root);
    let result = await cli(['apply', '--root', root, '--yes', '--answers', file]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain(`${file}:3:`);
    expect(String(result.stderr)).toMatch(/auto \| yes \| no/);
    writeFileSync(file, '[portage]\nbuildpkgs = yes\n');
    result = await cli(['plan', '--root', root, '--answers', file]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain(`${file}:2: unknown key "buildpkgs"`);
    writeFileSync(file, '[boot]\n\ndom0_mem = 12Q\n');
    result = await cli(['plan', '--root', root, '--answers', file]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain(`${file}:3: bad value for dom0_mem in [boot]`);
    writeFileSync(file, '[portage]\nthis is not ini\n');
    result = await cli(['plan', '--root', root, '--answers', file, '--json']);
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(String(result.stdout))).toMatchObject({ error: 'bad-input', line: 2 });
    expect(snapshot(root)).toEqual(before);
  });

  it('an answers file is never echoed: a password hash or binary garbage is named by its line only', async () => {
    const root = copyRoot(SAMPLES.current);
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'xg-ans-'));
    const shadow = join(dir, 'shadow');
    writeFileSync(shadow, 'root:$6$xgsalt$hashhashhashhash:19000:0:99999:7:::\n');
    const garbage = join(dir, 'garbage.bin');
    writeFileSync(garbage, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x1b, 0x5b, 0x32, 0x4a, 0x00, 0xff, 0x0a]));
    const before = snapshot(root);
    let result = await cli(['plan', '--root', root, '--answers', shadow]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain(`${shadow}:1: cannot read this line; expected "key = value"`);
    expect(String(result.stderr)).not.toContain('xgsalt');
    result = await cli(['apply', '--root', root, '--yes', '--answers', garbage]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain(`${garbage}:1: holds bytes that are not valid UTF-8`);
    // eslint-disable-next-line no-control-regex
    expect(String(result.stderr)).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\ufffd]/);
    writeFileSync(shadow, '[system]\nprofile = ../../../../../../etc\n');
    result = await cli(['apply', '--root', root, '--yes', '--answers', shadow]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain(
      `${shadow}:2: bad value for profile in [system]; expected a profile name`,
    );
    writeFileSync(shadow, '\uFEFF[portage]\nbuildpkg = yes\n[portage.sub]\n');
    result = await cli(['plan', '--root', root, '--answers', shadow]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain(`${shadow}:3: unknown section [portage.sub]`);
    expect(snapshot(root)).toEqual(before);
  });

  it('--answers "" is a usage error, not "no answers file"', async () => {
    const result = await cli(['plan', '--root', SAMPLES.current, '--answers', '']);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/--answers needs a file name/);
  });

  it('apply --ask --yes is a usage error saying they conflict, and changes nothing', async () => {
    const root = copyRoot(SAMPLES.current);
    const before = snapshot(root);
    const result = await cli(['apply', '--root', root, '--ask', '--yes']);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/--ask and --yes conflict/);
    expect(snapshot(root)).toEqual(before);
  });

  it('an unknown command under --json is the documented JSON error', async () => {
    const result = await cli(['frobnicate', '--json']);
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(String(result.stdout))).toEqual({
      error: 'usage',
      message: 'command frobnicate not found',
    });
  });

  it('apply without a terminal and without --yes refuses (exit 2) and changes nothing', async () => {
    const root = copyRoot(SAMPLES.current);
    const before = snapshot(root);
    const result = await cli(['apply', '--root', root]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/--yes/);
    expect(snapshot(root)).toEqual(before);
  });

  it('a make.conf directory is read like Portage: the edits land in its last file and converge', async () => {
    const { rmSync, mkdirSync, writeFileSync } = await import('node:fs');
    const root = copyRoot(SAMPLES.legacy);
    const conf = readFileSync(join(root, 'etc/make.conf'), 'utf8');
    rmSync(join(root, 'etc/make.conf'));
    mkdirSync(join(root, 'etc/make.conf'));
    writeFileSync(join(root, 'etc/make.conf/00-gentoo'), conf);
    writeFileSync(join(root, 'etc/make.conf/50-local'), 'FEATURES="parallel-fetch"\n');
    const first = await cli(['apply', '--root', root, '--yes', '--skip-commands']);
    expect(first.exitCode, String(first.stderr) + String(first.stdout)).toBe(0);
    expect(readFileSync(join(root, 'etc/make.conf/00-gentoo'), 'utf8')).toBe(conf);
    // bash reading the files in Portage's order sees every change.
    const vars = bashVars(
      [join(root, 'etc/make.conf/00-gentoo'), join(root, 'etc/make.conf/50-local')],
      ['CFLAGS', 'CXXFLAGS', 'USE', 'FEATURES'],
    );
    expect(vars.CFLAGS.split(/\s+/)).toContain('-mno-tls-direct-seg-refs');
    expect(vars.CXXFLAGS.split(/\s+/)).toContain('-mno-tls-direct-seg-refs');
    expect(vars.USE.split(/\s+/)).toEqual(expect.arrayContaining(['hvm', 'X']));
    expect(vars.FEATURES.split(/\s+/)).toEqual(['parallel-fetch', 'buildpkg']);
    const before = snapshot(root, [STATE_DIR]);
    const second = await cli(['apply', '--root', root, '--yes', '--skip-commands']);
    expect(second.exitCode, String(second.stderr)).toBe(0);
    expect(snapshot(root, [STATE_DIR])).toEqual(before);
  });

  it('hostile layouts (a symlink loop, a source line to nowhere) are bad input, not a crash', async () => {
    const { rmSync, symlinkSync, appendFileSync } = await import('node:fs');
    const gone = copyRoot(SAMPLES.current);
    appendFileSync(join(gone, 'etc/portage/make.conf'), 'source /etc/portage/make.conf.gone\n');
    let before = snapshot(gone);
    let result = await cli(['apply', '--root', gone, '--yes', '--skip-commands']);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/\/etc\/portage\/make\.conf:\d+: .*no such file/);
    expect(snapshot(gone)).toEqual(before);

    const loop = copyRoot(SAMPLES.current);
    rmSync(join(loop, 'etc/portage/make.conf'));
    symlinkSync('make.conf.b', join(loop, 'etc/portage/make.conf'));
    symlinkSync('make.conf', join(loop, 'etc/portage/make.conf.b'));
    before = snapshot(loop);
    result = await cli(['plan', '--root', loop]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/symbolic links/);
    expect(snapshot(loop)).toEqual(before);
  });

  it('a package.keywords line that is not an atom is bad input naming its line', async () => {
    const { appendFileSync } = await import('node:fs');
    const root = copyRoot(SAMPLES.legacy);
    appendFileSync(join(root, 'etc/portage/package.keywords'), '=== not an atom\n');
    const before = snapshot(root);
    const result = await cli(['apply', '--root', root, '--yes', '--skip-commands']);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain('/etc/portage/package.keywords:3:');
    expect(snapshot(root)).toEqual(before);
  });

  it('boot render prints an entry; a bad dom0_mem is exit 2 with what was expected', async () => {
    let result = await cli([
      'boot',
      'render',
      'pxelinux',
      '--kernel',
      '2.6.12.5',
      '--era',
      'legacy',
      '--dom0-mem',
      '258048',
    ]);
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toContain(
      'DEFAULT mboot.c32 xen.gz dom0_mem=252M --- vmlinuz-2.6.12.5-xen0',
    );
    result = await cli(['boot', 'render', 'grub2', '--kernel', '6.1.0', '--dom0-mem', '12Q']);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/12Q.*expected/);
  });

  it('boot render checks every flag with the answers file schemas, naming the flag', async () => {
    const render = (...flags: string[]) =>
      cli(['boot', 'render', 'lilo', ...(flags.includes('--kernel') ? [] : ['--kernel', '6.1.0']), ...flags]);
    for (const [flags, message] of [
      [['--root-device', '/dev/sda1 init=/bin/sh'], /for --root-device; expected a device/],
      [['--xen-args', 'loglvl=all\ninit=/bin/sh'], /for --xen-args; expected boot options .* on one line/],
      [['--kernel-args', 'a\nb'], /for --kernel-args; expected boot options/],
      [['--initrd', 'relative'], /for --initrd; expected a file directly in \/boot/],
      [['--initrd', '/boot/../../x'], /for --initrd; expected a file directly in \/boot/],
      [['--kernel', '../../etc/shadow'], /for --kernel; expected a kernel version/],
      [['--serial-speed', '1234'], /for --serial-speed; expected one of 9600/],
    ] as const) {
      const result = await render(...flags);
      expect(result.exitCode, flags.join(' ')).toBe(2);
      expect(String(result.stderr)).toMatch(message);
      expect(String(result.stdout)).toBe('');
    }
    const ok = await render('--root-device', '/dev/sda1', '--initrd', '/boot/initrd-6.1.0-xen0');
    expect(ok.exitCode, String(ok.stderr)).toBe(0);
    expect(String(ok.stdout)).toContain('root=/dev/sda1');
  });

  it('kernel config: a relative --out or --source is taken from the current directory; an empty one is a usage error', async () => {
    let result = await cli([
      'kernel',
      'config',
      '--role',
      'dom0',
      '--out',
      'relative',
      '--source',
      '../../..',
      '--json',
    ]);
    expect(result.exitCode, String(result.stderr)).not.toBe(70);
    expect(JSON.parse(String(result.stdout))).toHaveProperty('steps');
    for (const flag of ['--out', '--source']) {
      result = await cli(['kernel', 'config', '--role', 'dom0', flag, '']);
      expect(result.exitCode).toBe(2);
      expect(String(result.stderr)).toContain(`${flag} needs a directory`);
    }
  });

  it('a --root that does not exist is a usage error, in JSON too', async () => {
    const result = await cli(['plan', '--root', '/nonexistent/target', '--json']);
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(String(result.stdout))).toMatchObject({ error: 'usage' });
  });

  it('a directory that is not a Gentoo system is refused before anything is planned', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const empty = mkdtempSync(join(tmpdir(), 'xg-empty-'));
    const result = await cli(['apply', '--root', empty, '--yes']);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/does not look like a Gentoo system/);
    expect(snapshot(empty).size).toBe(0);
  });

  it('today on x86: apply does what it can, then lists the blocked steps and exits 5', async () => {
    const { mkdirSync, rmSync, symlinkSync, writeFileSync } = await import('node:fs');
    const root = copyRoot(SAMPLES.current);
    const i686 = 'var/db/repos/gentoo/profiles/default/linux/x86/23.0/i686';
    mkdirSync(join(root, i686), { recursive: true });
    writeFileSync(join(root, i686, 'eapi'), '8\n');
    rmSync(join(root, 'etc/portage/make.profile'));
    symlinkSync(`../../${i686}`, join(root, 'etc/portage/make.profile'));
    const result = await cli(['apply', '--root', root, '--yes', '--skip-commands']);
    expect(result.exitCode).toBe(5);
    expect(String(result.stderr)).toMatch(/keywords: app-emulation\/xen is not available on x86/);
    expect(String(result.stderr)).toMatch(/kernel-dom0-config: a 32-bit \(x86\) dom0 is impossible/);
  });

  it('--only with an unknown step is a usage error', async () => {
    const result = await cli(['plan', '--root', SAMPLES.current, '--only', 'no-such-step']);
    expect(result.exitCode).toBe(2);
  });
});
