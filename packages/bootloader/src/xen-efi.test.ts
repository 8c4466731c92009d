import { describe, expect, it } from 'vitest';
import { buildXenEntry } from './entry.js';
import {
  efibootmgrCreateArgv,
  mergeXenEfiConfig,
  parseEfiBootEntry,
  parseEfiBootOrder,
  parseSecureBoot,
  peSigned,
  readXenEfiSection,
  renderXenEfiConfig,
  sameEfiPath,
  splitPartition,
} from './xen-efi.js';

const entry = buildXenEntry({
  title: 'Xen 4.19 / Linux 6.12.58-gentoo',
  xenPath: 'xen.efi',
  kernelPath: '/boot/efi/EFI/xen/vmlinuz-6.12.58-gentoo-xen0',
  initrdPath: 'initramfs-6.12.58-gentoo-xen0.img',
  dom0Mem: '1024M,max:1024M',
  rootDevice: '/dev/sda3',
  serial: { port: 'com1', speed: 115200, dom0Console: 'hvc0', vga: true },
  noreboot: true,
});

const RENDERED = `# Xen 4.19 / Linux 6.12.58-gentoo
[global]
default=xen

[xen]
options=dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot
kernel=vmlinuz-6.12.58-gentoo-xen0 root=/dev/sda3 console=hvc0
ramdisk=initramfs-6.12.58-gentoo-xen0.img
`;

/** An efivarfs Boot#### file: attributes, then the EFI_LOAD_OPTION with a File Path node. */
function bootVar(label: string, loader: string, active = true): Uint8Array {
  const u16 = (s: string): number[] => [...s].flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8]);
  const hd = [0x04, 0x01, 42, 0, ...new Array<number>(38).fill(0)];
  const path = [...u16(loader), 0, 0];
  const file = [0x04, 0x04, (path.length + 4) & 0xff, (path.length + 4) >> 8, ...path];
  const end = [0x7f, 0xff, 4, 0];
  const list = [...hd, ...file, ...end];
  return Uint8Array.from([
    7,
    0,
    0,
    0,
    active ? 1 : 0,
    0,
    0,
    0,
    list.length & 0xff,
    list.length >> 8,
    ...u16(label),
    0,
    0,
    ...list,
  ]);
}

describe("xen.cfg, Xen's EFI configuration file", () => {
  it('renders [global] default= and one section with options=, kernel= and ramdisk=', () => {
    expect(renderXenEfiConfig(entry)).toBe(RENDERED);
    expect(readXenEfiSection(RENDERED)).toEqual({
      section: 'xen',
      options: 'dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot',
      kernel: 'vmlinuz-6.12.58-gentoo-xen0 root=/dev/sda3 console=hvc0',
      ramdisk: 'initramfs-6.12.58-gentoo-xen0.img',
    });
  });

  it('creates the file, then changes nothing the second time', () => {
    const first = mergeXenEfiConfig(null, entry);
    expect(first.action).toBe('created');
    const second = mergeXenEfiConfig(first.text, entry);
    expect(second).toMatchObject({ action: 'unchanged', text: first.text });
  });

  it("updates the default section in place, keeping the administrator's options, keys, sections and comments", () => {
    const before = [
      '; my Xen',
      '[global]',
      'default=prod',
      '',
      '[prod]',
      'options=dom0_mem=512M iommu=no-intremap loglvl=all # noisy',
      'kernel=vmlinuz-6.6.1-gentoo-xen0 root=/dev/sda3 quiet',
      'ucode=intel-ucode.bin',
      '',
      '[rescue]',
      'options=dom0_mem=512M',
      'kernel=vmlinuz-old',
      '',
    ].join('\n');
    const r = mergeXenEfiConfig(before, entry);
    expect(r.action).toBe('updated');
    expect(r.section).toBe('prod');
    expect(r.text).toBe(
      [
        '; my Xen',
        '[global]',
        'default=prod',
        '',
        '[prod]',
        'options=dom0_mem=1024M,max:1024M iommu=no-intremap loglvl=all com1=115200,8n1 console=com1,vga noreboot',
        'kernel=vmlinuz-6.12.58-gentoo-xen0 root=/dev/sda3 quiet console=hvc0',
        'ucode=intel-ucode.bin',
        'ramdisk=initramfs-6.12.58-gentoo-xen0.img',
        '',
        '[rescue]',
        'options=dom0_mem=512M',
        'kernel=vmlinuz-old',
        '',
      ].join('\n'),
    );
    expect(mergeXenEfiConfig(r.text, entry).action).toBe('unchanged');
  });

  it('adds [global] default= when the file has none, and a last newline Xen needs', () => {
    const r = mergeXenEfiConfig('[xen]\noptions=loglvl=all', entry);
    expect(r.text.startsWith('[global]\ndefault=xen\n\n[xen]\n')).toBe(true);
    expect(r.text.endsWith('\n')).toBe(true);
  });

  it("refuses what Xen's reader would cut: '#' starts a comment, a tab ends the line", () => {
    const bad = buildXenEntry({ title: 't', xenPath: 'xen.efi', kernelPath: 'vmlinuz', kernelArgs: ['a#b'] });
    expect(() => renderXenEfiConfig(bad)).toThrow(/without '#'/);
  });
});

describe('efibootmgr (needs real UEFI firmware; its argv is checked against efibootmgr(8)): the boot entry', () => {
  /** The long options efibootmgr(8) documents that take a value, and those that do not. */
  const WITH_VALUE = new Set([
    '--disk',
    '--part',
    '--loader',
    '--label',
    '--bootnum',
    '--bootorder',
    '--timeout',
  ]);
  const FLAGS = new Set([
    '--create',
    '--create-only',
    '--active',
    '--inactive',
    '--unicode',
    '--quiet',
    '--verbose',
  ]);

  it('creates the entry with --create --disk --part --loader --label, each documented', () => {
    const argv = efibootmgrCreateArgv({ disk: '/dev/nvme0n1', part: 1, label: 'Xen' });
    expect(argv).toEqual([
      'efibootmgr',
      '--create',
      '--disk',
      '/dev/nvme0n1',
      '--part',
      '1',
      '--loader',
      '\\EFI\\xen\\xen.efi',
      '--label',
      'Xen',
    ]);
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i] ?? '';
      if (FLAGS.has(a)) continue;
      expect(WITH_VALUE.has(a), a).toBe(true);
      i++;
    }
    // never an option that drops the administrator's entries or order
    expect(argv).not.toContain('--delete-bootnum');
    expect(argv).not.toContain('--delete-bootorder');
    expect(argv).not.toContain('--bootorder');
  });

  it('splits the ESP device into disk and partition', () => {
    expect(splitPartition('/dev/sda1')).toEqual({ disk: '/dev/sda', part: 1 });
    expect(splitPartition('/dev/nvme0n1p2')).toEqual({ disk: '/dev/nvme0n1', part: 2 });
    expect(splitPartition('/dev/mmcblk0p1')).toEqual({ disk: '/dev/mmcblk0', part: 1 });
    expect(splitPartition('/dev/vdb12')).toEqual({ disk: '/dev/vdb', part: 12 });
    expect(splitPartition('UUID=1234-ABCD')).toBeUndefined();
    expect(() => efibootmgrCreateArgv({ disk: 'sda', part: 1, label: 'Xen' })).toThrow(/disk/);
  });

  it('reads Boot#### and BootOrder as efivarfs shows them', () => {
    expect(parseEfiBootEntry(3, bootVar('Xen', '\\EFI\\xen\\xen.efi'))).toEqual({
      number: 3,
      active: true,
      label: 'Xen',
      loader: '\\EFI\\xen\\xen.efi',
    });
    expect(parseEfiBootEntry(1, bootVar('gentoo', '\\EFI\\gentoo\\grubx64.efi', false))?.active).toBe(false);
    expect(parseEfiBootEntry(1, Uint8Array.from([7, 0, 0, 0]))).toBeUndefined();
    expect(parseEfiBootOrder(Uint8Array.from([7, 0, 0, 0, 3, 0, 1, 0, 0x10, 0]))).toEqual([3, 1, 16]);
    expect(sameEfiPath('\\EFI\\XEN\\XEN.EFI', '/EFI/xen/xen.efi')).toBe(true);
  });

  it('reads SecureBoot as Xen does: off only when missing or a single 0', () => {
    expect(parseSecureBoot(undefined)).toBe(false);
    expect(parseSecureBoot(Uint8Array.from([6, 0, 0, 0, 0]))).toBe(false);
    expect(parseSecureBoot(Uint8Array.from([6, 0, 0, 0, 1]))).toBe(true);
  });
});

describe('PE signature', () => {
  function pe(certSize: number): Uint8Array {
    const b = new Uint8Array(0x200);
    const v = new DataView(b.buffer);
    b[0] = 0x4d;
    b[1] = 0x5a;
    v.setUint32(0x3c, 0x80, true);
    v.setUint32(0x80, 0x4550, true);
    v.setUint16(0x80 + 24, 0x20b, true);
    v.setUint32(0x80 + 24 + 108, 16, true);
    v.setUint32(0x80 + 24 + 112 + 32 + 4, certSize, true);
    return b;
  }
  it('tells a signed image from an unsigned one by its Certificate Table', () => {
    expect(peSigned(pe(0))).toBe(false);
    expect(peSigned(pe(1200))).toBe(true);
    expect(peSigned(Uint8Array.from([1, 2, 3]))).toBeUndefined();
  });
});
