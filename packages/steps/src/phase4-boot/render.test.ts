import { describe, expect, it } from 'vitest';
import { renderBootEntry } from './render.js';

describe('renderBootEntry', () => {
  it('grub2: a multiboot2 menuentry for 40_custom, then grub-mkconfig', () => {
    const r = renderBootEntry('grub2', { kernel: '6.12.41-gentoo', root: '/dev/sda3', serial: true });
    expect(r.file).toBe('/etc/grub.d/40_custom');
    expect(r.text).toBe(
      [
        "menuentry 'Xen / Linux 6.12.41-gentoo' --class gentoo --class xen {",
        '\tinsmod gzio',
        "\techo 'Loading Xen ...'",
        '\tmultiboot2 /boot/xen.gz dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1 noreboot',
        "\techo 'Loading Linux ...'",
        '\tmodule2 /boot/vmlinuz-6.12.41-gentoo-xen0 root=/dev/sda3 ro console=hvc0',
        '}',
        '',
      ].join('\n'),
    );
    expect(r.commands).toEqual([['grub-mkconfig', '-o', '/boot/grub/grub.cfg']]);
  });

  it("grub-legacy: the HOWTO's stanza on a separate /boot", () => {
    const r = renderBootEntry('grub-legacy', {
      kernel: '2.6.20-xen-r6',
      root: '/dev/sda3',
      era: 'legacy',
      bootDir: '',
      initrd: 'initramfs-genkernel-x86-2.6.20-xen-r6',
    });
    expect(r.text).toBe(
      [
        'title Xen / Linux 2.6.20-xen-r6',
        'root (hd0,0)',
        'kernel /xen.gz dom0_mem=256M',
        'module /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3',
        'module /initramfs-genkernel-x86-2.6.20-xen-r6',
        '',
      ].join('\n'),
    );
  });

  it('lilo: the image stanza and the commands around it', () => {
    const r = renderBootEntry('lilo', {
      kernel: '2.6.20-xen-r6',
      root: '/dev/sda3',
      era: 'legacy',
      dom0Mem: '96M',
    });
    expect(r.text).toBe(
      'image=/boot/vmlinuz-2.6.20-xen-r6-xen0-mpack\n\tlabel=xen\n\troot=/dev/sda3\n\tappend="dom0_mem=96M -- root=/dev/sda3"\n',
    );
    expect(r.commands.map((c) => c[0])).toEqual(['sh', 'sh', 'mbootpack', 'lilo']);
  });

  it('pxelinux: the DEFAULT line with TFTP-relative names', () => {
    const r = renderBootEntry('pxelinux', {
      kernel: '/boot/vmlinuz-2.6.12.5-xen0',
      initrd: 'initrd-2.6.12.5-xen0',
      era: 'legacy',
      dom0Mem: '258048',
      kernelArgs: 'ro console=ttyS0 root=/dev/nfs',
    });
    expect(r.text).toBe(
      'DEFAULT mboot.c32 xen.gz dom0_mem=252M --- vmlinuz-2.6.12.5-xen0 ro console=ttyS0 root=/dev/nfs --- initrd-2.6.12.5-xen0\n',
    );
  });

  it('errors name what was expected', () => {
    expect(() => renderBootEntry('grub2', { kernel: '6.1', dom0Mem: 'lots' })).toThrow(/expected .*size/);
    expect(() => renderBootEntry('grub-legacy', { kernel: '6.1', grubRoot: 'sda1' })).toThrow(
      /expected a GRUB legacy device/,
    );
    expect(() => renderBootEntry('grub2', { kernel: '6.1', serial: true, serialSpeed: 1234 })).toThrow(
      /expected one of 9600/,
    );
  });

  it("xen-efi: Xen's xen.cfg beside xen.efi on the ESP, the copies and the efibootmgr command", () => {
    const r = renderBootEntry('xen-efi', {
      kernel: '6.12.58-gentoo',
      root: '/dev/nvme0n1p2',
      initrd: 'initramfs-6.12.58-gentoo-xen0.img',
      serial: true,
      espDevice: '/dev/nvme0n1p1',
    });
    expect(r.file).toBe('/boot/efi/EFI/xen/xen.cfg');
    expect(r.text).toBe(
      [
        '# Xen / Linux 6.12.58-gentoo',
        '[global]',
        'default=xen',
        '',
        '[xen]',
        'options=dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1 noreboot',
        'kernel=vmlinuz-6.12.58-gentoo-xen0 root=/dev/nvme0n1p2 console=hvc0',
        'ramdisk=initramfs-6.12.58-gentoo-xen0.img',
        '',
      ].join('\n'),
    );
    expect(r.commands).toEqual([
      ['mkdir', '-p', '/boot/efi/EFI/xen'],
      ['cp', '--', '/usr/lib64/efi/xen.efi', '/boot/efi/EFI/xen/xen.efi'],
      ['cp', '--', '/boot/vmlinuz-6.12.58-gentoo-xen0', '/boot/efi/EFI/xen/vmlinuz-6.12.58-gentoo-xen0'],
      [
        'cp',
        '--',
        '/boot/initramfs-6.12.58-gentoo-xen0.img',
        '/boot/efi/EFI/xen/initramfs-6.12.58-gentoo-xen0.img',
      ],
      [
        'efibootmgr',
        '--create',
        '--disk',
        '/dev/nvme0n1',
        '--part',
        '1',
        '--loader',
        '\\EFI\\xen\\xen.efi',
        '--label',
        'Xen / Linux 6.12.58-gentoo',
      ],
    ]);
    expect(r.warnings).toEqual([]);
    expect(renderBootEntry('xen-efi', { kernel: '6.12.58-gentoo' }).warnings.join()).toMatch(/--esp-device/);
    expect(() => renderBootEntry('xen-efi', { kernel: '2.6.20-xen', era: 'legacy' })).toThrow(/2007 host/);
  });
});
