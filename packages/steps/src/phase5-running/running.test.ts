import { MemoryHost, View, planStep, type StepPlan } from '@xen-gentoo/core';
import { describe, expect, it } from 'vitest';
import type { Answers } from '../answers/index.js';
import { answers, legacyTarget, modernTarget, planOn } from '../testing/fixtures.js';
import { runningStep } from './running.js';

const DOM0 = { '/proc/xen/capabilities': 'control_d\n', '/sys/hypervisor/type': 'xen\n' };
const LEGACY_TOOLS = { '/var/db/pkg/app-emulation/xen-tools-3.1.2/CATEGORY': 'app-emulation' };
const MODERN_TOOLS = { '/var/db/pkg/app-emulation/xen-tools-4.19.1/CATEGORY': 'app-emulation' };
const GRUB2 = { '/etc/default/grub': 'GRUB_DISTRIBUTOR="Gentoo"\n' };
const GRUB_LEGACY = {
  '/boot/grub/grub.conf':
    'default 0\ntimeout 5\n\ntitle Gentoo Linux 2.6.18\nroot (hd0,0)\nkernel /boot/vmlinuz-2.6.18-gentoo root=/dev/sda3\n',
  '/boot/vmlinuz-2.6.20-xen-r6-xen0': 'kernel\n',
  '/boot/xen-3.1.2.gz': 'xen\n',
};

const argvs = (plan: StepPlan): string[] =>
  plan.status === 'pending'
    ? plan.changes.map((c) =>
        c.kind === 'command' ? c.argv.join(' ') : `${c.kind}: ${'text' in c ? c.text : ''}`,
      )
    : [];

/** Plan, then record the services as started the way the init system does, then plan again. */
async function startedAfter(host: MemoryHost, record: string, names: string[], a: Answers = answers()) {
  const first = await planOn(runningStep, host, a);
  for (const name of names) host.links.set(`${record}${name}`, `/etc/init.d/${name}`);
  const second = await planOn(runningStep, host, a);
  return { first, second };
}

describe('running (phase 5): before the reboot', () => {
  it('2007 host on the plain kernel: only the reboot, into the GRUB entry the boot step writes', async () => {
    const host = legacyTarget({
      ...LEGACY_TOOLS,
      ...GRUB_LEGACY,
      '/proc/version': 'Linux version 2.6.18-gentoo (root@h) (gcc version 4.1.2)\n',
      '/proc/cmdline': 'root=/dev/sda3\n',
    });
    const plan = await planOn(runningStep, host);
    expect(plan.status).toBe('pending');
    expect(argvs(plan)).toEqual([
      'manual: Reboot and pick "Xen 3.1 / Linux 2.6.20-xen-r6" in GRUB\'s menu; then run xen-gentoo apply again: it carries on with the Xen services (phase 5) and what follows.',
    ]);
    expect(plan.reason).toBe(
      'reboot into Xen: this system runs Linux 2.6.18-gentoo without Xen (/sys/hypervisor/type is missing; /proc/xen/capabilities is missing)',
    );
  });

  it('today on GRUB 2: the entry grub-mkconfig writes, and which kernel booted instead', async () => {
    const host = modernTarget({
      ...MODERN_TOOLS,
      ...GRUB2,
      '/proc/version': 'Linux version 6.12.58-gentoo (root@h) (gcc 14)\n',
      '/proc/cmdline': 'BOOT_IMAGE=/boot/vmlinuz-6.12.58-gentoo root=/dev/sda3 ro\n',
    });
    const plan = await planOn(runningStep, host);
    expect(argvs(plan)).toEqual([
      'manual: Reboot and pick "Gentoo GNU/Linux, with Xen hypervisor" in GRUB\'s menu (written by grub-mkconfig); then run xen-gentoo apply again: it carries on with the Xen services (phase 5) and what follows.',
    ]);
    expect(plan.reason).toMatch(/without Xen .*; it booted \/boot\/vmlinuz-6\.12\.58-gentoo$/);
  });

  it('the reboot waits whatever else is pending: no service command before it', async () => {
    const plan = await planOn(runningStep, modernTarget());
    expect(plan.status).toBe('pending');
    expect(argvs(plan)).toHaveLength(1);
    expect(argvs(plan)[0]).toMatch(/^manual: Reboot and pick the Xen entry of the boot loader/);
  });
});

describe('running (phase 5): after the reboot into Xen', () => {
  it('2007: /etc/init.d/xend start and xm info; done once baselayout records xend as started', async () => {
    const host = legacyTarget({ ...LEGACY_TOOLS, ...DOM0 });
    const { first, second } = await startedAfter(host, '/var/lib/init.d/started/', ['xend']);
    expect(first.status).toBe('pending');
    expect(argvs(first)).toEqual(['/etc/init.d/xend start', 'xm info']);
    expect(first.reason).toMatch(/^start xend and check with xm info; this system runs as Xen's dom0/);
    expect(second).toMatchObject({ status: 'done' });
    expect(second.reason).toMatch(/xend recorded as started \(\/var\/lib\/init\.d\/started\/…\)$/);
  });

  it('today (OpenRC): the services in the order they need each other, then xl info', async () => {
    const host = modernTarget({ ...MODERN_TOOLS, ...DOM0 });
    const names = ['xencommons', 'xenstored', 'xenconsoled', 'xenqemudev', 'xendomains'];
    const { first, second } = await startedAfter(host, '/run/openrc/started/', names);
    expect(argvs(first)).toEqual([...names.map((n) => `rc-service ${n} start`), 'xl info']);
    expect(second.status).toBe('done');
  });

  it('today (OpenRC): services OpenRC already started are not started again', async () => {
    const host = modernTarget(
      { ...MODERN_TOOLS, ...DOM0 },
      {
        '/run/openrc/started/xencommons': '/etc/init.d/xencommons',
        '/run/openrc/started/xenstored': '/etc/init.d/xenstored',
      },
    );
    const plan = await planOn(runningStep, host);
    expect(argvs(plan)).toEqual([
      'rc-service xenconsoled start',
      'rc-service xenqemudev start',
      'rc-service xendomains start',
      'xl info',
    ]);
    expect(plan.reason).toMatch(/already started: xencommons, xenstored$/);
  });

  it("today (systemd): one systemctl start of Xen's units; done once systemd records them", async () => {
    const host = modernTarget(
      { ...MODERN_TOOLS, ...DOM0 },
      {
        '/etc/portage/make.profile': '../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd',
      },
    );
    host.files.set('/var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd/eapi', '8\n');
    const units = [
      'xenstored.service',
      'xenconsoled.service',
      'xen-init-dom0.service',
      'xen-qemu-dom0-disk-backend.service',
      'xendomains.service',
    ];
    const { first, second } = await startedAfter(host, '/run/systemd/units/invocation:', units);
    expect(argvs(first)).toEqual([`systemctl start ${units.join(' ')}`, 'xl info']);
    expect(second.status).toBe('done');
  });

  it('xl info is a read-only check; the start commands are not', async () => {
    const plan = await planOn(runningStep, modernTarget({ ...MODERN_TOOLS, ...DOM0 }));
    if (plan.status !== 'pending') throw new Error(plan.reason);
    const commands = plan.changes.filter((c) => c.kind === 'command');
    expect(commands.map((c) => c.readOnly ?? false)).toEqual([false, false, false, false, false, true]);
  });

  it('dom0 without xen-tools is blocked on emerge-xen', async () => {
    const plan = await planOn(runningStep, modernTarget({ ...DOM0 }));
    expect(plan).toMatchObject({
      status: 'blocked',
      reason: 'app-emulation/xen-tools is not installed (emerge-xen)',
    });
  });

  it('a Xen guest is not dom0; Xen with xenfs unmounted names the mount', async () => {
    const guest = await planOn(
      runningStep,
      modernTarget({ ...MODERN_TOOLS, '/proc/xen/capabilities': '\n', '/sys/hypervisor/type': 'xen\n' }),
    );
    expect(guest.status).toBe('blocked');
    expect(guest.reason).toMatch(/guest \(domU\), not as dom0.*run xen-gentoo on dom0/);
    const unmounted = await planOn(
      runningStep,
      modernTarget({ ...MODERN_TOOLS, '/sys/hypervisor/type': 'xen\n' }),
    );
    expect(unmounted.status).toBe('blocked');
    expect(unmounted.reason).toMatch(/mount -t xenfs xenfs \/proc\/xen/);
  });

  it('planning is pure: the same view planned twice gives the same plan', async () => {
    const host = modernTarget({ ...MODERN_TOOLS, ...DOM0 });
    const view = new View(host);
    const a = answers();
    expect(await planStep(runningStep, view, a)).toEqual(await planStep(runningStep, view, a));
  });
});
