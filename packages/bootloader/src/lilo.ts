import { KERNEL_MULTI_OPTIONS, mergeOptions, splitArgs, type XenEntry } from './entry.js';
import { BootConfigError, BootFileSyntaxError } from './errors.js';
import { beginMarker, endMarker, findBlock } from './marker.js';
import { appendBlock, joinLines, replaceLines, splitLines } from './text.js';

/**
 * LILO cannot load multiboot modules. The HOWTO's route: decompress Xen and the dom0 kernel,
 * glue them (and an initrd) into one bzImage-like file with mbootpack, boot that with an
 * `image=` stanza, and run `lilo` to write the new map.
 *
 * The boot command line of the packed image goes to Xen; mbootpack hands everything after a
 * ` -- ` to the first module (the dom0 kernel), so dom0's options (root=, console=) follow `--`
 * inside `append`.
 */

export interface LiloCommand {
  argv: string[];
  why: string;
}

/**
 * `gzip -dc SRC > DST` as an argv. The command change has no output redirection and the project
 * runs no shell strings built from data, so the redirect lives in a fixed `sh -c` script and the
 * paths travel as positional parameters ($1, $2): they are never parsed by the shell. The output
 * is written next to the target and renamed, so an interrupted run leaves no half-written file.
 */
export function decompressArgv(src: string, dst: string): string[] {
  return ['sh', '-c', 'gzip -dc -- "$1" > "$2.tmp" && mv -f -- "$2.tmp" "$2"', 'gunzip-to', src, dst];
}

export interface LiloPlanInput {
  /** Compressed Xen, e.g. /boot/xen.gz or /boot/xen-3.0.gz. */
  xenGz: string;
  /** The dom0 kernel as installed, e.g. /boot/vmlinuz-2.6.20-xen-r6-xen0 (a gzipped vmlinux). */
  vmlinuz: string;
  initrd?: string;
}

export interface LiloFiles {
  xen: string;
  vmlinux: string;
  packed: string;
}

/** File names the HOWTO uses: xen-3.0.gz → xen-3.0, vmlinuz-V → vmlinux-V, vmlinuz-V-mpack. */
export function liloFiles(input: LiloPlanInput): LiloFiles {
  const dir = (p: string): string => p.slice(0, p.lastIndexOf('/') + 1);
  const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
  if (!input.xenGz.endsWith('.gz')) {
    throw new BootConfigError(`Xen image "${input.xenGz}"`, {
      expected: 'the gzip-compressed hypervisor (*.gz)',
    });
  }
  const kernelBase = base(input.vmlinuz);
  // vmlinuz-* (the kernel steps' names) or genkernel's kernel-genkernel-ARCH-VERSION
  const compressed = /^(vmlinuz|kernel-)/.exec(kernelBase)?.[1];
  if (!compressed) {
    throw new BootConfigError(`dom0 kernel "${input.vmlinuz}"`, {
      expected: 'a /boot/vmlinuz-* file (or kernel-genkernel-*)',
    });
  }
  return {
    xen: input.xenGz.slice(0, -3),
    vmlinux:
      dir(input.vmlinuz) + kernelBase.replace(compressed, compressed === 'vmlinuz' ? 'vmlinux' : 'vmlinux-'),
    packed: `${input.vmlinuz}-mpack`,
  };
}

/** The commands before the lilo.conf edit: decompress both images, then mbootpack. */
export function liloPackCommands(input: LiloPlanInput): LiloCommand[] {
  const f = liloFiles(input);
  return [
    { argv: decompressArgv(input.xenGz, f.xen), why: 'mbootpack needs the uncompressed hypervisor' },
    { argv: decompressArgv(input.vmlinuz, f.vmlinux), why: 'mbootpack needs the uncompressed dom0 kernel' },
    {
      argv: [
        'mbootpack',
        '-o',
        f.packed,
        '-m',
        f.vmlinux,
        ...(input.initrd ? ['-m', input.initrd] : []),
        f.xen,
      ],
      why: 'LILO cannot load multiboot modules: pack Xen, the dom0 kernel and the initrd into one image',
    },
  ];
}

export const LILO_ARGV = ['lilo'] as const;

export interface LiloStanzaOptions {
  label?: string;
  /** Indentation of the options under `image=` ("\t" by default). */
  indent?: string;
}

/** Render the image stanza for the packed file. `entry.kernel.path` must be the packed image. */
export function renderLiloStanza(entry: XenEntry, options: LiloStanzaOptions = {}): string[] {
  return renderStanza(entry, options, []);
}

/**
 * The stanza, its `append=` built on `base`: the words of the global `append=` (an image's own
 * append= replaces the global one, so the image must carry the global options itself).
 */
function renderStanza(entry: XenEntry, options: LiloStanzaOptions, base: readonly string[]): string[] {
  const label = options.label ?? 'xen';
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(label)) {
    throw new BootConfigError(`LILO label "${label}"`, { expected: 'at most 15 letters, digits, _ . or -' });
  }
  const ind = options.indent ?? '\t';
  const root = entry.kernel.args.find((a) => a.startsWith('root='))?.slice(5);
  const dom0 = entry.kernel.args;
  const append =
    base.length > 0
      ? mergeAppend(base, entry)
      : [...entry.xen.args, ...(dom0.length > 0 ? ['--', ...dom0] : [])].join(' ');
  if (append.includes('"')) {
    throw new BootConfigError('a double quote in the options', { expected: 'options without "' });
  }
  return [
    `image=${entry.kernel.path}`,
    `${ind}label=${label}`,
    ...(root ? [`${ind}root=${root}`] : []),
    ...(append ? [`${ind}append="${append}"`] : []),
  ];
}

/**
 * The words of an mbootpack image's command line with the tool's options merged in: Xen's before
 * mbootpack's `--`, dom0's after it (see mergeOptions), every other word kept.
 */
function mergeAppend(words: readonly string[], entry: XenEntry): string {
  const cut = words.indexOf('--');
  const xen = mergeOptions(cut < 0 ? words : words.slice(0, cut), entry.xen.args);
  const dom0 = mergeOptions(cut < 0 ? [] : words.slice(cut + 1), entry.kernel.args, {
    multi: KERNEL_MULTI_OPTIONS,
  });
  return [...xen, ...(dom0.length > 0 ? ['--', ...dom0] : [])].join(' ');
}

const APPEND_RE = /^(\s*append\s*=\s*)(?:"([^"]*)"|(\S*))(.*)$/;

/**
 * The words of the global `append=` (before the first image= or other= stanza), which every
 * image without an append= of its own gets (lilo.conf(5): an image's own option overrides the
 * global one).
 */
function globalAppend(lines: readonly string[]): string[] {
  for (const line of lines) {
    if (/^\s*(image|other)\s*=/.test(line)) break;
    const m = APPEND_RE.exec(line);
    if (m) return splitArgs(m[2] ?? m[3] ?? '');
  }
  return [];
}

interface LiloImage {
  kind: 'image' | 'other';
  start: number;
  end: number;
  path: string;
  label: string | undefined;
  /** Index of the `label=` line. */
  labelLine: number | undefined;
}

function parseLiloImages(text: string): LiloImage[] {
  const { lines } = splitLines(text);
  const images: LiloImage[] = [];
  let current: LiloImage | undefined;
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const m = /^(image|other)\s*=\s*"?([^"\s]+)"?/.exec(t);
    if (m) {
      const kind = m[1] === 'other' ? 'other' : 'image';
      current = { kind, start: i, end: i + 1, path: m[2] ?? '', label: undefined, labelLine: undefined };
      images.push(current);
      return;
    }
    if (!current) return;
    const label = /^label\s*=\s*"?([^"\s]+)"?/.exec(t);
    if (label) {
      current.label = label[1];
      current.labelLine = i;
    }
    current.end = i + 1;
  });
  return images;
}

export interface LiloMerge {
  text: string;
  action: 'appended' | 'updated' | 'unchanged';
  /** The label of the Xen image in the result (a stanza updated in place keeps its own). */
  label: string;
  warnings: string[];
}

/**
 * Whether an image file looks packed by mbootpack (Xen, dom0 and initrd in one file): its name
 * has "mpack", or "xen" without being a plain Linux kernel. A `vmlinuz-…-xen0` booted directly
 * is Linux, whose append= holds Linux's options, not Xen's: it is not taken for the Xen image.
 */
function looksPacked(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (/mpack/i.test(base)) return true;
  return /xen/i.test(base) && !/^(?:vmlinu[xz]|bzimage|kernel|linux)/i.test(base);
}

/**
 * Bring a hand-written `image=` stanza of the packed file (outside the markers: the user's) up to
 * date in place: the tool's Xen options are merged into the part of `append=` before mbootpack's
 * `--`, dom0's into the part after it (see mergeAppend); an `append=` line is added when there is
 * none, starting from the global append= the image got until then (`base`). Its label,
 * `read-only`, `vga=` and every other line and option stay as written.
 */
function updateUserImage(
  text: string,
  image: LiloImage,
  entry: XenEntry,
  indent: string,
  base: readonly string[],
): string {
  const parsed = splitLines(text);
  const lines = [...parsed.lines];
  if (image.path !== entry.kernel.path) {
    // The user's own packed file under their label: boot the image this step packs instead.
    const im = /^(\s*image\s*=\s*"?)([^"\s]+)(.*)$/.exec(lines[image.start] ?? '');
    if (im) lines[image.start] = `${im[1] ?? ''}${entry.kernel.path}${im[3] ?? ''}`;
  }
  const appendAt = lines.findIndex((l, i) => i > image.start && i < image.end && /^\s*append\s*=/.test(l));
  const m = appendAt < 0 ? undefined : APPEND_RE.exec(lines[appendAt] ?? '');
  const words = m ? splitArgs(m[2] ?? m[3] ?? '') : base;
  const value = mergeAppend(words, entry);
  if (value.includes('"')) {
    throw new BootConfigError('a double quote in the options', { expected: 'options without "' });
  }
  if (m) lines[appendAt] = `${m[1] ?? ''}"${value}"${m[4] ?? ''}`;
  else if (value !== '') lines.splice(image.end, 0, `${indent}append="${value}"`);
  return joinLines({ ...parsed, lines });
}

/**
 * lilo reads a quoted value only up to the closing quote on the same line (a backslash-newline
 * continues it): a quote left open makes lilo refuse the whole file, and the tool could not tell
 * where an option ends. Such a file is bad input, named with its line.
 */
function checkQuotes(text: string, file: string): void {
  const lines = splitLines(text).lines;
  let open: number | undefined;
  lines.forEach((raw, index) => {
    let quoted = open !== undefined;
    for (let i = 0; i < raw.length; i++) {
      const ch = raw[i];
      if (ch === '\\') i++;
      else if (ch === '"') quoted = !quoted;
      else if (ch === '#' && !quoted) break;
    }
    const continued = /\\\r?$/.test(raw);
    if (quoted && continued) open ??= index + 1;
    else if (quoted) {
      throw new BootFileSyntaxError('unterminated double quote', {
        expected: 'a closing " on the same line',
        file,
        line: open ?? index + 1,
      });
    } else open = undefined;
  });
}

/**
 * Merge the stanza into lilo.conf: the managed block (the tool's own) is replaced in place; else
 * an unmarked `image=` of the same packed file, or an mbootpack image (see looksPacked) under the
 * tool's label, is updated in place, keeping the user's lines and options (updateUserImage; the
 * latter then boots the file this step packs); otherwise the stanza is appended. A label already
 * used by another image is an error naming its line (lilo refuses duplicate labels).
 *
 * An image's own `append=` replaces the global one (lilo.conf(5)), and an mbootpack image's
 * command line is Xen's and dom0's in one, split by `--`, which `addappend=` (added after the
 * whole line) cannot extend. So a stanza without an append= of its own, and the tool's stanza,
 * start from the global append= and merge the tool's options into it: options such as
 * `iommu=no-intremap` there keep reaching Xen.
 */
export function mergeLiloConf(
  text: string,
  entry: XenEntry,
  options: LiloStanzaOptions & { id?: string; file?: string } = {},
): LiloMerge {
  const id = options.id ?? 'boot-lilo';
  const file = options.file ?? '/etc/lilo.conf';
  const label = options.label ?? 'xen';
  checkQuotes(text, file);
  const range = findBlock(text, id, file);
  const base = globalAppend(splitLines(text).lines);
  const block = [beginMarker(id), ...renderStanza(entry, options, base), endMarker(id)];
  const images = parseLiloImages(text);
  const outside = (im: LiloImage): boolean => !(range && im.start > range.start && im.start < range.end);
  const samePath = range ? undefined : images.find((im) => im.path === entry.kernel.path);
  const sameLabel =
    range || samePath
      ? undefined
      : images.find((im) => im.kind === 'image' && im.label === label && looksPacked(im.path));
  const own = samePath ?? sameLabel;
  const warnings: string[] = [];
  if (samePath && samePath.label !== undefined && samePath.label !== label) {
    warnings.push(
      `kept the label "${samePath.label}" of your image=${samePath.path} stanza in ${file} ([boot] lilo_label = ${label} applies to a new stanza only)`,
    );
  }
  if (sameLabel) {
    warnings.push(
      `your image "${label}" in ${file} (line ${sameLabel.start + 1}) now boots ${entry.kernel.path}, which this step packs, instead of ${sameLabel.path}; its other lines and options stay`,
    );
  }
  // A stanza updated in place keeps its own label: only a label the tool writes can clash.
  const clash = own ? undefined : images.find((im) => im.label === label && outside(im));
  if (clash) {
    const line = (clash.labelLine ?? clash.start) + 1;
    throw new BootConfigError(
      `label "${label}" (line ${line}) is already used by ${clash.kind}=${clash.path}, which is not an mbootpack image, so it is not taken over`,
      {
        expected: `a label no other image uses ([boot] lilo_label), or rename the label of ${clash.kind}=${clash.path}`,
        file,
        line,
      },
    );
  }
  let out: string;
  if (range) out = replaceLines(text, range.start, range.end, block);
  else if (own) {
    const lines = splitLines(text).lines;
    const ind = /^\s*/.exec(lines[own.start + 1] ?? '')?.[0] || (options.indent ?? '\t');
    out = updateUserImage(text, own, entry, ind, base);
  } else out = appendBlock(text, block);
  return {
    text: out,
    action: out === text ? 'unchanged' : range || own ? 'updated' : 'appended',
    label: samePath?.label ?? label,
    warnings,
  };
}
