import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { getSystem } from '../shared/system-cache.js';
import type { InitSystem } from '../system.js';
import { systemctlEnable } from '../shared/systemctl.js';

export interface DomuAutostartFacts {
  initSystem: InitSystem;
  root: string;
  guests: { name: string; link: string | undefined }[];
  /** xendomains' runlevel link (OpenRC, baselayout 1) or systemd wants link. */
  xendomains: string | undefined;
}

const XENDOMAINS_UNIT = '/etc/systemd/system/multi-user.target.wants/xendomains.service';

export const domuAutostartStep = defineStep<Answers, DomuAutostartFacts>({
  id: 'domu-autostart',
  title: 'Start the domUs when dom0 boots',
  phase: 'Creating DomUs',
  howtoSection: 'Autostart domU',
  after: ['domu-config'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const guests: DomuAutostartFacts['guests'] = [];
    for (const guest of answers.guests.filter((g) => g.autostart === 'yes'))
      guests.push({ name: guest.name, link: await view.readlink(`/etc/xen/auto/${guest.name}`) });
    return {
      initSystem: sys.initSystem,
      root: view.root,
      guests,
      xendomains: await view.readlink(
        sys.initSystem === 'systemd' ? XENDOMAINS_UNIT : '/etc/runlevels/default/xendomains',
      ),
    };
  },
  plan(f): StepPlan {
    if (f.guests.length === 0) return { status: 'not-applicable', reason: 'no guest with autostart = yes' };
    const changes: Change[] = [];
    const todo: string[] = [];
    for (const g of f.guests) {
      const target = `/etc/xen/${g.name}`;
      if (g.link === target) continue;
      changes.push({ kind: 'symlink', path: `/etc/xen/auto/${g.name}`, target, before: g.link ?? null });
      todo.push(`/etc/xen/auto/${g.name} -> ${target}`);
    }
    if (f.xendomains === undefined) {
      if (f.initSystem === 'systemd') {
        changes.push({
          kind: 'command',
          argv: systemctlEnable(f.root, ['xendomains.service']),
          why: 'xendomains starts the domains in /etc/xen/auto at boot and shuts them down cleanly',
        });
        todo.push('systemctl enable xendomains');
      } else {
        changes.push({
          kind: 'symlink',
          path: '/etc/runlevels/default/xendomains',
          target: '/etc/init.d/xendomains',
          before: null,
        });
        todo.push('rc-update add xendomains default');
      }
    }
    if (!changes.length)
      return {
        status: 'done',
        reason: `${f.guests.map((g) => `/etc/xen/auto/${g.name}`).join(', ')} linked; xendomains enabled`,
      };
    return { status: 'pending', reason: todo.join('; '), changes };
  },
});
