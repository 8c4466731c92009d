import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInitramfs } from './boot/initramfs.js';
import { bootParts } from './boot/parts.js';
import { bootXenDom0 } from './boot/qemu.js';
import { bootAnswers, bootTarget, planBootStep, plannedFile } from './boot/target.js';

describe('PXELinux: the entry boot-pxelinux writes', () => {
  it('boots Xen and a dom0 over QEMU network boot with the files the plan copies', async () => {
    const parts = bootParts();
    const kv = parts.kernelVersion;
    const work = mkdtempSync(join(tmpdir(), 'xg-pxe-'));
    const root = bootTarget('current-amd64', parts, true);
    for (const f of ['pxelinux.0', 'mboot.c32', 'ldlinux.c32', 'libcom32.c32']) {
      mkdirSync(join(root, 'usr/share/syslinux'), { recursive: true });
      writeFileSync(join(root, 'usr/share/syslinux', f), 'placeholder');
    }
    const plan = await planBootStep(
      root,
      'boot-pxelinux',
      bootAnswers({ pxe_dir: '/srv/tftp', serial: 'yes' }),
    );
    const cfg = plannedFile(plan, '/srv/tftp/pxelinux.cfg/default');
    expect(cfg).toContain(
      `DEFAULT mboot.c32 xen.gz dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot --- vmlinuz-${kv}-xen0 console=hvc0 --- initramfs-${kv}-xen0.img\n`,
    );

    // Carry the plan out into a TFTP root, with Debian's real files in place of the placeholders.
    const tftp = join(work, 'tftp');
    mkdirSync(join(tftp, 'pxelinux.cfg'), { recursive: true });
    writeFileSync(join(tftp, 'pxelinux.cfg', 'default'), cfg);
    const real = (source: string): string | Buffer => {
      const name = basename(source);
      if (name === 'pxelinux.0') return parts.pxelinux;
      if (source.startsWith('/usr/share/syslinux/')) return join(parts.syslinuxModules, name);
      if (name === 'xen.gz') return parts.xen;
      if (name === `vmlinuz-${kv}-xen0`) return parts.vmlinuz;
      if (name === `initramfs-${kv}-xen0.img`) return buildInitramfs(parts);
      throw new Error(`unexpected source ${source}`);
    };
    if (plan.status !== 'pending') throw new Error(plan.reason);
    const copied: string[] = [];
    for (const c of plan.changes) {
      if (c.kind !== 'command') continue;
      expect(c.argv.slice(0, 3)).toEqual(['cp', '-L', '--']);
      const [src = '', dst = ''] = c.argv.slice(3);
      const content = real(src);
      const out = join(tftp, dst.replace(/^\/srv\/tftp\//, ''));
      if (typeof content === 'string') copyFileSync(content, out);
      else writeFileSync(out, content);
      copied.push(basename(dst));
    }
    expect(copied.sort()).toEqual(
      [
        'ldlinux.c32',
        'libcom32.c32',
        'mboot.c32',
        'pxelinux.0',
        'xen.gz',
        `vmlinuz-${kv}-xen0`,
        `initramfs-${kv}-xen0.img`,
      ].sort(),
    );

    const r = await bootXenDom0('PXELinux', work, [
      '-netdev',
      `user,id=n0,tftp=${tftp},bootfile=pxelinux.0`,
      '-device',
      'e1000,netdev=n0',
      '-boot',
      'n',
    ]);
    expect(r.marker).toMatch(/hypervisor=xen caps=control_d cmdline=\[console=hvc0\]/);
  });
});
