import { resolve } from 'node:path';
import * as Flags from '@oclif/core/flags';
import { defineStep, UsageError, type Step } from '@xen-gentoo/core';
import { kernel, type Answers } from '@xen-gentoo/steps';
import { kernelAnswersKeys } from '@xen-gentoo/steps/answers';
import { checkFlagValue } from './answers-file.js';

export const kernelFlags = {
  role: Flags.string({ summary: 'Which kernel.', options: ['dom0', 'domU'], required: true }),
  source: Flags.string({
    summary:
      'Kernel source tree (default: [kernel] sources, /usr/src/linux); relative to the current directory.',
  }),
  out: Flags.string({
    summary:
      "Output directory (default: the HOWTO's SOURCE/_dom0 or SOURCE/_domU); relative to the current directory.",
  }),
  base: Flags.string({
    summary: 'Base configuration the Xen options are merged into.',
    options: ['auto', 'existing', 'proc', 'boot', 'defconfig'],
  }),
};

/**
 * --source and --out as absolute, clean paths: a relative one is taken from the current directory
 * (these flags name directories of the machine the command runs on); with --root, where a
 * relative path would be ambiguous, they must be absolute paths inside the target. An empty one is
 * a usage error. Checked with the [kernel] sources schema.
 */
export function kernelPathFlags(flags: { source?: string; out?: string; root: string }): {
  source?: string;
  out?: string;
} {
  const check = (flag: string, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (value === '') throw new UsageError(`${flag} needs a directory (it was given an empty one)`);
    if (!value.startsWith('/') && resolve(flags.root) !== '/')
      throw new UsageError(`${flag} must be an absolute path inside the target with --root`);
    return checkFlagValue(flag, kernelAnswersKeys.shape.sources, resolve(value));
  };
  return { source: check('--source', flags.source), out: check('--out', flags.out) };
}

/** Answers with the kernel flags laid over the [kernel] section. */
export function withKernelFlags(answers: Answers, flags: { source?: string; base?: string }): Answers {
  return {
    ...answers,
    kernel: {
      ...answers.kernel,
      ...(flags.source ? { sources: flags.source } : {}),
      ...(flags.base ? { base: flags.base as Answers['kernel']['base'] } : {}),
    },
  };
}

/** The configuration step of one role, with an optional output directory of the user's. */
export function kernelConfigStep(role: 'dom0' | 'domU', out: string | undefined): Step<Answers, unknown> {
  const base = role === 'dom0' ? kernel.kernelDom0ConfigStep : kernel.kernelDomUConfigStep;
  return defineStep<Answers, kernel.KernelConfigFacts>({
    ...base,
    detect: ({ view, answers }) => kernel.detectKernelConfig(view, answers, role, out),
  });
}
