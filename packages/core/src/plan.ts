import type { Change } from './change.js';
import type { Host } from './host.js';
import type { Phase, Step, StepPlan, StepStatus } from './step.js';
import { CachedReads } from './read-cache.js';
import { View } from './view.js';

export interface PlannedStep {
  id: string;
  title: string;
  phase: Phase;
  howtoSection: string;
  status: StepStatus;
  reason: string;
  warnings: string[];
  notes: string[];
  changes: Change[];
}

export interface Plan {
  root: string;
  steps: PlannedStep[];
}

export interface PlanOptions {
  /** Plan only these step ids (in catalogue order). */
  only?: readonly string[];
  /** Called before each step is detected (progress). */
  onStep?: (step: Step<never, never>) => void;
}

/** Plan one step against a view (detect, then the pure plan). */
export async function planStep<A>(step: Step<A, unknown>, view: View, answers: A): Promise<StepPlan> {
  const facts = await step.detect({ view, answers });
  const result = step.plan(facts, answers);
  if (result.status !== 'pending') return result;
  // What the engine would refuse (a file where a directory must be made ...) blocks the step
  // here, so plan and apply, which both plan through this function, give the same verdict.
  const obstacle = await view.obstacle(result.changes);
  if (obstacle === undefined) return result;
  return {
    status: 'blocked',
    reason: `${obstacle}; move it out of the way, then plan again`,
    ...(result.warnings === undefined ? {} : { warnings: result.warnings }),
    ...(result.notes === undefined ? {} : { notes: result.notes }),
  };
}

/** What a plan shows of a step: its names, and the result of planning it. */
export function toPlannedStep(
  step: Pick<Step<never, never>, 'id' | 'title' | 'phase' | 'howtoSection'>,
  result: StepPlan,
): PlannedStep {
  return {
    id: step.id,
    title: step.title,
    phase: step.phase,
    howtoSection: step.howtoSection,
    status: result.status,
    reason: result.reason,
    warnings: result.warnings ?? [],
    notes: result.notes ?? [],
    changes: result.status === 'pending' ? result.changes : [],
  };
}

/**
 * Plan steps in order over a virtual view of the target: each step sees the files as the steps
 * before it would leave them, so edits of one file by several steps combine. Writes nothing.
 * Each file of the target is read once for the whole plan: the view lays the plan's own changes
 * over those reads, and the next plan (an apply's) reads the disk again.
 */
export async function planSteps<A>(
  steps: readonly Step<A, unknown>[],
  host: Host,
  answers: A,
  options: PlanOptions = {},
): Promise<Plan> {
  const view = new View(new CachedReads(host), { onePlan: true });
  const selected = options.only?.length ? steps.filter((s) => options.only?.includes(s.id)) : steps;
  const planned: PlannedStep[] = [];
  for (const step of selected) {
    options.onStep?.(step as unknown as Step<never, never>);
    const result = await planStep(step, view, answers);
    if (result.status === 'pending') await view.apply(result.changes);
    planned.push(toPlannedStep(step, result));
  }
  return { root: host.root, steps: planned };
}

/** Changes of a whole plan combined per file: the first `before` and the last `after`. */
export function combinedFileChanges(
  plan: Plan,
): { path: string; before: string | null; after: string; steps: string[] }[] {
  const byPath = new Map<string, { path: string; before: string | null; after: string; steps: string[] }>();
  for (const step of plan.steps) {
    for (const change of step.changes) {
      if (change.kind !== 'file') continue;
      const existing = byPath.get(change.path);
      if (existing) {
        existing.after = change.after;
        if (existing.steps.at(-1) !== step.id) existing.steps.push(step.id);
      } else
        byPath.set(change.path, {
          path: change.path,
          before: change.before,
          after: change.after,
          steps: [step.id],
        });
    }
  }
  return [...byPath.values()];
}

export function countByStatus(plan: Plan): Record<StepStatus, number> {
  const counts: Record<StepStatus, number> = { done: 0, pending: 0, 'not-applicable': 0, blocked: 0 };
  for (const step of plan.steps) counts[step.status]++;
  return counts;
}
