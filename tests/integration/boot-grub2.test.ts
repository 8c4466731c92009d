import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildXenEntry, customFileOutput, mergeGrub2Custom } from '@xen-gentoo/bootloader';
import { describe, expect, it } from 'vitest';
import { buildInitramfs } from './boot/initramfs.js';
import { buildGrubIso, grubScriptCheck } from './boot/iso.js';
import { bootParts } from './boot/parts.js';
import { bootChecks, bootQemu } from './boot/qemu.js';

describe('GRUB 2 entry boots Xen and a dom0 in QEMU', () => {
  it('boots', async () => {
    const parts = bootParts();
    const work = mkdtempSync(join(tmpdir(), 'xg-grub2-'));
    const entry = buildXenEntry({
      title: 'Gentoo GNU/Linux, with Xen hypervisor',
      xenPath: '/boot/xen.gz',
      kernelPath: `/boot/vmlinuz-${parts.kernelVersion}-xen0`,
      initrdPath: `/boot/initramfs-${parts.kernelVersion}-xen0.img`,
      dom0Mem: '1024M,max:1024M',
      serial: { port: 'com1', speed: 115200, dom0Console: 'hvc0' },
      noreboot: true,
    });
    const custom = mergeGrub2Custom(null, entry).text;
    grubScriptCheck(work, '40_custom.cfg', customFileOutput(custom));
    const cfg = `set timeout=0\nset default=0\n${customFileOutput(custom)}`;
    grubScriptCheck(work, 'grub.cfg', cfg);
    const iso = buildGrubIso(
      work,
      {
        'boot/xen.gz': parts.xen,
        [`boot/vmlinuz-${parts.kernelVersion}-xen0`]: parts.vmlinuz,
        [`boot/initramfs-${parts.kernelVersion}-xen0.img`]: buildInitramfs(parts),
      },
      cfg,
    );
    const r = await bootQemu(['-cdrom', iso, '-boot', 'd'], join(work, 'serial.log'));
    writeFileSync(join(work, 'result.txt'), `${r.outcome} ${r.seconds}\n`);
    console.log(`grub2 boot: ${r.outcome} in ${r.seconds.toFixed(1)} s (${work})`);
    const c = bootChecks(r.log);
    expect(r.outcome, r.log.slice(-3000)).toBe('marker');
    expect(c.xenBanner).toBe(true);
    expect(c.dom0UnderXen).toBe(true);
    expect(c.marker).toMatch(/hypervisor=xen caps=control_d/);
  });
});
