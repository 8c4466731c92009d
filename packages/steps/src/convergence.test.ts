/**
 * Every step on both sample roots, through the real apply engine (commands skipped: the
 * Gentoo-only programs cannot run here): the plan writes nothing; after the apply each step that
 * was pending has no file change left (done, when it had no command; otherwise only its
 * commands are left); a second apply changes nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Plan, PlannedStep } from '@xen-gentoo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_STEPS } from './index.js';
import { answers } from './testing/fixtures.js';
import {
  applyPlan,
  copySample,
  planRoot,
  removeSampleCopies,
  SAMPLE_NAMES,
  STATE_REL,
  treeSnapshot,
} from './testing/samples.js';

afterAll(removeSampleCopies);

const byId = (plan: Plan, id: string): PlannedStep => plan.steps.find((s) => s.id === id)!;
const isCommand = (kind: string) => kind === 'command' || kind === 'manual';

describe.each(SAMPLE_NAMES)('convergence on a copy of the %s root (commands skipped)', (name) => {
  const a = answers();
  let first: Plan;
  let again: Plan;
  let dryRunWroteNothing = false;
  let secondApplyChangedNothing = false;

  beforeAll(async () => {
    const root = copySample(name);
    const before = treeSnapshot(root);
    first = await planRoot(root, ALL_STEPS, a);
    dryRunWroteNothing = isDeepStrictEqual(treeSnapshot(root), before);
    await applyPlan(root, ALL_STEPS, first, a, { skipCommands: true });
    again = await planRoot(root, ALL_STEPS, a);
    const applied = treeSnapshot(root, [STATE_REL]);
    await applyPlan(root, ALL_STEPS, again, a, { skipCommands: true });
    secondApplyChangedNothing = isDeepStrictEqual(treeSnapshot(root, [STATE_REL]), applied);
  }, 120_000);

  it('planning writes nothing', () => {
    expect(dryRunWroteNothing).toBe(true);
  });

  it('a second apply changes nothing', () => {
    expect(secondApplyChangedNothing).toBe(true);
  });

  it.each(ALL_STEPS.map((s) => s.id))('%s: applied, nothing but its commands is left', (id) => {
    const before = byId(first, id);
    const after = byId(again, id);
    if (before.status !== 'pending') {
      expect(after.status, after.reason).toBe(before.status);
      return;
    }
    expect(
      after.changes.filter((c) => !isCommand(c.kind)),
      after.reason,
    ).toEqual([]);
    if (before.changes.every((c) => !isCommand(c.kind))) expect(after.status, after.reason).toBe('done');
  });
});
