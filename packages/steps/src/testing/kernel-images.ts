import { gzipSync } from 'node:zlib';

/** One ELF note (4-byte aligned, as Linux writes them). */
export function note(name: string, type: number, desc: Buffer): Buffer {
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(name.length + 1, 0);
  head.writeUInt32LE(desc.length, 4);
  head.writeUInt32LE(type, 8);
  return Buffer.concat([head, pad(Buffer.from(`${name}\0`)), pad(desc)]);
}

export function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
}

/** The Xen notes of a current x86_64 kernel: GUEST_OS, XEN_VERSION, ENTRY and (with pvh) PHYS32_ENTRY. */
export function xenNotes(options: { pvh?: boolean; pv?: boolean } = {}): Buffer {
  return Buffer.concat([
    note('Xen', 6, Buffer.from('linux\0')),
    note('Xen', 5, Buffer.from('xen-3.0\0')),
    ...(options.pv === false ? [] : [note('Xen', 1, u64(0xffffffff81000000n))]),
    ...(options.pvh ? [note('Xen', 18, Buffer.from([0x50, 0x08, 0x00, 0x01]))] : []),
    note('GNU', 3, Buffer.from('0123456789abcdef0123')),
  ]);
}

/**
 * A minimal little-endian ELF64 executable: one PT_NOTE program header over `notes`, and section
 * headers (a null one, .notes, and `extra` sections such as `__xen_guest`, with their .shstrtab).
 */
export function elf64(notes: Buffer, extra: { name: string; data: Buffer }[] = []): Buffer {
  const sections = [{ name: '.notes', type: 7, data: notes }, ...extra.map((s) => ({ ...s, type: 1 }))];
  const names = ['', ...sections.map((s) => s.name), '.shstrtab'];
  const shstrtab = Buffer.from(names.join('\0') + '\0');
  const header = 64;
  const phdr = 56;
  let offset = header + phdr;
  const placed = [...sections.map((s) => s.data), shstrtab].map((data) => {
    const at = offset;
    offset += data.length;
    return at;
  });
  const shoff = offset;
  const shnum = sections.length + 2;
  const out = Buffer.alloc(shoff + shnum * 64);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  out.writeUInt16LE(2, 16); // ET_EXEC
  out.writeUInt16LE(62, 18); // x86-64
  out.writeUInt32LE(1, 20);
  out.writeBigUInt64LE(BigInt(header), 0x20);
  out.writeBigUInt64LE(BigInt(shoff), 0x28);
  out.writeUInt16LE(header, 0x34);
  out.writeUInt16LE(phdr, 0x36);
  out.writeUInt16LE(1, 0x38);
  out.writeUInt16LE(64, 0x3a);
  out.writeUInt16LE(shnum, 0x3c);
  out.writeUInt16LE(shnum - 1, 0x3e);
  // PT_NOTE
  out.writeUInt32LE(4, header);
  out.writeBigUInt64LE(BigInt(placed[0]!), header + 8);
  out.writeBigUInt64LE(BigInt(notes.length), header + 32);
  out.writeBigUInt64LE(BigInt(notes.length), header + 40);
  out.writeBigUInt64LE(4n, header + 48);
  [...sections.map((s) => s.data), shstrtab].forEach((data, i) => out.set(data, placed[i]));
  let nameAt = 1;
  const all = [...sections, { name: '.shstrtab', type: 3, data: shstrtab }];
  all.forEach((s, i) => {
    const sh = shoff + (i + 1) * 64;
    out.writeUInt32LE(nameAt, sh);
    out.writeUInt32LE(s.type, sh + 4);
    out.writeBigUInt64LE(BigInt(placed[i]!), sh + 24);
    out.writeBigUInt64LE(BigInt(s.data.length), sh + 32);
    out.writeBigUInt64LE(1n, sh + 48);
    nameAt += s.name.length + 1;
  });
  return out;
}

/**
 * A minimal x86 bzImage (boot protocol 2.15): the setup header with payload_offset and
 * payload_length pointing at `payload` (with the 4 size bytes the kernel appends).
 */
export function bzImage(payload: Buffer, protocol = 0x020f): Buffer {
  const setupSects = 4;
  const pm = (setupSects + 1) * 512;
  const prefix = Buffer.alloc(0x40);
  const sized = Buffer.concat([payload, Buffer.from([1, 2, 3, 4])]);
  const out = Buffer.alloc(pm + prefix.length + sized.length + 64);
  out[0x1f1] = setupSects;
  out.write('HdrS', 0x202, 'latin1');
  out.writeUInt16LE(protocol, 0x206);
  if (protocol >= 0x208) {
    out.writeUInt32LE(prefix.length, 0x248);
    out.writeUInt32LE(sized.length, 0x24c);
  }
  out.set(sized, pm + prefix.length);
  return out;
}

export const gzip = (data: Buffer): Buffer => gzipSync(data);
