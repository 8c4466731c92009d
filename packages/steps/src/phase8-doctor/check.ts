import type { View } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import type { Era } from '../system.js';

/**
 * One check of the HOWTO's Troubleshooting section. Like a step, it reads first (`detect`,
 * through the same view of the target) and then judges purely (`judge`: facts in, finding out),
 * so the judgement is a table test. A check never writes and never runs a program on the target.
 */
export interface DoctorCheck<F = unknown> {
  /** Stable kebab-case id (JSON, tests). */
  id: string;
  title: string;
  /** The HOWTO heading the check comes from. */
  howtoSection: string;
  detect(ctx: DoctorContext): Promise<F>;
  judge(facts: F): Finding;
}

export interface DoctorContext {
  view: View;
  answers: Answers;
}

/**
 * `problem`: something to fix (the exit code says so); `ok`: checked and fine; `not-applicable`:
 * does not matter on this host (its era, its architecture, nothing to check yet); `unknown`: the
 * target does not show enough to tell (a file that is not there), with what is missing.
 */
export type CheckStatus = 'ok' | 'problem' | 'not-applicable' | 'unknown';

export interface Fix {
  /** What the HOWTO says to do (2007). */
  howto: string;
  /** What to do on today's Gentoo. */
  today: string;
}

export interface Finding {
  status: CheckStatus;
  /** What the check found, in one sentence. */
  found: string;
  /** Whether the problem can happen on this host's era, and why. */
  era: { era: Era; matters: boolean; why: string };
  /** More lines: one per kernel image, per boot entry, per missing option. */
  details?: string[];
  fix: Fix;
}

/** The era note of a topic that matters on every era, saying what it is about on the host's. */
export function mattersOnEveryEra(era: Era, why: { legacy: string; today: string }): Finding['era'] {
  return { era, matters: true, why: era === 'legacy' ? why.legacy : why.today };
}

export function defineCheck<F>(check: DoctorCheck<F>): DoctorCheck<F> {
  return check;
}

/** The result of running one check: the check's names and its finding. */
export interface CheckResult extends Finding {
  id: string;
  title: string;
  howtoSection: string;
}
