import { defineStep, type Change, type CommandChange, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { xenEntryName, type XenEntryName } from '../phase4-boot/entry-name.js';
import { detectBootFromAnswers } from '../phase4-boot/target.js';
import { SYSTEMD_XEN_UNITS } from '../phase2-xen/xen-services.js';
import { detectToolstack, type Toolstack } from '../phase7-net/toolstack.js';
import { describeDom0, detectDom0, type Dom0Facts } from '../shared/dom0.js';
import { getSystem } from '../shared/system-cache.js';
import type { InitSystem } from '../system.js';

/**
 * The Xen services to start after the reboot, in the order they need each other: 2007's xend
 * (xen-tools before 4.5); today's OpenRC services (xenstored needs xencommons, xenconsoled needs
 * xenstored; xenqemudev, the QEMU disk backend, before xendomains starts the guests that use it);
 * systemd's units (Xen's own).
 */
export const OPENRC_START_ORDER = ['xencommons', 'xenstored', 'xenconsoled', 'xenqemudev', 'xendomains'];

/** Where each init system records a started service (a service's name appended). */
export function startedRecord(initSystem: InitSystem): string {
  if (initSystem === 'baselayout1') return '/var/lib/init.d/started/';
  if (initSystem === 'systemd') return '/run/systemd/units/invocation:';
  return '/run/openrc/started/';
}

export interface RunningFacts {
  initSystem: InitSystem;
  toolstack: Toolstack;
  dom0: Dom0Facts;
  /** The Xen entry the boot steps write, by the name its menu shows. */
  entry: XenEntryName | undefined;
  /** The services to start, in order, each with whether the init system records it as started. */
  services: { name: string; started: boolean }[];
}

export function runningServices(initSystem: InitSystem, xend: boolean): string[] {
  if (xend) return ['xend'];
  return initSystem === 'systemd' ? SYSTEMD_XEN_UNITS : OPENRC_START_ORDER;
}

/** The commands that start `names` on this init system. */
export function startCommands(initSystem: InitSystem, names: string[]): CommandChange[] {
  if (names.length === 0) return [];
  if (initSystem === 'systemd')
    return [
      {
        kind: 'command',
        argv: ['systemctl', 'start', ...names],
        why: 'starts the Xen store, the console daemon, dom0 set-up, the QEMU disk backend and the autostarted guests now (enabled at boot by xen-services)',
        inRoot: true,
      },
    ];
  return names.map((name): CommandChange => ({
    kind: 'command',
    // The HOWTO's own `/etc/init.d/xend start` on baselayout 1; OpenRC's rc-service today.
    argv: initSystem === 'baselayout1' ? [`/etc/init.d/${name}`, 'start'] : ['rc-service', name, 'start'],
    why: `starts ${name} now (xen-services enabled it at boot)`,
    inRoot: true,
  }));
}

/** The check that the toolstack talks to the hypervisor: `xm info` (xend) or `xl info`. */
export function infoCheck(xend: boolean): CommandChange {
  return {
    kind: 'command',
    argv: [xend ? 'xm' : 'xl', 'info'],
    why: `checks that ${xend ? 'xend' : 'the toolstack'} answers and sees the hypervisor (fails with its error when a service did not come up)`,
    readOnly: true,
    inRoot: true,
  };
}

/** The person's part: the reboot into the Xen entry, by the name the menu shows. */
export function rebootText(entry: XenEntryName | undefined): string {
  const pick = entry
    ? `pick "${entry.name}" in ${entry.where}`
    : 'pick the Xen entry of the boot loader (see the boot steps)';
  return `Reboot and ${pick}; then run xen-gentoo apply again: it carries on with the Xen services (phase 5) and what follows.`;
}

/**
 * "Running Xen": after the reboot into the Xen entry, this system must run as dom0; then the
 * services are started and checked with `xm info` / `xl info`. Before the reboot the step waits
 * for the person, with nothing else to do.
 */
export const runningStep = defineStep<Answers, RunningFacts>({
  id: 'running',
  title: 'Boot into Xen and start its services',
  phase: 'Running Xen',
  howtoSection: 'Running Xen',
  after: ['xen-services', 'boot-grub', 'boot-lilo', 'boot-pxelinux'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const toolstack = await detectToolstack(view, answers, sys);
    const dom0 = await detectDom0(view);
    const boot = await detectBootFromAnswers({ view, answers });
    const record = startedRecord(sys.initSystem);
    const services = [];
    for (const name of runningServices(sys.initSystem, toolstack.xend))
      services.push({ name, started: (await view.stat(`${record}${name}`)) !== undefined });
    return { initSystem: sys.initSystem, toolstack, dom0, entry: xenEntryName(boot, answers.boot), services };
  },
  plan: planRunning,
});

export function planRunning(f: RunningFacts): StepPlan {
  const d = f.dom0;
  if (!d.dom0 && d.xenfsUnmounted)
    return {
      status: 'blocked',
      reason: `${describeDom0(d)}; then plan again`,
    };
  if (!d.dom0 && d.underXen)
    return { status: 'blocked', reason: `${describeDom0(d)}: run xen-gentoo on dom0` };
  if (!d.dom0) {
    const booted = d.bootImage ? `; it booted ${d.bootImage}` : '';
    return {
      status: 'pending',
      reason: `reboot into Xen: ${describeDom0(d)}${booted}`,
      changes: [{ kind: 'manual', text: rebootText(f.entry) }],
    };
  }
  const names = f.services.map((s) => s.name);
  const record = startedRecord(f.initSystem);
  if (f.services.every((s) => s.started))
    return {
      status: 'done',
      reason: `${describeDom0(d)}; ${names.join(', ')} recorded as started (${record}…)`,
    };
  if (!f.toolstack.toolsPresent)
    return { status: 'blocked', reason: 'app-emulation/xen-tools is not installed (emerge-xen)' };
  const missing = f.services.filter((s) => !s.started).map((s) => s.name);
  const changes: Change[] = [...startCommands(f.initSystem, missing), infoCheck(f.toolstack.xend)];
  const started = f.services.filter((s) => s.started).map((s) => s.name);
  return {
    status: 'pending',
    reason: [
      `start ${missing.join(', ')} and check with ${f.toolstack.xend ? 'xm' : 'xl'} info`,
      `${describeDom0(d)}`,
      ...(started.length ? [`already started: ${started.join(', ')}`] : []),
    ].join('; '),
    changes,
  };
}
