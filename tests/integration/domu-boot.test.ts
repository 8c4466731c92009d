/**
 * The image and the xl configuration the tool writes boot as a PV domU: `xen-gentoo domu add`
 * builds the image from a busybox stage tarball this test makes (no Gentoo stage3 offline;
 * emerge and the chroot fix-ups are Gentoo-only and skipped, as the test name says) and writes
 * /etc/xen/NAME; QEMU boots Debian's Xen 4.17 and a dom0 whose initramfs holds Debian's real
 * toolstack (xen-utils-4.17, extracted), which runs `xl create -c` on that very configuration.
 * The domU's own init prints a marker with files read from its disk.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootParts, haveTool } from './boot/parts.js';
import { buildGrubIso } from './boot/iso.js';
import {
  buildDom0Initramfs,
  buildDomuInitramfs,
  DOM0_TOOLS_MARKER,
  bootDomuQemu,
  xenToolsRoot,
} from './boot/domu.js';
import { addBusyboxGuest, busyboxStage, targetWithStage } from './domu-support.js';

const DOMU_MARKER = 'XG-DOMU-USERSPACE';
const isRoot = process.getuid?.() === 0;

describe.runIf(isRoot && haveTool('qemu-system-x86_64') && haveTool('grub-mkrescue'))(
  'a domU from a busybox stage tarball boots under Xen 4.17 in QEMU (recorded: emerge skipped)',
  () => {
    it('xl create on the configuration domu add wrote starts the image it built; its init runs', async () => {
      const parts = bootParts();
      const tools = xenToolsRoot();
      const kv = parts.kernelVersion;
      const work = mkdtempSync(join(tmpdir(), 'xg-domu-boot-'));
      const started = Date.now();

      // The "stage tarball": Debian's static busybox, an inittab whose sysinit prints the marker.
      const stage = join(work, 'stage');
      busyboxStage(stage, parts.busybox, ['sh', 'cat', 'mount', 'poweroff', 'grep', 'cut', 'tr', 'echo']);
      writeFileSync(join(stage, 'etc/inittab'), '::sysinit:/etc/rc.xg\n');
      writeFileSync(
        join(stage, 'etc/rc.xg'),
        `#!/bin/sh
mount -t proc proc /proc
hash=$(grep '^root:' /etc/shadow | cut -d: -f2 | cut -c1-3)
echo "${DOMU_MARKER} hostname=$(cat /etc/hostname) fstab=$(grep -c '^/dev/xvda' /etc/fstab) hash=$hash disk=[$(cat /root/disk-marker)] cmdline=[$(cat /proc/cmdline)]"
poweroff -f
`,
        { mode: 0o755 },
      );
      writeFileSync(join(stage, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
      writeFileSync(join(stage, 'etc/shadow'), 'root:*:19000:0:::::\n', { mode: 0o600 });
      writeFileSync(join(stage, 'root/disk-marker'), 'read from the domU disk\n');

      // A target root (today's sample) with the stage, the domU kernel and its initramfs.
      const target = targetWithStage('xg-domu-root-', stage);
      const kernel = `/boot/vmlinuz-${kv}-xenU`;
      const ramdisk = `/boot/initramfs-${kv}-xenU.img`;
      copyFileSync(parts.vmlinuz, join(target, kernel));
      writeFileSync(join(target, ramdisk), buildDomuInitramfs(parts));
      writeFileSync(join(work, 'pw'), 'domu-boot-root-pw\n');

      const add = addBusyboxGuest(target, [
        '--disk-size',
        '32M',
        '--swap',
        '8M',
        '--memory',
        '128',
        '--kernel',
        kernel,
        '--ramdisk',
        ramdisk,
        '--hostname',
        'bb-domu',
        '--root-password-file',
        join(work, 'pw'),
      ]);
      expect(add.status, add.stderr).toBe(0);
      const config = readFileSync(join(target, 'etc/xen/bb'), 'utf8');
      expect(config).toContain(`kernel = "${kernel}"`);
      expect(config).toContain(`ramdisk = "${ramdisk}"`);
      expect(config).toContain("disk = [ 'format=raw, vdev=xvda, access=rw, target=/var/xen/bb.img' ]");
      const bridge = /bridge=([A-Za-z0-9_.-]+)/.exec(config)?.[1];

      // dom0: its initramfs carries the files at the paths the configuration names.
      const dom0Initrd = buildDom0Initramfs(
        parts,
        tools,
        {
          '/etc/xen/bb': join(target, 'etc/xen/bb'),
          [kernel]: join(target, kernel),
          [ramdisk]: join(target, ramdisk),
          '/var/xen/bb.img': join(target, 'var/xen/bb.img'),
        },
        '/etc/xen/bb',
        bridge,
      );
      const cfg = `set timeout=0
set default=0
menuentry 'Xen 4.17, dom0 with the xl toolstack' {
\tmultiboot2 /boot/xen.gz dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1 noreboot
\tmodule2 /boot/vmlinuz-${kv} console=hvc0 quiet
\tmodule2 --nounzip /boot/initramfs-dom0.img
}
`;
      const iso = buildGrubIso(
        work,
        {
          'boot/xen.gz': parts.xen,
          [`boot/vmlinuz-${kv}`]: parts.vmlinuz,
          'boot/initramfs-dom0.img': dom0Initrd,
        },
        cfg,
      );
      const prepared = (Date.now() - started) / 1000;
      const r = await bootDomuQemu(['-cdrom', iso, '-boot', 'd'], join(work, 'serial.log'));
      console.log(
        `domU boot: ${r.outcome} after ${r.seconds.toFixed(1)} s in QEMU, ${prepared.toFixed(1)} s to prepare (serial log: ${work}/serial.log)`,
      );
      const tail = r.log.slice(-6000);
      expect(r.log, tail).toContain(DOM0_TOOLS_MARKER);
      const marker = r.log
        .split(/\r?\n/)
        .find((l) => l.includes(DOMU_MARKER))
        ?.trim();
      expect(marker, tail).toBeDefined();
      expect(marker).toMatch(/hostname=bb-domu fstab=1 hash=\$6\$ disk=\[read from the domU disk\]/);
      expect(marker).toMatch(/cmdline=\[root=\/dev\/xvda ro console=hvc0\]/);
      expect(r.outcome, tail).toBe('done');
      expect(r.log).toMatch(/XG-DOM0-XL-DONE rc=0/);
      // the secret never reaches the console
      expect(r.log).not.toContain('domu-boot-root-pw');
      expect(existsSync(join(target, 'var/xen/bb.img.xen-gentoo-stage'))).toBe(false);
    });
  },
);
