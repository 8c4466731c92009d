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
  /**
   * Ids of steps that must come before this one: their changes are what this step plans over.
   * The catalogue's order is the order of planning and applying; {@link checkStepOrder} refuses
   * a catalogue that breaks these.
   */
  after?: string[];
  detect(ctx: DetectContext<A>): Promise<F>;
  plan(facts: F, answers: A): StepPlan;
}

/** Helper that keeps step literals fully typed. */
export function defineStep<A, F>(step: Step<A, F>): Step<A, F> {
  return step;
}

/**
 * Throws when a step's `after` names a step that is not in the catalogue or comes later in it:
 * the catalogue's order must be one the steps' own dependencies allow.
 */
export function checkStepOrder(steps: readonly Pick<Step<never, never>, 'id' | 'after'>[]): void {
  const seen = new Set<string>();
  const all = new Set(steps.map((s) => s.id));
  for (const step of steps) {
    for (const id of step.after ?? []) {
      if (!all.has(id)) throw new Error(`step ${step.id} comes after ${id}, which is no step`);
      if (!seen.has(id)) throw new Error(`step ${step.id} must come after ${id}, but comes before it`);
    }
    seen.add(step.id);
  }
}
