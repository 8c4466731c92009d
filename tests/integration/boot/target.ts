import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalHost, View, type Change, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '@xen-gentoo/steps';
import { answersSchema } from '@xen-gentoo/steps/answers';
// Phase 4 is not re-exported by the package index yet.
import { BOOT_STEPS } from '../../../packages/steps/src/phase4-boot/index.js';
import { REPO, type BootParts } from './parts.js';

/**
 * A copy of a sample root with the boot files the earlier steps would have installed
 * (placeholders: only their names matter to the boot steps), named after Debian's kernel.
 */
export function bootTarget(
  sample: 'legacy-x86' | 'current-amd64',
  parts: BootParts,
  initrd: boolean,
): string {
  const root = mkdtempSync(join(tmpdir(), 'xg-boot-root-'));
  execFileSync('cp', ['-a', `${join(REPO, 'samples', sample)}/.`, root]);
  const kv = parts.kernelVersion;
  const files: Record<string, string> = {
    [`boot/vmlinuz-${kv}-xen0`]: 'kernel',
    [`boot/config-${kv}-xen0`]:
      'CONFIG_XEN_DOM0=y\nCONFIG_HVC_XEN=y\nCONFIG_SERIAL_8250=y\nCONFIG_SERIAL_8250_CONSOLE=y\n',
    'boot/xen-4.17.gz': 'xen',
    ...(initrd ? { [`boot/initramfs-${kv}-xen0.img`]: 'initrd' } : {}),
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  symlinkSync('xen-4.17.gz', join(root, 'boot/xen.gz'));
  return root;
}

export function bootAnswers(boot: Record<string, unknown>): Answers {
  return answersSchema.parse({ boot });
}

/** Detect and plan one boot step on a target root. */
export async function planBootStep(root: string, id: string, answers: Answers): Promise<StepPlan> {
  const step = BOOT_STEPS.find((s) => s.id === id);
  if (!step) throw new Error(`no step ${id}`);
  const facts = await step.detect({ view: new View(new LocalHost(root)), answers });
  return step.plan(facts, answers);
}

/** The text a pending plan writes to `path`. */
export function plannedFile(plan: StepPlan, path: string): string {
  if (plan.status !== 'pending') throw new Error(`expected pending, got ${plan.status}: ${plan.reason}`);
  const change = plan.changes.find(
    (c): c is Extract<Change, { kind: 'file' }> => c.kind === 'file' && c.path === path,
  );
  if (!change) throw new Error(`the plan does not write ${path}: ${plan.reason}`);
  return change.after;
}
