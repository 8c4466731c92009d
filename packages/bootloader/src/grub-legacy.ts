import { isXenImageName, KERNEL_MULTI_OPTIONS, mergeOptions, type XenEntry } from './entry.js';
import { BootConfigError, BootFileSyntaxError } from './errors.js';
import { beginMarker, endMarker, findBlock } from './marker.js';
import { appendBlock, joinLines, replaceLines, splitLines } from './text.js';

/**
 * GRUB legacy (0.97) `grub.conf` / `menu.lst`: global commands, then one stanza per `title`.
 * A stanza runs from its `title` line to the line before the next `title`.
 */

export interface LegacyCommand {
  name: string;
  args: string;
  /** 0-based line index. */
  line: number;
}

export interface LegacyStanza {
  title: string;
  /** Index of the `title` line. */
  start: number;
  /** Index after the stanza's last command (trailing blank and comment lines excluded). */
  end: number;
  commands: LegacyCommand[];
}

export interface LegacyMenu {
  globals: LegacyCommand[];
  stanzas: LegacyStanza[];
}

function parseCommand(line: string, index: number): LegacyCommand | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\s*=\s*|\s+|$)(.*)$/.exec(trimmed);
  if (!m) return undefined;
  return { name: (m[1] ?? '').toLowerCase(), args: (m[2] ?? '').trim(), line: index };
}

export function parseGrubLegacy(text: string): LegacyMenu {
  const { lines } = splitLines(text);
  const globals: LegacyCommand[] = [];
  const stanzas: LegacyStanza[] = [];
  let current: LegacyStanza | undefined;
  lines.forEach((line, i) => {
    const cmd = parseCommand(line, i);
    if (!cmd) return;
    if (cmd.name === 'title') {
      current = { title: cmd.args, start: i, end: i + 1, commands: [] };
      stanzas.push(current);
    } else if (current) {
      current.commands.push(cmd);
      current.end = i + 1;
    } else {
      globals.push(cmd);
    }
  });
  return { globals, stanzas };
}

/** The file a `kernel`/`module` command loads: first word not starting with "--", device prefix removed. */
export function commandFile(args: string): string | undefined {
  const word = args.split(/\s+/).find((w) => w !== '' && !w.startsWith('--'));
  return word?.replace(/^\([^)]*\)/, '');
}

/**
 * A stanza boots Xen when its kernel line loads a Xen image GRUB legacy can start (`xen.gz`,
 * `xen-<version>.gz`, or uncompressed `xen` / `xen-<version>`: see isXenImageName) and it has
 * module lines.
 */
export function isXenStanza(stanza: LegacyStanza): boolean {
  const kernel = stanza.commands.find((c) => c.name === 'kernel');
  return (
    isXenImageName(kernel ? commandFile(kernel.args) : undefined) &&
    stanza.commands.some((c) => c.name === 'module')
  );
}

/** The directory part of a path, "/" included ("/boot/" for "/boot/xen.gz", "/" for "/xen.gz"). */
function dirOf(path: string | undefined): string | undefined {
  return path === undefined ? undefined : path.slice(0, path.lastIndexOf('/') + 1);
}

/**
 * Whether a Xen stanza boots the entry's files: the same dom0 kernel, and a hypervisor in the same
 * directory under any of Xen's image names (`/xen-3.1.gz` for the entry's `/xen.gz`: the same
 * Xen installed under its versioned name).
 */
function bootsSameFiles(stanza: LegacyStanza, entry: XenEntry): boolean {
  const files = stanza.commands
    .filter((c) => c.name === 'kernel' || c.name === 'module')
    .map((c) => commandFile(c.args));
  const [xen, kernel] = files;
  return (
    kernel === entry.kernel.path &&
    (xen === entry.xen.path || (isXenImageName(xen) && dirOf(xen) === dirOf(entry.xen.path)))
  );
}

export interface LegacyRenderOptions {
  /** GRUB device of the partition holding the files, e.g. "(hd0,0)". */
  grubRoot: string;
  /** Indentation of the commands under `title` (taken from the file's existing stanzas). */
  indent?: string;
}

/** Render the Xen stanza (without markers). */
export function renderGrubLegacyStanza(entry: XenEntry, options: LegacyRenderOptions): string[] {
  if (!/^\((hd|fd|nd)\d*(,\d+)?(,[a-z])?\)$/.test(options.grubRoot)) {
    throw new BootConfigError(`GRUB root "${options.grubRoot}"`, {
      expected: 'a GRUB legacy device such as (hd0,0)',
    });
  }
  if (/[\r\n]/.test(entry.title)) {
    throw new BootConfigError('title with a line break', { expected: 'a one-line title' });
  }
  const ind = options.indent ?? '';
  return [
    `title ${entry.title}`,
    `${ind}root ${options.grubRoot}`,
    `${ind}kernel ${[entry.xen.path, ...entry.xen.args].join(' ')}`,
    `${ind}module ${[entry.kernel.path, ...entry.kernel.args].join(' ')}`,
    ...(entry.initrd ? [`${ind}module ${entry.initrd}`] : []),
  ];
}

export type MergeAction = 'appended' | 'updated' | 'unchanged';

export interface GrubLegacyMerge {
  text: string;
  action: MergeAction;
  /** 0-based menu index of the Xen entry in the result (what `default N` would name). */
  index: number;
  /** The Xen entry's title in the result: the user's own when their stanza was updated. */
  title: string;
  warnings: string[];
}

/** The indentation the file's existing stanzas use under `title` ("" when none). */
function detectIndent(text: string, menu: LegacyMenu): string {
  const { lines } = splitLines(text);
  for (const stanza of menu.stanzas) {
    const first = stanza.commands[0];
    if (first) return /^\s*/.exec(lines[first.line] ?? '')?.[0] ?? '';
  }
  return '';
}

/**
 * A `kernel`/`module` line with its file set to `path` and `wanted` merged into its options (see
 * mergeOptions): flags before the file (`--type=…`), a device prefix of the file (`(hd0,0)`), the
 * indentation and every other option stay as written.
 */
function withFileAndOptions(
  line: string,
  path: string,
  wanted: readonly string[],
  multi: readonly string[] = [],
): string {
  const m = /^(\s*[A-Za-z_][A-Za-z0-9_]*(?:\s*=\s*|\s+))(.*)$/.exec(line);
  if (!m) return line;
  const words = (m[2] ?? '')
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  const at = words.findIndex((w) => !w.startsWith('--'));
  const flags = at < 0 ? words : words.slice(0, at);
  const file = at < 0 ? undefined : words[at];
  const options = at < 0 ? [] : words.slice(at + 1);
  const device = /^\([^)]*\)/.exec(file ?? '')?.[0] ?? '';
  return (m[1] ?? '') + [...flags, device + path, ...mergeOptions(options, wanted, { multi })].join(' ');
}

/**
 * Bring a hand-written Xen stanza (outside the markers: the user's) up to date in place: the
 * kernel line loads the entry's Xen with the tool's options merged in, the first module line
 * the dom0 kernel likewise, the second module line the initrd (added when missing). Every other
 * line and option stays: `iommu=no-intremap` or a `lock` line may be what the user needs. No
 * markers are added, so the stanza stays the user's and later runs merge the same way.
 */
function updateUserStanza(text: string, stanza: LegacyStanza, entry: XenEntry, indent: string): string {
  const parsed = splitLines(text);
  const lines = [...parsed.lines];
  const kernel = stanza.commands.find((c) => c.name === 'kernel');
  const modules = stanza.commands.filter((c) => c.name === 'module');
  const dom0 = modules[0];
  if (!kernel || !dom0) return text;
  lines[kernel.line] = withFileAndOptions(lines[kernel.line] ?? '', entry.xen.path, entry.xen.args);
  lines[dom0.line] = withFileAndOptions(
    lines[dom0.line] ?? '',
    entry.kernel.path,
    entry.kernel.args,
    KERNEL_MULTI_OPTIONS,
  );
  if (entry.initrd) {
    const initrd = modules[1];
    if (initrd) lines[initrd.line] = withFileAndOptions(lines[initrd.line] ?? '', entry.initrd, []);
    else {
      const ind = /^\s*/.exec(lines[dom0.line] ?? '')?.[0] ?? indent;
      lines.splice(dom0.line + 1, 0, `${ind}module ${entry.initrd}`);
    }
  }
  return joinLines({ ...parsed, lines });
}

/** A GRUB device at the start of `text` (`(hd0,1)` of `(hd0,1)/xen.gz`), spaces removed. */
function deviceOf(text: string): string | undefined {
  return /^\([^)]*\)/.exec(text.trim())?.[0].replace(/\s+/g, '');
}

/**
 * The device each file of a stanza's `kernel`/`module` lines is read from: its own device prefix,
 * else the stanza's `root` (or `rootnoverify`) line before it, else undefined (no root line: the
 * partition GRUB was loaded from). `line` is where that device is named (the title line when
 * none is).
 */
function fileDevices(stanza: LegacyStanza): { device: string | undefined; line: number }[] {
  let root: { device: string | undefined; line: number } | undefined;
  const out: { device: string | undefined; line: number }[] = [];
  for (const c of stanza.commands) {
    if (c.name === 'root' || c.name === 'rootnoverify') {
      root = { device: deviceOf(c.args) ?? c.args.trim(), line: c.line };
    } else if (c.name === 'kernel' || c.name === 'module') {
      const own = deviceOf(c.args.split(/\s+/).find((w) => w !== '' && !w.startsWith('--')) ?? '');
      out.push(own ? { device: own, line: c.line } : (root ?? { device: undefined, line: stanza.start }));
    }
  }
  return out;
}

/**
 * Why a user's Xen stanza cannot be updated in place with paths on `grubRoot` (undefined when it
 * can): its files are read from another device, or it names none while other entries of the file
 * boot from another device than `grubRoot` (so the partition GRUB starts on is not known to be
 * `grubRoot`). Updating it would point it at files that may not exist on its partition.
 */
function rootMismatch(
  stanza: LegacyStanza,
  menu: LegacyMenu,
  grubRoot: string,
  file: string,
): string | undefined {
  const root = deviceOf(grubRoot) ?? grubRoot;
  const other = fileDevices(stanza).find((d) => d.device !== undefined && d.device !== root);
  if (other) {
    return `${file}:${other.line + 1}: the Xen entry "${stanza.title}" loads its files from ${other.device ?? ''}, not from ${root} where this entry's are: kept it as it is and added the new entry after it`;
  }
  if (fileDevices(stanza).some((d) => d.device === undefined)) {
    const elsewhere = [
      ...new Set(
        menu.stanzas
          .filter((s) => s !== stanza)
          .flatMap(fileDevices)
          .flatMap((d) => (d.device !== undefined && d.device !== root ? [d.device] : [])),
      ),
    ];
    if (elsewhere.length > 0) {
      return `${file}:${stanza.start + 1}: the Xen entry "${stanza.title}" has no root line and other entries boot from ${elsewhere.join(', ')}: whether it loads from ${root} is unknown, so it is kept as it is and the new entry is added after it`;
    }
  }
  return undefined;
}

/**
 * Merge the Xen entry into a grub.conf. The managed block (the tool's own) is replaced in place
 * when present; else an unmarked Xen stanza with the same title (or the only Xen stanza, loading
 * the same files) is updated in place, keeping the user's other lines and options
 * (updateUserStanza); else the entry is appended. Such a stanza is only taken over when it
 * reads its files from `grubRoot` (its `root` line, or a device before the file name), or names
 * no device and no other entry of the file boots from another one: else it stays as it is, with
 * a warning naming the file and line (see rootMismatch), and the entry is appended. Entries are
 * never inserted before others, so `default` and `fallback` keep pointing at the same entries.
 */
export function mergeGrubLegacy(
  text: string,
  entry: XenEntry,
  options: LegacyRenderOptions & { id?: string; file?: string },
): GrubLegacyMerge {
  const id = options.id ?? 'boot-grub';
  const menu = parseGrubLegacy(text);
  const indent = options.indent ?? detectIndent(text, menu);
  const block = [beginMarker(id), ...renderGrubLegacyStanza(entry, { ...options, indent }), endMarker(id)];
  const warnings: string[] = [];
  const indexAt = (line: number): number => menu.stanzas.filter((s) => s.start < line).length;

  let result: string;
  let index: number;
  let title = entry.title;
  const range = findBlock(text, id, options.file);
  if (range) {
    const inside = menu.stanzas.filter((s) => s.start > range.start && s.start < range.end);
    if (inside.length !== 1) {
      throw new BootFileSyntaxError(`the managed block holds ${inside.length} entries`, {
        expected: 'exactly one title stanza between the markers',
        file: options.file ?? 'the file',
        line: range.start + 1,
      });
    }
    index = indexAt(range.start);
    result = replaceLines(text, range.start, range.end, block);
  } else {
    const xenStanzas = menu.stanzas.filter(isXenStanza);
    const sameTitle = xenStanzas.find((s) => s.title === entry.title);
    const sameFiles = xenStanzas.filter((s) => bootsSameFiles(s, entry));
    const candidate =
      sameTitle ?? (xenStanzas.length === 1 && sameFiles.length === 1 ? sameFiles[0] : undefined);
    const mismatch =
      candidate && rootMismatch(candidate, menu, options.grubRoot, options.file ?? 'grub.conf');
    const target = mismatch ? undefined : candidate;
    if (target) {
      index = indexAt(target.start);
      title = target.title;
      result = updateUserStanza(text, target, entry, indent);
    } else {
      if (mismatch) warnings.push(mismatch);
      const others = xenStanzas.filter((s) => s !== candidate);
      if (others.length > 0) {
        warnings.push(
          `kept ${others.length} other Xen entr${others.length === 1 ? 'y' : 'ies'} (${others.map((s) => `"${s.title}"`).join(', ')}); the new entry is added after them`,
        );
      }
      index = menu.stanzas.length;
      result = appendBlock(text, block);
    }
  }
  const defaultCmd = menu.globals.find((g) => g.name === 'default');
  if (defaultCmd && defaultCmd.args !== 'saved' && Number(defaultCmd.args) !== index) {
    warnings.push(
      `"default ${defaultCmd.args}" still boots the previous entry; choose the Xen entry (number ${index}) in the menu, or set "default ${index}" once it boots`,
    );
  }
  return {
    text: result,
    action:
      result === text
        ? 'unchanged'
        : range
          ? 'updated'
          : index < menu.stanzas.length
            ? 'updated'
            : 'appended',
    index,
    title,
    warnings,
  };
}
