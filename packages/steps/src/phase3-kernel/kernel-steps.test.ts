import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Change, type FileChange, type StepPlan } from '@xen-gentoo/core';
import { answersSchema, type Answers } from '../answers/index.js';
import {
  applyChanges,
  applyThenPlan,
  copySample,
  planRoot,
  put,
  removeSampleCopies,
  type SampleName,
} from '../testing/samples.js';
import {
  COPY_CONFIG,
  KERNEL_STEPS,
  STAMP_NAME,
  fragmentFor,
  planKernelConfig,
  readStamp,
  stampText,
} from './index.js';
import { BOOT_STEPS } from '../phase4-boot/index.js';
import { planKernelConfigStep, type KernelConfigFacts } from './config.js';

const copyRoot = (name: SampleName): string => copySample(name);
afterEach(removeSampleCopies);

function answers(kernel: Record<string, string> = {}): Answers {
  return answersSchema.parse({ kernel });
}

/** Plan every kernel step in order over one view (as the planner does). */
async function planAll(root: string, a: Answers): Promise<Map<string, StepPlan>> {
  const plan = await planRoot(root, KERNEL_STEPS, a);
  return new Map(plan.steps.map((s) => [s.id, s as StepPlan]));
}

/**
 * A stand-in apply: the files written, and Kconfig's resolve command leaves the merged .config
 * (it marks the stamp once Kconfig succeeded: that mark is imitated); other commands are listed.
 */
const applyFiles = (root: string, changes: Change[]): Promise<string[][]> =>
  applyChanges(root, changes, { '*': () => undefined, sh: (argv) => markResolved(root, argv) });

/** What Kconfig's resolve command (`sh -c … && sed …` on the stamp) leaves once Kconfig succeeded. */
function markResolved(root: string, argv: string[]): void {
  if (!argv[2]?.includes('state: resolved')) return;
  const stamp = join(root, argv[3] ?? '');
  writeFileSync(stamp, readFileSync(stamp, 'utf8').replace(/^# state: applying$/m, '# state: resolved'));
}

/** The .config the dom0 configuration step writes (when it is pending). */
function dom0Config(plans: Map<string, StepPlan>): FileChange | undefined {
  const dom0 = plans.get('kernel-dom0-config');
  const cfg =
    dom0?.status === 'pending'
      ? dom0.changes.find((c) => c.kind === 'file' && c.path.endsWith('/.config'))
      : undefined;
  return cfg?.kind === 'file' ? cfg : undefined;
}

const statusOf = (plans: Map<string, StepPlan>) =>
  Object.fromEntries([...plans].map(([id, p]) => [id, p.status]));

describe('legacy x86 sample (xen-sources 2.6.20)', () => {
  it('plans the split build with XenLinux options, then converges to done', async () => {
    const root = copyRoot('legacy-x86');
    const a = answers();
    const first = await planAll(root, a);
    expect(statusOf(first)).toEqual({
      'kernel-sources': 'done',
      'kernel-split': 'pending',
      'kernel-upgrade': 'not-applicable',
      'kernel-dom0-config': 'pending',
      'kernel-domU-config': 'pending',
      'kernel-build': 'pending',
      'kernel-single': 'not-applicable',
      genkernel: 'not-applicable',
    });
    expect(first.get('kernel-sources')?.reason).toMatch(/2\.6\.20-xen-r6 \(XenLinux/);
    const dom0 = first.get('kernel-dom0-config');
    if (dom0?.status !== 'pending') throw new Error('dom0 not pending');
    expect(dom0.reason).toMatch(/\/boot\/config-2\.6\.18-gentoo/);
    const cfg = dom0.changes.find((c) => c.kind === 'file' && c.path.endsWith('_dom0/.config'));
    expect(cfg?.kind === 'file' && cfg.after).toMatch(/CONFIG_X86_XEN=y\n[^]*CONFIG_XEN_PRIVILEGED_GUEST=y/);
    expect(
      dom0.changes.some(
        (c) =>
          c.kind === 'command' &&
          c.argv
            .join(' ')
            .endsWith('make -C /usr/src/linux-2.6.20-xen-r6 O=/usr/src/linux-2.6.20-xen-r6/_dom0 oldconfig'),
      ),
    ).toBe(true);
    expect(dom0.notes?.[0]).toMatch(/has nothing to set on this kernel/);

    const build = first.get('kernel-build');
    if (build?.status !== 'pending') throw new Error('build not pending');
    const argv = build.changes.flatMap((c) => (c.kind === 'command' ? [c.argv.join(' ')] : []));
    expect(argv).toContain(
      'install -m 0644 /usr/src/linux-2.6.20-xen-r6/_dom0/vmlinuz /boot/vmlinuz-2.6.20-xen-r6-xen0',
    );
    expect(argv).toContain(
      'install -m 0644 /usr/src/linux-2.6.20-xen-r6/_domU/.config /boot/config-2.6.20-xen-r6-xenU',
    );
    expect(argv).toContain(
      'make -C /usr/src/linux-2.6.20-xen-r6 O=/usr/src/linux-2.6.20-xen-r6/_dom0 modules_install',
    );
    expect(build.changes.every((c) => c.kind !== 'command' || c.inRoot)).toBe(true);

    // Apply the split and both configurations, then plan again.
    for (const id of ['kernel-split', 'kernel-dom0-config', 'kernel-domU-config']) {
      const p = first.get(id);
      if (p?.status === 'pending') await applyFiles(root, p.changes);
    }
    expect(readFileSync(join(root, 'root/bin/copy-config'), 'utf8')).toBe(COPY_CONFIG);
    expect(readFileSync(join(root, 'etc/make.conf'), 'utf8')).toMatch(
      /KERNEL_DIR=\/usr\/src\/linux\n[^]*KBUILD_OUTPUT="?\$\{KERNEL_DIR\}\/_dom0"?/,
    );
    const second = await planAll(root, a);
    expect(second.get('kernel-split')?.status).toBe('done');
    expect(second.get('kernel-dom0-config')?.status).toBe('done');
    expect(second.get('kernel-domU-config')?.status).toBe('done');
    expect(second.get('kernel-build')?.status).toBe('pending');

    // After the build installed both kernels with their configurations: done.
    for (const [role, suffix] of [
      ['dom0', 'xen0'],
      ['domU', 'xenU'],
    ] as const) {
      const cfgText = readFileSync(join(root, `usr/src/linux-2.6.20-xen-r6/_${role}/.config`), 'utf8');
      writeFileSync(join(root, `boot/config-2.6.20-xen-r6-${suffix}`), cfgText);
      writeFileSync(join(root, `boot/vmlinuz-2.6.20-xen-r6-${suffix}`), 'kernel');
    }
    const third = await planAll(root, a);
    expect(statusOf(third)).toMatchObject({
      'kernel-build': 'done',
      'kernel-dom0-config': 'done',
      'kernel-split': 'done',
      'kernel-upgrade': 'not-applicable',
    });
  });

  it('reports what Kconfig dropped, with the missing dependency, instead of re-applying', async () => {
    const root = copyRoot('legacy-x86');
    const a = answers();
    const first = await planAll(root, a);
    const dom0 = first.get('kernel-dom0-config');
    if (dom0?.status !== 'pending') throw new Error('dom0 not pending');
    await applyFiles(root, dom0.changes);
    // What Kconfig would do to a base without networking: the netback chain goes away.
    const cfgPath = join(root, 'usr/src/linux-2.6.20-xen-r6/_dom0/.config');
    const resolved = readFileSync(cfgPath, 'utf8')
      .replace('CONFIG_NET=y', '# CONFIG_NET is not set')
      .replace(/CONFIG_XEN_NETDEV_(BACKEND|LOOPBACK)=y\n/g, '')
      .replace('CONFIG_X86_XEN=y', 'CONFIG_X86_XEN=y\nCONFIG_XEN=y');
    writeFileSync(cfgPath, resolved);
    const again = await planAll(root, a);
    const blocked = again.get('kernel-dom0-config');
    expect(blocked?.status).toBe('blocked');
    expect(blocked?.reason).toMatch(
      /CONFIG_XEN_NETDEV_BACKEND=y dropped: XEN_NETDEV_BACKEND: depends on NET \(NET=n\)/,
    );
    expect(blocked?.reason).toMatch(/\[HOWTO: "<\*> Network-device backend driver"\]/);
    expect(again.get('kernel-build')?.status).toBe('blocked');
  });

  it('resumes a run that stopped before Kconfig resolved the configuration', async () => {
    const root = copyRoot('legacy-x86');
    const first = await planAll(root, answers());
    const dom0 = first.get('kernel-dom0-config');
    if (dom0?.status !== 'pending') throw new Error('dom0 not pending');
    // Only the "applying" stamp and the merged .config were written.
    await applyFiles(
      root,
      dom0.changes.filter((c) => c.kind !== 'command'),
    );
    const again = await planAll(root, answers());
    const p = again.get('kernel-dom0-config');
    expect(p?.status).toBe('pending');
    if (p?.status !== 'pending') return;
    // Nothing to write again: only Kconfig's resolve command (which marks the stamp) is left.
    expect(p.changes.filter((c) => c.kind === 'file')).toEqual([]);
    expect(p.changes.map((c) => c.kind)).toEqual(['command']);
  });

  it('genkernel = yes: the 2007 recipe is not offered for a genkernel the tree does not have', async () => {
    const root = copyRoot('legacy-x86');
    const plans = await planAll(root, answers({ genkernel: 'yes' }));
    expect(statusOf(plans)).toMatchObject({
      'kernel-split': 'not-applicable',
      'kernel-upgrade': 'not-applicable',
      'kernel-single': 'not-applicable',
      'kernel-build': 'not-applicable',
    });
    expect(plans.get('genkernel')?.status).toBe('blocked');
  });
});

describe('current amd64 sample (gentoo-sources 6.12)', () => {
  it('configures mainline kernels from /boot/config-*, with olddefconfig', async () => {
    const root = copyRoot('current-amd64');
    const plans = await planAll(root, answers());
    expect(plans.get('kernel-sources')?.reason).toMatch(/6\.12\.58-gentoo \(mainline/);
    const dom0 = plans.get('kernel-dom0-config');
    if (dom0?.status !== 'pending') throw new Error('dom0 not pending');
    expect(dom0.reason).toMatch(/\/boot\/config-6\.12\.58-gentoo/);
    const text = dom0Config(plans)?.after ?? '';
    expect(text).toMatch(/^CONFIG_XEN=y$/m);
    expect(text).toMatch(/^CONFIG_XEN_DOM0=y$/m);
    expect(text).toMatch(/^# CONFIG_XEN_BLKDEV_FRONTEND is not set$/m);
    expect(text).not.toMatch(/PRIVILEGED_GUEST|NETDEV_LOOPBACK/);
    expect(dom0.changes.some((c) => c.kind === 'command' && c.argv.at(-1) === 'olddefconfig')).toBe(true);
    expect(plans.get('genkernel')?.reason).toMatch(/not the chosen way/);
  });

  it('genkernel = yes: the Xen options go into the tree, then genkernel 4 builds the dom0 kernel from it', async () => {
    const root = copyRoot('current-amd64');
    const plans = await planAll(root, answers({ genkernel: 'yes' }));
    expect(statusOf(plans)).toEqual({
      'kernel-sources': 'done',
      'kernel-split': 'not-applicable',
      'kernel-upgrade': 'not-applicable',
      'kernel-dom0-config': 'pending',
      'kernel-domU-config': 'not-applicable',
      'kernel-build': 'not-applicable',
      'kernel-single': 'not-applicable',
      genkernel: 'pending',
    });
    const cfg = dom0Config(plans);
    expect(cfg?.path).toBe('/usr/src/linux-6.12.58-gentoo/.config');
    expect(cfg?.after ?? '').toMatch(/^CONFIG_XEN_DOM0=y$/m);
    const gk = plans.get('genkernel');
    expect(
      gk?.status === 'pending'
        ? gk.changes.map((c) => (c.kind === 'command' ? c.argv.join(' ') : c.kind))
        : [],
    ).toEqual([
      'emerge --verbose sys-kernel/genkernel',
      'genkernel --kerneldir=/usr/src/linux-6.12.58-gentoo --kernel-config=/usr/src/linux-6.12.58-gentoo/.config --no-mrproper --kernel-localversion=UNSET --save-config --install all',
      'install -m 0644 /etc/kernels/kernel-config-6.12.58-gentoo /boot/config-6.12.58-gentoo',
    ]);
  });

  it('genkernel = yes, no genkernel in the package tree: blocked, saying so', async () => {
    const root = copyRoot('current-amd64');
    rmSync(join(root, 'var/db/repos/gentoo/sys-kernel/genkernel'), { recursive: true });
    const plans = await planAll(root, answers({ genkernel: 'yes' }));
    expect(plans.get('genkernel')?.status).toBe('blocked');
    expect(plans.get('genkernel')?.reason).toMatch(/sys-kernel\/genkernel is neither installed nor offered/);
  });

  it('genkernel = yes, commands recorded (genkernel and install played on the copy): done, and the boot entry names what genkernel 4 installs', async () => {
    // Xen installed already: the boot entry can be written
    const root = copySample('current-amd64', {
      '/boot/xen-4.19.2.gz': 'xen',
      '/boot/xen.gz': { link: 'xen-4.19.2.gz' },
    });
    const a = answersSchema.parse({ kernel: { genkernel: 'yes' }, boot: { grub2_mode: 'custom-entry' } });
    const tree = '/usr/src/linux-6.12.58-gentoo';
    const steps = [...KERNEL_STEPS, ...BOOT_STEPS];
    const recorded: string[][] = [];
    const play = {
      '*': (argv: string[]) => void recorded.push(argv),
      sh: (argv: string[]) => {
        recorded.push(argv);
        markResolved(root, argv);
      },
      emerge: (argv: string[]) => {
        recorded.push(argv);
        put(root, '/var/db/pkg/sys-kernel/genkernel-4.3.16/PF', 'genkernel-4.3.16\n');
        put(root, '/var/db/pkg/sys-kernel/genkernel-4.3.16/CATEGORY', 'sys-kernel\n');
        put(root, '/var/db/pkg/sys-kernel/genkernel-4.3.16/SLOT', '0\n');
      },
      // genkernel 4: builds from the tree's .config and installs under its default names
      genkernel: (argv: string[]) => {
        recorded.push(argv);
        const config = readFileSync(join(root, tree, '.config'), 'utf8');
        put(root, '/boot/vmlinuz-6.12.58-gentoo', 'kernel');
        put(root, '/boot/initramfs-6.12.58-gentoo.img', 'initramfs');
        put(root, '/etc/kernels/kernel-config-6.12.58-gentoo', config);
      },
      install: (argv: string[]) => {
        recorded.push(argv);
        put(root, argv.at(-1) ?? '', readFileSync(join(root, argv.at(-2) ?? ''), 'utf8'));
      },
    };
    await applyThenPlan(root, steps, a, { play });
    const { again } = await applyThenPlan(root, steps, a, { play });
    const status = Object.fromEntries(again.steps.map((s) => [s.id, s.status]));
    expect(status['kernel-dom0-config']).toBe('done');
    expect(status.genkernel).toBe('done');
    expect(again.steps.find((s) => s.id === 'genkernel')?.reason).toContain(
      '/boot/vmlinuz-6.12.58-gentoo and /boot/initramfs-6.12.58-gentoo.img',
    );
    expect(recorded.filter((c) => c[0] === 'genkernel')).toHaveLength(1);
    const custom = readFileSync(join(root, 'etc/grub.d/40_custom'), 'utf8');
    expect(custom).toMatch(/^\tmodule2 \/boot\/vmlinuz-6\.12\.58-gentoo /m);
    expect(custom).toMatch(/^\tmodule2 --nounzip \/boot\/initramfs-6\.12\.58-gentoo\.img$/m);
    // the tree configured again since: the saved configuration no longer is the tree's, so genkernel runs again
    writeFileSync(
      join(root, tree, '.config'),
      `${readFileSync(join(root, tree, '.config'), 'utf8')}CONFIG_XEN_DEBUG_FS=y\n`,
    );
    const later = await planRoot(root, steps, a);
    expect(later.steps.find((s) => s.id === 'genkernel')?.status).toBe('pending');
  });

  it('split = no: one kernel for both, in the tree, with frontends and backends', async () => {
    const root = copyRoot('current-amd64');
    const plans = await planAll(root, answers({ split: 'no' }));
    expect(statusOf(plans)).toEqual({
      'kernel-sources': 'done',
      'kernel-split': 'not-applicable',
      'kernel-upgrade': 'not-applicable',
      'kernel-dom0-config': 'pending',
      'kernel-domU-config': 'not-applicable',
      'kernel-build': 'not-applicable',
      'kernel-single': 'pending',
      genkernel: 'not-applicable',
    });
    const cfg = dom0Config(plans);
    expect(cfg?.path).toBe('/usr/src/linux-6.12.58-gentoo/.config');
    const text = cfg?.after ?? '';
    expect(text).toMatch(/^CONFIG_XEN_BLKDEV_FRONTEND=y$/m);
    expect(text).toMatch(/^CONFIG_XEN_BLKDEV_BACKEND=y$/m);
    const single = plans.get('kernel-single');
    expect(
      single?.status === 'pending' &&
        single.changes.some((c) => c.kind === 'command' && c.argv[0] === 'depmod'),
    ).toBe(true);
  });

  it("base = defconfig uses the tree's merge_config.sh when it has one", async () => {
    const root = copyRoot('current-amd64');
    const tree = join(root, 'usr/src/linux-6.12.58-gentoo');
    mkdirSync(join(tree, 'scripts/kconfig'), { recursive: true });
    writeFileSync(join(tree, 'scripts/kconfig/merge_config.sh'), '#!/bin/sh\n');
    const plans = await planAll(root, answers({ base: 'defconfig' }));
    const dom0 = plans.get('kernel-dom0-config');
    if (dom0?.status !== 'pending') throw new Error('dom0 not pending');
    const argv = dom0.changes.flatMap((c) => (c.kind === 'command' ? [c.argv.join(' ')] : []));
    const src = '/usr/src/linux-6.12.58-gentoo';
    expect(argv).toEqual([
      `make -C ${src} O=${src}/_dom0 defconfig`,
      `${src}/scripts/kconfig/merge_config.sh -m -O ${src}/_dom0 ${src}/_dom0/.config ${src}/_dom0/${STAMP_NAME}`,
      `sh -c "$@" && sed -i "1s/^# state: applying$/# state: resolved/" "$0" ${src}/_dom0/${STAMP_NAME} make -C ${src} O=${src}/_dom0 olddefconfig`,
    ]);
  });
});

describe('pure pieces', () => {
  it('refuses a 32-bit mainline dom0', () => {
    const fragment = fragmentFor({ role: 'dom0', era: 'mainline', arch: 'x86' });
    const facts = {
      role: 'dom0',
      method: 'split',
      mismatch: undefined,
      arch: 'x86',
      sourcesPath: '/usr/src/linux',
      tree: {
        path: '/usr/src/linux',
        realPath: '/usr/src/linux',
        baseVersion: '6.1.0',
        extraVersion: '',
        release: '6.1.0',
        era: 'mainline',
        hasMergeConfig: true,
      },
      out: '/usr/src/linux/_dom0',
      fragment,
      current: undefined,
      stamp: undefined,
      base: { kind: 'defconfig' },
      baseProblem: undefined,
      check: undefined,
    } satisfies KernelConfigFacts;
    const plan = planKernelConfigStep(facts, answers());
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(/32-bit \(x86\) dom0 is impossible.*XEN_PV depends on X86_64/);
  });

  it('stamps record state and fragment', () => {
    const f = fragmentFor({ role: 'domU', era: 'mainline', arch: 'amd64' });
    expect(readStamp(stampText(f, 'resolved'), f)).toEqual({ state: 'resolved', current: true });
    const other = fragmentFor({ role: 'dom0', era: 'mainline', arch: 'amd64' });
    expect(readStamp(stampText(other, 'applying'), f)).toEqual({ state: 'applying', current: false });
    expect(readStamp('garbage', f)).toBeUndefined();
  });

  it('planKernelConfig does not rewrite a .config that already has the fragment', () => {
    const fragment = fragmentFor({ role: 'domU', era: 'mainline', arch: 'amd64' });
    const base = { kind: 'existing' as const, path: '/s/_domU/.config', text: 'CONFIG_A=y\n' };
    const first = planKernelConfig({
      role: 'domU',
      fragment,
      source: '/s',
      out: '/s/_domU',
      baseVersion: '6.1',
      hasMergeConfig: true,
      base,
      current: 'CONFIG_A=y\n',
      stamp: undefined,
    });
    const merged = first.changes.find((c) => c.kind === 'file' && c.path === '/s/_domU/.config');
    const after = merged?.kind === 'file' ? merged.after : '';
    const second = planKernelConfig({
      role: 'domU',
      fragment,
      source: '/s',
      out: '/s/_domU',
      baseVersion: '6.1',
      hasMergeConfig: true,
      base: { ...base, text: after },
      current: after,
      stamp: undefined,
    });
    expect(second.changes.some((c) => c.kind === 'file' && c.path === '/s/_domU/.config')).toBe(false);
  });
});
