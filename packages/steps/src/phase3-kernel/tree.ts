import { resolveLinkTarget, type View } from '@xen-gentoo/core';
import type { KernelArch, KernelEra } from '@xen-gentoo/kernel-config';
import { compareVersions } from '@xen-gentoo/make-conf';
import type { KernelAnswers, KernelMethod } from '../answers/kernel.js';
import { kernelMethod } from '../answers/kernel.js';
import type { SystemFacts } from '../system.js';

/** A kernel source tree as read from its top Makefile. */
export interface KernelTree {
  /** The path the answers name (often the /usr/src/linux symlink). */
  path: string;
  /** The real directory (symlinks followed). */
  realPath: string;
  /** `2.6.20`, `6.12.58`. */
  baseVersion: string;
  /** EXTRAVERSION as written (`-xen-r6`, `-gentoo`, empty). */
  extraVersion: string;
  /** baseVersion + EXTRAVERSION: the release the kernel reports (without LOCALVERSION). */
  release: string;
  /** XenLinux (xen-sources 2.6.x) or mainline. */
  era: KernelEra;
  /** The tree ships scripts/kconfig/merge_config.sh (Linux 3.2 and later). */
  hasMergeConfig: boolean;
}

/** Parse VERSION/PATCHLEVEL/SUBLEVEL/EXTRAVERSION from a top-level kernel Makefile. */
export function parseKernelMakefile(text: string): { baseVersion: string; extraVersion: string } | undefined {
  const get = (name: string) => new RegExp(`^${name}\\s*=[ \\t]*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const version = get('VERSION');
  const patch = get('PATCHLEVEL');
  if (!version || !patch) return undefined;
  const sub = get('SUBLEVEL');
  return {
    baseVersion: [version, patch, ...(sub ? [sub] : [])].join('.'),
    extraVersion: get('EXTRAVERSION') ?? '',
  };
}

/** XenLinux trees carry "xen" in their name or EXTRAVERSION, or predate dom0 support in Linux (2.6.37). */
export function kernelEraOf(realPath: string, baseVersion: string, extraVersion: string): KernelEra {
  if (/xen/i.test(extraVersion) || /-xen(-|$)/.test(realPath)) return 'xenlinux';
  return compareVersions(baseVersion, '2.6.37') < 0 ? 'xenlinux' : 'mainline';
}

export async function realPathOf(view: View, path: string): Promise<string> {
  let p = path;
  for (let i = 0; i < 16; i++) {
    const info = await view.stat(p);
    if (info?.kind !== 'symlink') return p;
    const target = await view.readlink(p);
    if (target === undefined) return p;
    p = resolveLinkTarget(p, target);
  }
  return p;
}

/** Read the tree the answers name, or undefined when it has no kernel Makefile. */
export async function readKernelTree(view: View, path: string): Promise<KernelTree | undefined> {
  const realPath = await realPathOf(view, path);
  const makefile = await view.readFile(`${realPath}/Makefile`);
  const parsed = makefile === undefined ? undefined : parseKernelMakefile(makefile);
  if (!parsed) return undefined;
  const merge = await view.stat(`${realPath}/scripts/kconfig/merge_config.sh`);
  return {
    path,
    realPath,
    ...parsed,
    release: parsed.baseVersion + parsed.extraVersion,
    era: kernelEraOf(realPath, parsed.baseVersion, parsed.extraVersion),
    hasMergeConfig: merge !== undefined,
  };
}

/** The fragment arch for a Gentoo arch keyword; undefined for non-x86 targets. */
export function kernelArchOf(arch: string): KernelArch | undefined {
  return arch === 'x86' ? 'x86' : arch === 'amd64' ? 'amd64' : undefined;
}

/** Where a role's configuration lives: `_dom0`/`_domU` beside the sources, or the tree itself. */
export function outputDir(tree: KernelTree, role: 'dom0' | 'domU', method: KernelMethod): string {
  return method === 'split' ? `${tree.realPath}/${role === 'dom0' ? '_dom0' : '_domU'}` : tree.realPath;
}

/** Why a kernel step is not the chosen way, or undefined when it is. */
export function methodMismatch(
  answers: KernelAnswers,
  wanted: KernelMethod | KernelMethod[],
): string | undefined {
  const method = kernelMethod(answers);
  const list = Array.isArray(wanted) ? wanted : [wanted];
  if (list.includes(method)) return undefined;
  const chosen =
    method === 'genkernel'
      ? 'genkernel builds the kernel ([kernel] genkernel = yes, the HOWTO\'s "Using genkernel")'
      : method === 'single'
        ? 'one kernel for dom0 and domU ([kernel] split = no, the HOWTO\'s "Only one domain 0 kernel")'
        : 'two kernels, dom0 and domU, from one tree ([kernel] split = yes, the HOWTO\'s "Separating dom0 and domU")';
  return `not the chosen way: ${chosen}`;
}

/** Facts every kernel step needs. */
export interface KernelContext {
  era: SystemFacts['era'];
  arch: string;
  makeConfPath: string;
  tree: KernelTree | undefined;
}
