/**
 * Kernel steps against hostile or unusual targets: a Makefile that is not a kernel's, a
 * /usr/src/linux that is a file, several /boot configurations, a stamp that lost its evidence,
 * a /proc/config.gz that is not gzip.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, LocalHost, View, planStep, type MemoryHost, type StepPlan } from '@xen-gentoo/core';
import { answers, modernTarget, planOn } from '../testing/fixtures.js';
import { copySample, removeSampleCopies } from '../testing/samples.js';
import {
  detectKernelConfig,
  fragmentFor,
  kernelDom0ConfigStep,
  kernelDomUConfigStep,
  kernelSourcesStep,
  parseKernelMakefile,
  STAMP_NAME,
  stampText,
} from './index.js';

afterAll(removeSampleCopies);

const SRC = '/usr/src/linux-6.12.58-gentoo';
const MAKEFILE =
  '# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 58\nEXTRAVERSION = -gentoo\n';
const BASE_CONFIG = '#\n# Linux/x86 6.12.58 Kernel Configuration\n#\nCONFIG_64BIT=y\nCONFIG_NET=y\n';

/** A current amd64 target with gentoo-sources 6.12.58 installed and /usr/src/linux pointing at it. */
function kernelTarget(
  files: Record<string, string | null> = {},
  links: Record<string, string | null> = {},
): MemoryHost {
  return modernTarget(
    {
      [`${SRC}/Makefile`]: MAKEFILE,
      '/var/db/pkg/sys-kernel/gentoo-sources-6.12.58/CATEGORY': 'sys-kernel',
      '/var/db/pkg/sys-kernel/gentoo-sources-6.12.58/CFLAGS': '-O2 -pipe',
      ...files,
    },
    { '/usr/src/linux': 'linux-6.12.58-gentoo', ...links },
  );
}

async function inputError(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('the kernel Makefile is read as make reads it', () => {
  it('the last assignment wins, in all its forms', () => {
    const text = [
      'VERSION = 5',
      'PATCHLEVEL = 4',
      'SUBLEVEL = 1',
      'EXTRAVERSION = -old',
      'VERSION := 6',
      'PATCHLEVEL ?= 9',
      'override PATCHLEVEL ::= 12',
      'SUBLEVEL=58',
      'export EXTRAVERSION = -gentoo # a comment',
      '\tVERSION = 7',
      '',
    ].join('\n');
    expect(parseKernelMakefile(text, '/s/Makefile')).toEqual({
      baseVersion: '6.12.58',
      extraVersion: '-gentoo',
    });
  });

  it('?= sets only what is not set yet', () => {
    expect(
      parseKernelMakefile('VERSION ?= 3\nPATCHLEVEL ?= 2\nVERSION ?= 4\nSUBLEVEL ?= 1\n', '/s/Makefile'),
    ).toEqual({ baseVersion: '3.2.1', extraVersion: '' });
  });

  it('an empty SUBLEVEL leaves VERSION.PATCHLEVEL, as Kbuild does', () => {
    expect(
      parseKernelMakefile('VERSION = 3\nPATCHLEVEL = 0\nSUBLEVEL =\nEXTRAVERSION = -rc1\n', '/s/Makefile'),
    ).toEqual({ baseVersion: '3.0', extraVersion: '-rc1' });
  });

  it.each([
    ['VERSION = six\nPATCHLEVEL = 12\nSUBLEVEL = 58\n', 1, 'VERSION = <number>'],
    ['VERSION :=\nPATCHLEVEL = 12\nSUBLEVEL = 58\n', 1, 'VERSION = <number>'],
    ['VERSION = 6\nPATCHLEVEL =\nSUBLEVEL = 58\n', 2, 'PATCHLEVEL = <number>'],
    ['VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 5x\n', 3, 'SUBLEVEL = <number>'],
    ['VERSION = 6\nVERSION = $(X)\nPATCHLEVEL = 12\n', 2, 'VERSION = <number>'],
  ])('refuses %j at line %i', (text, line, expected) => {
    let error: unknown;
    try {
      parseKernelMakefile(text, '/s/Makefile');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).line).toBe(line);
    expect((error as InputError).message).toMatch(/^\/s\/Makefile:\d+: /);
    expect((error as InputError).expected).toContain(expected);
  });

  it.each([
    ['', 'VERSION = <number>'],
    ['# nothing here\n', 'VERSION = <number>'],
    ['VERSION = 6\nSUBLEVEL = 1\n', 'PATCHLEVEL = <number>'],
  ])('refuses a Makefile without the variables (%j)', (text, expected) => {
    expect(() => parseKernelMakefile(text, '/s/Makefile')).toThrow(InputError);
    expect(() => parseKernelMakefile(text, '/s/Makefile')).toThrow(expected);
  });

  it('refuses an EXTRAVERSION that would make /boot names escape /boot', () => {
    let error: unknown;
    try {
      parseKernelMakefile(
        'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 58\nEXTRAVERSION = -a b/../../../etc/x\n',
        '/s/Makefile',
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).line).toBe(4);
    expect((error as InputError).expected).toMatch(/a kernel version such as 6\.12\.58-gentoo/);
  });

  it('plan and the configuration steps exit 2 naming the Makefile, not 70', async () => {
    const host = kernelTarget({ [`${SRC}/Makefile`]: 'VERSION = six\nPATCHLEVEL = 12\nSUBLEVEL = 58\n' });
    const error = await inputError(planOn(kernelSourcesStep, host));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(`${SRC}/Makefile:1: `);
    await inputError(planOn(kernelDom0ConfigStep, host));
  });

  it('an empty Makefile is bad input, not a symlink left pending forever', async () => {
    const error = await inputError(planOn(kernelSourcesStep, kernelTarget({ [`${SRC}/Makefile`]: '' })));
    expect(error.message).toMatch(`${SRC}/Makefile: `);
  });
});

describe('kernel-sources: /usr/src/linux is not a link', () => {
  it('a regular file is blocked, never replaced by a planned link', async () => {
    const plan = await planOn(
      kernelSourcesStep,
      kernelTarget({ '/usr/src/linux': 'not a tree\n' }, { '/usr/src/linux': null }),
    );
    expect(plan).toEqual({
      status: 'blocked',
      reason:
        '/usr/src/linux is a regular file; expected a symlink to the kernel tree or a directory; move it away',
    });
  });

  it('a directory without a kernel Makefile is blocked too', async () => {
    const plan = await planOn(
      kernelSourcesStep,
      kernelTarget({ '/usr/src/linux/README': 'old tree\n' }, { '/usr/src/linux': null }),
    );
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(
      /^\/usr\/src\/linux is a directory without a kernel Makefile; .*move it away$/,
    );
  });

  it('a missing link is still planned (before: null)', async () => {
    const plan = await planOn(kernelSourcesStep, kernelTarget({}, { '/usr/src/linux': null }));
    expect(plan.status).toBe('pending');
    expect(plan.status === 'pending' && plan.changes).toEqual([
      { kind: 'symlink', path: '/usr/src/linux', target: 'linux-6.12.58-gentoo', before: null },
    ]);
  });
});

/** The base a dom0/domU configuration step plans from (the file after "into"). */
async function baseOf(host: MemoryHost, role: 'dom0' | 'domU'): Promise<StepPlan> {
  return planOn(role === 'dom0' ? kernelDom0ConfigStep : kernelDomUConfigStep, host);
}

describe('the base configuration from /boot', () => {
  const built = {
    '/boot/config-6.12.58-gentoo-xen0': `${BASE_CONFIG}CONFIG_XEN_DOM0=y\n`,
    '/boot/config-6.12.58-gentoo-xenU': `${BASE_CONFIG}# CONFIG_XEN_DOM0 is not set\n`,
  };

  it("never takes the other role's configuration", async () => {
    const host = kernelTarget(built);
    expect((await baseOf(host, 'dom0')).reason).toMatch(/into \/boot\/config-6\.12\.58-gentoo-xen0\b/);
    expect((await baseOf(host, 'domU')).reason).toMatch(/into \/boot\/config-6\.12\.58-gentoo-xenU\b/);
    // With only the other role's build there, domU falls back to defconfig.
    host.files.delete('/boot/config-6.12.58-gentoo-xenU');
    expect((await baseOf(host, 'domU')).reason).toMatch(/base is the architecture defconfig/);
  });

  it("prefers the tree's own version; .old and names that are not config-VERSION are ignored", async () => {
    const host = kernelTarget({
      '/boot/config-6.12.58-gentoo': BASE_CONFIG,
      '/boot/config-6.12.58-gentoo.old': BASE_CONFIG,
      '/boot/config-6.6.1-gentoo': BASE_CONFIG,
      '/boot/config-zzz': BASE_CONFIG,
    });
    expect((await baseOf(host, 'dom0')).reason).toMatch(/into \/boot\/config-6\.12\.58-gentoo\b(?![-.])/);
  });

  it('takes the newest by version order when none matches the tree, skipping dangling links', async () => {
    const host = kernelTarget(
      {
        '/boot/config-6.9.1-gentoo': BASE_CONFIG,
        '/boot/config-6.10.2-gentoo': BASE_CONFIG,
      },
      { '/boot/config-9.9.9': 'config-nowhere' },
    );
    expect((await baseOf(host, 'dom0')).reason).toMatch(/into \/boot\/config-6\.10\.2-gentoo\b/);
  });

  it('orders revisions as numbers: -r10 is newer than -r9', async () => {
    const host = kernelTarget({
      '/boot/config-6.9.1-gentoo-r9': BASE_CONFIG,
      '/boot/config-6.9.1-gentoo-r10': BASE_CONFIG,
    });
    expect((await baseOf(host, 'dom0')).reason).toMatch(/into \/boot\/config-6\.9\.1-gentoo-r10\b/);
  });

  it('a symlink to a regular configuration is followed', async () => {
    const host = kernelTarget(
      { '/boot/config-6.9.1-gentoo': BASE_CONFIG },
      { '/boot/config-6.10.2-gentoo': 'config-6.9.1-gentoo' },
    );
    expect((await baseOf(host, 'dom0')).reason).toMatch(/into \/boot\/config-6\.10\.2-gentoo\b/);
  });

  it('prefers the running kernel on a live system, unless it is the other role', async () => {
    const host = kernelTarget({
      ...built,
      '/boot/config-6.12.58-gentoo': BASE_CONFIG,
      '/boot/config-6.6.30-gentoo-dist': BASE_CONFIG,
      '/proc/sys/kernel/osrelease': '6.6.30-gentoo-dist\n',
    });
    expect((await baseOf(host, 'dom0')).reason).toMatch(
      /into \/boot\/config-6\.6\.30-gentoo-dist \(the running kernel\)/,
    );
    host.files.set('/proc/sys/kernel/osrelease', '6.12.58-gentoo-xen0\n');
    expect((await baseOf(host, 'dom0')).reason).toMatch(
      /into \/boot\/config-6\.12\.58-gentoo-xen0 \(the running kernel\)/,
    );
    expect((await baseOf(host, 'domU')).reason).toMatch(/into \/boot\/config-6\.12\.58-gentoo \(/);
  });

  it('[kernel] base = boot with nothing usable is blocked', async () => {
    const host = kernelTarget({ '/boot/config-6.12.58-gentoo-xenU': BASE_CONFIG });
    const plan = await planOn(kernelDom0ConfigStep, host, answers({ kernel: { base: 'boot' } }));
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(/base = boot/);
  });
});

describe('done needs the evidence that Kconfig resolved the configuration', () => {
  const OUT = `${SRC}/_dom0`;
  const fragment = fragmentFor({ role: 'dom0', era: 'mainline', arch: 'amd64' });

  /** A target where a --skip-commands run merged the fragment into _dom0/.config; the stamp is `stamp`. */
  async function merged(stamp: string | null): Promise<MemoryHost> {
    const host = kernelTarget({ '/boot/config-6.12.58-gentoo': BASE_CONFIG });
    const plan = await baseOf(host, 'dom0');
    if (plan.status !== 'pending') throw new Error(`dom0 not pending: ${plan.reason}`);
    const cfg = plan.changes.find((c) => c.kind === 'file' && c.path === `${OUT}/.config`);
    if (cfg?.kind !== 'file') throw new Error('no .config planned');
    host.files.set(`${OUT}/.config`, cfg.after);
    if (stamp === null) host.files.delete(`${OUT}/${STAMP_NAME}`);
    else host.files.set(`${OUT}/${STAMP_NAME}`, stamp);
    return host;
  }

  it.each([
    ['deleted', null],
    ['emptied', ''],
    ['garbage', 'garbage\n'],
    [
      'for another fragment',
      stampText(fragmentFor({ role: 'domU', era: 'mainline', arch: 'amd64' }), 'resolved'),
    ],
  ])('a stamp %s: pending with the resolve command', async (_what, stamp) => {
    const plan = await baseOf(await merged(stamp), 'dom0');
    expect(plan.status).toBe('pending');
    if (plan.status !== 'pending') return;
    expect(plan.changes.filter((c) => c.kind === 'file').map((c) => 'path' in c && c.path)).toEqual([
      `${OUT}/${STAMP_NAME}`,
    ]);
    expect(plan.changes.some((c) => c.kind === 'command' && c.argv.at(-1) === 'olddefconfig')).toBe(true);
  });

  it('a resolved stamp for this fragment: done', async () => {
    const plan = await baseOf(await merged(stampText(fragment, 'resolved')), 'dom0');
    expect(plan.status).toBe('done');
  });
});

describe('kernel check output and /proc/config.gz', () => {
  it('an empty value reads as Kconfig reads it (ignored), never as "became :"', async () => {
    const host = kernelTarget({
      '/boot/config-6.12.58-gentoo': BASE_CONFIG,
    });
    const plan = await baseOf(host, 'dom0');
    if (plan.status !== 'pending') throw new Error('dom0 not pending');
    const cfg = plan.changes.find((c) => c.kind === 'file' && c.path.endsWith('/.config'));
    if (cfg?.kind !== 'file') throw new Error('no .config planned');
    const fragment = fragmentFor({ role: 'dom0', era: 'mainline', arch: 'amd64' });
    host.files.set(cfg.path, cfg.after.replace(/^CONFIG_XEN=y$/m, 'CONFIG_XEN='));
    host.files.set(`${SRC}/_dom0/${STAMP_NAME}`, stampText(fragment, 'resolved'));
    const again = await baseOf(host, 'dom0');
    expect(again.status).toBe('blocked');
    expect(again.reason).not.toMatch(/became :|became ""? ?:/);
    expect(again.reason).toMatch(/CONFIG_XEN=y dropped \(CONFIG_XEN= has no value, which Kconfig ignores\)/);
  });

  it('a gzip /proc/config.gz on disk is the base; gzip of another kind of bytes is not', async () => {
    const root = copySample('current-amd64', { '/proc/config.gz': gzipSync('CONFIG_XEN=y\n') });
    const view = () => new View(new LocalHost(root));
    const plan = await planStep(kernelDom0ConfigStep, view(), answers());
    expect(plan.reason).toMatch(/base is the running kernel \(\/proc\/config\.gz\)/);
    // xz, not gzip: not valid UTF-8 either, so only its first bytes tell.
    writeFileSync(join(root, 'proc/config.gz'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0xff]));
    const xz = await planStep(kernelDom0ConfigStep, view(), answers());
    expect(xz.reason).toMatch(/into \/boot\/config-6\.12\.58-gentoo/);
    expect(xz.notes?.join('\n')).toMatch(
      /\/proc\/config\.gz is not a gzip file \(it does not start with the bytes 1f 8b\)/,
    );
  });

  it('/proc/config.gz is read through the view: an in-memory gzip file is the base', async () => {
    const host = kernelTarget({ '/boot/config-6.12.58-gentoo': BASE_CONFIG });
    host.binaries.set('/proc/config.gz', gzipSync('CONFIG_XEN=y\n'));
    expect((await detectKernelConfig(new View(host), answers(), 'dom0')).base?.kind).toBe('proc');
    host.binaries.set('/proc/config.gz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0xff]));
    const xz = await detectKernelConfig(new View(host), answers(), 'dom0');
    expect(xz.base?.kind).toBe('boot');
    expect(xz.baseNotes?.join('\n')).toMatch(/not a gzip file \(it does not start with the bytes 1f 8b\)/);
  });

  it('a /proc/config.gz that is not gzip is passed over, and the plan says why', async () => {
    const plan = await baseOf(
      kernelTarget({ '/proc/config.gz': 'CONFIG_XEN=y\n', '/boot/config-6.12.58-gentoo': BASE_CONFIG }),
      'dom0',
    );
    expect(plan.status).toBe('pending');
    expect(plan.reason).toMatch(/into \/boot\/config-6\.12\.58-gentoo/);
    expect(plan.notes?.join('\n')).toMatch(/\/proc\/config\.gz is not a gzip file \(it reads as text\)/);
  });

  it('a /proc/config.gz that is not a regular file is passed over', async () => {
    const host = kernelTarget({ '/proc/config.gz/x': 'x', '/boot/config-6.12.58-gentoo': BASE_CONFIG });
    const facts = await detectKernelConfig(new View(host), answers(), 'dom0');
    expect(facts.base?.kind).toBe('boot');
    expect(facts.baseNotes?.join('\n')).toMatch(/\/proc\/config\.gz is a directory, not a regular file/);
  });
});
