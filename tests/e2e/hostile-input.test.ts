import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, copyRoot, SAMPLES, snapshot } from './helpers.js';

describe('hostile input is bad input', () => {
  it('a file over the 8 MiB limit is refused by name before it is read (make.conf, answers file)', async () => {
    const root = copyRoot(SAMPLES.current);
    const conf = join(root, 'etc/portage/make.conf');
    // Sparse: the size is what counts, nothing is read.
    truncateSync(conf, 9 * 1024 * 1024);
    const before = snapshot(root);
    for (const command of ['plan', 'apply']) {
      const result = await cli([command, '--root', root, ...(command === 'apply' ? ['--yes'] : [])]);
      expect(result.exitCode, String(result.stderr)).toBe(2);
      expect(String(result.stderr)).toContain(
        '/etc/portage/make.conf: is 9 MiB, more than the 8 MiB the tool reads from a file; expected a file of at most 8 MiB',
      );
    }
    expect(snapshot(root)).toEqual(before);

    const answers = join(copyRoot(SAMPLES.current), 'answers.ini');
    writeFileSync(answers, '[boot]\n');
    truncateSync(answers, 8 * 1024 * 1024 + 1);
    const result = await cli(['plan', '--root', SAMPLES.current, '--answers', answers]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain(`${answers}: is 8.0 MiB, more than the 8 MiB`);
  });

  it('a byte order mark in make.conf is named, with no invisible character in the message', async () => {
    const root = copyRoot(SAMPLES.current);
    const conf = join(root, 'etc/portage/make.conf');
    writeFileSync(conf, `\uFEFF${readFileSync(conf, 'utf8')}`);
    const result = await cli(['plan', '--root', root]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain(
      '/etc/portage/make.conf:1: the file starts with a byte order mark (U+FEFF)',
    );
    expect(String(result.stderr)).not.toMatch(/\p{Cf}/u);
  });

  it('a source chain deeper than 16 is bad input naming the file and line', async () => {
    const root = copyRoot(SAMPLES.current);
    appendFileSync(join(root, 'etc/portage/make.conf'), 'source d1.conf\n');
    for (let i = 1; i <= 20; i++)
      writeFileSync(join(root, `etc/portage/d${i}.conf`), `V${i}=x\nsource d${i + 1}.conf\n`);
    writeFileSync(join(root, 'etc/portage/d21.conf'), 'DEEP=1\n');
    const result = await cli(['plan', '--root', root]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(
      /\/etc\/portage\/d16\.conf:2: source \/etc\/portage\/d17\.conf: sourced files nest more than 16 deep/,
    );
  });

  it('boot render --dom0-mem -5G is refused like the answers file refuses it', async () => {
    const flag = await cli(['boot', 'render', 'grub2', '--kernel', '6.1.0', '--dom0-mem', '-5G']);
    expect(flag.exitCode).toBe(2);
    expect(String(flag.stderr)).toMatch(/for --dom0-mem; expected a size above zero/);
    expect(String(flag.stdout)).toBe('');
    const answers = join(copyRoot(SAMPLES.current), 'answers.ini');
    writeFileSync(answers, '[boot]\ndom0_mem = -5G\n');
    const file = await cli(['boot', 'render', 'grub2', '--kernel', '6.1.0', '--answers', answers]);
    expect(file.exitCode).toBe(2);
    expect(String(file.stderr)).toMatch(/answers\.ini:2: .*expected a size above zero/);
  });
});

interface JsonPlan {
  steps: { id: string; status: string; reason: string; changes: { kind: string; path?: string }[] }[];
}

/** A copy of the current sample with the syslinux files boot-pxelinux copies, and `answers`. */
function target(answers = ''): { root: string; args: string[] } {
  const root = copyRoot(SAMPLES.current);
  mkdirSync(join(root, 'usr/share/syslinux'), { recursive: true });
  for (const name of ['mboot.c32', 'pxelinux.0', 'ldlinux.c32', 'libcom32.c32'])
    writeFileSync(join(root, 'usr/share/syslinux', name), 'binary\n');
  const file = join(root, 'answers.ini');
  writeFileSync(file, answers);
  return { root, args: ['--root', root, '--answers', file] };
}

/** Plan, then apply: apply ends with the verdict plan gave (exit 5 with the blocked steps, else 0), never 4. */
async function planThenApply(args: string[]): Promise<JsonPlan> {
  const planned = await cli(['plan', '--json', ...args]);
  expect(planned.exitCode, String(planned.stderr)).toBe(0);
  const plan = JSON.parse(String(planned.stdout)) as JsonPlan;
  const blocked = plan.steps.filter((s) => s.status === 'blocked').map((s) => s.id);
  const applied = await cli(['apply', '--yes', '--skip-commands', ...args]);
  expect(applied.exitCode, String(applied.stderr)).not.toBe(4);
  expect(applied.exitCode, String(applied.stderr)).toBe(blocked.length > 0 ? 5 : 0);
  for (const id of blocked) expect(String(applied.stderr) + String(applied.stdout)).toContain(id);
  return plan;
}

const PXE = '[boot]\nloader = pxelinux\npxe_dir = /srv/tftp\n';

describe('plan sees what stops apply, so apply never finds a change that is not there', () => {
  it('a dangling make.conf symlink: the edits name where it leads, and apply converges', async () => {
    const { root, args } = target();
    rmSync(join(root, 'etc/portage/make.conf'));
    symlinkSync('make.conf.real', join(root, 'etc/portage/make.conf'));
    const plan = await planThenApply(args);
    const paths = plan.steps.flatMap((s) => s.changes.flatMap((c) => (c.kind === 'file' ? [c.path] : [])));
    expect(paths).toContain('/etc/portage/make.conf.real');
    expect(paths).not.toContain('/etc/portage/make.conf');
    expect(readFileSync(join(root, 'etc/portage/make.conf.real'), 'utf8')).toContain('buildpkg');
    const again = await cli(['apply', '--yes', '--skip-commands', ...args]);
    expect(again.exitCode, String(again.stderr)).toBe(0);
  });

  it.each([
    [
      'a file at etc/runlevels/default/xencommons',
      'xen-services',
      '',
      (root: string) => {
        writeFileSync(join(root, 'etc/runlevels/default/xencommons'), 'x\n');
      },
      /\/etc\/runlevels\/default\/xencommons is a file, where a symbolic link must go/,
    ],
    [
      'a directory at etc/runlevels/default/xencommons',
      'xen-services',
      '',
      (root: string) => {
        mkdirSync(join(root, 'etc/runlevels/default/xencommons'));
      },
      /xencommons is a directory, where a symbolic link must go/,
    ],
    [
      'etc/runlevels as a plain file',
      'xen-services',
      '',
      (root: string) => {
        rmSync(join(root, 'etc/runlevels'), { recursive: true });
        writeFileSync(join(root, 'etc/runlevels'), 'x\n');
      },
      /\/etc\/runlevels is a file, where a directory must be/,
    ],
    [
      'a file at pxe_dir',
      'boot-pxelinux',
      PXE,
      (root: string) => {
        mkdirSync(join(root, 'srv'));
        writeFileSync(join(root, 'srv/tftp'), 'x\n');
      },
      /\/srv\/tftp is a file, where a directory must be/,
    ],
    [
      'a file at pxe_dir/pxelinux.cfg',
      'boot-pxelinux',
      PXE,
      (root: string) => {
        mkdirSync(join(root, 'srv/tftp'), { recursive: true });
        writeFileSync(join(root, 'srv/tftp/pxelinux.cfg'), 'x\n');
      },
      /\/srv\/tftp\/pxelinux\.cfg is a file, where a directory must go/,
    ],
  ])(
    '%s: plan blocks the step with the reason, apply exits 5 the same way',
    async (_, step, answers, obstruct, reason) => {
      const { root, args } = target(answers);
      obstruct(root);
      const plan = await planThenApply(args);
      const planned = plan.steps.find((s) => s.id === step);
      expect(planned?.status).toBe('blocked');
      expect(planned?.reason).toMatch(reason);
    },
  );

  it('without an obstacle the same roots plan those steps as pending and apply exits 0', async () => {
    const plan = await planThenApply(target(PXE).args);
    for (const id of ['xen-services', 'boot-pxelinux'])
      expect(plan.steps.find((s) => s.id === id)?.status).toBe('pending');
  });
});
