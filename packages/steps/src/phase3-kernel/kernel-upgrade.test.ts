/**
 * kernel-upgrade on copies of the sample roots with a second, newer source tree put beside the
 * one /usr/src/linux points at (the samples themselves have one tree). Commands are planned and,
 * where an apply runs, recorded or skipped: nothing is run here.
 */
import { cpSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Change, PlannedStep } from '@xen-gentoo/core';
import { afterEach, describe, expect, it } from 'vitest';
import { answersSchema, type Answers } from '../answers/index.js';
import { ALL_STEPS } from '../index.js';
import { KERNEL_STEPS } from './index.js';
import {
  applyPlan,
  copySample,
  planRoot,
  put,
  removeSampleCopies,
  type SampleName,
} from '../testing/samples.js';

afterEach(removeSampleCopies);

const OLD: Record<SampleName, string> = {
  'legacy-x86': 'linux-2.6.20-xen-r6',
  'current-amd64': 'linux-6.12.58-gentoo',
};
const NEW: Record<SampleName, string> = {
  'legacy-x86': 'linux-2.6.20-xen-r7',
  'current-amd64': 'linux-6.12.63-gentoo',
};

/** A copy of the sample with a newer tree of the same sources package (and, if asked, the old tree's configs). */
function withNewerTree(sample: SampleName, configs: string[]): string {
  const root = copySample(sample);
  const src = join(root, 'usr/src');
  cpSync(join(src, OLD[sample]), join(src, NEW[sample]), { recursive: true });
  const makefile = join(src, NEW[sample], 'Makefile');
  writeFileSync(
    makefile,
    readFileSync(makefile, 'utf8')
      .replace('EXTRAVERSION = -xen-r6', 'EXTRAVERSION = -xen-r7')
      .replace('SUBLEVEL = 58', 'SUBLEVEL = 63'),
  );
  for (const c of configs) put(root, `/usr/src/${OLD[sample]}/${c}`, `# old ${c}\nCONFIG_XEN=y\n`);
  return root;
}

const answers = (kernel: Record<string, string> = {}): Answers => answersSchema.parse({ kernel });

async function stepsOf(root: string, a: Answers): Promise<Map<string, PlannedStep>> {
  const plan = await planRoot(root, ALL_STEPS, a);
  return new Map(plan.steps.map((s) => [s.id, s]));
}

const changesOf = (s: PlannedStep | undefined): Change[] => (s?.status === 'pending' ? s.changes : []);

describe('kernel-upgrade', () => {
  it.each(['legacy-x86', 'current-amd64'] as const)(
    '%s sample as it is: not applicable, /usr/src/linux points at the newest tree',
    async (sample) => {
      const step = (await stepsOf(copySample(sample), answers())).get('kernel-upgrade');
      expect(step?.status).toBe('not-applicable');
      expect(step?.reason).toMatch(new RegExp(`${OLD[sample]}.*the newest installed`));
    },
  );

  it('2007 split road: a newer xen-sources tree moves the link, runs copy-config ../old and make0/makeU oldconfig; the config steps then use the new tree', async () => {
    const root = withNewerTree('legacy-x86', ['_dom0/.config', '_domU/.config']);
    const steps = await stepsOf(root, answers());
    const step = steps.get('kernel-upgrade');
    expect(step?.status).toBe('pending');
    expect(step?.reason).toMatch(
      /sys-kernel\/xen-sources tree linux-2\.6\.20-xen-r7 is newer than linux-2\.6\.20-xen-r6/,
    );
    const dir = '/usr/src/linux-2.6.20-xen-r7';
    expect(changesOf(step)).toEqual([
      {
        kind: 'symlink',
        path: '/usr/src/linux',
        target: 'linux-2.6.20-xen-r7',
        before: 'linux-2.6.20-xen-r6',
      },
      { kind: 'directory', path: `${dir}/_dom0` },
      { kind: 'directory', path: `${dir}/_domU` },
      expect.objectContaining({
        kind: 'command',
        argv: ['/root/bin/copy-config', '../linux-2.6.20-xen-r6'],
        cwd: dir,
        inRoot: true,
      }),
      expect.objectContaining({ kind: 'command', argv: ['make', '-C', dir, `O=${dir}/_dom0`, 'oldconfig'] }),
      expect.objectContaining({ kind: 'command', argv: ['make', '-C', dir, `O=${dir}/_domU`, 'oldconfig'] }),
    ]);
    // The kernel steps after it plan over the moved link: their files are in the new tree.
    const dom0 = changesOf(steps.get('kernel-dom0-config'));
    expect(dom0.length).toBeGreaterThan(0);
    for (const c of dom0) if (c.kind === 'file') expect(c.path.startsWith(`${dir}/_dom0/`)).toBe(true);
    expect(steps.get('kernel-build')?.reason ?? '').not.toMatch(/xen-r6/);
  });

  it('2007: a newer tree but no configuration in the old one to carry over is not applicable, and says so', async () => {
    const step = (await stepsOf(withNewerTree('legacy-x86', []), answers())).get('kernel-upgrade');
    expect(step?.status).toBe('not-applicable');
    expect(step?.reason).toMatch(
      /linux-2\.6\.20-xen-r6 has no configuration to carry over \(_dom0\/\.config, _domU\/\.config\)/,
    );
  });

  it('today, one kernel ([kernel] split = no): copies the single .config and runs olddefconfig', async () => {
    const root = withNewerTree('current-amd64', ['.config']);
    const step = (await stepsOf(root, answers({ split: 'no' }))).get('kernel-upgrade');
    expect(step?.status).toBe('pending');
    expect(step?.reason).toMatch(
      /sys-kernel\/gentoo-sources tree linux-6\.12\.63-gentoo is newer than linux-6\.12\.58-gentoo/,
    );
    const dir = '/usr/src/linux-6.12.63-gentoo';
    expect(changesOf(step)).toEqual([
      {
        kind: 'symlink',
        path: '/usr/src/linux',
        target: 'linux-6.12.63-gentoo',
        before: 'linux-6.12.58-gentoo',
      },
      expect.objectContaining({
        kind: 'command',
        argv: ['cp', '/usr/src/linux-6.12.58-gentoo/.config', `${dir}/.config`],
      }),
      expect.objectContaining({ kind: 'command', argv: ['make', '-C', dir, 'olddefconfig'] }),
    ]);
  });

  it.each(['legacy-x86', 'current-amd64'] as const)(
    '%s split road: the kernel steps planned, applied with the recorded runner (commands recorded, not run), planned again: done on the new tree',
    async (sample) => {
      const root = withNewerTree(sample, ['_dom0/.config', '_domU/.config']);
      const a = answers();
      const first = await planRoot(root, KERNEL_STEPS, a);
      const results = await applyPlan(root, KERNEL_STEPS, first, a, { skipCommands: false });
      const upgrade = results.find((r) => r.id === 'kernel-upgrade');
      expect(JSON.stringify(upgrade)).toMatch(/copy-config/);
      const again = new Map((await planRoot(root, KERNEL_STEPS, a)).steps.map((s) => [s.id, s]));
      const step = again.get('kernel-upgrade');
      expect(step?.status).toBe('done');
      expect(step?.reason).toMatch(new RegExp(`/usr/src/linux → ${NEW[sample]}`));
      expect(again.get('kernel-sources')?.reason).toMatch(new RegExp(NEW[sample]));
      for (const s of again.values()) expect(s.status, `${s.id}: ${s.reason}`).not.toBe('blocked');
    },
  );

  it.each(['legacy-x86', 'current-amd64'] as const)(
    '%s: plan, apply --skip-commands, plan over every step ends with kernel-upgrade done and nothing blocked',
    async (sample) => {
      const root = withNewerTree(sample, ['_dom0/.config', '_domU/.config']);
      const a = answers();
      await applyPlan(root, ALL_STEPS, await planRoot(root, ALL_STEPS, a), a);
      const again = (await planRoot(root, ALL_STEPS, a)).steps;
      expect(again.find((s) => s.id === 'kernel-upgrade')?.status).toBe('done');
      for (const s of again) expect(s.status, `${s.id}: ${s.reason}`).not.toBe('blocked');
    },
  );

  it('today with genkernel: only the link moves (genkernel keeps its configuration in /etc/kernels), then nothing is left to do', async () => {
    const root = withNewerTree('current-amd64', []);
    const a = answers({ genkernel: 'yes' });
    const step = (await stepsOf(root, a)).get('kernel-upgrade');
    expect(step?.status).toBe('pending');
    expect(changesOf(step)).toEqual([
      {
        kind: 'symlink',
        path: '/usr/src/linux',
        target: 'linux-6.12.63-gentoo',
        before: 'linux-6.12.58-gentoo',
      },
    ]);
    await applyPlan(root, KERNEL_STEPS, await planRoot(root, KERNEL_STEPS, a), a);
    const again = (await stepsOf(root, a)).get('kernel-upgrade');
    expect(again?.status).toBe('not-applicable');
    expect(again?.reason).toMatch(
      /linux-6\.12\.63-gentoo, the newest installed sys-kernel\/gentoo-sources tree/,
    );
  });

  it('names vanilla-sources for trees without a flavour (linux-6.12.58, linux-6.12.63)', async () => {
    const root = copySample('current-amd64');
    const src = join(root, 'usr/src');
    renameSync(join(src, 'linux-6.12.58-gentoo'), join(src, 'linux-6.12.58'));
    rmSync(join(src, 'linux'));
    symlinkSync('linux-6.12.58', join(src, 'linux'));
    cpSync(join(src, 'linux-6.12.58'), join(src, 'linux-6.12.63'), { recursive: true });
    put(root, '/usr/src/linux-6.12.58/_dom0/.config', 'CONFIG_XEN=y\n');
    put(root, '/usr/src/linux-6.12.58/_domU/.config', 'CONFIG_XEN=y\n');
    const step = (await stepsOf(root, answers())).get('kernel-upgrade');
    expect(step?.reason).toMatch(
      /sys-kernel\/vanilla-sources tree linux-6\.12\.63 is newer than linux-6\.12\.58/,
    );
  });

  it('a tree not named linux-<version>… is not compared with the others, and the reason says so', async () => {
    const root = copySample('current-amd64');
    const src = join(root, 'usr/src');
    renameSync(join(src, 'linux-6.12.58-gentoo'), join(src, 'xen-kernel'));
    rmSync(join(src, 'linux'));
    symlinkSync('xen-kernel', join(src, 'linux'));
    const step = (await stepsOf(root, answers())).get('kernel-upgrade');
    expect(step?.status).toBe('not-applicable');
    expect(step?.reason).toBe(
      'the kernel steps use /usr/src/xen-kernel, whose name is not linux-<version>[-<flavour>][-r<N>] as a sources package names its tree: no other tree is compared with it',
    );
  });

  it('the link already at the newest tree, the configs not yet carried over: copies them without touching the link', async () => {
    const root = withNewerTree('current-amd64', ['_dom0/.config', '_domU/.config']);
    put(root, '/usr/src/linux.tmp', { link: NEW['current-amd64'] });
    renameSync(join(root, 'usr/src/linux.tmp'), join(root, 'usr/src/linux'));
    const step = (await stepsOf(root, answers())).get('kernel-upgrade');
    expect(step?.status).toBe('pending');
    const changes = changesOf(step);
    expect(changes.some((c) => c.kind === 'symlink')).toBe(false);
    expect(changes).toContainEqual(
      expect.objectContaining({ argv: ['/root/bin/copy-config', '../linux-6.12.58-gentoo'] }),
    );
  });
});
