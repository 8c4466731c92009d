import { defineStep, type FileInfo, type StepPlan } from '@xen-gentoo/core';
import { compareVersions } from '@xen-gentoo/make-conf';
import type { Answers } from '../answers/index.js';
import { EMERGE_TOUCHES } from '../shared/emerge.js';
import { getSystem } from '../shared/system-cache.js';
import { readKernelTree, type KernelTree } from './tree.js';

export const XEN_SOURCES = 'sys-kernel/xen-sources';
export const GENTOO_SOURCES = 'sys-kernel/gentoo-sources';

export interface KernelSourcesFacts {
  era: 'legacy' | 'modern';
  sourcesPath: string;
  /** Whether the answers name the default path (the one emerge's symlink maintains). */
  defaultPath: boolean;
  linkTarget: string | undefined;
  /** What is at sourcesPath itself (a symlink is not followed); undefined when nothing is. */
  pathKind: FileInfo['kind'] | undefined;
  tree: KernelTree | undefined;
  xenSourcesAvailable: string[];
  gentooSourcesAvailable: string[];
  installed: { catpn: string; version: string }[];
  /** /usr/src/linux-* trees present (directory names). */
  trees: string[];
  pendingInstall: boolean;
}

/** Linux releases whose mainline Xen support covers a dom0 with block and network backends. */
const MAINLINE_DOM0 = '3.0';

export function treeProblem(tree: KernelTree): string | undefined {
  if (tree.era === 'xenlinux' && !/xen/i.test(tree.extraVersion + tree.realPath)) {
    return `${tree.realPath} is Linux ${tree.release} without the Xen patches (mainline dom0 support needs ${MAINLINE_DOM0} or later)`;
  }
  if (tree.era === 'mainline' && compareVersions(tree.baseVersion, MAINLINE_DOM0) < 0) {
    return `${tree.realPath} is Linux ${tree.release}: mainline dom0 backends (netback, blkback) need ${MAINLINE_DOM0} or later`;
  }
  return undefined;
}

export const kernelSourcesStep = defineStep<Answers, KernelSourcesFacts>({
  id: 'kernel-sources',
  title: 'Install the kernel sources',
  phase: 'Building the kernel',
  howtoSection: 'Building the kernel',
  after: ['keywords'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const path = answers.kernel.sources;
    const installed = [XEN_SOURCES, GENTOO_SOURCES].flatMap((catpn) => {
      const v = sys.installedVersion(catpn);
      return v ? [{ catpn, version: v }] : [];
    });
    return {
      era: sys.era,
      sourcesPath: path,
      defaultPath: path === '/usr/src/linux',
      linkTarget: await view.readlink(path),
      pathKind: (await view.stat(path))?.kind,
      tree: await readKernelTree(view, path),
      xenSourcesAvailable: (await sys.available(XEN_SOURCES)).map((e) => e.version),
      gentooSourcesAvailable: (await sys.available(GENTOO_SOURCES)).map((e) => e.version),
      installed,
      trees: ((await view.list('/usr/src')) ?? []).filter((n) => n.startsWith('linux-')),
      pendingInstall: sys.hasPackage(XEN_SOURCES) || sys.hasPackage(GENTOO_SOURCES),
    };
  },
  plan(f): StepPlan {
    // Only a symlink (or nothing) at the path can be pointed at a tree; the plan never puts a
    // link over a file or directory it did not read, and emerge's USE=symlink cannot either.
    if (f.pathKind === 'file' || f.pathKind === 'other') {
      return {
        status: 'blocked',
        reason: `${f.sourcesPath} is ${f.pathKind === 'file' ? 'a regular file' : 'a special file'}; expected a symlink to the kernel tree or a directory; move it away`,
      };
    }
    if (f.pathKind === 'directory' && !f.tree && f.defaultPath) {
      return {
        status: 'blocked',
        reason: `${f.sourcesPath} is a directory without a kernel Makefile; expected a symlink to the kernel tree or the tree itself; move it away`,
      };
    }
    const wanted = f.xenSourcesAvailable.length > 0 ? XEN_SOURCES : GENTOO_SOURCES;
    const why =
      wanted === XEN_SOURCES
        ? 'the tree offers sys-kernel/xen-sources, the Xen-patched 2.6 kernel the HOWTO builds'
        : 'sys-kernel/xen-sources no longer exists; mainline Linux (gentoo-sources) has Xen dom0 and domU support built in';
    if (f.tree) {
      const problem = treeProblem(f.tree);
      if (!problem) {
        const link = f.linkTarget ? ` → ${f.linkTarget}` : '';
        return {
          status: 'done',
          reason: `kernel tree ${f.sourcesPath}${link}: Linux ${f.tree.release} (${f.tree.era === 'xenlinux' ? 'XenLinux, xen-sources' : 'mainline with Xen support'})`,
        };
      }
      if (!f.defaultPath)
        return { status: 'blocked', reason: `${problem}; point [kernel] sources at a Xen-capable tree` };
      if (f.installed.some((p) => p.catpn === wanted)) {
        return {
          status: 'blocked',
          reason: `${problem}; ${wanted} is installed: point /usr/src/linux at its tree (eselect kernel set)`,
        };
      }
    } else if (!f.defaultPath) {
      return { status: 'blocked', reason: `no kernel tree at ${f.sourcesPath} ([kernel] sources)` };
    }
    // The package is installed but /usr/src/linux is missing: point the link at its tree.
    const installed = f.installed.find((p) => p.catpn === wanted);
    if (!f.tree && installed) {
      const dir = f.trees
        .filter((t) => (wanted === XEN_SOURCES ? /xen/.test(t) : !/xen/.test(t)))
        .sort((a, b) => a.localeCompare(b))
        .pop();
      if (dir) {
        return {
          status: 'pending',
          reason: `${wanted}-${installed.version} is installed; /usr/src/linux → ${dir}`,
          changes: [{ kind: 'symlink', path: '/usr/src/linux', target: dir, before: f.linkTarget ?? null }],
        };
      }
    }
    if (f.pendingInstall) return { status: 'done', reason: `${wanted} is installed by an earlier step` };
    const available = wanted === XEN_SOURCES ? f.xenSourcesAvailable : f.gentooSourcesAvailable;
    if (available.length === 0 && f.era === 'legacy') {
      return {
        status: 'blocked',
        reason:
          'the package tree offers neither sys-kernel/xen-sources nor gentoo-sources: run emerge --sync',
      };
    }
    return {
      status: 'pending',
      reason: `emerge ${wanted}: ${why}; its tree becomes /usr/src/linux (USE=symlink), or the next run sets the link`,
      changes: [
        {
          kind: 'command',
          argv: ['emerge', '--verbose', '--noreplace', wanted],
          why: `installs the kernel sources under /usr/src (${why})`,
          inRoot: true,
          long: true,
          installs: [wanted],
          touches: [...EMERGE_TOUCHES],
        },
      ],
    };
  },
});
