import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryHost, View } from '@xen-gentoo/core';
import { detectDom0 } from '@xen-gentoo/steps';
import { describe, expect, it } from 'vitest';
import { buildInitramfs, DOM0_FILES, dom0Files } from './boot/initramfs.js';
import { buildGrubIso } from './boot/iso.js';
import { bootParts } from './boot/parts.js';
import { bootQemu } from './boot/qemu.js';

/**
 * The dom0-detection rules against what a real system shows: the test initramfs prints the bytes
 * of /proc/xen/capabilities, /sys/hypervisor/type, /proc/version and /proc/cmdline into the
 * serial log; those files, as they were, are what detectDom0 reads.
 */
async function factsOf(log: string) {
  const files = dom0Files(log);
  return { files, facts: await detectDom0(new View(new MemoryHost(files))) };
}

describe('dom0 detection against real boots (Xen 4.17 and Debian Linux in QEMU)', () => {
  it('the dom0 Xen starts is detected as dom0, from the files it really has', async () => {
    const parts = bootParts();
    const work = mkdtempSync(join(tmpdir(), 'xg-dom0-'));
    const cfg = [
      'set timeout=0',
      'set default=0',
      'menuentry "Xen" {',
      '\tmultiboot2 /boot/xen.gz dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1',
      '\tmodule2 /boot/vmlinuz console=hvc0',
      '\tmodule2 --nounzip /boot/initramfs.img',
      '}',
      '',
    ].join('\n');
    const iso = buildGrubIso(
      work,
      {
        'boot/xen.gz': parts.xen,
        'boot/vmlinuz': parts.vmlinuz,
        'boot/initramfs.img': buildInitramfs(parts),
      },
      cfg,
    );
    const r = await bootQemu(['-cdrom', iso, '-boot', 'd'], join(work, 'serial.log'));
    console.log(`dom0 boot: ${r.outcome} after ${r.seconds.toFixed(1)} s (serial log: ${work}/serial.log)`);
    expect(r.outcome, r.log.slice(-3000)).toBe('marker');
    const { files, facts } = await factsOf(r.log);
    expect(Object.keys(files).sort()).toEqual([...DOM0_FILES].sort());
    expect(files['/proc/xen/capabilities']).toBe('control_d\n');
    expect(files['/sys/hypervisor/type']).toBe('xen\n');
    expect(facts).toMatchObject({ dom0: true, underXen: true, xenfsUnmounted: false, hypervisorType: 'xen' });
    expect(facts.kernelRelease).toBe(parts.kernelVersion);
    expect(facts.cmdline).toBe('console=hvc0');
  });

  it('the same kernel booted without Xen is not dom0, and says which kernel ran', async () => {
    const parts = bootParts();
    const work = mkdtempSync(join(tmpdir(), 'xg-plain-'));
    const initrd = join(work, 'initramfs.img');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(initrd, buildInitramfs(parts));
    const r = await bootQemu(
      [
        '-kernel',
        parts.vmlinuz,
        '-initrd',
        initrd,
        '-append',
        'console=ttyS0 BOOT_IMAGE=/boot/vmlinuz-plain',
      ],
      join(work, 'serial.log'),
    );
    console.log(`plain boot: ${r.outcome} after ${r.seconds.toFixed(1)} s (serial log: ${work}/serial.log)`);
    expect(r.outcome, r.log.slice(-3000)).toBe('marker');
    const { files, facts } = await factsOf(r.log);
    expect(files['/proc/xen/capabilities']).toBeUndefined();
    expect(files['/sys/hypervisor/type']).toBeUndefined();
    expect(facts).toMatchObject({ dom0: false, underXen: false, xenfsUnmounted: false });
    expect(facts.kernelRelease).toBe(parts.kernelVersion);
    expect(facts.bootImage).toBe('/boot/vmlinuz-plain');
  });
});
