/**
 * Phase 3 of the HOWTO, "Building the kernel": the kernel sources, the dom0/domU split, the two
 * configurations (checked against what Kconfig kept), the build, and the HOWTO's two
 * alternatives (one -xen kernel, genkernel). Only one of kernel-split/-build, kernel-single and
 * genkernel is pending at a time: `[kernel] split` and `[kernel] genkernel` decide.
 *
 * For the CLI's `kernel` commands:
 * - `fragmentFor({role, era, arch, single?, serialConsole?})`: the Xen options for a kernel,
 *   each naming the HOWTO line it comes from, plus the HOWTO options with nothing to set;
 * - `planKernelConfig({...})`: pure; the changes that merge a fragment into a base and let
 *   Kconfig resolve it (stamp, .config or base commands, olddefconfig);
 * - `checkKernelConfig({fragment, configText, readTreeFile})`: which requested symbols Kconfig
 *   changed or dropped, each with the unmet dependency read from the tree's Kconfig files;
 * - `readKernelTree(view, path)`: version and era of a source tree.
 */
import type { Step } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { kernelBuildStep } from './build.js';
import { kernelDom0ConfigStep, kernelDomUConfigStep } from './config.js';
import { genkernelStep } from './genkernel.js';
import { kernelSingleStep } from './single.js';
import { kernelSourcesStep } from './sources.js';
import { kernelSplitStep } from './split.js';
import { kernelUpgradeStep } from './upgrade.js';

export { kernelBuildStep, kernelImagePath, installCommands } from './build.js';
export {
  checkKernelConfig,
  detectKernelConfig,
  kernelDom0ConfigStep,
  kernelDomUConfigStep,
  planKernelConfigStep,
  type KernelConfigFacts,
} from './config.js';
export type { ConfigBase } from './config-base.js';
export { fragmentFor } from './config-fragment.js';
export { planKernelConfig, type PlanKernelConfigInput } from './config-plan.js';
export { markResolvedAfter, readStamp, resolveCommand, STAMP_NAME, stampText } from './config-stamp.js';
export { describeOutcome } from '@xen-gentoo/kernel-config';
export { genkernelStep, GENKERNEL_SETTINGS, GENKERNEL_XEN_REMOVED } from './genkernel.js';
export { rezipCommands } from './initrd.js';
export { kernelSingleStep } from './single.js';
export { kernelSourcesStep } from './sources.js';
export { kernelUpgradeStep, type KernelUpgradeFacts } from './upgrade.js';
export { ALIASES, COPY_CONFIG, kernelSplitStep } from './split.js';
export { kernelArchOf, kernelEraOf, parseKernelMakefile, readKernelTree, type KernelTree } from './tree.js';

/** The kernel steps in the HOWTO's order. Each has its own facts type, hence `any` here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const KERNEL_STEPS: Step<Answers, any>[] = [
  kernelSourcesStep,
  kernelSplitStep,
  kernelUpgradeStep,
  kernelDom0ConfigStep,
  kernelDomUConfigStep,
  kernelBuildStep,
  kernelSingleStep,
  genkernelStep,
];
