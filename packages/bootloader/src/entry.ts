import { BootConfigError } from './errors.js';

/**
 * One Xen boot entry, independent of the boot loader: the hypervisor with its options, the dom0
 * kernel with its options, and an optional initrd. Paths are as the boot loader sees them
 * (relative to the partition that holds them, e.g. `/xen.gz` on a separate /boot).
 */
export interface XenEntry {
  title: string;
  xen: { path: string; args: string[] };
  kernel: { path: string; args: string[] };
  initrd?: string;
}

export type SerialPort = 'com1' | 'com2';
export const SERIAL_SPEEDS = [9600, 19200, 38400, 57600, 115200] as const;

export interface SerialOptions {
  port: SerialPort;
  speed: number;
  /** Data bits, parity, stop bits; Xen's `comN=<baud>,<DPS>`. */
  format?: string;
  /**
   * dom0's console: `hvc0` (current kernels: Xen owns the UART and hands dom0 its console) or
   * `ttyS0` (the HOWTO's 2.6 xen0 kernels).
   */
  dom0Console: 'hvc0' | 'ttyS0';
  /** Keep Xen's output on the screen too (`console=com1,vga`). */
  vga?: boolean;
}

export interface XenEntryOptions {
  title: string;
  xenPath: string;
  kernelPath: string;
  initrdPath?: string;
  /** Normalised dom0_mem value (see parseDom0Mem), without `dom0_mem=`. */
  dom0Mem?: string;
  /** dom0's root= device; omitted when the initrd or the loader (grub-mkconfig) supplies it. */
  rootDevice?: string;
  /** Mount the root read-only first (`ro`), as GRUB 2 and most distributions do. */
  readOnly?: boolean;
  serial?: SerialOptions;
  /** Xen's `noreboot`: stay on the screen after a crash instead of rebooting. */
  noreboot?: boolean;
  xenArgs?: string[];
  kernelArgs?: string[];
}

/** Xen options that put its console on the serial port. */
export function xenSerialArgs(serial: SerialOptions): string[] {
  if (!(SERIAL_SPEEDS as readonly number[]).includes(serial.speed)) {
    throw new BootConfigError(`serial speed ${serial.speed}`, {
      expected: `one of ${SERIAL_SPEEDS.join(', ')}`,
    });
  }
  const format = serial.format ?? '8n1';
  if (!/^[5-8][neoms][12]$/.test(format)) {
    throw new BootConfigError(`serial format "${format}"`, {
      expected: 'data bits, parity and stop bits, e.g. 8n1',
    });
  }
  return [`${serial.port}=${serial.speed},${format}`, `console=${serial.port}${serial.vga ? ',vga' : ''}`];
}

/** dom0 kernel options for the serial console. */
export function dom0SerialArgs(serial: SerialOptions): string[] {
  return serial.dom0Console === 'ttyS0' ? ['console=ttyS0'] : ['console=hvc0'];
}

/** Split a user-supplied option string ("a=b c") into words; quotes are not interpreted. */
export function splitArgs(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter((w) => w !== '');
}

/** An option's name: `dom0_mem` for `dom0_mem=1G`, the word itself for a flag (`noreboot`). */
function optionKey(option: string): string {
  return option.split('=')[0] ?? option;
}

/**
 * Put the options the tool sets into an option list someone else wrote, keeping theirs. Each
 * wanted option replaces the first option of the same name in place (later ones of that name are
 * dropped: the boot loader or kernel would let them win) or is appended; every other option stays
 * where it is. Names in `multi` may legitimately repeat (dom0's `console=`: the last one is
 * /dev/console): those are only appended when the exact option is missing. Used wherever the tool
 * edits options it does not wholly own (/etc/default/grub, a hand-written boot entry), because an
 * option such as `iommu=no-intremap` may be what makes the machine boot.
 */
export function mergeOptions(
  existing: readonly string[],
  wanted: readonly string[],
  options: { multi?: readonly string[] } = {},
): string[] {
  const out = [...existing];
  for (const w of wanted) {
    const key = optionKey(w);
    if (options.multi?.includes(key)) {
      if (!out.includes(w)) out.push(w);
      continue;
    }
    const first = out.findIndex((o) => optionKey(o) === key);
    if (first < 0) {
      out.push(w);
      continue;
    }
    out[first] = w;
    for (let i = out.length - 1; i > first; i--) if (optionKey(out[i] ?? '') === key) out.splice(i, 1);
  }
  return out;
}

/**
 * Whether a file name (or path) is a Xen hypervisor image a multiboot loader (GRUB legacy's
 * `kernel`, mboot.c32, mbootpack) can start: `xen`, `xen.gz`, `xen-<version>` or
 * `xen-<version>.gz`, the version starting with a digit (`xen-3.0.4_1.gz`, `xen-4.19.2.gz`). Not
 * `xen-syms-*` (the debug symbols) nor `xen.efi` (the EFI application GRUB legacy cannot boot).
 */
export function isXenImageName(path: string | undefined): boolean {
  if (!path) return false;
  const base = (
    path
      .replace(/^\([^)]*\)/, '')
      .split('/')
      .pop() ?? ''
  ).replace(/\.gz$/, '');
  return (
    /^xen(?:-\d[A-Za-z0-9_+~-]*(?:\.[A-Za-z0-9_+~-]+)*)?$/.test(base) &&
    !/\.(?:efi|cfg|conf|config|old|bak|orig|sig|map)$/i.test(base)
  );
}

/** dom0 options that may repeat (see mergeOptions). */
export const KERNEL_MULTI_OPTIONS = ['console'] as const;

function dropKeys(args: string[], keys: string[]): string[] {
  return args.filter((a) => !keys.includes(a.split('=')[0] ?? a));
}

/**
 * Build the entry. Options given explicitly win over extra args of the same name (a
 * `dom0_mem=` in xenArgs is replaced by `dom0Mem`, a `root=` in kernelArgs by `rootDevice`).
 */
export function buildXenEntry(o: XenEntryOptions): XenEntry {
  for (const [what, path] of [
    ['Xen', o.xenPath],
    ['kernel', o.kernelPath],
    ['initrd', o.initrdPath],
  ] as const) {
    if (path !== undefined && !/^[^\s]+$/.test(path)) {
      throw new BootConfigError(`${what} path "${path}"`, { expected: 'a path without spaces' });
    }
  }
  const xenOwn = [
    ...(o.dom0Mem ? [`dom0_mem=${o.dom0Mem}`] : []),
    ...(o.serial ? xenSerialArgs(o.serial) : []),
    ...(o.noreboot ? ['noreboot'] : []),
  ];
  const kernelOwn = [
    ...(o.rootDevice ? [`root=${o.rootDevice}`] : []),
    ...(o.readOnly ? ['ro'] : []),
    ...(o.serial ? dom0SerialArgs(o.serial) : []),
  ];
  // Single-valued options the entry sets itself replace the same option among the extras;
  // console= may legitimately appear several times (the last one is /dev/console) and stays.
  const singleValued = (args: string[]): string[] =>
    args.map((a) => a.split('=')[0] ?? a).filter((k) => k !== 'console' && k !== 'ro');
  const xenExtra = dropKeys(o.xenArgs ?? [], singleValued(xenOwn));
  const kernelExtra = dropKeys(o.kernelArgs ?? [], singleValued(kernelOwn));
  for (const arg of [...xenExtra, ...kernelExtra]) {
    if (/["'\\]/.test(arg) || arg === '--' || arg === '---') {
      throw new BootConfigError(`option "${arg}"`, {
        expected: "a plain word (no quotes, backslashes or the loaders' -- / --- separators)",
      });
    }
  }
  return {
    title: o.title,
    xen: { path: o.xenPath, args: [...xenOwn, ...xenExtra] },
    kernel: { path: o.kernelPath, args: [...kernelOwn, ...kernelExtra] },
    ...(o.initrdPath ? { initrd: o.initrdPath } : {}),
  };
}
