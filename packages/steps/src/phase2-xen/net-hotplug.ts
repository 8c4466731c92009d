import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { planShellConfEdits, readShellConf, tokens, type ShellConfFile } from '../shared/make-conf-file.js';
import { getSystem } from '../shared/system-cache.js';
import { rcConfPath, type InitSystem } from '../system.js';

export interface NetHotplugFacts {
  initSystem: InitSystem;
  iface: string;
  /** Link target of net.IFACE in the default runlevel, if it is there. */
  inDefault: string | undefined;
  /** /etc/conf.d/rc (baselayout 1) or /etc/rc.conf (OpenRC); undefined for systemd. */
  rc: ShellConfFile | undefined;
}

const NO_NET = '!net.*';

export const netHotplugStep = defineStep<Answers, NetHotplugFacts>({
  id: 'net-hotplug',
  title: 'Keep net.* out of the default runlevel and hotplug',
  phase: 'Building the hypervisor and applications',
  howtoSection: 'Building the hypervisor and applications',
  after: ['xen-services'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const iface = answers.xen.interface;
    const rcPath = rcConfPath(sys.initSystem);
    return {
      initSystem: sys.initSystem,
      iface,
      inDefault: await view.readlink(`/etc/runlevels/default/net.${iface}`),
      rc: rcPath ? await readShellConf(view, rcPath) : undefined,
    };
  },
  plan(f): StepPlan {
    if (f.initSystem === 'systemd' || !f.rc)
      return {
        status: 'not-applicable',
        reason:
          'systemd has no net.* runlevel services or hotplugging of them; the bridge is set up by the network manager',
      };
    const variable = f.initSystem === 'baselayout1' ? 'RC_PLUG_SERVICES' : 'rc_hotplug';
    const current = f.rc.vars.get(variable);
    const changes: Change[] = [];
    const why: string[] = [];
    // First match wins in the pattern list, so the exclusion goes first.
    const excluded = tokens(current).findIndex((t) => t === NO_NET || t === '!net.*');
    const needsRule =
      f.initSystem === 'baselayout1'
        ? excluded !== 0
        : current !== undefined && current !== '' && excluded !== 0;
    if (needsRule) {
      const rest = tokens(current).filter((t) => t !== NO_NET);
      const { change } = planShellConfEdits(f.rc, [
        { op: 'set', variable, value: [NO_NET, ...rest].join(' ') },
      ]);
      if (change) {
        changes.push(change);
        why.push(`${variable}="${[NO_NET, ...rest].join(' ')}" in ${f.rc.path}`);
      }
    }
    const legacy = f.initSystem === 'baselayout1';
    if (legacy && f.inDefault !== undefined) {
      changes.push({ kind: 'remove', path: `/etc/runlevels/default/net.${f.iface}`, before: f.inDefault });
      why.push(`rc-update del net.${f.iface} default (xend's network-bridge configures ${f.iface} at boot)`);
    }
    const modernNote = legacy
      ? ''
      : `; net.${f.iface} stays in the default runlevel: xl does no host networking, the xenbr0 bridge (net-bridge) replaces it`;
    if (changes.length === 0) {
      const state = legacy
        ? `net.${f.iface} is not in the default runlevel and ${variable} excludes net.*`
        : current
          ? `${variable} excludes net.*`
          : `${variable} is unset, so OpenRC hotplugs no service`;
      return { status: 'done', reason: state + modernNote };
    }
    return {
      status: 'pending',
      reason: why.join('; ') + modernNote,
      changes,
      warnings:
        legacy && f.inDefault !== undefined
          ? [
              `on a remote machine, ${f.iface} stays down after the next reboot until xend starts: keep console access`,
            ]
          : [],
    };
  },
});
