import { spawn } from 'node:child_process';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** One member of a tar archive, as far as where it lands is concerned. */
export interface ArchiveMember {
  /** The name as stored (pax and GNU long names applied). */
  name: string;
  /** '0' file, '1' hard link, '2' symlink, '3'/'4' devices, '5' directory, '6' FIFO. */
  type: string;
  /** Link target of a symlink or hard link. */
  link: string;
}

/** The decompressor for an archive's first bytes (GNU tar recognises the same magic numbers). */
async function decompressorOf(path: string): Promise<string[] | 'gzip' | undefined> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(6);
    await handle.read(head, 0, 6, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (head.subarray(0, 3).toString('latin1') === 'BZh') return ['bzip2', '-dc'];
    if (head.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return ['xz', '-dc'];
    if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return ['zstd', '-dc'];
    return undefined;
  } finally {
    await handle.close();
  }
}

/** The archive's tar stream, decompressed. */
async function tarStream(path: string): Promise<{ stream: Readable; done: () => Promise<void> }> {
  const how = await decompressorOf(path);
  if (how === undefined) return { stream: createReadStream(path), done: async () => undefined };
  if (how === 'gzip')
    return { stream: createReadStream(path).pipe(createGunzip()), done: async () => undefined };
  const [cmd, ...args] = how;
  const child = spawn(cmd!, [...args, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0 || signal === 'SIGPIPE'
        ? resolve()
        : reject(new Error(`${cmd} -dc failed: ${stderr.trim()}`)),
    );
  });
  return {
    stream: child.stdout,
    done: async () => {
      child.kill();
      await exited.catch(() => undefined);
    },
  };
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  if ((field[0]! & 0x80) !== 0) {
    // base-256 (GNU): big-endian, the high bit of the first byte set
    let n = field[0]! & 0x7f;
    for (let i = 1; i < length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = cString(block, start, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** pax records ("LEN key=value\n"…): the ones that rename a member. */
function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const len = parseInt(data.subarray(at, space).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

type Extension = 'gnu-name' | 'gnu-link' | 'pax' | 'pax-global';

const EXTENSIONS: Record<string, Extension> = {
  L: 'gnu-name',
  K: 'gnu-link',
  x: 'pax',
  X: 'pax',
  g: 'pax-global',
};

/** A header block, decoded as far as both readers need it. */
interface Header {
  type: string;
  /** Size of the data that follows the header. */
  size: number;
  /** The extension this header carries (its data names the next member), if it is one. */
  extension: Extension | undefined;
}

/** Why an archive cannot be read as tar (a block where a header should be is not one, …). */
export class ArchiveFormatError extends Error {}

/** An extension header's data is a name or a few pax records: more is not a stage tarball. */
const MAX_EXTENSION_BYTES = 1 << 20;

/** Whether a block's checksum is right (the unsigned sum, or the signed one old tars wrote). */
function checksumOk(block: Buffer): boolean {
  const stored = octal(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

function decodeHeader(block: Buffer, offset: number): Header {
  if (!checksumOk(block)) throw new ArchiveFormatError(`the block at byte ${offset} is not a tar header`);
  const type = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
  const size = octal(block, 124, 12);
  if (!Number.isSafeInteger(size) || size < 0)
    throw new ArchiveFormatError(`the header at byte ${offset} has no valid size`);
  const extension = EXTENSIONS[type];
  if (extension && size > MAX_EXTENSION_BYTES)
    throw new ArchiveFormatError(`the extension header at byte ${offset} is ${size} bytes long`);
  return { type, size, extension };
}

/** The end-of-archive marker (two of them end a tar archive). */
const ZERO_BLOCK = Buffer.alloc(512);

function padded(size: number): number {
  return Math.ceil(size / 512) * 512;
}

/** GNU long names and pax records, carried from their extension headers to the member they name. */
class PendingNames {
  #longName: string | undefined;
  #longLink: string | undefined;
  #pax = new Map<string, string>();
  #globalPax = new Map<string, string>();

  absorb(extension: Extension, data: Buffer): void {
    if (extension === 'gnu-name') this.#longName = cString(data, 0, data.length);
    else if (extension === 'gnu-link') this.#longLink = cString(data, 0, data.length);
    else if (extension === 'pax') this.#pax = paxRecords(data);
    else this.#globalPax = new Map([...this.#globalPax, ...paxRecords(data)]);
  }

  /** The member a (non-extension) header describes, and how much data follows it; resets per-member names. */
  member(block: Buffer, header: Header): { member: ArchiveMember; dataSize: number } {
    const magic = block.subarray(257, 263).toString('latin1');
    // The prefix field is POSIX ustar's (GNU's own format keeps times there).
    const prefix = magic === 'ustar\0' ? cString(block, 345, 155) : '';
    const stored = cString(block, 0, 100);
    // GNU tar extracts a pax sparse file to its GNU.sparse.name, whatever its path says.
    const name =
      this.#pax.get('GNU.sparse.name') ??
      this.#pax.get('path') ??
      this.#longName ??
      this.#globalPax.get('GNU.sparse.name') ??
      this.#globalPax.get('path') ??
      (prefix ? `${prefix}/${stored}` : stored);
    const link =
      this.#pax.get('linkpath') ??
      this.#longLink ??
      this.#globalPax.get('linkpath') ??
      cString(block, 157, 100);
    // Only regular files (and GNU sparse files, contiguous files) carry data.
    const { type } = header;
    const carriesData = type === '0' || type === '7' || type === 'S';
    const size = Number(this.#pax.get('size') ?? header.size);
    if (!Number.isSafeInteger(size) || size < 0)
      throw new ArchiveFormatError(`member ${JSON.stringify(name.slice(0, 80))} has no valid size`);
    const dataSize = carriesData ? padded(size) : 0;
    this.#pax = new Map();
    this.#longName = undefined;
    this.#longLink = undefined;
    return { member: { name, type, link }, dataSize };
  }
}

/**
 * A tar stream read as it comes, chunk by chunk: the members whose headers a chunk completes.
 * A member's header is whole only once its 512 bytes are in, so a reader of the same bytes (tar)
 * that has been given only the chunks before cannot have acted on it yet.
 */
export class TarMembers {
  #names = new PendingNames();
  #buffer: Buffer = Buffer.alloc(0);
  #skip = 0;
  #pending: Header | undefined;
  /** How many bytes of the tar stream were consumed (where the buffer starts). */
  #at = 0;

  feed(chunk: Buffer): ArchiveMember[] {
    const out: ArchiveMember[] = [];
    let buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, buffer.length);
        buffer = buffer.subarray(n);
        this.#at += n;
        this.#skip -= n;
        if (this.#skip > 0) break;
      }
      const pending = this.#pending;
      if (pending) {
        if (buffer.length < padded(pending.size)) break;
        this.#names.absorb(pending.extension!, buffer.subarray(0, pending.size));
        buffer = buffer.subarray(padded(pending.size));
        this.#at += padded(pending.size);
        this.#pending = undefined;
        continue;
      }
      if (buffer.length < 512) break;
      const block = buffer.subarray(0, 512);
      buffer = buffer.subarray(512);
      const offset = this.#at;
      this.#at += 512;
      if (block.equals(ZERO_BLOCK)) continue;
      const header = decodeHeader(block, offset);
      if (header.extension) {
        this.#pending = header;
        continue;
      }
      const { member, dataSize } = this.#names.member(block, header);
      this.#skip = dataSize;
      out.push(member);
    }
    // What is kept is at most a header or an extension's data: copied, so the chunk can go.
    this.#buffer = Buffer.from(buffer);
    return out;
  }
}

/** Whether an archive is compressed (its first bytes are a compressor's magic number). */
export async function isCompressed(path: string): Promise<boolean> {
  return (await decompressorOf(path)) !== undefined;
}

/** The archive's tar stream, decompressed once (see TarMembers); `done` stops the decompressor. */
export { tarStream };

/**
 * Every member of a tar archive (plain or compressed), read with Node's own reader so the check
 * does not depend on how a tool prints names. GNU long names and pax path/linkpath are applied.
 */
export async function* readArchiveMembers(path: string): AsyncGenerator<ArchiveMember> {
  if ((await decompressorOf(path)) === undefined) {
    yield* readPlainArchiveMembers(path);
    return;
  }
  const { stream, done } = await tarStream(path);
  const members = new TarMembers();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield* members.feed(chunk);
  } finally {
    await done();
  }
}

/** A control character (newline, escape, …). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a member could land outside the tree it is unpacked into, or undefined when it cannot. */
export function hostileMember(member: ArchiveMember, links: ReadonlySet<string>): string | undefined {
  const { name, type, link } = member;
  // No stage has such names; in a message or a listing they could pass for other text.
  if (CONTROL.test(name)) return 'a control character in its name';
  if (CONTROL.test(link)) return 'a control character in its link target';
  if (name.startsWith('/')) return 'an absolute path';
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return 'a ".." part';
  if (parts.length === 0 && type !== '5') return 'an empty name';
  for (let i = 1; i < parts.length; i++)
    if (links.has(parts.slice(0, i).join('/')))
      return `a path through the link ${parts.slice(0, i).join('/')}`;
  if (type === '1') {
    if (link.startsWith('/') || link.split('/').includes('..'))
      return 'a hard link to a path outside the archive';
    // tar links to the target's path as it is on disk by then: never through a link of the archive.
    const target = link.split('/').filter((p) => p !== '' && p !== '.');
    for (let i = 1; i < target.length; i++)
      if (links.has(target.slice(0, i).join('/')))
        return `a hard link through the link ${target.slice(0, i).join('/')}`;
  }
  if (type === '2' && !link.startsWith('/')) {
    // A relative target must stay inside the tree from the link's own directory.
    const resolved = posix.normalize(posix.join('/', ...parts.slice(0, -1), link));
    let depth = parts.length - 1;
    for (const p of link.split('/')) {
      if (p === '..') depth--;
      else if (p !== '' && p !== '.') depth++;
      if (depth < 0) return 'a symbolic link that leaves the tree';
    }
    if (!resolved.startsWith('/')) return 'a symbolic link that leaves the tree';
  }
  return undefined;
}

/** Every symlink member's normalised name, for the through-a-link check. */
export function memberKey(name: string): string {
  return name
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

/** A plain (uncompressed) tar read header by header: file data is skipped, never read. */
async function* readPlainArchiveMembers(path: string): AsyncGenerator<ArchiveMember> {
  // Synchronous reads: one small read per member, where a trip through the thread pool per
  // header would cost more than the read (a stage3 has tens of thousands of members).
  const fd = openSync(path, 'r');
  try {
    const names = new PendingNames();
    let pos = 0;
    const block = Buffer.alloc(512);
    for (;;) {
      const bytesRead = readSync(fd, block, 0, 512, pos);
      if (bytesRead < 512) return;
      pos += 512;
      if (block.equals(ZERO_BLOCK)) continue;
      const header = decodeHeader(block, pos - 512);
      if (header.extension) {
        const data = Buffer.alloc(header.size);
        readSync(fd, data, 0, header.size, pos);
        pos += padded(header.size);
        names.absorb(header.extension, data);
        continue;
      }
      const { member, dataSize } = names.member(block, header);
      pos += dataSize;
      yield member;
    }
  } finally {
    closeSync(fd);
  }
}
