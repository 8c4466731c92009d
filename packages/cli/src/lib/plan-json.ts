import { redactSecrets, type Change, type Plan } from '@xen-gentoo/core';

/**
 * The documented JSON form of a plan (`plan --json`): steps[].id, status, reason, warnings and
 * changes[] with a kind and the path or argv. File changes carry before/after text.
 */
export function planToJson(plan: Plan): object {
  return {
    version: 1,
    root: plan.root,
    steps: plan.steps.map((step) => ({
      id: step.id,
      title: step.title,
      phase: step.phase,
      howtoSection: step.howtoSection,
      status: step.status,
      reason: step.reason,
      warnings: step.warnings,
      notes: step.notes,
      changes: step.changes.map(changeToJson),
    })),
  };
}

/** A change as JSON; the text of a file that holds password hashes has them redacted. */
function changeToJson(change: Change): object {
  if (change.kind === 'file')
    return {
      ...change,
      before: change.before === null ? null : redactSecrets(change.path, change.before),
      after: redactSecrets(change.path, change.after),
    };
  if (change.kind === 'remove') return { ...change, before: redactSecrets(change.path, change.before) };
  return { ...change };
}
