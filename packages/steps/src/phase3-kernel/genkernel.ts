import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import { setConfigText } from '@xen-gentoo/kernel-config';
import { compareVersions } from '@xen-gentoo/make-conf';
import type { Answers } from '../answers/index.js';
import { planShellConfEdits, readShellConf, type ShellConfFile } from '../shared/make-conf-file.js';
import { EMERGE_TOUCHES } from '../shared/emerge.js';
import { getSystem } from '../shared/system-cache.js';
import { configReadiness } from './config.js';
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
  /** [kernel] build. */
  build?: 'yes' | 'no';
  /** Why kernel-dom0-config cannot give genkernel 4 its configuration (undefined: it can). */
  configReady?: string | undefined;
  /** The tree's .config as kernel-dom0-config leaves it. */
  treeConfig?: string | undefined;
  /** genkernel's saved configuration, /etc/kernels/kernel-config-RELEASE. */
  savedConfig?: string | undefined;
  /** /boot/config-RELEASE. */
  bootConfig?: string | undefined;
}

/**
 * genkernel 4 on the tree kernel-dom0-config configured: the tree's own .config (kept: no
 * mrproper), no -ARCH local version (the names then are the tree's release, which the boot
 * entries use), the configuration saved in /etc/kernels, the kernel and initramfs installed.
 */
export function genkernelCommand(tree: KernelTree): string[] {
  return [
    'genkernel',
    `--kerneldir=${tree.realPath}`,
    `--kernel-config=${tree.realPath}/.config`,
    '--no-mrproper',
    '--kernel-localversion=UNSET',
    '--save-config',
    '--install',
    'all',
  ];
}

/** What genkernel 4 installs for a release (its defaults vmlinuz-%%KV%%, initramfs-%%KV%%.img, kernel-config-%%KV%%). */
export function genkernel4Files(release: string): { kernel: string; initrd: string; config: string } {
  return {
    kernel: `/boot/vmlinuz-${release}`,
    initrd: `/boot/initramfs-${release}.img`,
    config: `/etc/kernels/kernel-config-${release}`,
  };
}

/** The HOWTO's `emerge genkernel`, where it is not installed yet. */
const EMERGE_GENKERNEL: Change = {
  kind: 'command',
  argv: ['emerge', '--verbose', 'sys-kernel/genkernel'],
  why: 'the HOWTO: emerge genkernel',
  inRoot: true,
  installs: ['sys-kernel/genkernel'],
  touches: [...EMERGE_TOUCHES, '/etc/genkernel.conf'],
};

export const genkernelStep = defineStep<Answers, GenkernelFacts>({
  id: 'genkernel',
  title: 'Build the kernel and initrd with genkernel',
  phase: 'Building the kernel',
  howtoSection: 'Using genkernel',
  after: ['kernel-sources', 'kernel-dom0-config'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const mismatch = methodMismatch(answers.kernel, 'genkernel');
    const version = sys.installedVersion('sys-kernel/genkernel');
    const available = (await sys.available('sys-kernel/genkernel')).map((e) => e.version);
    const tree = await readKernelTree(view, answers.kernel.sources);
    let configReady: string | undefined;
    let treeConfig: string | undefined;
    if (!mismatch && tree?.era === 'mainline') {
      ({ notReady: configReady, current: treeConfig } = await configReadiness(view, answers, 'dom0'));
    }
    const files = tree ? genkernel4Files(tree.release) : undefined;
    return {
      mismatch,
      era: sys.era,
      arch: sys.arch,
      version,
      available,
      conf: mismatch ? undefined : await readShellConf(view, '/etc/genkernel.conf'),
      profileExists: (await view.stat(XEN0_PROFILE)) !== undefined,
      busyConfig: await view.readFile(`${XEN0_PROFILE}/busy-config`),
      tree,
      bootFiles: (await view.list('/boot')) ?? [],
      build: answers.kernel.build,
      configReady,
      treeConfig,
      savedConfig: files && (await view.readFile(files.config)),
      bootConfig: tree && (await view.readFile(`/boot/config-${tree.release}`)),
    };
  },
  plan(f): StepPlan {
    if (f.mismatch) return { status: 'not-applicable', reason: f.mismatch };
    // The version that will run: installed, else the newest the tree offers.
    const newest = [...f.available].sort(compareVersions).pop();
    const version = f.version ?? newest;
    if (version === undefined) {
      return {
        status: 'blocked',
        reason: 'sys-kernel/genkernel is neither installed nor offered by the package tree (emerge --sync)',
      };
    }
    if (compareVersions(version, '4') >= 0) return planGenkernel4(f, version);
    if (compareVersions(version, GENKERNEL_XEN_REMOVED) >= 0) {
      return {
        status: 'not-applicable',
        reason: `genkernel ${version} removed the xen0/xenU arches (${GENKERNEL_XEN_REMOVED}, "they didn't work, anyway"), so the HOWTO's x86-xen0 recipe cannot work; build the kernels by hand ([kernel] genkernel = no)`,
      };
    }
    // The 2007 recipe: genkernel < 3.4.10_pre3 with xen-sources.
    const changes: Change[] = [];
    const warnings: string[] = [];
    if (f.version === undefined) changes.push(EMERGE_GENKERNEL);
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

/**
 * Today's road: genkernel 4 builds the dom0 kernel from the configuration kernel-dom0-config
 * merged into the tree. Done when the kernel, its initramfs and the saved configuration are
 * there, and the saved configuration and /boot/config-RELEASE are the tree's .config: genkernel
 * leaves the configuration it built from in the tree and saves that very file, so a tree
 * configured again since (new Xen options) is a kernel still to build.
 */
function planGenkernel4(f: GenkernelFacts, version: string): StepPlan {
  if (f.build === 'no') return { status: 'not-applicable', reason: '[kernel] build = no' };
  const tree = f.tree;
  if (!tree) return { status: 'blocked', reason: 'no kernel source tree (step kernel-sources)' };
  if (tree.era !== 'mainline') {
    return {
      status: 'blocked',
      reason: `genkernel ${version} builds mainline kernels with Xen support; ${tree.realPath} is a XenLinux tree (${tree.release}), which only the HOWTO's genkernel before ${GENKERNEL_XEN_REMOVED} could build`,
    };
  }
  if (f.configReady) return { status: 'blocked', reason: f.configReady };
  const files = genkernel4Files(tree.release);
  const bootConfig = `/boot/config-${tree.release}`;
  const built =
    f.bootFiles.includes(files.kernel.slice('/boot/'.length)) &&
    f.bootFiles.includes(files.initrd.slice('/boot/'.length));
  const same = f.treeConfig !== undefined && f.savedConfig === f.treeConfig && f.bootConfig === f.treeConfig;
  if (built && same) {
    return {
      status: 'done',
      reason: `genkernel ${version} built ${files.kernel} and ${files.initrd} from ${tree.realPath}/.config (saved as ${files.config}, copied to ${bootConfig})`,
    };
  }
  const changes: Change[] = [];
  if (f.version === undefined) changes.push(EMERGE_GENKERNEL);
  changes.push(
    {
      kind: 'command',
      argv: genkernelCommand(tree),
      why: `builds the dom0 kernel from the Xen configuration in ${tree.realPath}/.config (kept: --no-mrproper; --kernel-localversion=UNSET, or genkernel would name it ${tree.release}-x86_64) and installs ${files.kernel} and ${files.initrd}, saving the configuration as ${files.config}`,
      inRoot: true,
      long: true,
      touches: ['/boot', '/lib/modules', '/etc/kernels', tree.realPath],
    },
    {
      kind: 'command',
      argv: ['install', '-m', '0644', files.config, bootConfig],
      why: "keeps the configuration beside the kernel (GRUB 2's 20_linux_xen reads /boot/config-RELEASE before /etc/kernels and lists only kernels whose config has CONFIG_XEN_DOM0=y)",
      inRoot: true,
    },
  );
  return {
    status: 'pending',
    reason: `genkernel ${version} builds the dom0 kernel ${files.kernel} with ${files.initrd} from the Xen configuration kernel-dom0-config merged into ${tree.realPath}/.config`,
    changes,
  };
}
