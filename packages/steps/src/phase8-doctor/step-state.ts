import { planStep, type Step, type StepPlan } from '@xen-gentoo/core';
import type { DoctorContext, CheckStatus } from './check.js';

/** A step's verdict on the target as it is now (nothing planned before it), for a check built on a step. */
export async function stepState(
  step: Step<DoctorContext['answers'], unknown>,
  ctx: DoctorContext,
): Promise<StepPlan> {
  return planStep(step, ctx.view, ctx.answers);
}

/** done → ok, pending → problem (what the step would change is the fix), not applicable, blocked → unknown. */
export function statusOfStep(plan: Pick<StepPlan, 'status'>): CheckStatus {
  switch (plan.status) {
    case 'done':
      return 'ok';
    case 'pending':
      return 'problem';
    case 'not-applicable':
      return 'not-applicable';
    case 'blocked':
      return 'unknown';
  }
}
