import { KERNEL_MULTI_OPTIONS, mergeOptions, splitArgs, type XenEntry } from './entry.js';
import { BootConfigError } from './errors.js';
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
  if (!kernelBase.startsWith('vmlinuz')) {
    throw new BootConfigError(`dom0 kernel "${input.vmlinuz}"`, { expected: 'a /boot/vmlinuz-* file' });
  }
  return {
    xen: input.xenGz.slice(0, -3),
    vmlinux: dir(input.vmlinuz) + kernelBase.replace(/^vmlinuz/, 'vmlinux'),
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
  const label = options.label ?? 'xen';
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(label)) {
    throw new BootConfigError(`LILO label "${label}"`, { expected: 'at most 15 letters, digits, _ . or -' });
  }
  const ind = options.indent ?? '\t';
  const root = entry.kernel.args.find((a) => a.startsWith('root='))?.slice(5);
  const dom0 = entry.kernel.args;
  const append = [...entry.xen.args, ...(dom0.length > 0 ? ['--', ...dom0] : [])].join(' ');
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

interface LiloImage {
  start: number;
  end: number;
  path: string;
  label: string | undefined;
}

function parseLiloImages(text: string): LiloImage[] {
  const { lines } = splitLines(text);
  const images: LiloImage[] = [];
  let current: LiloImage | undefined;
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const m = /^(image|other)\s*=\s*(\S+)/.exec(t);
    if (m) {
      current = { start: i, end: i + 1, path: m[2] ?? '', label: undefined };
      images.push(current);
      return;
    }
    if (!current) return;
    const label = /^label\s*=\s*"?([^"\s]+)"?/.exec(t);
    if (label) current.label = label[1];
    current.end = i + 1;
  });
  return images;
}

export interface LiloMerge {
  text: string;
  action: 'appended' | 'updated' | 'unchanged';
  warnings: string[];
}

/**
 * Bring a hand-written `image=` stanza of the packed file (outside the markers: the user's) up to
 * date in place: the tool's Xen options are merged into the part of `append=` before mbootpack's
 * `--`, dom0's into the part after it (see mergeOptions); an `append=` line is added when there is
 * none. Its label, `read-only`, `vga=` and every other line and option stay as written.
 */
function updateUserImage(text: string, image: LiloImage, entry: XenEntry, indent: string): string {
  const parsed = splitLines(text);
  const lines = [...parsed.lines];
  const appendAt = lines.findIndex((l, i) => i > image.start && i < image.end && /^\s*append\s*=/.test(l));
  const m =
    appendAt < 0 ? undefined : /^(\s*append\s*=\s*)(?:"([^"]*)"|(\S*))(.*)$/.exec(lines[appendAt] ?? '');
  const words = splitArgs(m ? (m[2] ?? m[3] ?? '') : '');
  const cut = words.indexOf('--');
  const xen = mergeOptions(cut < 0 ? words : words.slice(0, cut), entry.xen.args);
  const dom0 = mergeOptions(cut < 0 ? [] : words.slice(cut + 1), entry.kernel.args, {
    multi: KERNEL_MULTI_OPTIONS,
  });
  const value = [...xen, ...(dom0.length > 0 ? ['--', ...dom0] : [])].join(' ');
  if (value.includes('"')) {
    throw new BootConfigError('a double quote in the options', { expected: 'options without "' });
  }
  if (m) lines[appendAt] = `${m[1] ?? ''}"${value}"${m[4] ?? ''}`;
  else if (value !== '') lines.splice(image.end, 0, `${indent}append="${value}"`);
  return joinLines({ ...parsed, lines });
}

/**
 * Merge the stanza into lilo.conf: the managed block (the tool's own) is replaced in place; else
 * an unmarked `image=` of the same packed file is updated in place, keeping the user's lines and
 * options (updateUserImage); otherwise the stanza is appended. A label already used by
 * another image is an error (lilo refuses duplicate labels).
 */
export function mergeLiloConf(
  text: string,
  entry: XenEntry,
  options: LiloStanzaOptions & { id?: string; file?: string } = {},
): LiloMerge {
  const id = options.id ?? 'boot-lilo';
  const file = options.file ?? '/etc/lilo.conf';
  const label = options.label ?? 'xen';
  const block = [beginMarker(id), ...renderLiloStanza(entry, options), endMarker(id)];
  const range = findBlock(text, id, file);
  const images = parseLiloImages(text);
  const own = range ? undefined : images.find((im) => im.path === entry.kernel.path);
  const warnings: string[] = [];
  if (own && own.label !== undefined && own.label !== label) {
    warnings.push(
      `kept the label "${own.label}" of your image=${own.path} stanza in ${file} ([boot] lilo_label = ${label} applies to a new stanza only)`,
    );
  }
  // A stanza updated in place keeps its own label: only a label the tool writes can clash.
  const clash = own
    ? undefined
    : images.find((im) => im.label === label && !(range && im.start > range.start && im.start < range.end));
  if (clash) {
    throw new BootConfigError(`label "${label}" is already used by image=${clash.path}`, {
      expected: 'a label no other image uses ([boot] lilo_label)',
      file,
      line: clash.start + 1,
    });
  }
  let out: string;
  if (range) out = replaceLines(text, range.start, range.end, block);
  else if (own) {
    const lines = splitLines(text).lines;
    const ind = /^\s*/.exec(lines[own.start + 1] ?? '')?.[0] || (options.indent ?? '\t');
    out = updateUserImage(text, own, entry, ind);
  } else out = appendBlock(text, block);
  return {
    text: out,
    action: out === text ? 'unchanged' : range || own ? 'updated' : 'appended',
    warnings,
  };
}
