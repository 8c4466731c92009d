import {
  acquireLock,
  clearResumeState,
  readResumeState,
  RESUME_VERSION,
  View,
  withoutCommands,
  writeResumeState,
  type LocalHost,
} from '@xen-gentoo/core';
import { running, type Answers } from '@xen-gentoo/steps';

const BOOT_ID = '/proc/sys/kernel/random/boot_id';

async function detectRunning(host: LocalHost, answers: Answers) {
  const view = new View(withoutCommands(host));
  const facts = await running.runningStep.detect({ view, answers });
  const bootId = (await view.readFile(BOOT_ID))?.trim() || undefined;
  return { facts, plan: running.planRunning(facts), bootId };
}

/**
 * What the next apply says when an earlier run stopped for the reboot into Xen: that it carries
 * on (this system now runs as dom0), that the reboot has not happened yet, or that the machine
 * came up on the plain kernel and which entry to pick instead. Undefined when no run waits.
 */
export async function resumeNotice(host: LocalHost, answers: Answers): Promise<string | undefined> {
  const state = await readResumeState(host);
  if (!state) return undefined;
  const { facts, bootId } = await detectRunning(host, answers);
  const run = state.runId ? `run ${state.runId}` : 'the last run';
  const stopped = `${run} stopped on ${state.at} for the reboot into "${state.entry}"`;
  if (facts.dom0.dom0)
    return `Resuming: ${stopped}; this system now runs as Xen's dom0, so apply carries on with phase 5 (running) and later.`;
  if (bootId !== undefined && bootId === state.bootId)
    return `Waiting: ${stopped}; this system has not rebooted since (boot id ${bootId}): reboot and pick "${state.entry}".`;
  const kernel = facts.dom0.kernelRelease ? `Linux ${facts.dom0.kernelRelease}` : 'its kernel';
  const booted = facts.dom0.bootImage ? ` (booted ${facts.dom0.bootImage})` : '';
  const where = facts.entry?.where ? ` in ${facts.entry.where}` : '';
  return `Not under Xen: ${stopped}, but this boot runs ${kernel} without Xen${booted}: reboot and pick "${state.entry}"${where} instead; phase 5 (running) and later wait for it.`;
}

/**
 * After a run: record where it stopped when the running step waits for the reboot (the entry to
 * pick, the kernel and boot that ran), or remove the record once this system runs as dom0 and
 * the step is done. Written under the target's lock, in the state directory.
 */
export async function recordResume(host: LocalHost, answers: Answers, runId: string | null): Promise<void> {
  const { facts, plan, bootId } = await detectRunning(host, answers);
  const waiting = plan.status === 'pending' && plan.changes.every((c) => c.kind === 'manual');
  const over = facts.dom0.dom0 && plan.status === 'done';
  if (!waiting && !over) return;
  const existing = await readResumeState(host);
  if (over && existing === undefined) return;
  // A run that changed nothing while the wait goes on keeps the record of the run that stopped.
  if (waiting && existing !== undefined && runId === null) return;
  const lock = await acquireLock(host);
  try {
    if (over) {
      await clearResumeState(host);
      return;
    }
    await writeResumeState(host, {
      version: RESUME_VERSION,
      runId,
      at: new Date().toISOString(),
      step: 'running',
      entry: facts.entry?.name ?? 'the Xen entry',
      ...(facts.dom0.kernelRelease ? { kernel: facts.dom0.kernelRelease } : {}),
      ...(bootId ? { bootId } : {}),
    });
  } finally {
    await lock.release();
  }
}
