import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { getSystem } from '../shared/system-cache.js';
import { cpuCount, installCommands, kernelImagePath, type KernelTreeFacts } from './build.js';
import { configReadiness } from './config.js';
import { rezipCommands } from './initrd.js';
import { methodMismatch, readKernelTree } from './tree.js';

export interface KernelSingleFacts extends KernelTreeFacts {
  configReady: string | undefined;
  configText: string | undefined;
  installedConfig: string | undefined;
  imageInstalled: boolean;
  initrdInstalled: boolean;
  hasDracut: boolean;
  hasMkinitrd: boolean;
}

export function initrdPath(era: 'xenlinux' | 'mainline', version: string): string {
  // The HOWTO's name on XenLinux; dracut's usual name on a current system.
  return era === 'xenlinux' ? '/boot/initrd-xen-3.0.img' : `/boot/initramfs-${version}-xen.img`;
}

export const kernelSingleStep = defineStep<Answers, KernelSingleFacts>({
  id: 'kernel-single',
  title: 'Build one Xen kernel for dom0 and domU',
  phase: 'Building the kernel',
  howtoSection: 'Only one domain 0 kernel',
  after: ['kernel-dom0-config'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const tree = await readKernelTree(view, answers.kernel.sources);
    const version = answers.kernel.version ?? tree?.release ?? '';
    const mismatch = methodMismatch(answers.kernel, 'single');
    let configReady: string | undefined = 'no kernel tree';
    let configText: string | undefined;
    if (tree && !mismatch) {
      ({ notReady: configReady, current: configText } = await configReadiness(view, answers, 'dom0'));
    }
    const era = tree?.era ?? 'mainline';
    return {
      mismatch,
      build: answers.kernel.build,
      sourcesPath: answers.kernel.sources,
      tree,
      version,
      jobs: await cpuCount(view),
      configReady,
      configText,
      installedConfig: await view.readFile(`/boot/config-${version}-xen`),
      imageInstalled: (await view.stat(`/boot/vmlinuz-${version}-xen`)) !== undefined,
      initrdInstalled: (await view.stat(initrdPath(era, version))) !== undefined,
      hasDracut: sys.hasPackage('sys-kernel/dracut'),
      hasMkinitrd: sys.hasPackage('sys-kernel/mkinitrd') || (await view.stat('/sbin/mkinitrd')) !== undefined,
    };
  },
  plan(f): StepPlan {
    if (f.mismatch) return { status: 'not-applicable', reason: f.mismatch };
    if (f.build === 'no') return { status: 'not-applicable', reason: '[kernel] build = no' };
    if (!f.tree)
      return { status: 'blocked', reason: `no kernel source tree at ${f.sourcesPath} (step kernel-sources)` };
    if (f.configReady) return { status: 'blocked', reason: f.configReady };
    const tree = f.tree;
    const legacy = tree.era === 'xenlinux';
    const initrd = initrdPath(tree.era, f.version);
    const warnings = [
      'the HOWTO\'s "KERNELS ?= linux-2.6-xen" edit and `make world` belong to the Xen source tree of Xen 3.0; as the HOWTO notes, the line is gone from later trees (and Xen 4.1+ builds no kernels), so the kernel is built from the kernel tree itself',
    ];
    if (!legacy)
      warnings.push(
        'the gunzip/gzip initrd fix is for Xen 3.x; GRUB 2 loads the initramfs with module --nounzip, so it is not applied',
      );
    const done = f.imageInstalled && f.installedConfig === f.configText && f.initrdInstalled;
    if (done)
      return {
        status: 'done',
        reason: `/boot/vmlinuz-${f.version}-xen and ${initrd} are installed`,
        warnings,
      };
    const changes: Change[] = [
      {
        kind: 'command',
        argv: ['make', '-C', tree.realPath, `-j${f.jobs}`],
        why: 'builds the one -xen kernel and its modules',
        inRoot: true,
        long: true,
      },
      {
        kind: 'command',
        argv: ['make', '-C', tree.realPath, 'modules_install'],
        why: 'installs its modules under /lib/modules',
        inRoot: true,
        touches: ['/lib/modules'],
        long: true,
      },
      {
        kind: 'command',
        argv: ['depmod', f.version],
        why: 'the HOWTO: create the module dependencies before making the initrd',
        inRoot: true,
        touches: ['/lib/modules'],
      },
      ...installCommands(kernelImagePath(tree, tree.realPath), `${tree.realPath}/.config`, f.version, 'xen'),
    ];
    if (legacy) {
      if (!f.hasMkinitrd)
        warnings.push('mkinitrd is not installed (the HOWTO: emerge sys-kernel/mkinitrd, ~arch on amd64)');
      changes.push({
        kind: 'command',
        argv: ['mkinitrd', initrd, f.version],
        why: 'the initrd the -xen kernel and the domUs boot with',
        inRoot: true,
      });
      changes.push(...rezipCommands(initrd));
    } else if (f.hasDracut) {
      changes.push({
        kind: 'command',
        argv: ['dracut', '--force', initrd, f.version],
        why: 'the initramfs for the kernel (mkinitrd is gone; dracut replaces it)',
        inRoot: true,
      });
    } else {
      changes.push({
        kind: 'manual',
        text: `Make an initramfs for ${f.version} as ${initrd} (emerge sys-kernel/dracut, then: dracut ${initrd} ${f.version}).`,
      });
    }
    changes.push({
      kind: 'manual',
      text: `Copy /lib/modules/${f.version} into each domU, and give the domUs the initrd: ramdisk = "${initrd}" in their Xen configuration.`,
    });
    return {
      status: 'pending',
      reason: `build one kernel for dom0 and the domUs: /boot/vmlinuz-${f.version}-xen with ${initrd}`,
      changes,
      warnings,
    };
  },
});
