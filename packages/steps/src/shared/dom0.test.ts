import { MemoryHost, View } from '@xen-gentoo/core';
import { describe, expect, it } from 'vitest';
import { bootImageOf, describeDom0, detectDom0, dom0From, kernelReleaseOf } from './dom0.js';

const XEN_VERSION = 'Linux version 6.12.58-gentoo-xen0 (root@dom0) (gcc 14.2.1) #1 SMP PREEMPT_DYNAMIC\n';
const PLAIN_VERSION = 'Linux version 6.12.58-gentoo (root@host) (gcc 14.2.1) #1 SMP PREEMPT_DYNAMIC\n';

describe('dom0 detection', () => {
  it('a dom0: control_d in /proc/xen/capabilities and xen in /sys/hypervisor/type', async () => {
    const host = new MemoryHost({
      '/proc/xen/capabilities': 'control_d\n',
      '/sys/hypervisor/type': 'xen\n',
      '/proc/version': XEN_VERSION,
      '/proc/cmdline': 'root=/dev/sda3 console=hvc0\n',
    });
    const f = await detectDom0(new View(host));
    expect(f).toMatchObject({
      dom0: true,
      underXen: true,
      xenfsUnmounted: false,
      hypervisorType: 'xen',
      kernelRelease: '6.12.58-gentoo-xen0',
      cmdline: 'root=/dev/sda3 console=hvc0',
      bootImage: undefined,
    });
    expect(f.evidence).toEqual([
      '/sys/hypervisor/type is "xen"',
      '/proc/xen/capabilities holds control_d',
      'running Linux 6.12.58-gentoo-xen0 (/proc/version)',
      '/proc/cmdline: root=/dev/sda3 console=hvc0',
    ]);
    expect(describeDom0(f)).toMatch(/^this system runs as Xen's dom0/);
  });

  it('a 2007 dom0 without /sys/hypervisor (XenLinux 2.6.x may lack it): capabilities decide', () => {
    const f = dom0From({ capabilities: 'control_d\n', hypervisorType: undefined });
    expect(f.dom0).toBe(true);
    expect(f.underXen).toBe(true);
  });

  it('the plain kernel: nothing of Xen, and which kernel booted how', async () => {
    const host = new MemoryHost({
      '/proc/version': PLAIN_VERSION,
      '/proc/cmdline': 'BOOT_IMAGE=/boot/vmlinuz-6.12.58-gentoo root=/dev/sda3 ro\n',
    });
    const f = await detectDom0(new View(host));
    expect(f).toMatchObject({ dom0: false, underXen: false, xenfsUnmounted: false });
    expect(f.bootImage).toBe('/boot/vmlinuz-6.12.58-gentoo');
    expect(f.kernelRelease).toBe('6.12.58-gentoo');
    expect(describeDom0(f)).toBe(
      'this system runs Linux 6.12.58-gentoo without Xen (/sys/hypervisor/type is missing; /proc/xen/capabilities is missing)',
    );
  });

  it('a guest (domU): Xen, but no control_d', () => {
    const f = dom0From({ capabilities: '', hypervisorType: 'xen\n' });
    expect(f).toMatchObject({ dom0: false, underXen: true, xenfsUnmounted: false });
    expect(describeDom0(f)).toMatch(/guest \(domU\), not as dom0/);
  });

  it('Xen with xenfs not mounted: under Xen, dom0 unknown, and the mount named', async () => {
    const host = new MemoryHost({ '/sys/hypervisor/type': 'xen\n', '/proc/xen/.keep': '' });
    const f = await detectDom0(new View(host));
    expect(f).toMatchObject({ dom0: false, underXen: true, xenfsUnmounted: true });
    expect(f.evidence[1]).toBe(
      '/proc/xen/capabilities is missing (/proc/xen is there: xenfs is not mounted)',
    );
    expect(describeDom0(f)).toMatch(/mount -t xenfs xenfs \/proc\/xen/);
  });

  it('another hypervisor is never Xen, whatever /proc/xen says', () => {
    expect(dom0From({ capabilities: 'control_d\n', hypervisorType: 'kvm\n' })).toMatchObject({
      dom0: false,
      underXen: false,
    });
  });

  it('control_d is a whole word: control_domain or xcontrol_d is not it', () => {
    expect(dom0From({ capabilities: 'xcontrol_d\n', hypervisorType: 'xen\n' }).dom0).toBe(false);
    expect(dom0From({ capabilities: 'control_d,other\n', hypervisorType: 'xen\n' }).dom0).toBe(true);
  });

  it('a mounted root (no /proc, no /sys) is not dom0', async () => {
    const f = await detectDom0(new View(new MemoryHost({ '/etc/hostname': 'x\n' })));
    expect(f).toMatchObject({ dom0: false, underXen: false, kernelRelease: undefined, cmdline: undefined });
  });

  it('reads the kernel release and BOOT_IMAGE', () => {
    expect(kernelReleaseOf('Linux version 2.6.20-xen-r6 (root@h) (gcc version 4.1.2)')).toBe('2.6.20-xen-r6');
    expect(kernelReleaseOf('garbage')).toBeUndefined();
    expect(bootImageOf('ro BOOT_IMAGE=(hd0,1)/vmlinuz root=/dev/sda1')).toBe('(hd0,1)/vmlinuz');
    expect(bootImageOf('root=/dev/sda1 XBOOT_IMAGE=x')).toBeUndefined();
  });
});
