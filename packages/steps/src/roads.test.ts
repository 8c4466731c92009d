/**
 * Every road through phases 1–4 on copies of both sample roots: plan, apply (commands skipped,
 * as `apply --skip-commands`), plan again must leave no step blocked and none pending but for
 * the commands the apply skipped, for every combination of [boot] serial, [kernel] split,
 * [kernel] genkernel and [boot] loader the era supports. A road the era cannot take is an
 * expected block, asserted with its reason.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '@xen-gentoo/core';
import { afterEach, describe, expect, it } from 'vitest';
import { answersSchema, type Answers } from './answers/index.js';
import { ALL_STEPS } from './index.js';
import { applyPlan, copySample, planRoot, removeSampleCopies, type SampleName } from './testing/samples.js';

afterEach(removeSampleCopies);

type Loader = 'grub-legacy' | 'grub2' | 'lilo' | 'pxelinux' | 'xen-efi';
interface Road {
  sample: SampleName;
  serial: 'yes' | 'no';
  split: 'yes' | 'no';
  genkernel: 'yes' | 'no';
  loader: Loader;
}

/** The boot loaders each era has: no GRUB 2 and no UEFI in 2007. */
const LOADERS: Record<SampleName, readonly Loader[]> = {
  'legacy-x86': ['grub-legacy', 'lilo', 'pxelinux'],
  'current-amd64': ['grub-legacy', 'grub2', 'lilo', 'pxelinux', 'xen-efi'],
};

const ROADS: Road[] = [];
for (const sample of ['legacy-x86', 'current-amd64'] as const)
  for (const serial of ['no', 'yes'] as const)
    for (const split of ['yes', 'no'] as const)
      for (const genkernel of ['no', 'yes'] as const)
        for (const loader of LOADERS[sample]) ROADS.push({ sample, serial, split, genkernel, loader });

const nameOf = (r: Road) =>
  `${r.sample} serial=${r.serial} split=${r.split} genkernel=${r.genkernel} loader=${r.loader}`;

function answersFor(r: Road): Answers {
  return answersSchema.parse({
    kernel: { split: r.split, genkernel: r.genkernel },
    boot: {
      serial: r.serial,
      loader: r.loader,
      ...(r.loader === 'pxelinux' ? { pxe_dir: '/diskless' } : {}),
      ...(r.loader === 'xen-efi' ? { firmware: 'uefi' } : {}),
    },
  });
}

/** A step left blocked or pending with more than commands after the apply. */
interface Left {
  step: string;
  status: string;
  reason: string;
}

/** What the era cannot do: the step is blocked, and says why. */
interface ExpectedBlock {
  when: (r: Road) => boolean;
  step: string;
  reason: RegExp;
}

const EXPECTED_BLOCKS: ExpectedBlock[] = [
  {
    when: (r) => r.sample === 'legacy-x86' && r.genkernel === 'yes',
    step: 'genkernel',
    reason: /sys-kernel\/genkernel is neither installed nor offered by the package tree/,
  },
  {
    // follows from the block above: no genkernel, no dom0 kernel configuration to check
    when: (r) => r.sample === 'legacy-x86' && r.genkernel === 'yes' && r.serial === 'yes',
    step: 'boot-serial',
    reason: /no dom0 kernel configuration to check/,
  },
  {
    when: (r) => r.sample === 'current-amd64' && r.loader === 'lilo',
    step: 'boot-lilo',
    reason: /LILO cannot load Xen's modules .* nothing supports it with Xen 4/,
  },
];

/** A UEFI machine: its EFI system partition, mounted at /boot/efi, already holds GRUB. */
const UEFI_MACHINE = { '/boot/efi/EFI/gentoo/grubx64.efi': 'grub' };

const isCommand = (kind: string) => kind === 'command' || kind === 'manual';

function leftOver(plan: Plan): Left[] {
  const left: Left[] = [];
  for (const s of plan.steps) {
    if (s.status === 'done' || s.status === 'not-applicable') continue;
    if (s.status === 'pending' && s.changes.every((c) => isCommand(c.kind))) continue;
    left.push({ step: s.id, status: s.status, reason: s.reason });
  }
  return left;
}

describe.each(ROADS.map((r) => [nameOf(r), r] as const))('%s', (_name, road) => {
  it('plan, apply --skip-commands, plan: nothing blocked, only commands left', async () => {
    const root = copySample(road.sample, road.loader === 'xen-efi' ? UEFI_MACHINE : {});
    if (road.loader === 'xen-efi')
      appendFileSync(join(root, 'etc/fstab'), 'UUID=1A2B-3C4D\t/boot/efi\tvfat\tumask=0077\t0 2\n');
    const a = answersFor(road);
    const first = await planRoot(root, ALL_STEPS, a);
    await applyPlan(root, ALL_STEPS, first, a, { skipCommands: true });
    const again = await planRoot(root, ALL_STEPS, a);
    const left = leftOver(again);
    if (process.env.XG_ROADS_DUMP)
      (await import('node:fs')).appendFileSync(
        process.env.XG_ROADS_DUMP,
        `${nameOf(road)}\n${left.map((l) => `  ${l.step}: ${l.status}: ${l.reason.slice(0, 400)}`).join('\n') || '  OK'}\n`,
      );
    const expected = EXPECTED_BLOCKS.filter((e) => e.when(road));
    for (const e of expected) {
      const got = left.find((l) => l.step === e.step);
      expect(got?.status, `${e.step} is expected to be blocked`).toBe('blocked');
      expect(got?.reason).toMatch(e.reason);
    }
    expect(left.filter((l) => !expected.some((e) => e.step === l.step))).toEqual([]);
  }, 60_000);
});
