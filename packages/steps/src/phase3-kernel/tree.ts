import { InputError, type View } from '@xen-gentoo/core';
import type { KernelArch, KernelEra } from '@xen-gentoo/kernel-config';
import { compareVersions } from '@xen-gentoo/make-conf';
import type { KernelAnswers, KernelMethod } from '../answers/kernel.js';
import { isKernelVersion, KERNEL_VERSION_EXPECTED, kernelMethod } from '../answers/values.js';
import { walkLinks } from '../shared/portage-files.js';
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

/** The variables of the top Makefile that make up the kernel release. */
type VersionVar = 'VERSION' | 'PATCHLEVEL' | 'SUBLEVEL' | 'EXTRAVERSION';

/**
 * An assignment to one of them: `[override] [export] NAME op value`, op being make's `=`, `:=`,
 * `::=`, `?=` or `+=`, after optional spaces. A line that starts with a tab is a recipe line (a shell command), never
 * an assignment.
 */
const ASSIGNMENT_RE =
  /^ *(?:(?:override|export)[ \t]+)*(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)[ \t]*(::=|:=|\?=|\+=|=)(.*)$/;

/**
 * Parse VERSION/PATCHLEVEL/SUBLEVEL/EXTRAVERSION from a top-level kernel Makefile as make reads
 * them: the last assignment wins, `?=` only sets a variable not set yet, `+=` appends after a
 * space, and a `#` starts a comment. VERSION and PATCHLEVEL must be numbers. SUBLEVEL may be
 * empty or absent, as Kbuild allows (`KERNELVERSION = $(VERSION)…$(if $(SUBLEVEL),.$(SUBLEVEL))`
 * gives VERSION.PATCHLEVEL), though every 2.6 and later release sets it; when set it is a
 * number. The release the tree builds
 * (VERSION.PATCHLEVEL.SUBLEVEL + EXTRAVERSION) names files in /boot and goes into install
 * commands, so it must be what the answers file accepts as `[kernel] version`.
 *
 * Anything else (`VERSION = six`, `$(…)` references, an empty Makefile) is an InputError naming
 * `file` and the line: a tree whose version cannot be read is not built, and a wrong version
 * would be planned into every /boot name.
 */
export function parseKernelMakefile(
  text: string,
  file: string,
): { baseVersion: string; extraVersion: string } {
  const found = new Map<VersionVar, { value: string; line: number }>();
  text.split('\n').forEach((raw, index) => {
    const m = ASSIGNMENT_RE.exec(raw.replace(/\r$/, ''));
    if (!m) return;
    const name = m[1] as VersionVar;
    const op = m[2] ?? '=';
    const value = (m[3] ?? '').replace(/(^|[^\\])#.*$/, '$1').trim();
    const before = found.get(name);
    if (op === '?=' && before) return;
    const joined = op === '+=' && before ? [before.value, value].filter(Boolean).join(' ') : value;
    found.set(name, { value: joined, line: index + 1 });
  });
  const number = (name: VersionVar, optional = false): string => {
    const at = found.get(name);
    if (at === undefined || (at.value === '' && !optional)) {
      throw new InputError(
        file,
        at?.line,
        at ? `${name} is empty` : `sets no ${name}: not a kernel Makefile`,
        `${name} = <number>`,
      );
    }
    if (at.value !== '' && !/^\d+$/.test(at.value))
      throw new InputError(file, at.line, `${name} is not a number`, `${name} = <number>`);
    return at.value;
  };
  const version = number('VERSION');
  const patch = number('PATCHLEVEL');
  const sub = found.has('SUBLEVEL') ? number('SUBLEVEL', true) : '';
  const baseVersion = [version, patch, ...(sub ? [sub] : [])].join('.');
  const extra = found.get('EXTRAVERSION');
  const extraVersion = extra?.value ?? '';
  if (!isKernelVersion(baseVersion + extraVersion)) {
    throw new InputError(
      file,
      extra?.line,
      'EXTRAVERSION makes a kernel release that cannot name files in /boot',
      `an EXTRAVERSION that makes ${KERNEL_VERSION_EXPECTED}`,
    );
  }
  return { baseVersion, extraVersion };
}

/** XenLinux trees carry "xen" in their name or EXTRAVERSION, or predate dom0 support in Linux (2.6.37). */
export function kernelEraOf(realPath: string, baseVersion: string, extraVersion: string): KernelEra {
  if (/xen/i.test(extraVersion) || /-xen(-|$)/.test(realPath)) return 'xenlinux';
  return compareVersions(baseVersion, '2.6.37') < 0 ? 'xenlinux' : 'mainline';
}

/** Where `path` leads after its symlinks in the target (the last path reached, for a loop). */
export async function realPathOf(view: View, path: string): Promise<string> {
  return (await walkLinks(view, path)).path;
}

/**
 * Read the tree the answers name, or undefined when it has no Makefile. A Makefile whose
 * version cannot be read is an InputError (see parseKernelMakefile), never "no tree": that
 * would plan the /usr/src/linux link again on every run.
 */
export async function readKernelTree(view: View, path: string): Promise<KernelTree | undefined> {
  const realPath = await realPathOf(view, path);
  const makefilePath = `${realPath}/Makefile`;
  const makefile = await view.readFile(makefilePath);
  if (makefile === undefined) return undefined;
  const parsed = parseKernelMakefile(makefile, makefilePath);
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
