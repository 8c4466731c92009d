import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import type { Answers, GuestAnswers } from '../answers/index.js';
import { guestImage } from '../answers/values.js';
import { DOMU_XL_TEMPLATE, DOMU_XM_TEMPLATE } from '../templates.generated.js';
import { detectGuestHost, guestKernel, type GuestHost } from './target.js';

export interface DomuConfigFacts {
  host: GuestHost;
  guests: { guest: GuestAnswers; current: string | undefined }[];
}

/** The guest's configuration file in the syntax of the host's toolstack, from templates/. */
export function renderGuestConfig(toolstack: 'xl' | 'xm', guest: GuestAnswers, kernel: string): string {
  const xl = toolstack === 'xl';
  const vif = guest.network === 'none' ? '' : xl ? `'bridge=${guest.bridge}'` : `"bridge=${guest.bridge}"`;
  const ramdisk = guest.ramdisk
    ? xl
      ? `ramdisk = "${guest.ramdisk}"\n`
      : `ramdisk = "${guest.ramdisk}";\n`
    : '';
  return (xl ? DOMU_XL_TEMPLATE : DOMU_XM_TEMPLATE)
    .replaceAll('@NAME@', guest.name)
    .replaceAll('@MEMORY@', String(guest.memory))
    .replaceAll('@KERNEL@', kernel)
    .replaceAll('@RAMDISK@', ramdisk)
    .replaceAll('@IMAGE@', guestImage(guest))
    .replaceAll('@VIF@', vif)
    .replaceAll('@DHCP@', guest.network === 'dhcp' ? 'dhcp = "dhcp";' : '')
    .replace(/\n\n$/, '\n');
}

export const domuConfigStep = defineStep<Answers, DomuConfigFacts>({
  id: 'domu-config',
  title: 'The Xen configuration file of each domU',
  phase: 'Creating DomUs',
  howtoSection: 'Gentoo domU using quickpkg',
  after: ['domu-image', 'domu-prebuilt'],
  async detect(ctx) {
    const host = await detectGuestHost(ctx);
    const guests: DomuConfigFacts['guests'] = [];
    for (const guest of ctx.answers.guests.filter((g) => g.route !== 'domi'))
      guests.push({ guest, current: await ctx.view.readFile(`/etc/xen/${guest.name}`) });
    return { host, guests };
  },
  plan(f): StepPlan {
    if (f.guests.length === 0)
      return {
        status: 'not-applicable',
        reason: 'no guest in the answers file (or only domi guests, whose configuration domi writes)',
      };
    const changes: Change[] = [];
    const done: string[] = [];
    const pending: string[] = [];
    const blocked: string[] = [];
    const warnings: string[] = [];
    for (const { guest, current } of f.guests) {
      const kernel = guestKernel(f.host, guest);
      if (!kernel.ok) {
        blocked.push(kernel.reason);
        continue;
      }
      if (kernel.warning) warnings.push(kernel.warning);
      const path = `/etc/xen/${guest.name}`;
      const after = renderGuestConfig(f.host.toolstack, guest, kernel.path);
      if (current === after) {
        done.push(`${path} (${f.host.toolstack})`);
        continue;
      }
      changes.push({ kind: 'file', path, before: current ?? null, after, mode: 0o644 });
      pending.push(`${current === undefined ? 'write' : 'update'} ${path} (${f.host.toolstack} syntax)`);
    }
    if (!changes.length && blocked.length)
      return { status: 'blocked', reason: [...blocked, ...done].join('; ') };
    if (!changes.length) return { status: 'done', reason: done.join('; '), warnings };
    return {
      status: 'pending',
      reason: [...pending, ...done.map((d) => `${d} is up to date`)].join('; '),
      changes,
      warnings: [...warnings, ...blocked.map((b) => `blocked: ${b}`)],
      notes:
        f.host.toolstack === 'xl'
          ? [
              "xl reads xl.cfg(5): the HOWTO's root= and dhcp= are xm's; the root device goes in cmdline, and the guest runs DHCP itself",
            ]
          : [],
    };
  },
});
