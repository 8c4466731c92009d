/**
 * kernel-dom0-config and kernel-domU-config: merge the Xen fragment into a base configuration,
 * let the kernel's own Kconfig resolve it, then read the result back and report every
 * requested symbol Kconfig dropped, with the dependency it was missing. The stamp protocol that
 * keeps the steps truthful and convergent is in `config-stamp.ts`, the choice of the base in
 * `config-base.ts`, the changes that merge and resolve in `config-plan.ts`.
 */
import { defineStep, type StepPlan, type View } from '@xen-gentoo/core';
import {
  checkConfig,
  describeOutcome,
  kernelArchVars,
  type CheckResult,
  type Fragment,
  type KernelRole,
} from '@xen-gentoo/kernel-config';
import type { Answers } from '../answers/index.js';
import type { KernelMethod } from '../answers/kernel.js';
import { kernelMethod } from '../answers/values.js';
import { getSystem } from '../shared/system-cache.js';
import { chooseBase, type ConfigBase } from './config-base.js';
import { fragmentFor } from './config-fragment.js';
import { planKernelConfig } from './config-plan.js';
import { readStamp, STAMP_NAME } from './config-stamp.js';
import { kernelArchOf, methodMismatch, outputDir, readKernelTree, type KernelTree } from './tree.js';

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
  const tree = await readKernelTree(view, k.sources);
  // genkernel 4 builds the dom0 kernel from the tree's .config, which this step configures; the
  // HOWTO's genkernel (XenLinux trees) configures it with its x86-xen0 profile and menuconfig.
  const mismatch =
    role === 'domU'
      ? methodMismatch(k, 'split')
      : method === 'genkernel' && tree?.era === 'xenlinux'
        ? `the HOWTO's genkernel configures the XenLinux dom0 kernel itself (its x86-xen0 profile and menuconfig, step genkernel)`
        : methodMismatch(k, ['split', 'single', 'genkernel']);
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
    const roles = f.role === 'dom0' && f.method === 'single' ? 'dom0+domU' : f.role;
    return {
      status: 'done',
      reason: `${configPath} has all ${f.check.requested} requested Xen ${roles} options`,
      notes,
    };
  }
  if (f.check && resolved) {
    const lines = f.check.changes.map((c) => {
      const howto = c.howto?.[0] ? ` [HOWTO: "${c.howto[0].text}"]` : '';
      const why = c.because.length > 0 ? c.because.join('; ') : 'no reason found in Kconfig';
      return `CONFIG_${c.symbol}=${c.requested} ${describeOutcome(c)}: ${why}${howto}`;
    });
    const outFlag = f.out === f.tree.realPath ? '' : ` O=${f.out}`;
    return {
      status: 'blocked',
      reason: [
        `Kconfig did not keep ${f.check.changes.length} of ${f.check.requested} requested options in ${configPath}: ${lines.join(' | ')}.`,
        `Give the base configuration what is missing (make -C ${f.tree.realPath}${outFlag} menuconfig)`,
        `and remove ${f.out}/${STAMP_NAME} to merge the Xen options again`,
      ].join(' '),
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

/**
 * What a build step needs of a kernel-*-config step it comes after: why the configuration is not
 * ready (undefined when it is done, or pending and so resolved earlier in the same run), the
 * configuration as it will be, and the facts it was read from.
 */
export async function configReadiness(
  view: View,
  answers: Answers,
  role: 'dom0' | 'domU',
): Promise<{ notReady: string | undefined; current: string | undefined; facts: KernelConfigFacts }> {
  const facts = await detectKernelConfig(view, answers, role);
  const config = planKernelConfigStep(facts, answers);
  const notReady =
    config.status === 'done' || config.status === 'pending'
      ? undefined
      : `kernel-${role}-config is ${config.status}: ${config.reason}`;
  return { notReady, current: facts.current, facts };
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
