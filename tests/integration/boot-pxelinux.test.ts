import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildXenEntry, mergePxelinuxConfig, pxelinuxTftpFiles } from '@xen-gentoo/bootloader';
import { describe, expect, it } from 'vitest';
import { buildInitramfs } from './boot/initramfs.js';
import { bootParts } from './boot/parts.js';
import { bootChecks, bootQemu } from './boot/qemu.js';

describe('PXELinux entry boots Xen and a dom0 over QEMU network boot', () => {
  it('boots', async () => {
    const parts = bootParts();
    const work = mkdtempSync(join(tmpdir(), 'xg-pxe-'));
    const tftp = join(work, 'tftp');
    mkdirSync(join(tftp, 'pxelinux.cfg'), { recursive: true });
    const entry = buildXenEntry({
      title: 'xen',
      xenPath: 'xen.gz',
      kernelPath: `vmlinuz-${parts.kernelVersion}-xen0`,
      initrdPath: `initrd-${parts.kernelVersion}-xen0`,
      dom0Mem: '1024M,max:1024M',
      serial: { port: 'com1', speed: 115200, dom0Console: 'hvc0' },
      noreboot: true,
    });
    const cfg = mergePxelinuxConfig(null, entry).text;
    writeFileSync(join(tftp, 'pxelinux.cfg', 'default'), cfg);
    const sources: Record<string, string> = {
      'pxelinux.0': parts.pxelinux,
      'xen.gz': parts.xen,
      [entry.kernel.path]: parts.vmlinuz,
    };
    for (const f of pxelinuxTftpFiles(entry, { syslinuxDir: parts.syslinuxModules, syslinuxMajor: 6 })) {
      if (f.name === entry.initrd) writeFileSync(join(tftp, f.name), buildInitramfs(parts));
      else copyFileSync(sources[f.name] ?? f.source ?? '', join(tftp, f.name));
    }
    const r = await bootQemu(
      ['-netdev', `user,id=n0,tftp=${tftp},bootfile=pxelinux.0`, '-device', 'e1000,netdev=n0', '-boot', 'n'],
      join(work, 'serial.log'),
    );
    console.log(`pxelinux boot: ${r.outcome} in ${r.seconds.toFixed(1)} s (${work})`);
    const c = bootChecks(r.log);
    expect(r.outcome, r.log.slice(-3000)).toBe('marker');
    expect(c.xenBanner).toBe(true);
    expect(c.dom0UnderXen).toBe(true);
    expect(c.marker).toMatch(/hypervisor=xen caps=control_d/);
  });
});
