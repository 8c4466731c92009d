import { posix } from 'node:path';
import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import { compareVersions } from '@xen-gentoo/make-conf';
import type { Answers } from '../answers/index.js';
import type { KernelMethod } from '../answers/kernel.js';
import { kernelMethod } from '../answers/values.js';
import { resolveCommand } from './config-stamp.js';
import { readKernelTree, type KernelTree } from './tree.js';

/** One /usr/src/linux-* tree of the same sources package as the one the kernel steps use. */
export interface UpgradeTree {
  /** Directory name under the link's directory (`linux-2.6.20-xen-r7`). */
  name: string;
  /** Absolute path. */
  path: string;
  /** The version as Portage orders it (`2.6.20-r7`, `6.12.63`). */
  version: string;
  baseVersion: string;
  /** Which of the road's configurations (relative to the tree) exist. */
  configs: { rel: string; exists: boolean }[];
}

export interface KernelUpgradeFacts {
  method: KernelMethod;
  sourcesPath: string;
  /** The symlink's target as written; undefined when the path is not a symlink. */
  linkTarget: string | undefined;
  /** The tree the kernel steps use (the path's real directory), if it has a kernel Makefile. */
  current: UpgradeTree | undefined;
  /** The package the trees come from (`sys-kernel/xen-sources`, …), by the tree's name. */
  pkg: string;
  /** Every tree of the same flavour in the same directory, oldest first (current included). */
  trees: UpgradeTree[];
  home: string;
}

/** `linux-<version><flavour>[-rN]`: the parts Portage's kernel ebuilds name their trees by. */
const TREE_RE = /^linux-(\d+(?:\.\d+)*)(-[a-z][a-z0-9-]*?)?(?:-r(\d+))?$/;

function parseTreeName(name: string): { version: string; flavour: string } | undefined {
  const m = TREE_RE.exec(name);
  if (!m?.[1]) return undefined;
  return { version: m[3] ? `${m[1]}-r${m[3]}` : m[1], flavour: m[2] ?? '' };
}

/** The package a tree's flavour comes from, for the plan's words. */
function packageOf(flavour: string): string {
  if (flavour === '-xen') return 'sys-kernel/xen-sources';
  if (flavour === '-gentoo') return 'sys-kernel/gentoo-sources';
  if (flavour === '-gentoo-dist') return 'sys-kernel/gentoo-kernel';
  if (flavour === '') return 'sys-kernel/vanilla-sources';
  return `linux-*${flavour}`;
}

/** The configurations a road keeps in a tree: `_dom0`/`_domU` on the split road, one `.config` otherwise. */
function configsFor(method: KernelMethod): string[] {
  if (method === 'split') return ['_dom0/.config', '_domU/.config'];
  if (method === 'single') return ['.config'];
  return []; // genkernel keeps its configuration in /etc/kernels: only the link matters.
}

const configured = (t: UpgradeTree): boolean => t.configs.length > 0 && t.configs.every((c) => c.exists);

export const kernelUpgradeStep = defineStep<Answers, KernelUpgradeFacts>({
  id: 'kernel-upgrade',
  title: 'Move to a newer kernel tree (copy-config, oldconfig)',
  phase: 'Building the kernel',
  howtoSection: 'Separating dom0 and domU',
  after: ['kernel-sources', 'kernel-split'],
  async detect({ view, answers }) {
    const method = kernelMethod(answers.kernel);
    const sourcesPath = answers.kernel.sources;
    const linkTarget =
      (await view.stat(sourcesPath))?.kind === 'symlink' ? await view.readlink(sourcesPath) : undefined;
    const tree: KernelTree | undefined = await readKernelTree(view, sourcesPath);
    const read = async (path: string, name: string, version: string): Promise<UpgradeTree> => ({
      name,
      path,
      version,
      baseVersion: (await readKernelTree(view, path))?.baseVersion ?? version,
      configs: await Promise.all(
        configsFor(method).map(async (rel) => ({
          rel,
          exists: (await view.stat(`${path}/${rel}`))?.kind === 'file',
        })),
      ),
    });
    const base = { method, sourcesPath, linkTarget, trees: [], pkg: '', home: answers.kernel.user_home };
    if (!tree) return { ...base, current: undefined };
    const currentName = posix.basename(tree.realPath);
    const parsed = parseTreeName(currentName);
    if (!parsed) return { ...base, current: await read(tree.realPath, currentName, tree.baseVersion) };
    const dir = posix.dirname(tree.realPath);
    const trees: UpgradeTree[] = [];
    for (const name of (await view.list(dir)) ?? []) {
      const p = parseTreeName(name);
      if (!p || p.flavour !== parsed.flavour) continue;
      const path = `${dir}/${name}`;
      // Only real trees: a directory with a kernel Makefile (not the link, not leftover build dirs).
      if ((await view.stat(path))?.kind !== 'directory') continue;
      if ((await view.stat(`${path}/Makefile`))?.kind !== 'file') continue;
      trees.push(await read(path, name, p.version));
    }
    trees.sort((a, b) => compareVersions(a.version, b.version));
    return {
      ...base,
      pkg: packageOf(parsed.flavour),
      trees,
      current:
        trees.find((t) => t.path === tree.realPath) ??
        (await read(tree.realPath, currentName, parsed.version)),
    };
  },
  plan(f): StepPlan {
    if (!f.current)
      return {
        status: 'not-applicable',
        reason: `no kernel tree at ${f.sourcesPath} yet (kernel-sources installs it): nothing to upgrade from`,
      };
    const current = f.current;
    if (f.pkg === '')
      return {
        status: 'not-applicable',
        reason: `the kernel steps use ${current.path}, whose name is not linux-<version>[-<flavour>][-r<N>] as a sources package names its tree: no other tree is compared with it`,
      };
    const newest = f.trees.at(-1) ?? current;
    const older = f.trees.filter((t) => compareVersions(t.version, newest.version) < 0);
    // The configurations to carry over: the current tree's, else the newest older tree that has them.
    const source = current !== newest && configured(current) ? current : older.filter(configured).at(-1);
    const configNames = configsFor(f.method).join(', ');
    if (newest.path === current.path) {
      if (!source || f.method === 'genkernel')
        return {
          status: 'not-applicable',
          reason: `the kernel steps use ${current.name}, the newest installed ${f.pkg} tree${older.length > 0 ? ` (no older tree has ${configNames || 'a configuration'} to carry over)` : ''}`,
        };
      if (configured(current))
        return {
          status: 'done',
          reason: `${f.sourcesPath} → ${current.name}, the newest ${f.pkg} tree, and its ${configNames} exist (the older ${source.name} had them)`,
        };
    } else {
      if (f.linkTarget === undefined)
        return {
          status: 'not-applicable',
          reason: `[kernel] sources names ${current.path} itself, not a link; the newer ${f.pkg} tree ${newest.name} is installed: set [kernel] sources to it (or to /usr/src/linux) to move to it`,
        };
      if (!source && f.method !== 'genkernel')
        return {
          status: 'not-applicable',
          reason: `${f.pkg} tree ${newest.name} is newer than ${current.name}, but ${current.name} has no configuration to carry over (${configNames}): the kernel steps configure ${current.name}; point ${f.sourcesPath} at ${newest.name} (eselect kernel set) to build that one instead`,
        };
    }
    const changes: Change[] = [];
    const what: string[] = [];
    if (newest.path !== current.path) {
      const target = posix.dirname(newest.path) === posix.dirname(f.sourcesPath) ? newest.name : newest.path;
      changes.push({ kind: 'symlink', path: f.sourcesPath, target, before: f.linkTarget ?? null });
      what.push(`${f.sourcesPath} → ${newest.name}`);
    }
    if (source && f.method === 'split') {
      for (const d of ['_dom0', '_domU']) changes.push({ kind: 'directory', path: `${newest.path}/${d}` });
      const rel = posix.relative(newest.path, source.path);
      changes.push({
        kind: 'command',
        argv: [`${f.home}/bin/copy-config`, rel],
        cwd: newest.path,
        why: `the HOWTO's copy-config: the dom0 and domU configurations of ${source.name} into ${newest.name}`,
        inRoot: true,
        touches: [`${newest.path}/_dom0`, `${newest.path}/_domU`],
      });
      what.push(`copy-config ${rel}`);
    } else if (source && f.method === 'single') {
      changes.push({
        kind: 'command',
        argv: ['cp', `${source.path}/.config`, `${newest.path}/.config`],
        why: `the configuration of ${source.name} into ${newest.name}`,
        inRoot: true,
        touches: [`${newest.path}/.config`],
      });
      what.push(`cp ../${source.name}/.config .config`);
    }
    if (source && f.method !== 'genkernel') {
      const outs =
        f.method === 'split' ? ['_dom0', '_domU'].map((d) => `${newest.path}/${d}`) : [newest.path];
      const resolves = outs.map((out) => resolveCommand(newest.path, out, newest.baseVersion));
      for (const [i, argv] of resolves.entries()) {
        const out = outs[i] ?? newest.path;
        changes.push({
          kind: 'command',
          argv,
          why: `Kconfig of ${newest.name} takes the carried-over configuration (${argv.at(-1) === 'olddefconfig' ? 'olddefconfig: oldconfig with the defaults for new options, as no one answers its questions' : "the HOWTO's oldconfig"})`,
          inRoot: true,
          touches: [out === newest.path ? `${out}/.config` : out],
        });
      }
      const verb = resolves[0]?.at(-1) ?? 'oldconfig';
      what.push(f.method === 'split' ? `make0 ${verb} && makeU ${verb}` : `make ${verb}`);
    }
    const why =
      newest.path !== current.path
        ? `${f.pkg} tree ${newest.name} is newer than ${current.name}, which ${f.sourcesPath} points at`
        : `${f.sourcesPath} points at ${newest.name}, which lacks ${configNames} (${source?.name ?? 'the older tree'} has them)`;
    return {
      status: 'pending',
      reason: `${why}: ${what.join(', ')} (the HOWTO's upgrade recipe)`,
      changes,
    };
  },
});
