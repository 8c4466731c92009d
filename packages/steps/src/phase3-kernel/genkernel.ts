import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import { setConfigText } from '@xen-gentoo/kernel-config';
import { compareVersions } from '@xen-gentoo/make-conf';
import type { Answers } from '../answers/index.js';
import { planShellConfEdits, readShellConf, type ShellConfFile } from '../shared/make-conf-file.js';
import { EMERGE_TOUCHES } from '../shared/emerge.js';
import { getSystem } from '../shared/system-cache.js';
import { rezipCommands } from './initrd.js';
import { methodMismatch, readKernelTree, type KernelTree } from './tree.js';

/** genkernel dropped its xen0/xenU arches here (commit of 2008-02-20). */
export const GENKERNEL_XEN_REMOVED = '3.4.10_pre3';
export const XEN0_PROFILE = '/usr/share/genkernel/x86-xen0';
/** The HOWTO's download (attachment of Gentoo bug #120236). */
export const XEN0_URL = 'http://bugs.gentoo.org/attachment.cgi?id=94540';

/** The HOWTO's genkernel.conf settings. */
export const GENKERNEL_SETTINGS: [string, string][] = [
  ['MENUCONFIG', 'yes'],
  ['CLEAN', 'yes'],
  ['BOOTSPLASH', 'no'],
  ['ARCH_OVERRIDE', 'x86-xen0'],
  ['CLEAR_CPIO_CACHE', 'yes'],
  ['CLEAR_CACHE_DIR', 'yes'],
];

export interface GenkernelFacts {
  mismatch: string | undefined;
  era: 'legacy' | 'modern';
  arch: string;
  version: string | undefined;
  available: string[];
  conf: ShellConfFile | undefined;
  profileExists: boolean;
  busyConfig: string | undefined;
  tree: KernelTree | undefined;
  bootFiles: string[];
}

export const genkernelStep = defineStep<Answers, GenkernelFacts>({
  id: 'genkernel',
  title: 'Build the kernel and initrd with genkernel',
  phase: 'Building the kernel',
  howtoSection: 'Using genkernel',
  after: ['kernel-sources'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const mismatch = methodMismatch(answers.kernel, 'genkernel');
    const version = sys.installedVersion('sys-kernel/genkernel');
    const available = (await sys.available('sys-kernel/genkernel')).map((e) => e.version);
    return {
      mismatch,
      era: sys.era,
      arch: sys.arch,
      version,
      available,
      conf: mismatch ? undefined : await readShellConf(view, '/etc/genkernel.conf'),
      profileExists: (await view.stat(XEN0_PROFILE)) !== undefined,
      busyConfig: await view.readFile(`${XEN0_PROFILE}/busy-config`),
      tree: await readKernelTree(view, answers.kernel.sources),
      bootFiles: (await view.list('/boot')) ?? [],
    };
  },
  plan(f): StepPlan {
    if (f.mismatch) return { status: 'not-applicable', reason: f.mismatch };
    // The version that will run: installed, else the newest the tree offers.
    const newest = [...f.available].sort(compareVersions).pop();
    const version = f.version ?? newest;
    if (version === undefined && f.era === 'modern') {
      return {
        status: 'not-applicable',
        reason: `today's genkernel (4.x) needs none of the HOWTO's fixes: the x86-xen0 profile and ARCH_OVERRIDE were removed in ${GENKERNEL_XEN_REMOVED}, its x86_64 kernel configuration already enables Xen dom0 and domU support, and GRUB 2 loads the initramfs with module --nounzip (no gunzip/gzip). emerge sys-kernel/genkernel and run \`genkernel all\` as usual`,
      };
    }
    if (version === undefined) {
      return {
        status: 'blocked',
        reason: 'sys-kernel/genkernel is neither installed nor offered by the package tree (emerge --sync)',
      };
    }
    if (compareVersions(version, GENKERNEL_XEN_REMOVED) >= 0) {
      const modern = compareVersions(version, '4') >= 0;
      return {
        status: 'not-applicable',
        reason: modern
          ? `genkernel ${version} needs none of the HOWTO's fixes: there is no x86-xen0 profile or ARCH_OVERRIDE any more (removed in ${GENKERNEL_XEN_REMOVED}), its x86_64 kernel configuration already has CONFIG_XEN, XEN_DOM0, XEN_PV, XEN_PVH and the backends/frontends, BOOTSPLASH became SPLASH, and GRUB 2 loads the initramfs with module --nounzip (no gunzip/gzip). Run \`genkernel all\` as usual`
          : `genkernel ${version} removed the xen0/xenU arches (${GENKERNEL_XEN_REMOVED}, "they didn't work, anyway"), so the HOWTO's x86-xen0 recipe cannot work; build the kernels by hand ([kernel] genkernel = no)`,
      };
    }
    // The 2007 recipe: genkernel < 3.4.10_pre3 with xen-sources.
    const changes: Change[] = [];
    const warnings: string[] = [];
    if (f.version === undefined) {
      changes.push({
        kind: 'command',
        argv: ['emerge', '--verbose', 'sys-kernel/genkernel'],
        why: 'the HOWTO: emerge genkernel',
        inRoot: true,
        installs: ['sys-kernel/genkernel'],
        touches: [...EMERGE_TOUCHES, '/etc/genkernel.conf'],
      });
    }
    if (f.conf) {
      const { change } = planShellConfEdits(
        f.conf,
        GENKERNEL_SETTINGS.map(([variable, value]) => ({ op: 'set' as const, variable, value })),
      );
      if (change) changes.push(change);
      warnings.push(...f.conf.warnings);
    }
    if (!f.profileExists) {
      changes.push(
        {
          kind: 'command',
          argv: ['wget', XEN0_URL, '-O', '/tmp/x86-xen0.tar.bz2'],
          why: 'the x86-xen0 genkernel profile from Gentoo bug #120236 (genkernel 3.4.0 fails on xen-sources >= 2.6.16)',
          inRoot: true,
        },
        {
          kind: 'command',
          argv: ['tar', '-xvjf', '/tmp/x86-xen0.tar.bz2', '-C', '/usr/share/genkernel/'],
          why: `unpacks it into ${XEN0_PROFILE}`,
          inRoot: true,
        },
        { kind: 'command', argv: ['rm', '/tmp/x86-xen0.tar.bz2'], why: 'removes the download', inRoot: true },
      );
    }
    let busyPending = false;
    if (f.busyConfig !== undefined) {
      const fixed = setConfigText(f.busyConfig, [['SWITCH_ROOT', 'y']]);
      if (fixed !== f.busyConfig) {
        changes.push({
          kind: 'file',
          path: `${XEN0_PROFILE}/busy-config`,
          before: f.busyConfig,
          after: fixed,
        });
      }
    } else {
      busyPending = true;
      warnings.push(
        `the busybox fix (CONFIG_SWITCH_ROOT=y in ${XEN0_PROFILE}/busy-config) is made by the next run, once the profile is unpacked; genkernel runs then`,
      );
    }
    const release = f.tree?.release ?? '';
    const garch = f.arch === 'amd64' ? 'x86_64' : 'x86';
    const initrd = f.bootFiles.find((n) => n.startsWith(`initramfs-genkernel-${garch}-${release}`));
    const kernel = f.bootFiles.find((n) => n.startsWith(`kernel-genkernel-${garch}-${release}`));
    if (!busyPending && (changes.length > 0 || !initrd || !kernel)) {
      changes.push({
        kind: 'command',
        argv: ['genkernel', 'all'],
        why: 'builds and installs the kernel and its initrd (menuconfig opens: choose the Xen options)',
        touches: ['/boot', '/lib/modules', '/usr/src', '/etc/kernels'],
        inRoot: true,
        long: true,
      });
      const name = initrd ?? `initramfs-genkernel-${garch}-${release}.gz`;
      changes.push(...rezipCommands(`/boot/${name}`));
      changes.push({
        kind: 'manual',
        text: 'In menuconfig: choose your processor family, your hardware, backend (xen0) or frontend (xenU) drivers, 802.1d bridging in a dom0, and leave SCTP off with xen-sources >= 2.6.16.49 (Gentoo bug #177142).',
      });
    }
    if (changes.length === 0)
      return {
        status: 'done',
        reason: `genkernel ${version} set up for x86-xen0; /boot/${kernel} and /boot/${initrd} exist`,
        warnings,
      };
    return {
      status: 'pending',
      reason: `genkernel ${version} (before ${GENKERNEL_XEN_REMOVED}): the HOWTO's x86-xen0 profile, genkernel.conf settings, busybox switch_root fix and the gunzip/gzip initrd fix`,
      changes,
      warnings,
    };
  },
});
