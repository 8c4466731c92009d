import { Flags } from '@oclif/core';
import { defineStep, type Step } from '@xen-gentoo/core';
import { kernel, type Answers } from '@xen-gentoo/steps';

export const kernelFlags = {
  role: Flags.string({ summary: 'Which kernel.', options: ['dom0', 'domU'], required: true }),
  source: Flags.string({ summary: 'Kernel source tree (default: [kernel] sources, /usr/src/linux).' }),
  out: Flags.string({ summary: "Output directory (default: the HOWTO's SOURCE/_dom0 or SOURCE/_domU)." }),
  base: Flags.string({
    summary: 'Base configuration the Xen options are merged into.',
    options: ['auto', 'existing', 'proc', 'boot', 'defconfig'],
  }),
};

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
