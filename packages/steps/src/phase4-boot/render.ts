import {
  buildXenEntry,
  checkDom0Mem,
  GRUB_MKCONFIG_ARGV,
  LILO_ARGV,
  liloPackCommands,
  renderGrub2Entry,
  renderGrubLegacyStanza,
  renderLiloStanza,
  renderPxelinuxLine,
  renderXenEfiConfig,
  splitArgs,
  efibootmgrCreateArgv,
  splitPartition,
  BootConfigError,
  XEN_EFI_CONFIG_NAME,
  XEN_EFI_DIR,
  XEN_EFI_NAME,
} from '@xen-gentoo/bootloader';
import { DEFAULT_DOM0_MEM } from './resolve.js';

export type BootEntryKind = 'grub2' | 'grub-legacy' | 'lilo' | 'pxelinux' | 'xen-efi';
export const BOOT_ENTRY_KINDS: readonly BootEntryKind[] = [
  'grub2',
  'grub-legacy',
  'lilo',
  'pxelinux',
  'xen-efi',
];

export interface RenderBootEntryOptions {
  /**
   * dom0 kernel: a version ("2.6.20-xen-r6" → vmlinuz-2.6.20-xen-r6-xen0) or a file name/path
   * starting with vmlinuz or /.
   */
  kernel: string;
  /** Hypervisor image; default xen.gz in the boot directory. */
  xen?: string;
  initrd?: string;
  /** dom0 root= device. */
  root?: string;
  /** Default: 256M (legacy) or 1024M,max:1024M (modern). */
  dom0Mem?: string;
  /** 'legacy': Xen 3 dom0_mem rules and console=ttyS0; 'modern' (default): Xen 4 and hvc0. */
  era?: 'legacy' | 'modern';
  /** Directory the loader sees the files in: "/boot" (default) or "" for a separate /boot partition. */
  bootDir?: string;
  serial?: boolean;
  serialPort?: 'com1' | 'com2';
  serialSpeed?: number;
  serialVga?: boolean;
  /** Default: on with the serial console. */
  noreboot?: boolean;
  title?: string;
  xenArgs?: string;
  kernelArgs?: string;
  /** GRUB legacy device, default (hd0,0). */
  grubRoot?: string;
  liloLabel?: string;
  /** xen-efi: where the EFI system partition is mounted (default /boot/efi). */
  esp?: string;
  /** xen-efi: the ESP's partition device, for the efibootmgr command (/dev/nvme0n1p1). */
  espDevice?: string;
}

export interface RenderedBootEntry {
  kind: BootEntryKind;
  /** The file the text belongs in. */
  file: string;
  /** The entry (stanza, menuentry, image stanza or DEFAULT line), newline-terminated. */
  text: string;
  /** Commands to run around it, in order (argv arrays). */
  commands: string[][];
  warnings: string[];
}

/**
 * Render the Xen boot entry for one boot loader, without looking at any machine: what the
 * `boot render` command prints. Throws BootConfigError (naming what was expected) on a bad
 * dom0_mem, path, device or serial setting.
 */
export function renderBootEntry(kind: BootEntryKind, o: RenderBootEntryOptions): RenderedBootEntry {
  const era = o.era ?? 'modern';
  if (kind === 'xen-efi' && era === 'legacy')
    throw new BootConfigError('xen-efi with --era legacy', {
      expected: 'the modern era: a 2007 host starts through BIOS, and Xen 3 has no EFI loader',
    });
  const mem = checkDom0Mem(o.dom0Mem ?? DEFAULT_DOM0_MEM[era], {
    syntax: era === 'legacy' ? 'xen3' : 'xen4',
  });
  // PXELinux and xen.efi name files relative to their own directory
  const pxe = kind === 'pxelinux' || kind === 'xen-efi';
  const dir = pxe ? '' : (o.bootDir ?? '/boot').replace(/\/$/, '');
  const at = (name: string): string =>
    pxe ? name.replace(/^.*\//, '') : name.startsWith('/') ? name : `${dir}/${name}`;
  const kernelName =
    o.kernel.startsWith('/') || o.kernel.startsWith('vmlinuz')
      ? o.kernel
      : `vmlinuz-${o.kernel.replace(/-xen0$/, '')}-xen0`;
  const kernelPath = at(kernelName);
  const version = (kernelName.split('/').pop() ?? '').replace(/^vmlinuz-/, '').replace(/-xen0$/, '');
  const serial = o.serial
    ? {
        port: o.serialPort ?? 'com1',
        speed: o.serialSpeed ?? 115200,
        dom0Console: era === 'legacy' ? ('ttyS0' as const) : ('hvc0' as const),
        vga: o.serialVga ?? false,
      }
    : undefined;
  const entry = buildXenEntry({
    title: o.title ?? (kind === 'lilo' ? 'xen' : `Xen / Linux ${version}`),
    xenPath: kind === 'xen-efi' ? XEN_EFI_NAME : at(o.xen ?? 'xen.gz'),
    kernelPath: kind === 'lilo' ? `${kernelPath}-mpack` : kernelPath,
    ...(o.initrd && kind !== 'lilo' ? { initrdPath: at(o.initrd) } : {}),
    dom0Mem: mem.value.text,
    ...(o.root ? { rootDevice: o.root } : {}),
    readOnly: kind === 'grub2',
    ...(serial ? { serial } : {}),
    noreboot: o.noreboot ?? o.serial === true,
    xenArgs: splitArgs(o.xenArgs),
    kernelArgs: splitArgs(o.kernelArgs),
  });
  const text = (lines: string[]): string => `${lines.join('\n')}\n`;
  switch (kind) {
    case 'grub2':
      return {
        kind,
        file: '/etc/grub.d/40_custom',
        text: text(renderGrub2Entry(entry)),
        commands: [[...GRUB_MKCONFIG_ARGV]],
        warnings: mem.warnings,
      };
    case 'grub-legacy':
      return {
        kind,
        file: '/boot/grub/grub.conf',
        text: text(renderGrubLegacyStanza(entry, { grubRoot: o.grubRoot ?? '(hd0,0)' })),
        commands: [],
        warnings: mem.warnings,
      };
    case 'lilo': {
      const abs = (p: string): string => (p.startsWith('/boot/') ? p : `/boot/${p.replace(/^\//, '')}`);
      const pack = liloPackCommands({
        xenGz: abs(o.xen ?? 'xen.gz'),
        vmlinuz: abs(kernelName),
        ...(o.initrd ? { initrd: abs(o.initrd) } : {}),
      });
      const packed = { ...entry, kernel: { ...entry.kernel, path: abs(`${kernelName}-mpack`) } };
      return {
        kind,
        file: '/etc/lilo.conf',
        text: text(renderLiloStanza(packed, { label: o.liloLabel ?? 'xen' })),
        commands: [...pack.map((c) => c.argv), [...LILO_ARGV]],
        warnings: mem.warnings,
      };
    }
    case 'xen-efi': {
      const esp = (o.esp ?? '/boot/efi').replace(/\/$/, '');
      const dir = `${esp}/${XEN_EFI_DIR}`;
      const device = o.espDevice === undefined ? undefined : splitPartition(o.espDevice);
      if (o.espDevice !== undefined && device === undefined)
        throw new BootConfigError(`ESP device ${o.espDevice}`, {
          expected: 'a partition device such as /dev/nvme0n1p1 or /dev/sda1',
        });
      const abs = (p: string): string => (p.startsWith('/') ? p : `/boot/${p}`);
      return {
        kind,
        file: `${dir}/${XEN_EFI_CONFIG_NAME}`,
        text: renderXenEfiConfig(entry),
        commands: [
          ['mkdir', '-p', dir],
          ['cp', '--', o.xen ?? '/usr/lib64/efi/xen.efi', `${dir}/${XEN_EFI_NAME}`],
          ['cp', '--', abs(kernelName), `${dir}/${kernelPath}`],
          ...(o.initrd ? [['cp', '--', abs(o.initrd), `${dir}/${at(o.initrd)}`]] : []),
          ...(device ? [efibootmgrCreateArgv({ ...device, label: entry.title })] : []),
        ],
        warnings: [
          ...mem.warnings,
          ...(device
            ? []
            : [
                'the firmware boot entry needs the ESP partition: give --esp-device (e.g. /dev/nvme0n1p1) for the efibootmgr command',
              ]),
        ],
      };
    }
    case 'pxelinux':
      return {
        kind,
        file: 'pxelinux.cfg/default',
        text: text([renderPxelinuxLine(entry)]),
        commands: [],
        warnings: mem.warnings,
      };
  }
}
