import { spawnSync } from 'node:child_process';
import { inflateRawSync } from 'node:zlib';
import type { View } from '@xen-gentoo/core';
import {
  compressedCandidates,
  compressionOf,
  isElf,
  parseBzImage,
  readXenElfInfo,
  type Compression,
  type XenElfInfo,
} from '@xen-gentoo/kernel-config';

/** The largest kernel image the check reads (an unstripped vmlinux is tens of MiB). */
export const MAX_KERNEL_IMAGE_BYTES = 256 * 1024 * 1024;
/** The largest decompressed payload it accepts. */
const MAX_PAYLOAD_BYTES = 512 * 1024 * 1024;

/**
 * The programs of this machine that decompress a kernel payload (gzip needs none: zlib). Each
 * stops at the end of its stream, ignoring what follows (the kernel appends the payload's size).
 */
export const DECOMPRESSORS: Record<Exclude<Compression, 'gzip'>, string[]> = {
  xz: ['xz', '-dc', '--single-stream'],
  lzma: ['xz', '--format=lzma', '-dc', '--single-stream'],
  bzip2: ['bzip2', '-dc'],
  lzo: ['lzop', '-dc'],
  lz4: ['lz4', '-dc'],
  zstd: ['zstd', '-dc'],
};

/** gzip without its trailer: the header read by hand, the deflate stream by zlib (trailing bytes ignored). */
function gunzip(data: Buffer): Buffer {
  const flags = data[3] ?? 0;
  let at = 10;
  if (flags & 0x04) at += 2 + data.readUInt16LE(at); // FEXTRA
  if (flags & 0x08) at = data.indexOf(0, at) + 1; // FNAME
  if (flags & 0x10) at = data.indexOf(0, at) + 1; // FCOMMENT
  if (flags & 0x02) at += 2; // FHCRC
  return inflateRawSync(data.subarray(at), { maxOutputLength: MAX_PAYLOAD_BYTES });
}

export class DecompressError extends Error {}

/**
 * Decompress a kernel payload on this machine (not in the target: the image is only data here).
 * What comes out counts when it is ELF, even if the program complained about what followed the
 * stream (as the kernel's own scripts/extract-vmlinux does).
 */
export function decompress(data: Buffer, compression: Compression): Buffer {
  if (compression === 'gzip') {
    try {
      return gunzip(data);
    } catch (error) {
      throw new DecompressError(`gzip: ${(error as Error).message}`);
    }
  }
  const [program = '', ...args] = DECOMPRESSORS[compression];
  const result = spawnSync(program, args, { input: data, maxBuffer: MAX_PAYLOAD_BYTES });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new DecompressError(
      code === 'ENOENT'
        ? `the payload is ${compression}-compressed and ${program} is not installed on this machine`
        : `${program}: ${result.error.message}`,
    );
  }
  if (!isElf(result.stdout))
    throw new DecompressError(
      `${[program, ...args].join(' ')} exited ${result.status}: ${result.stderr.toString().trim().split('\n').at(-1) ?? ''}`,
    );
  return result.stdout;
}

export interface KernelImageReport {
  path: string;
  /** How the file holds the kernel. */
  shape: 'elf' | 'compressed-elf' | 'bzimage' | 'unknown';
  compression?: Compression;
  /** bzImage boot protocol (2.15 …). */
  protocol?: string;
  /** The ELF's Xen notes; undefined when no ELF was found. */
  info?: XenElfInfo;
  /** Why the ELF could not be read (a missing decompressor, a damaged payload). */
  error?: string;
}

function tryDecompress(data: Buffer, compression: Compression): { elf?: Buffer; error?: string } {
  try {
    return { elf: decompress(data, compression) };
  } catch (error) {
    if (error instanceof DecompressError) return { error: error.message };
    throw error;
  }
}

/** Images without a payload header: the first few places each magic number appears (magic bytes also occur by chance). */
function firstOfEachKind<T extends { compression: Compression }>(candidates: T[], perKind = 3): T[] {
  const counts = new Map<Compression, number>();
  return candidates.filter((c) => {
    const n = counts.get(c.compression) ?? 0;
    counts.set(c.compression, n + 1);
    return n < perKind;
  });
}

/** Read a kernel image through the view and find the ELF Xen would load. */
export async function inspectKernelImage(view: View, path: string): Promise<KernelImageReport | undefined> {
  const data = await view.readBytes(path, MAX_KERNEL_IMAGE_BYTES);
  if (data === undefined) return undefined;
  return inspectKernelBytes(data, path);
}

/** A kernel image's ELF (`vmlinux`), found as {@link inspectKernelBytes} finds it; what went wrong otherwise. */
export interface ExtractedKernel extends Omit<KernelImageReport, 'info' | 'path'> {
  elf?: Buffer;
}

/** The ELF inside a kernel image: the file itself, a compressed file, or a bzImage's payload (scripts/extract-vmlinux). */
export function extractKernelElf(data: Buffer): ExtractedKernel {
  if (isElf(data)) return { shape: 'elf', elf: data };
  const whole = compressionOf(data);
  if (whole) return { shape: 'compressed-elf', compression: whole, ...tryDecompress(data, whole) };
  const bz = parseBzImage(data);
  if (!bz) return { shape: 'unknown', error: 'neither ELF, a compressed ELF nor an x86 bzImage' };
  const candidates = bz.payload?.compression
    ? [
        {
          offset: bz.payload.offset,
          compression: bz.payload.compression,
          end: bz.payload.offset + bz.payload.length,
        },
      ]
    : firstOfEachKind(compressedCandidates(data, bz.protectedModeStart)).map((c) => ({
        ...c,
        end: data.length,
      }));
  let firstError: string | undefined;
  for (const c of candidates) {
    const { elf, error } = tryDecompress(data.subarray(c.offset, c.end), c.compression);
    if (elf) return { shape: 'bzimage', protocol: bz.protocol, compression: c.compression, elf };
    firstError ??= error;
  }
  return {
    shape: 'bzimage',
    protocol: bz.protocol,
    ...(candidates[0] ? { compression: candidates[0].compression } : {}),
    error: firstError ?? 'no compressed payload found in the bzImage',
  };
}

export function inspectKernelBytes(data: Buffer, path: string): KernelImageReport {
  const { elf, ...rest } = extractKernelElf(data);
  const report: KernelImageReport = { path, ...rest };
  if (elf) report.info = readXenElfInfo(elf);
  return report;
}
