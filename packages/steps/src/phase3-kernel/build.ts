import { defineStep, type Change, type CommandChange, type StepPlan, type View } from '@xen-gentoo/core';
import type { KernelRole } from '@xen-gentoo/kernel-config';
import type { Answers } from '../answers/index.js';
import { configReadiness } from './config.js';
import { methodMismatch, readKernelTree, type KernelTree } from './tree.js';

/** The boot image a build leaves in its output directory. */
export function kernelImagePath(tree: KernelTree, out: string): string {
  // xen-sources leaves `vmlinuz` at the top of the output directory (the HOWTO copies _dom0/vmlinuz).
  if (tree.era === 'xenlinux') return `${out}/vmlinuz`;
  return `${out}/arch/x86/boot/bzImage`;
}

/** Number of CPUs listed in /proc/cpuinfo (at least 1), for make -j. */
export async function cpuCount(view: View): Promise<number> {
  const info = (await view.readFile('/proc/cpuinfo')) ?? '';
  return Math.max(1, info.split('\n').filter((l) => /^processor\s*:/.test(l)).length);
}

export interface BuiltKernel {
  role: KernelRole;
  out: string;
  configReady: string | undefined;
  configText: string | undefined;
  installedConfig: string | undefined;
  imageInstalled: boolean;
}

/** What every kernel build step knows: the chosen way, the tree and how to run make. */
export interface KernelTreeFacts {
  mismatch: string | undefined;
  build: 'yes' | 'no';
  sourcesPath: string;
  tree: KernelTree | undefined;
  version: string;
  jobs: number;
}

export interface KernelBuildFacts extends KernelTreeFacts {
  kernels: BuiltKernel[];
}

/** Commands that install a built kernel and its configuration in /boot. */
export function installCommands(
  image: string,
  config: string,
  version: string,
  suffix: string,
): CommandChange[] {
  return [
    {
      kind: 'command',
      argv: ['install', '-m', '0644', image, `/boot/vmlinuz-${version}-${suffix}`],
      why: `installs the kernel as /boot/vmlinuz-${version}-${suffix}`,
      inRoot: true,
    },
    {
      kind: 'command',
      argv: ['install', '-m', '0644', config, `/boot/config-${version}-${suffix}`],
      why: "keeps the configuration beside it (GRUB 2's 20_linux_xen lists only kernels whose config has CONFIG_XEN_DOM0=y)",
      inRoot: true,
    },
  ];
}

export const kernelBuildStep = defineStep<Answers, KernelBuildFacts>({
  id: 'kernel-build',
  title: 'Build and install the dom0 and domU kernels',
  phase: 'Building the kernel',
  howtoSection: 'Domain 0 Kernel Configuration',
  after: ['kernel-dom0-config', 'kernel-domU-config'],
  async detect({ view, answers }) {
    const tree = await readKernelTree(view, answers.kernel.sources);
    const version = answers.kernel.version ?? tree?.release ?? '';
    const kernels: BuiltKernel[] = [];
    if (tree) {
      for (const role of ['dom0', 'domU'] as const) {
        const { notReady, current, facts } = await configReadiness(view, answers, role);
        const suffix = role === 'dom0' ? 'xen0' : 'xenU';
        const out = facts.out ?? `${tree.realPath}/_${role}`;
        kernels.push({
          role,
          out,
          // A configuration still to be resolved comes first in the same run: plan the build after it.
          configReady: notReady,
          configText: current,
          installedConfig: await view.readFile(`/boot/config-${version}-${suffix}`),
          imageInstalled: (await view.stat(`/boot/vmlinuz-${version}-${suffix}`)) !== undefined,
        });
      }
    }
    return {
      mismatch: methodMismatch(answers.kernel, 'split'),
      build: answers.kernel.build,
      sourcesPath: answers.kernel.sources,
      tree,
      version,
      jobs: await cpuCount(view),
      kernels,
    };
  },
  plan(f): StepPlan {
    if (f.mismatch) return { status: 'not-applicable', reason: f.mismatch };
    if (f.build === 'no')
      return {
        status: 'not-applicable',
        reason: '[kernel] build = no: the kernels are built by hand (make0 && make0 modules_install; makeU)',
      };
    if (!f.tree)
      return { status: 'blocked', reason: `no kernel source tree at ${f.sourcesPath} (step kernel-sources)` };
    const notReady = f.kernels.filter((k) => k.configReady);
    const blocked = notReady.find((k) => k.configReady?.includes('is blocked'));
    if (blocked) return { status: 'blocked', reason: blocked.configReady ?? '' };
    if (notReady.length > 0)
      return { status: 'blocked', reason: notReady.map((k) => k.configReady).join('; ') };
    const tree = f.tree;
    const changes: Change[] = [];
    const todo: string[] = [];
    for (const k of f.kernels) {
      const suffix = k.role === 'dom0' ? 'xen0' : 'xenU';
      if (k.imageInstalled && k.installedConfig !== undefined && k.installedConfig === k.configText) continue;
      const o = `O=${k.out}`;
      changes.push({
        kind: 'command',
        argv: ['make', '-C', tree.realPath, o, `-j${f.jobs}`],
        why: `builds the ${k.role} kernel${k.role === 'dom0' ? ' and its modules' : ''} (make${k.role === 'dom0' ? '0' : 'U'})`,
        inRoot: true,
        long: true,
      });
      if (k.role === 'dom0') {
        changes.push({
          kind: 'command',
          argv: ['make', '-C', tree.realPath, o, 'modules_install'],
          why: 'installs the dom0 modules under /lib/modules',
          inRoot: true,
          touches: ['/lib/modules'],
          long: true,
        });
      }
      changes.push(...installCommands(kernelImagePath(tree, k.out), `${k.out}/.config`, f.version, suffix));
      todo.push(`/boot/vmlinuz-${f.version}-${suffix}`);
    }
    if (changes.length === 0) {
      return {
        status: 'done',
        reason: `/boot/vmlinuz-${f.version}-xen0 and -xenU are installed, each with the configuration it was built from`,
      };
    }
    return {
      status: 'pending',
      reason: `build and install ${todo.join(' and ')} (takes a long time)`,
      changes,
    };
  },
});
