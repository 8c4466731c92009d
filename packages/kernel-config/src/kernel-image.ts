/**
 * Reading a kernel image as Xen's domain builder does: is it an ELF file with Xen's notes?
 * Bytes in, facts out; nothing here touches the disk or runs a program.
 *
 * A kernel reaches /boot in one of three shapes: an ELF `vmlinux`, a gzip-compressed `vmlinux`
 * (the 2007 xen-sources `vmlinuz-…-xen0` on x86_32), or an x86 `bzImage` whose payload is the
 * compressed `vmlinux` (gzip, xz, bzip2, lzma, lzo, lz4 or zstd). Xen looks for its notes in the
 * ELF: today's kernels carry `Xen` ELF notes (PT_NOTE), 2.6.12–2.6.18 xenified kernels a
 * `__xen_guest` section ("GUEST_OS=linux,XEN_VER=xen-3.0,…"). Without either, Xen refuses the
 * image: "not a Xen-compatible Elf image".
 */

export type Compression = 'gzip' | 'xz' | 'bzip2' | 'lzma' | 'lzo' | 'lz4' | 'zstd';

/** Magic numbers of the kernel's payload compressors (as scripts/extract-vmlinux looks for them). */
export const COMPRESSION_MAGIC: readonly [Compression, readonly number[]][] = [
  ['gzip', [0x1f, 0x8b, 0x08]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lzma', [0x5d, 0x00, 0x00, 0x00]],
  ['lzo', [0x89, 0x4c, 0x5a, 0x4f]],
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

function startsWith(data: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (at + magic.length > data.length) return false;
  return magic.every((b, i) => data[at + i] === b);
}

export function isElf(data: Uint8Array): boolean {
  return startsWith(data, ELF_MAGIC);
}

/** The compression a buffer starts with, if any. */
export function compressionOf(data: Uint8Array, at = 0): Compression | undefined {
  return COMPRESSION_MAGIC.find(([, magic]) => startsWith(data, magic, at))?.[0];
}

/** An x86 boot image's header ("HdrS" at 0x202), and where its compressed payload is. */
export interface BzImage {
  /** Boot protocol version, e.g. "2.15". */
  protocol: string;
  /** The payload, when the header says where it is (protocol 2.08 and later). */
  payload: { offset: number; length: number; compression: Compression | undefined } | undefined;
  /** Offset of the protected-mode code, where older images hide the payload. */
  protectedModeStart: number;
}

export function parseBzImage(data: Buffer): BzImage | undefined {
  if (data.length < 0x250 || data.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
  const version = data.readUInt16LE(0x206);
  const setupSects = data[0x1f1] || 4;
  const protectedModeStart = (setupSects + 1) * 512;
  let payload: BzImage['payload'];
  if (version >= 0x208) {
    const offset = protectedModeStart + data.readUInt32LE(0x248);
    const length = data.readUInt32LE(0x24c);
    if (length > 0 && offset + length <= data.length)
      payload = { offset, length, compression: compressionOf(data, offset) };
  }
  return {
    protocol: `${version >> 8}.${(version & 0xff).toString().padStart(2, '0')}`,
    payload,
    protectedModeStart,
  };
}

/**
 * Offsets where a compressed stream may start, for images whose header does not say (boot
 * protocol before 2.08, or a plain compressed file): every magic number found, in file order.
 */
export function compressedCandidates(data: Buffer, from = 0): { offset: number; compression: Compression }[] {
  const found: { offset: number; compression: Compression }[] = [];
  for (const [compression, magic] of COMPRESSION_MAGIC) {
    let at = data.indexOf(Buffer.from(magic), from);
    while (at >= 0) {
      found.push({ offset: at, compression });
      at = data.indexOf(Buffer.from(magic), at + 1);
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
}

/** Xen's ELF note types (xen/include/public/elfnote.h) that the check names. */
export const XEN_ELFNOTE_NAMES: Readonly<Record<number, string>> = {
  0: 'INFO',
  1: 'ENTRY',
  2: 'HYPERCALL_PAGE',
  3: 'VIRT_BASE',
  4: 'PADDR_OFFSET',
  5: 'XEN_VERSION',
  6: 'GUEST_OS',
  7: 'GUEST_VERSION',
  8: 'LOADER',
  9: 'PAE_MODE',
  10: 'FEATURES',
  11: 'BSD_SYMTAB',
  12: 'HV_START_LOW',
  13: 'L1_MFN_VALID',
  14: 'SUSPEND_CANCEL',
  15: 'INIT_P2M',
  16: 'MOD_START_PFN',
  17: 'SUPPORTED_FEATURES',
  18: 'PHYS32_ENTRY',
};

const STRING_NOTES = new Set([5, 6, 7, 8, 9, 10]);

export interface ElfNote {
  name: string;
  type: number;
  desc: Buffer;
}

/** What an ELF kernel tells Xen about itself. */
export interface XenElfInfo {
  elfClass: 32 | 64;
  /** Xen ELF notes by name (ENTRY, GUEST_OS …): strings as written, numbers in hex. */
  notes: Record<string, string>;
  /** The 2007 `__xen_guest` section's settings (GUEST_OS, XEN_VER …), when the image has one. */
  xenGuest: Record<string, string> | undefined;
  /** The notes that let Xen start it as a PV guest (ENTRY or HYPERCALL_PAGE) or as PVH (PHYS32_ENTRY). */
  pv: boolean;
  pvh: boolean;
}

interface ElfReader {
  u16(at: number): number;
  u32(at: number): number;
  addr(at: number): number;
}

function reader(data: Buffer, is64: boolean, little: boolean): ElfReader {
  const u16 = (at: number) => (little ? data.readUInt16LE(at) : data.readUInt16BE(at));
  const u32 = (at: number) => (little ? data.readUInt32LE(at) : data.readUInt32BE(at));
  const u64 = (at: number) => Number(little ? data.readBigUInt64LE(at) : data.readBigUInt64BE(at));
  return { u16, u32, addr: is64 ? u64 : u32 };
}

/** Notes of one PT_NOTE segment or SHT_NOTE section. */
export function parseNotes(data: Buffer, little: boolean, align = 4): ElfNote[] {
  const notes: ElfNote[] = [];
  const pad = (n: number) => Math.ceil(n / align) * align;
  let at = 0;
  while (at + 12 <= data.length) {
    const namesz = little ? data.readUInt32LE(at) : data.readUInt32BE(at);
    const descsz = little ? data.readUInt32LE(at + 4) : data.readUInt32BE(at + 4);
    const type = little ? data.readUInt32LE(at + 8) : data.readUInt32BE(at + 8);
    const nameAt = at + 12;
    const descAt = nameAt + pad(namesz);
    if (descAt + descsz > data.length) break;
    notes.push({
      name: data.toString('latin1', nameAt, nameAt + namesz).replace(/\0+$/, ''),
      type,
      desc: data.subarray(descAt, descAt + descsz),
    });
    at = descAt + pad(descsz);
  }
  return notes;
}

function noteValue(note: ElfNote, little: boolean): string {
  if (STRING_NOTES.has(note.type)) return note.desc.toString('latin1').replace(/\0+$/, '');
  const d = note.desc;
  if (d.length === 8) return `0x${(little ? d.readBigUInt64LE(0) : d.readBigUInt64BE(0)).toString(16)}`;
  if (d.length === 4) return `0x${(little ? d.readUInt32LE(0) : d.readUInt32BE(0)).toString(16)}`;
  return d.toString('hex');
}

/** "GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,…" as key → value. */
export function parseXenGuestString(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.replace(/\0.*$/s, '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    else if (part.trim() !== '') out[part.trim()] = '';
  }
  return out;
}

/**
 * The Xen notes and `__xen_guest` section of an ELF file; undefined when it is not ELF. A
 * truncated or damaged header gives what could be read (no notes), never an exception.
 */
export function readXenElfInfo(data: Buffer): XenElfInfo | undefined {
  if (!isElf(data) || data.length < 0x34) return undefined;
  const is64 = data[4] === 2;
  const little = data[5] !== 2;
  const r = reader(data, is64, little);
  const notes: Record<string, string> = {};
  let xenGuest: Record<string, string> | undefined;
  const addNotes = (offset: number, size: number, align: number) => {
    if (offset + size > data.length || size === 0) return;
    for (const note of parseNotes(data.subarray(offset, offset + size), little, align)) {
      if (note.name !== 'Xen') continue;
      notes[XEN_ELFNOTE_NAMES[note.type] ?? `TYPE_${note.type}`] = noteValue(note, little);
    }
  };
  try {
    const phoff = r.addr(is64 ? 0x20 : 0x1c);
    const phentsize = r.u16(is64 ? 0x36 : 0x2a);
    const phnum = r.u16(is64 ? 0x38 : 0x2c);
    for (let i = 0; i < phnum; i++) {
      const ph = phoff + i * phentsize;
      if (ph + phentsize > data.length) break;
      if (r.u32(ph) !== 4) continue; // PT_NOTE
      const offset = r.addr(is64 ? ph + 8 : ph + 4);
      const size = r.addr(is64 ? ph + 32 : ph + 16);
      const align = r.addr(is64 ? ph + 48 : ph + 28);
      addNotes(offset, size, align === 8 ? 8 : 4);
    }
    const shoff = r.addr(is64 ? 0x28 : 0x20);
    const shentsize = r.u16(is64 ? 0x3a : 0x2e);
    const shnum = r.u16(is64 ? 0x3c : 0x30);
    const shstrndx = r.u16(is64 ? 0x3e : 0x32);
    const section = (i: number) => {
      const sh = shoff + i * shentsize;
      if (shoff === 0 || sh + shentsize > data.length) return undefined;
      return {
        name: r.u32(sh),
        type: r.u32(sh + 4),
        offset: r.addr(is64 ? sh + 24 : sh + 16),
        size: r.addr(is64 ? sh + 32 : sh + 20),
        align: r.addr(is64 ? sh + 48 : sh + 32),
      };
    };
    const strtab = section(shstrndx);
    for (let i = 0; i < shnum; i++) {
      const s = section(i);
      if (!s) break;
      if (s.type === 7 && Object.keys(notes).length === 0) addNotes(s.offset, s.size, s.align === 8 ? 8 : 4);
      if (strtab && s.offset + s.size <= data.length) {
        const nameAt = strtab.offset + s.name;
        const end = data.indexOf(0, nameAt);
        const name = nameAt < data.length && end > nameAt ? data.toString('latin1', nameAt, end) : '';
        if (name === '__xen_guest')
          xenGuest = parseXenGuestString(data.toString('latin1', s.offset, s.offset + s.size));
      }
    }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  return {
    elfClass: is64 ? 64 : 32,
    notes,
    xenGuest,
    pv: 'ENTRY' in notes || 'HYPERCALL_PAGE' in notes || xenGuest !== undefined,
    pvh: 'PHYS32_ENTRY' in notes,
  };
}

/** Whether Xen would take the image as a guest kernel at all (notes or the 2007 section). */
export function isXenCompatible(info: XenElfInfo): boolean {
  return info.pv || info.pvh;
}

/** One line for people: what the image tells Xen. */
export function describeXenElfInfo(info: XenElfInfo): string {
  if (info.xenGuest !== undefined)
    return `__xen_guest section: ${Object.entries(info.xenGuest)
      .filter(([k]) => ['GUEST_OS', 'GUEST_VER', 'XEN_VER', 'PAE'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`;
  const modes = [info.pv ? 'PV' : undefined, info.pvh ? 'PVH' : undefined].filter(Boolean).join(' and ');
  const names = ['GUEST_OS', 'XEN_VERSION', 'GUEST_VERSION']
    .filter((k) => info.notes[k] !== undefined)
    .map((k) => `${k}=${info.notes[k]}`);
  if (!modes) return `${info.elfClass}-bit ELF without Xen notes`;
  return `Xen ELF notes for ${modes}${names.length ? ` (${names.join(', ')})` : ''}`;
}
