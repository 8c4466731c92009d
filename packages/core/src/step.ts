import type { Change } from './change.js';
import type { View } from './view.js';

export type StepStatus = 'done' | 'pending' | 'not-applicable' | 'blocked';

export const PHASES = [
  'Preparing the System',
  'Building the hypervisor and applications',
  'Building the kernel',
  'Updating your boot loader',
  'Running Xen',
  'Creating DomUs',
  'Networking',
  'Troubleshooting',
] as const;
export type Phase = (typeof PHASES)[number];

/** What a step's pure `plan` returns. */
/** `warnings` need the reader's attention; `notes` explain (e.g. a HOWTO option with no counterpart). */
export type StepPlan =
  | { status: 'pending'; reason: string; changes: Change[]; warnings?: string[]; notes?: string[] }
  | { status: 'done' | 'not-applicable' | 'blocked'; reason: string; warnings?: string[]; notes?: string[] };

export interface VerifyIssue {
  message: string;
}

/**
 * Everything a step may look at while detecting: the target (through a view that already
 * shows the changes of the steps planned before it) and the validated answers.
 */
export interface DetectContext<A> {
  view: View;
  answers: A;
}

/**
 * A step of the HOWTO. `detect` does all the reading; `plan` is pure: facts and answers in,
 * changes (or the reason there are none) out.
 */
export interface Step<A = unknown, F = unknown> {
  /** Stable kebab-case id, used by the answers file, --only and JSON. */
  id: string;
  title: string;
  phase: Phase;
  /** The HOWTO's heading this step comes from. */
  howtoSection: string;
  /** Ids of steps that must come before this one. */
  after?: string[];
  detect(ctx: DetectContext<A>): Promise<F>;
  plan(facts: F, answers: A): StepPlan;
  /** Extra end-state checks used by `verify` and after `apply`. */
  verify?(ctx: DetectContext<A>): Promise<VerifyIssue[]>;
}

/** Helper that keeps step literals fully typed. */
export function defineStep<A, F>(step: Step<A, F>): Step<A, F> {
  return step;
}
