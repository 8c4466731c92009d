import { defineStep, type StepPlan } from '@xen-gentoo/core';
import { parseDom0Mem } from '@xen-gentoo/bootloader';
import type { Answers } from '../answers/index.js';
import { DEFAULT_DOM0_MEM, resolveDom0Mem } from './resolve.js';
import { detectBootFromAnswers, type BootTarget } from './target.js';

/**
 * dom0_mem: check the value against the unit rules of the Xen on the host (Xen 3: one size,
 * B/K/M/G, bare number = KiB; Xen 4: a list with min:/max:) and against known minimums.
 * The boot entries carry the normalised value; a value that cannot be right blocks them all.
 */
export function planDom0Mem(t: BootTarget, answers: Answers): StepPlan {
  const r = resolveDom0Mem(t, answers.boot);
  if (!r.ok) return { status: 'blocked', reason: r.reason };
  const { text, syntax, auto, keptFrom } = r.value;
  const sizes: string[] = [];
  for (const i of parseDom0Mem(text, syntax).items) {
    if (i.size.bytes === undefined || i.size.percent !== undefined) continue;
    const mib = `${Math.round(i.size.bytes / 1024 ** 2)} MiB`;
    sizes.push(i.kind === 'exact' ? mib : `${i.kind} ${mib}`);
  }
  const origin = dom0MemOrigin(text, keptFrom, auto, t.era, answers.boot.dom0_mem.trim());
  const shown = sizes.length > 0 ? `dom0_mem=${text} (${sizes.join(', ')})` : `dom0_mem=${text}`;
  return {
    status: 'done',
    reason: `${shown}: ${origin}; the boot entries use it`,
    ...(r.warnings.length > 0 ? { warnings: r.warnings } : {}),
  };
}

/** Where the dom0_mem value comes from, for the reason. */
function dom0MemOrigin(
  text: string,
  keptFrom: string | undefined,
  auto: boolean,
  era: BootTarget['era'],
  answered: string,
): string {
  if (keptFrom)
    return `kept from ${keptFrom} ([boot] dom0_mem = auto keeps the value the boot files already give)`;
  if (auto) return DEFAULT_DOM0_MEM_WHY[era];
  if (answered === text) return 'from [boot] dom0_mem';
  return `[boot] dom0_mem=${answered} written with explicit units`;
}

/**
 * Why the tool picks its own dom0_mem when the answers say auto: without the option Xen gives
 * dom0 all the memory but a reserve, and the guests then take theirs by ballooning dom0 down.
 */
export const DEFAULT_DOM0_MEM_WHY = {
  legacy:
    "the tool's default for a 2007 (Xen 3) host, not Xen's (without dom0_mem Xen gives dom0 all the memory but a reserve, " +
    "and guests then shrink it by ballooning); a fixed size leaves the rest to guests, and the HOWTO's 98M is known to be too small",
  modern:
    "the tool's default for a current (Xen 4) host, not Xen's (without dom0_mem Xen gives dom0 all the memory but a reserve, " +
    'and guests then shrink it by ballooning); Xen advises a fixed size with an equal max: so dom0 never has to balloon',
} as const;

export { DEFAULT_DOM0_MEM };

export const dom0MemStep = defineStep<Answers, BootTarget>({
  id: 'dom0-mem',
  title: 'Choose the memory of dom0 (dom0_mem)',
  phase: 'Updating your boot loader',
  howtoSection: 'GRUB',
  after: ['emerge-xen'],
  detect: detectBootFromAnswers,
  plan: planDom0Mem,
});
