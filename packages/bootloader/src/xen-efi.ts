import { KERNEL_MULTI_OPTIONS, mergeOptions, type XenEntry } from './entry.js';
import { BootConfigError } from './errors.js';
import { joinLines, splitLines } from './text.js';

/**
 * Xen's own EFI loader: `xen.efi` started by the firmware reads the configuration file of the
 * same base name beside it (`xen.cfg`), in Xen's format (docs/misc/efi.pandoc):
 *
 *     [global]
 *     default=xen
 *
 *     [xen]
 *     options=dom0_mem=1024M,max:1024M
 *     kernel=vmlinuz-6.12.58-gentoo-xen0 root=/dev/sda3
 *     ramdisk=initramfs-6.12.58-gentoo-xen0.img
 *
 * The files are relative to the directory of xen.efi on the EFI system partition. Xen's reader
 * (pre_parse in xen/common/efi/boot.c) ends a line at every control character (a tab too), drops
 * white space at the start of a line, and takes `#` anywhere and `;` at the start of a line as the
 * start of a comment; a last line without a newline is ignored.
 */

/** Where the tool puts Xen on the ESP (firmware paths are case-insensitive on FAT). */
export const XEN_EFI_DIR = 'EFI/xen';
export const XEN_EFI_NAME = 'xen.efi';
export const XEN_EFI_CONFIG_NAME = 'xen.cfg';
/** The firmware's path of the loader, as efibootmgr --loader takes it. */
export const XEN_EFI_LOADER = '\\EFI\\xen\\xen.efi';
/** The section the tool writes when the file has none to update. */
export const XEN_EFI_SECTION = 'xen';

/** A value Xen's reader would cut: a control character ends the line, `#` starts a comment. */
function checkValue(what: string, value: string): void {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[#\x00-\x1f\x7f]/.test(value)) {
    throw new BootConfigError(`${what} "${value}"`, {
      expected:
        "text without '#', tabs or control characters (xen.cfg ends a line or starts a comment there)",
    });
  }
}

/** A file name of the entry as xen.cfg names it: directly beside xen.efi. */
function fileName(what: string, path: string): string {
  const name = path.split('/').pop() ?? '';
  if (name === '' || /\s/.test(name)) {
    throw new BootConfigError(`${what} "${path}"`, { expected: 'a file name without spaces' });
  }
  checkValue(what, name);
  return name;
}

/** The values of one xen.cfg section for an entry: options=, kernel=, ramdisk=. */
export function xenEfiValues(entry: XenEntry): { options: string; kernel: string; ramdisk?: string } {
  const options = entry.xen.args.join(' ');
  const kernel = [fileName('kernel', entry.kernel.path), ...entry.kernel.args].join(' ');
  checkValue('Xen options', options);
  checkValue('kernel options', kernel);
  return {
    options,
    kernel,
    ...(entry.initrd ? { ramdisk: fileName('initrd', entry.initrd) } : {}),
  };
}

/** A whole xen.cfg with one section for the entry, the default. */
export function renderXenEfiConfig(entry: XenEntry, section = XEN_EFI_SECTION): string {
  const v = xenEfiValues(entry);
  return (
    [
      `# ${entry.title}`,
      '[global]',
      `default=${section}`,
      '',
      `[${section}]`,
      `options=${v.options}`,
      `kernel=${v.kernel}`,
      ...(v.ramdisk ? [`ramdisk=${v.ramdisk}`] : []),
    ].join('\n') + '\n'
  );
}

interface CfgLine {
  index: number;
  section: string | undefined;
  key: string | undefined;
  value: string;
}

/** Lines as Xen reads them: section headers and key=value items (comments and blanks skipped). */
function readCfg(lines: string[]): CfgLine[] {
  const out: CfgLine[] = [];
  let section: string | undefined;
  lines.forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trimStart();
    if (line === '' || line.startsWith(';')) return;
    const header = /^\[([^\]]*)\]/.exec(line);
    if (header) {
      section = header[1] ?? '';
      out.push({ index, section, key: undefined, value: '' });
      return;
    }
    const eq = line.indexOf('=');
    if (eq < 0) return;
    out.push({ index, section, key: line.slice(0, eq), value: line.slice(eq + 1).trimEnd() });
  });
  return out;
}

export interface XenEfiMerge {
  text: string;
  action: 'created' | 'updated' | 'unchanged';
  /** The section that boots the entry. */
  section: string;
  warnings: string[];
}

/**
 * Bring a xen.cfg up to date for an entry, keeping what the administrator wrote: the section
 * `[global] default=` names (else the first section, else a new `[xen]`) gets the entry's
 * kernel and ramdisk, and the options the tool sets merged into its own (`iommu=…` and the like
 * stay, see mergeOptions); its other keys (`ucode=`, `xsm=`, `dtb=`), other sections and
 * comments are left as they are.
 */
export function mergeXenEfiConfig(
  text: string | null,
  entry: XenEntry,
  options: { file?: string } = {},
): XenEfiMerge {
  const file = options.file ?? XEN_EFI_CONFIG_NAME;
  const want = xenEfiValues(entry);
  if (text === null || text.trim() === '') {
    return { text: renderXenEfiConfig(entry), action: 'created', section: XEN_EFI_SECTION, warnings: [] };
  }
  const parsed = splitLines(text);
  const lines = [...parsed.lines];
  const items = readCfg(lines);
  const warnings: string[] = [];
  const globalDefault = items.find((i) => i.section === 'global' && i.key === 'default');
  const sections = [
    ...new Set(items.flatMap((i) => (i.section && i.section !== 'global' ? [i.section] : []))),
  ];
  let section = globalDefault?.value.trim() || sections[0] || XEN_EFI_SECTION;
  if (globalDefault && !sections.includes(section)) {
    warnings.push(
      `${file}:${globalDefault.index + 1}: default=${section} names no section; the Xen entry is written as [${XEN_EFI_SECTION}] and made the default`,
    );
    section = XEN_EFI_SECTION;
  }
  const current = (key: string): CfgLine | undefined =>
    items.find((i) => i.section === section && i.key === key);
  const mergedWords = (
    key: string,
    words: string[],
    keepFirst: boolean,
    multi: readonly string[],
  ): string => {
    const have = current(key)?.value.trim().split(/\s+/).filter(Boolean) ?? [];
    if (keepFirst) {
      // kernel=FILE options: the file is the entry's, the options merged after it
      const [wantFile, ...wantArgs] = words;
      return [wantFile ?? '', ...mergeOptions(have.slice(1), wantArgs, { multi })].join(' ');
    }
    return mergeOptions(have, words, { multi }).join(' ');
  };
  const values: [string, string][] = [
    ['options', mergedWords('options', want.options.split(' ').filter(Boolean), false, [])],
    ['kernel', mergedWords('kernel', want.kernel.split(' '), true, KERNEL_MULTI_OPTIONS)],
    ...(want.ramdisk ? ([['ramdisk', want.ramdisk]] as [string, string][]) : []),
  ];

  const header = items.find((i) => i.section === section && i.key === undefined);
  if (header === undefined) {
    while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
    lines.push('', `[${section}]`, ...values.map(([k, v]) => `${k}=${v}`));
  } else {
    // replace in place, or add after the section's last item
    const own = items.filter((i) => i.section === section);
    const insertAt = (own.at(-1)?.index ?? header.index) + 1;
    const additions: string[] = [];
    for (const [key, value] of values) {
      const at = own.find((i) => i.key === key);
      if (at) {
        if (at.value.trim() !== value) lines[at.index] = `${key}=${value}`;
      } else additions.push(`${key}=${value}`);
    }
    if (!want.ramdisk) {
      const stale = own.find((i) => i.key === 'ramdisk');
      if (stale)
        warnings.push(
          `${file}:${stale.index + 1}: [${section}] keeps ramdisk=${stale.value.trim()}; the entry has no initrd`,
        );
    }
    lines.splice(insertAt, 0, ...additions);
  }
  // [global] default= names the section
  const refreshed = readCfg(lines);
  const def = refreshed.find((i) => i.section === 'global' && i.key === 'default');
  if (def) {
    if (def.value.trim() !== section) lines[def.index] = `default=${section}`;
  } else {
    const globalHeader = refreshed.find((i) => i.section === 'global' && i.key === undefined);
    if (globalHeader) lines.splice(globalHeader.index + 1, 0, `default=${section}`);
    else lines.unshift('[global]', `default=${section}`, '');
  }
  const out = joinLines({ ...parsed, lines, finalNewline: true });
  return { text: out, action: out === text ? 'unchanged' : 'updated', section, warnings };
}

/** What `[section]` of a xen.cfg boots: its options=, kernel= (file and options) and ramdisk=. */
export function readXenEfiSection(
  text: string,
  section?: string,
): { section: string; options: string; kernel: string; ramdisk: string | undefined } | undefined {
  const items = readCfg(splitLines(text).lines);
  const name =
    section ??
    (items.find((i) => i.section === 'global' && i.key === 'default')?.value.trim() ||
      items.find((i) => i.section && i.section !== 'global')?.section);
  if (name === undefined || !items.some((i) => i.section === name)) return undefined;
  const get = (key: string): string | undefined =>
    items.find((i) => i.section === name && i.key === key)?.value.trim();
  return {
    section: name,
    options: get('options') ?? '',
    kernel: get('kernel') ?? '',
    ramdisk: get('ramdisk'),
  };
}

/**
 * efibootmgr(8)'s options the tool uses: --create adds a boot entry and puts it first in BootOrder
 * (the others stay, in their order, after it), --disk and --part name the ESP, --loader the
 * file on it, --label the entry's description.
 */
export function efibootmgrCreateArgv(o: { disk: string; part: number; label: string }): string[] {
  if (!/^\/dev\/[A-Za-z0-9_./-]+$/.test(o.disk) || !Number.isInteger(o.part) || o.part < 1) {
    throw new BootConfigError(`ESP disk ${o.disk} partition ${o.part}`, {
      expected: 'a disk such as /dev/sda and a partition number from 1',
    });
  }
  return [
    'efibootmgr',
    '--create',
    '--disk',
    o.disk,
    '--part',
    String(o.part),
    '--loader',
    XEN_EFI_LOADER,
    '--label',
    o.label,
  ];
}

/**
 * The disk and partition number of a partition's device name, as efibootmgr takes them:
 * /dev/sda1 → /dev/sda 1, /dev/nvme0n1p2 → /dev/nvme0n1 2, /dev/mmcblk0p1 → /dev/mmcblk0 1.
 */
export function splitPartition(device: string): { disk: string; part: number } | undefined {
  const m =
    /^(\/dev\/(?:nvme\d+n\d+|mmcblk\d+|loop\d+|md\d+|nbd\d+))p(\d+)$/.exec(device) ??
    /^(\/dev\/(?:sd|vd|hd|xvd)[a-z]+)(\d+)$/.exec(device);
  if (!m?.[1] || !m[2]) return undefined;
  return { disk: m[1], part: Number(m[2]) };
}

/** The UEFI global variable vendor GUID (Boot####, BootOrder, SecureBoot). */
export const EFI_GLOBAL_GUID = '8be4df61-93ca-11d2-aa0d-e6a05c0000c0';

/** One firmware boot entry (an EFI_LOAD_OPTION as efivarfs shows it: 4 attribute bytes first). */
export interface EfiBootEntry {
  /** Boot#### number. */
  number: number;
  active: boolean;
  label: string;
  /** The loader's path on its partition (a File Path media node), backslashes as written. */
  loader: string | undefined;
}

function ucs2(bytes: Uint8Array, start: number, end: number): { text: string; next: number } {
  let text = '';
  let i = start;
  for (; i + 1 < end; i += 2) {
    const c = (bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8);
    if (c === 0) return { text, next: i + 2 };
    text += String.fromCharCode(c);
  }
  return { text, next: i };
}

/**
 * Read a Boot#### variable from efivarfs (4 bytes of attributes, then the EFI_LOAD_OPTION of the
 * UEFI specification: attributes u32, FilePathListLength u16, Description in UCS-2 ending with a
 * 0, then the device path). Undefined when the bytes are not one.
 */
export function parseEfiBootEntry(number: number, bytes: Uint8Array): EfiBootEntry | undefined {
  if (bytes.length < 4 + 6) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const attributes = view.getUint32(4, true);
  const pathLength = view.getUint16(8, true);
  const label = ucs2(bytes, 10, bytes.length);
  const pathEnd = Math.min(bytes.length, label.next + pathLength);
  let loader: string | undefined;
  for (let at = label.next; at + 4 <= pathEnd;) {
    const type = bytes[at] ?? 0;
    const subtype = bytes[at + 1] ?? 0;
    const length = view.getUint16(at + 2, true);
    if (length < 4) break;
    if (type === 0x7f && subtype === 0xff) break;
    if (type === 0x04 && subtype === 0x04) loader = ucs2(bytes, at + 4, Math.min(pathEnd, at + length)).text;
    at += length;
  }
  return { number, active: (attributes & 1) === 1, label: label.text, loader };
}

/** BootOrder from efivarfs: 4 attribute bytes, then u16 entry numbers. */
export function parseEfiBootOrder(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 4; i + 1 < bytes.length; i += 2) out.push((bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8));
  return out;
}

/**
 * SecureBoot from efivarfs as Xen reads it (init_secure_boot_mode): off when the variable is
 * missing or holds a single 0; anything else counts as on.
 */
export function parseSecureBoot(bytes: Uint8Array | undefined): boolean {
  if (bytes === undefined) return false;
  return !(bytes.length === 5 && bytes[4] === 0);
}

/** Whether two firmware paths name the same file (FAT is case-insensitive; / and \ alike). */
export function sameEfiPath(a: string, b: string): boolean {
  const norm = (p: string): string => `\\${p.replace(/\//g, '\\').replace(/^\\+/, '')}`.toLowerCase();
  return norm(a) === norm(b);
}

/**
 * Whether a PE image (an EFI application) carries an Authenticode signature: its Certificate
 * Table (data directory 4) is not empty. Undefined when the bytes are not a PE32+ image.
 */
export function peSigned(bytes: Uint8Array): boolean | undefined {
  if (bytes.length < 0x40 || bytes[0] !== 0x4d || bytes[1] !== 0x5a) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pe = view.getUint32(0x3c, true);
  if (pe + 24 + 2 > bytes.length || view.getUint32(pe, true) !== 0x00004550) return undefined;
  const optional = pe + 24;
  const magic = view.getUint16(optional, true);
  const directories = magic === 0x20b ? optional + 112 : magic === 0x10b ? optional + 96 : undefined;
  if (directories === undefined) return undefined;
  const count = view.getUint32(directories - 4, true);
  if (count <= 4 || directories + 5 * 8 > bytes.length) return false;
  return view.getUint32(directories + 4 * 8 + 4, true) > 0;
}
