import { checkStepOrder, type Step } from '@xen-gentoo/core';
import type { Answers } from './answers/index.js';
import {
  buildpkgStep,
  cflagsTlsStep,
  hvmStep,
  nptlonlyStep,
  profileStep,
  rebuildWorldStep,
} from './phase1-prepare/index.js';
import { emergeXenStep, keywordsStep, netHotplugStep, xenServicesStep } from './phase2-xen/index.js';
import { KERNEL_STEPS } from './phase3-kernel/index.js';
import { BOOT_STEPS } from './phase4-boot/index.js';
import { runningStep } from './phase5-running/index.js';
import { DOMU_STEPS } from './phase6-domu/index.js';
import { NET_STEPS } from './phase7-net/index.js';

// The answers' values and types; their schemas are '@xen-gentoo/steps/answers' (building them
// costs a start-up that only plans with the defaults).
export type * from './answers/index.js';
export * from './answers/values.js';
export { defaultAnswers } from './answers/defaults.js';
export { detectAnswerValues, type DetectedAnswer } from './answers/detected.js';
export { missingAnswers, type NeededAnswer, type SecretSources } from './answers/needed.js';
export * from './system.js';
export * from './phase1-prepare/index.js';
export * from './phase2-xen/index.js';
export * as kernel from './phase3-kernel/index.js';
export * as boot from './phase4-boot/index.js';
export * as running from './phase5-running/index.js';
export * as domu from './phase6-domu/index.js';
export * as net from './phase7-net/index.js';
export * as doctor from './phase8-doctor/index.js';
export { getSystem } from './shared/system-cache.js';
export {
  detectDom0,
  dom0From,
  describeDom0,
  capabilityWords,
  kernelReleaseOf,
  bootImageOf,
  XEN_CAPABILITIES,
  HYPERVISOR_TYPE,
  type Dom0Facts,
} from './shared/dom0.js';

type AnyStep = Step<Answers, never>;

/** Every step, in the order the HOWTO takes them. */
export const ALL_STEPS: readonly AnyStep[] = [
  profileStep,
  cflagsTlsStep,
  nptlonlyStep,
  buildpkgStep,
  rebuildWorldStep,
  hvmStep,
  keywordsStep,
  emergeXenStep,
  xenServicesStep,
  netHotplugStep,
  ...KERNEL_STEPS,
  ...BOOT_STEPS,
  runningStep,
  ...DOMU_STEPS,
  ...NET_STEPS,
] as unknown as AnyStep[];

// Every step's `after` must hold in the catalogue's order (the order of planning and applying).
checkStepOrder(ALL_STEPS);

export function findStep(id: string): AnyStep | undefined {
  return ALL_STEPS.find((s) => s.id === id);
}
