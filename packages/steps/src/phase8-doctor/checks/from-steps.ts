import type { Step } from '@xen-gentoo/core';
import { netModulesStep } from '../../phase7-net/net-modules.js';
import { netStrictStep } from '../../phase7-net/net-strict.js';
import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { defineCheck, type DoctorCheck, type DoctorContext, type Finding, type Fix } from '../check.js';
import { stepState, statusOfStep } from '../step-state.js';

/** The Troubleshooting topics a step already fixes: the check is the step's verdict on the target as it is. */
interface StepFacts {
  era: Era;
  status: 'done' | 'pending' | 'not-applicable' | 'blocked';
  reason: string;
}

/**
 * A check that is `step`'s verdict: ok once the step is done, a problem while it is pending (its
 * reason, prefixed "not yet: "); `era` says whether the topic matters on the host, and why.
 */
function stepCheck(
  step: Step<DoctorContext['answers'], unknown>,
  names: { id: string; title: string; howtoSection: string },
  era: (f: StepFacts) => Omit<Finding['era'], 'era'>,
  fix: Fix,
): DoctorCheck<StepFacts> {
  return defineCheck<StepFacts>({
    ...names,
    async detect(ctx) {
      const plan = await stepState(step, ctx);
      return { era: (await getSystem(ctx.view)).era, status: plan.status, reason: plan.reason };
    },
    judge(f): Finding {
      return {
        status: statusOfStep(f),
        found: `${f.status === 'pending' ? 'not yet: ' : ''}${f.reason}`,
        era: { era: f.era, ...era(f) },
        fix,
      };
    },
  });
}

export const requiredModulesCheck = stepCheck(
  netModulesStep,
  { id: 'required-modules', title: 'loop and tun are loaded at boot', howtoSection: 'Required Modules' },
  () => ({
    matters: true,
    why: 'guest disks (file:) need loop and HVM networking needs tun on every Xen',
  }),
  {
    howto: "add 'loop' and 'tun' to /etc/modules.autoload.d/kernel-2.6 (or build them into the kernel)",
    today:
      '`xen-gentoo apply --only net-modules`: /etc/modules-load.d/xen.conf (or modules= in /etc/conf.d/modules), or CONFIG_BLK_DEV_LOOP=y and CONFIG_TUN=y',
  },
);

export const netStrictCheck = stepCheck(
  netStrictStep,
  {
    id: 'net-strict',
    title: 'No freeze on reboot (strict net dependency)',
    howtoSection: 'System Freezing on Reboot',
  },
  (f) => ({
    matters: f.era === 'legacy' || f.status === 'pending',
    why:
      f.era === 'legacy'
        ? "xend's network-bridge renames the interface under baselayout's strict net checking"
        : 'only where xend still runs network-bridge; xl hosts have no such script',
  }),
  {
    howto: 'RC_NET_STRICT_CHECKING="lo" in /etc/conf.d/rc',
    today:
      '`xen-gentoo apply --only net-strict`: rc_depend_strict="NO" in /etc/rc.conf where xend still runs; nothing for xl hosts',
  },
);
