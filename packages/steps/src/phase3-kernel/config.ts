/**
 * kernel-dom0-config and kernel-domU-config: merge the Xen fragment into a base configuration,
 * let the kernel's own Kconfig resolve it, then read the result back and report every
 * requested symbol Kconfig dropped, with the dependency it was missing.
 *
 * The output directory gets a second file, `.xen-gentoo.config`: the fragment itself (a valid
 * Kconfig fragment, usable with merge_config.sh) whose first line records the state, `applying`
 * (written before the configuration is touched) or `resolved` (written after Kconfig ran). It
 * is what makes the step truthful and convergent: "done" needs a configuration with every
 * requested value and a stamp saying Kconfig resolved it for this very fragment (a missing,
 * empty or foreign stamp means the resolve command runs again); a resolved configuration that
 * lacks some is "blocked" (not re-written forever); an interrupted run (`applying`) is resumed.
 */
import { posix } from 'node:path';
import {
  defineStep,
  InputError,
  readRegularFile,
  type Change,
  type StepPlan,
  type View,
} from '@xen-gentoo/core';
import {
  buildFragment,
  checkConfig,
  combineFragments,
  compareKernelVersions,
  describeOutcome,
  fragmentValues,
  kernelArchVars,
  renderFragment,
  setConfigText,
  type CheckResult,
  type Fragment,
  type KernelArch,
  type KernelEra,
  type KernelRole,
} from '@xen-gentoo/kernel-config';
import { compareVersions } from '@xen-gentoo/make-conf';
import { kernelVersion } from '../answers/base.js';
import type { Answers } from '../answers/index.js';
import { kernelMethod, type KernelAnswers, type KernelMethod } from '../answers/kernel.js';
import { walkLinks } from '../shared/portage-files.js';
import { getSystem } from '../shared/system-cache.js';
import { kernelArchOf, methodMismatch, outputDir, readKernelTree, type KernelTree } from './tree.js';

export const STAMP_NAME = '.xen-gentoo.config';
const STATE_RE = /^# state: (applying|resolved)\n/;

export type BaseKind = 'existing' | 'proc' | 'boot' | 'defconfig';

/** Where the base configuration comes from. Text bases are merged in the plan (and shown as a diff). */
export type ConfigBase =
  | {
      kind: 'existing' | 'boot';
      path: string;
      text: string;
      /** Why this file was chosen (shown in the plan): `the running kernel`, `the tree's own version`. */
      why?: string;
    }
  | { kind: 'proc'; path: '/proc/config.gz' }
  | { kind: 'defconfig' };

/** The fragment for a role on a tree (one kernel for both roles when `single`). */
export function fragmentFor(options: {
  role: KernelRole;
  era: KernelEra;
  arch: KernelArch;
  single?: boolean;
  serialConsole?: boolean;
}): Fragment {
  const base = {
    era: options.era,
    arch: options.arch,
    ...(options.serialConsole === undefined ? {} : { serialConsole: options.serialConsole }),
  };
  const dom0 = buildFragment({ ...base, role: 'dom0' });
  if (options.single) return combineFragments(dom0, buildFragment({ ...base, role: 'domU' }));
  return options.role === 'dom0' ? dom0 : buildFragment({ ...base, role: 'domU' });
}

/** The stamp file's text for a fragment in a state. */
export function stampText(fragment: Fragment, state: 'applying' | 'resolved'): string {
  return `# state: ${state}\n${renderFragment(fragment)}`;
}

/** The state recorded in a stamp, and whether it was written for this very fragment. */
export function readStamp(
  text: string | undefined,
  fragment: Fragment,
): { state: 'applying' | 'resolved'; current: boolean } | undefined {
  if (text === undefined) return undefined;
  const m = STATE_RE.exec(text);
  if (!m) return undefined;
  const state = m[1] as 'applying' | 'resolved';
  return { state, current: text.slice(m[0].length) === renderFragment(fragment) };
}

/** The command that lets Kconfig resolve a configuration: olddefconfig (3.7+) or the HOWTO's oldconfig. */
export function resolveCommand(source: string, out: string, baseVersion: string): string[] {
  const target = compareVersions(baseVersion, '3.7') >= 0 ? 'olddefconfig' : 'oldconfig';
  return out === source ? ['make', '-C', source, target] : ['make', '-C', source, `O=${out}`, target];
}

/**
 * The resolve command, followed by marking the stamp resolved only when Kconfig succeeded: the
 * mark is evidence that Kconfig ran, so a run that skipped or lost the command never reports
 * the configuration as checked. The paths reach the shell as arguments, never as code.
 */
export function markResolvedAfter(resolve: string[], stampPath: string): string[] {
  return [
    'sh',
    '-c',
    '"$@" && sed -i "1s/^# state: applying$/# state: resolved/" "$0"',
    stampPath,
    ...resolve,
  ];
}

export interface PlanKernelConfigInput {
  role: KernelRole;
  fragment: Fragment;
  /** Kernel source tree (real path). */
  source: string;
  /** Output directory (`O=`); the source itself for an in-tree build. */
  out: string;
  /** Tree version (decides olddefconfig vs oldconfig). */
  baseVersion: string;
  hasMergeConfig: boolean;
  base: ConfigBase;
  /** Current OUT/.config text, if any. */
  current: string | undefined;
  /** Current stamp text, if any. */
  stamp: string | undefined;
  /** Whether OUT exists already (kernel-split may have made it). */
  outExists?: boolean;
}

/**
 * The changes that merge the fragment into the base and let Kconfig resolve it. Pure. The
 * changes are: stamp "applying"; the base (a file written from text, or commands that make it)
 * with the fragment merged; the Kconfig resolve command; stamp "resolved".
 */
export function planKernelConfig(input: PlanKernelConfigInput): {
  changes: Change[];
  reason: string;
  complete: boolean;
} {
  const { fragment, source, out } = input;
  const values = fragmentValues(fragment);
  const stampPath = `${out}/${STAMP_NAME}`;
  const configPath = `${out}/.config`;
  const changes: Change[] = [];
  if (out !== source && input.current === undefined && !input.outExists)
    changes.push({ kind: 'directory', path: out });
  if (input.stamp !== stampText(fragment, 'applying'))
    changes.push({
      kind: 'file',
      path: stampPath,
      before: input.stamp ?? null,
      after: stampText(fragment, 'applying'),
    });
  const resolve = resolveCommand(source, out, input.baseVersion);
  const resolveChange: Change = {
    kind: 'command',
    argv: markResolvedAfter(resolve, stampPath),
    why: `Kconfig resolves the ${input.role} configuration: dependencies, defaults, and any option the fragment cannot have`,
    inRoot: true,
    // oldconfig (trees before 3.7) asks about every new option: take the defaults.
    ...(resolve.includes('oldconfig') ? { acceptDefaults: true } : {}),
  };
  const o = out === source ? [] : [`O=${out}`];
  let from: string;
  let complete = true;
  switch (input.base.kind) {
    case 'existing':
    case 'boot': {
      from =
        input.base.kind === 'existing'
          ? `the existing ${configPath}`
          : `${input.base.path}${input.base.why ? ` (${input.base.why})` : ''}`;
      const merged = setConfigText(input.base.text, values);
      if (merged !== (input.current ?? null)) {
        changes.push({ kind: 'file', path: configPath, before: input.current ?? null, after: merged });
      }
      break;
    }
    case 'proc':
    case 'defconfig': {
      from =
        input.base.kind === 'proc' ? 'the running kernel (/proc/config.gz)' : 'the architecture defconfig';
      if (input.base.kind === 'proc') {
        changes.push(
          {
            kind: 'command',
            argv: ['cp', '/proc/config.gz', `${configPath}.gz`],
            why: "the running kernel's configuration is the base",
            inRoot: true,
          },
          {
            kind: 'command',
            argv: ['gzip', '-df', `${configPath}.gz`],
            why: `unpacks it to ${configPath}`,
            inRoot: true,
          },
        );
      } else {
        changes.push({
          kind: 'command',
          argv: ['make', '-C', source, ...o, 'defconfig'],
          why: 'the architecture defconfig is the base',
          inRoot: true,
        });
      }
      if (input.hasMergeConfig) {
        changes.push({
          kind: 'command',
          argv: [`${source}/scripts/kconfig/merge_config.sh`, '-m', '-O', out, configPath, stampPath],
          why: `merges the Xen options (${stampPath}) into it`,
          inRoot: true,
        });
      } else {
        // No merge script in 2.6-era trees: the next run merges into the .config made here.
        complete = false;
        return {
          changes: changes.filter((c) => c.kind !== 'file'),
          reason: `${input.role}: base is ${from}; this tree has no merge_config.sh, so the Xen options are merged on the next run`,
          complete,
        };
      }
      break;
    }
  }
  changes.push(resolveChange);
  return {
    changes,
    reason: `${input.role}: merge ${fragment.items.length} Xen options into ${from}, then \`${resolve.join(' ')}\` and check what Kconfig kept`,
    complete,
  };
}

/** Check a resolved configuration against the fragment, explaining changes from the tree's Kconfig. */
export async function checkKernelConfig(options: {
  fragment: Fragment;
  configText: string;
  /** Reads a file of the source tree by its path relative to the tree. */
  readTreeFile: (path: string) => Promise<string | undefined> | string | undefined;
}): Promise<CheckResult> {
  return checkConfig({
    requested: options.fragment,
    resolvedConfig: options.configText,
    kconfig: {
      readFile: options.readTreeFile,
      vars: kernelArchVars(options.fragment.arch, options.fragment.era),
    },
  });
}

export interface KernelConfigFacts {
  role: KernelRole;
  method: KernelMethod;
  mismatch: string | undefined;
  arch: string;
  sourcesPath: string;
  tree: KernelTree | undefined;
  out: string | undefined;
  fragment: Fragment | undefined;
  current: string | undefined;
  stamp: string | undefined;
  outExists?: boolean;
  base: ConfigBase | undefined;
  baseProblem: string | undefined;
  /** Why better bases were passed over (a /proc/config.gz that is not gzip). */
  baseNotes?: string[];
  /** Only when the stamp says resolved: the check of the current .config. */
  check: CheckResult | undefined;
}

/** The suffix kernel-build gives a role's files in /boot (vmlinuz-VERSION-xen0, config-VERSION-xenU). */
const ROLE_SUFFIX: Record<KernelRole, string> = { dom0: 'xen0', domU: 'xenU' };

/**
 * A `config-VERSION` name in /boot: VERSION starts with the kernel's dotted numbers and is a
 * kernel version the answers file would accept. `config-….old` (what installkernel leaves of
 * the configuration it replaced) and names such as `config-zzz` are not configurations of an
 * installed kernel.
 */
function bootConfigVersion(name: string): string | undefined {
  const m = /^config-(\d+(?:\.\d+)+(?:[-+_.][A-Za-z0-9._+-]*)?)$/.exec(name);
  const version = m?.[1];
  if (!version || version.endsWith('.old') || !kernelVersion.safeParse(version).success) return undefined;
  return version;
}

/** The text of `path` when it is a regular file, or a symlink (followed in the target) to one. */
async function regularFileText(view: View, path: string): Promise<string | undefined> {
  return (await walkLinks(view, path)).kind === 'file' ? view.readFile(path) : undefined;
}

/**
 * The configuration in /boot to start a role's kernel from, best first: the running kernel's
 * (only on the live system: on a mounted root the running kernel is this machine's, not the
 * target's), then the tree's own version (`config-RELEASE`, then this role's earlier build
 * `config-RELEASE-xen0`), then the newest by kernel version. Never the other role's build
 * (dom0 from a `-xenU` configuration lacks every backend), never a dangling link or a file that
 * is not regular, never a name that is not `config-VERSION`.
 */
async function bootBase(
  view: View,
  role: KernelRole,
  treeRelease: string,
): Promise<{ kind: 'boot'; path: string; text: string; why: string } | undefined> {
  const other = `-${ROLE_SUFFIX[role === 'dom0' ? 'domU' : 'dom0']}`;
  const usable = (version: string | undefined): version is string =>
    version !== undefined && bootConfigVersion(`config-${version}`) === version && !version.endsWith(other);
  const tryVersion = async (version: string | undefined, why: string) => {
    if (!usable(version)) return undefined;
    const path = `/boot/config-${version}`;
    const text = await regularFileText(view, path);
    return text === undefined ? undefined : { kind: 'boot' as const, path, text, why };
  };
  const running = view.root === '/' ? (await view.readFile('/proc/sys/kernel/osrelease'))?.trim() : undefined;
  const first =
    (await tryVersion(running, 'the running kernel')) ??
    (await tryVersion(treeRelease, "the tree's own version")) ??
    (await tryVersion(`${treeRelease}-${ROLE_SUFFIX[role]}`, `the ${role} kernel built from this tree`));
  if (first) return first;
  const versions = ((await view.list('/boot')) ?? [])
    .map(bootConfigVersion)
    .filter(usable)
    .sort(compareKernelVersions)
    .reverse();
  for (const version of versions) {
    const found = await tryVersion(version, 'the newest kernel version in /boot');
    if (found) return found;
  }
  return undefined;
}

/**
 * Why `path` cannot be the running kernel's configuration, or undefined when it can: it must be
 * a regular file that starts with gzip's magic bytes (1f 8b), or `gzip -d` fails in the middle
 * of the apply. The view reads text only, and a gzip file is never valid UTF-8 (0x8b cannot
 * follow 0x1f), so a file that reads as text is not gzip; one refused as not UTF-8 is read from
 * the disk for its first two bytes.
 */
async function procConfigProblem(view: View, path: string): Promise<string | undefined> {
  const { path: real, kind } = await walkLinks(view, path);
  if (kind === undefined) return `${path} does not exist (CONFIG_IKCONFIG_PROC)`;
  if (kind !== 'file')
    return `${path} is ${kind === 'directory' ? 'a directory' : kind === 'symlink' ? 'a dangling or looping link' : 'a special file'}, not a regular file`;
  let text: string | undefined;
  try {
    // A text file is never gzip; gzip's bytes make the strict UTF-8 read refuse the file.
    text = await view.readFile(real);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const bytes = await readRegularFile(posix.join(view.root, real), path);
    if (bytes && bytes[0] === 0x1f && bytes[1] === 0x8b) return undefined;
  }
  return `${path} is not a gzip file (${text === undefined ? 'it does not start with the bytes 1f 8b' : 'it reads as text'})`;
}

/** The chosen base (or why there is none), and why better candidates were passed over. */
interface BaseChoice {
  base: ConfigBase | undefined;
  problem: string | undefined;
  notes: string[];
}

async function chooseBase(
  view: View,
  answer: KernelAnswers['base'],
  current: string | undefined,
  configPath: string,
  role: KernelRole,
  treeRelease: string,
): Promise<BaseChoice> {
  const order: BaseKind[] = answer === 'auto' ? ['existing', 'proc', 'boot', 'defconfig'] : [answer];
  const notes: string[] = [];
  const found = (base: ConfigBase): BaseChoice => ({ base, problem: undefined, notes });
  const problem = (text: string): BaseChoice => ({ base: undefined, problem: text, notes });
  for (const kind of order) {
    if (kind === 'existing') {
      if (current !== undefined) return found({ kind, path: configPath, text: current });
      if (answer !== 'auto') return problem(`[kernel] base = existing, but ${configPath} does not exist`);
    } else if (kind === 'proc') {
      const why = await procConfigProblem(view, '/proc/config.gz');
      if (!why) return found({ kind, path: '/proc/config.gz' });
      if (answer !== 'auto') return problem(`[kernel] base = proc, but ${why}`);
      if ((await view.stat('/proc/config.gz')) !== undefined)
        notes.push(`base: ${why}, so it is not the base`);
    } else if (kind === 'boot') {
      const base = await bootBase(view, role, treeRelease);
      if (base) return found(base);
      if (answer !== 'auto')
        return problem(
          `[kernel] base = boot, but /boot has no configuration for the ${role} kernel (a regular file config-VERSION, not the other role's -${ROLE_SUFFIX[role === 'dom0' ? 'domU' : 'dom0']})`,
        );
    } else {
      return found({ kind: 'defconfig' });
    }
  }
  return found({ kind: 'defconfig' });
}

export async function detectKernelConfig(
  view: View,
  answers: Answers,
  role: KernelRole,
  /** Output directory instead of the HOWTO's SRC/_dom0 or SRC/_domU (the `kernel config --out` flag). */
  outOverride?: string,
): Promise<KernelConfigFacts> {
  const k = answers.kernel;
  const method = kernelMethod(k);
  const sys = await getSystem(view);
  const mismatch = role === 'domU' ? methodMismatch(k, 'split') : methodMismatch(k, ['split', 'single']);
  const tree = await readKernelTree(view, k.sources);
  const arch = kernelArchOf(sys.arch);
  const facts: KernelConfigFacts = {
    role,
    method,
    mismatch,
    arch: sys.arch,
    sourcesPath: k.sources,
    tree,
    out: undefined,
    fragment: undefined,
    current: undefined,
    stamp: undefined,
    base: undefined,
    baseProblem: undefined,
    check: undefined,
  };
  if (mismatch || !tree || !arch) return facts;
  const out = outOverride ?? outputDir(tree, role, method);
  const serial = k.serial_console === 'auto' ? undefined : k.serial_console === 'yes';
  const fragment = fragmentFor({
    role,
    era: tree.era,
    arch,
    single: method === 'single',
    ...(serial === undefined ? {} : { serialConsole: serial }),
  });
  const current = await view.readFile(`${out}/.config`);
  const stamp = await view.readFile(`${out}/${STAMP_NAME}`);
  const choice = await chooseBase(view, k.base, current, `${out}/.config`, role, tree.release);
  facts.out = out;
  facts.fragment = fragment;
  facts.current = current;
  facts.outExists = (await view.stat(out))?.kind === 'directory';
  facts.stamp = stamp;
  facts.base = choice.base;
  facts.baseProblem = choice.problem;
  facts.baseNotes = choice.notes;
  const st = readStamp(stamp, fragment);
  if (current !== undefined && st?.state !== 'applying') {
    facts.check = await checkKernelConfig({
      fragment,
      configText: current,
      readTreeFile: (p) => view.readFile(`${tree.realPath}/${p}`),
    });
  }
  return facts;
}

export function planKernelConfigStep(f: KernelConfigFacts, answers: Answers): StepPlan {
  if (f.mismatch) return { status: 'not-applicable', reason: f.mismatch };
  if (!f.tree)
    return { status: 'blocked', reason: `no kernel source tree at ${f.sourcesPath} (step kernel-sources)` };
  if (!f.fragment || !f.out) {
    return {
      status: 'not-applicable',
      reason: `the HOWTO's kernel options are for x86 kernels; this target is ${f.arch}`,
    };
  }
  const fragment = f.fragment;
  // One line per HOWTO option this kernel has no option for (the same text may come from two dialogues).
  const notes = [
    ...new Set(
      fragment.unmapped.map(
        (u) => `HOWTO option "${u.howtoText}" has nothing to set on this kernel: ${u.reason}`,
      ),
    ),
  ];
  if (fragment.refusal) return { status: 'blocked', reason: fragment.refusal, notes };
  const stamp = readStamp(f.stamp, fragment);
  const configPath = `${f.out}/.config`;
  // Done needs the evidence that Kconfig resolved this very fragment: a .config that merely has
  // the values (merged by an apply --skip-commands, its stamp then lost) was never resolved.
  const resolved = stamp?.state === 'resolved' && stamp.current;
  if (f.check && f.check.changes.length === 0 && resolved) {
    return {
      status: 'done',
      reason: `${configPath} has all ${f.check.requested} requested Xen ${f.role === 'dom0' && f.method === 'single' ? 'dom0+domU' : f.role} options`,
      notes,
    };
  }
  if (f.check && resolved) {
    const lines = f.check.changes.map((c) => {
      const howto = c.howto?.[0] ? ` [HOWTO: "${c.howto[0].text}"]` : '';
      const why = c.because.length > 0 ? c.because.join('; ') : 'no reason found in Kconfig';
      return `CONFIG_${c.symbol}=${c.requested} ${describeOutcome(c)}: ${why}${howto}`;
    });
    return {
      status: 'blocked',
      reason:
        `Kconfig did not keep ${f.check.changes.length} of ${f.check.requested} requested options in ${configPath}: ${lines.join(' | ')}. ` +
        `Give the base configuration what is missing (make -C ${f.tree.realPath}${f.out === f.tree.realPath ? '' : ` O=${f.out}`} menuconfig) ` +
        `and remove ${f.out}/${STAMP_NAME} to merge the Xen options again`,
      notes,
      warnings: f.check.warnings,
    };
  }
  notes.push(...(f.baseNotes ?? []));
  if (!f.base) return { status: 'blocked', reason: f.baseProblem ?? 'no base configuration', notes };
  // A run that stopped between writing and resolving resumes from the .config it left.
  // A tree without merge_config.sh got its base made by the previous run: merge into that.
  const resume =
    f.current !== undefined &&
    (stamp?.state === 'applying' ||
      (!f.tree.hasMergeConfig && (f.base.kind === 'proc' || f.base.kind === 'defconfig')));
  const base: ConfigBase =
    resume && f.current !== undefined ? { kind: 'existing', path: configPath, text: f.current } : f.base;
  const planned = planKernelConfig({
    role: f.role,
    fragment,
    source: f.tree.realPath,
    out: f.out,
    baseVersion: f.tree.baseVersion,
    hasMergeConfig: f.tree.hasMergeConfig,
    base,
    current: f.current,
    stamp: f.stamp,
    outExists: f.outExists ?? false,
  });
  void answers;
  return { status: 'pending', reason: planned.reason, changes: planned.changes, notes };
}

export const kernelDom0ConfigStep = defineStep<Answers, KernelConfigFacts>({
  id: 'kernel-dom0-config',
  title: 'Configure the domain 0 kernel',
  phase: 'Building the kernel',
  howtoSection: 'Domain 0 Kernel Configuration',
  after: ['kernel-split'],
  detect: ({ view, answers }) => detectKernelConfig(view, answers, 'dom0'),
  plan: planKernelConfigStep,
});

export const kernelDomUConfigStep = defineStep<Answers, KernelConfigFacts>({
  id: 'kernel-domU-config',
  title: 'Configure the domain U kernel',
  phase: 'Building the kernel',
  howtoSection: 'Domain U Kernel Configuration',
  after: ['kernel-dom0-config'],
  detect: ({ view, answers }) => detectKernelConfig(view, answers, 'domU'),
  plan: planKernelConfigStep,
});
