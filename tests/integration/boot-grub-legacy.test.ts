import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBootDisk } from './boot/disk.js';
import { buildInitramfs } from './boot/initramfs.js';
import { buildGrubIso } from './boot/iso.js';
import { bootParts } from './boot/parts.js';
import { bootXenDom0 } from './boot/qemu.js';
import { bootAnswers, bootTarget, planBootStep, plannedFile } from './boot/target.js';

/**
 * There is no GRUB 0.97 package to boot with, so GRUB 2 reads the grub.conf through its
 * legacy_configfile command: this proves the stanza's syntax and the partition-relative file
 * layout (/boot on its own partition, root (hd0,0)), not GRUB 0.97 itself. Through this path
 * GRUB 2 passes the image names as the first word of each command line and Xen, seeing a
 * "GRUB 2" loader, keeps them; GRUB 0.97 announces itself differently and Xen strips them.
 */
describe('GRUB legacy: the stanza boot-grub writes on the 2007 sample', () => {
  it("boots Xen and a dom0 through GRUB 2's legacy_configfile", async () => {
    const parts = bootParts();
    const kv = parts.kernelVersion;
    const work = mkdtempSync(join(tmpdir(), 'xg-legacy-'));
    const root = bootTarget('legacy-x86', parts, true);
    // Debian's pv_ops kernel names Xen's console hvc0 where the HOWTO's xenlinux said ttyS0;
    // the last console= is the one /init writes to.
    const answers = bootAnswers({ serial: 'yes', kernel_args: 'console=hvc0' });
    const plan = await planBootStep(root, 'boot-grub', answers);
    const conf = plannedFile(plan, '/boot/grub/grub.conf');
    expect(conf).toContain(
      [
        'title Xen 4.17 / Linux 6.1.0-56-amd64'.replace('6.1.0-56-amd64', kv),
        'root (hd0,0)',
        'kernel /xen.gz dom0_mem=256M com1=115200,8n1 console=com1,vga noreboot',
        `module /vmlinuz-${kv}-xen0 root=/dev/sda3 console=ttyS0 console=hvc0`,
        `module /initramfs-${kv}-xen0.img`,
      ].join('\n'),
    );

    // The user picks the Xen entry (number 1) in the menu; the test does it with default/timeout.
    const menu = conf.replace(/^default 0$/m, 'default 1').replace(/^timeout 10$/m, 'timeout 0');
    const boot = join(work, 'boot');
    mkdirSync(join(boot, 'grub'), { recursive: true });
    writeFileSync(join(boot, 'grub', 'grub.conf'), menu);
    copyFileSync(parts.xen, join(boot, 'xen.gz'));
    copyFileSync(parts.vmlinuz, join(boot, `vmlinuz-${kv}-xen0`));
    writeFileSync(join(boot, `initramfs-${kv}-xen0.img`), buildInitramfs(parts));
    const disk = join(work, 'disk.img');
    buildBootDisk(disk, boot);
    const iso = buildGrubIso(
      work,
      {},
      'insmod part_msdos\ninsmod ext2\ninsmod legacycfg\nlegacy_configfile (hd0,msdos1)/grub/grub.conf\n',
    );
    const r = await bootXenDom0('GRUB legacy stanza', work, [
      '-drive',
      `file=${disk},format=raw,if=ide,index=0`,
      '-cdrom',
      iso,
      '-boot',
      'd',
    ]);
    expect(r.marker).toMatch(/hypervisor=xen caps=control_d/);
  });
});
