import { isXenImageName, KERNEL_MULTI_OPTIONS, mergeOptions, type XenEntry } from './entry.js';
import { BootConfigError } from './errors.js';
import { beginMarker, endMarker, findBlock } from './marker.js';
import { appendBlock, joinLines, splitLines } from './text.js';

/**
 * PXELinux: `pxelinux.cfg/default` runs syslinux's multiboot module, mboot.c32, with Xen,
 * the dom0 kernel and the initrd separated by `---`. Paths are relative to the TFTP root.
 */

export const PXE_CONFIG_PATH = 'pxelinux.cfg/default';

/** The one line the HOWTO adds. */
export function renderPxelinuxLine(entry: XenEntry): string {
  const parts = [
    'DEFAULT mboot.c32',
    [entry.xen.path, ...entry.xen.args].join(' '),
    '---',
    [entry.kernel.path, ...entry.kernel.args].join(' '),
    ...(entry.initrd ? ['---', entry.initrd] : []),
  ];
  for (const p of [entry.xen.path, entry.kernel.path, entry.initrd]) {
    if (p !== undefined && (p.startsWith('/') || /\s/.test(p))) {
      throw new BootConfigError(`TFTP path "${p}"`, {
        expected: 'a path relative to the TFTP root, without spaces',
      });
    }
  }
  return parts.join(' ');
}

/**
 * mboot.c32's arguments (`xen.gz … --- kernel … [--- initrd] [--- more]`) brought up to date: the
 * files set to the entry's, the tool's options merged into the Xen and dom0 parts (see
 * mergeOptions), further modules kept. Undefined when they do not start Xen and a dom0 kernel
 * (another multiboot kernel, such as tboot, is not the Xen entry).
 */
function updateMbootArgs(args: string, entry: XenEntry): string | undefined {
  const parts: string[][] = [[]];
  for (const w of args.trim().split(/\s+/)) {
    if (w === '---') parts.push([]);
    else if (w !== '') parts[parts.length - 1]?.push(w);
  }
  const [xen, kernel, initrd, ...more] = parts;
  if (!xen?.length || !kernel?.length || !isXenImageName(xen[0])) return undefined;
  const out = [
    [entry.xen.path, ...mergeOptions(xen.slice(1), entry.xen.args)],
    [entry.kernel.path, ...mergeOptions(kernel.slice(1), entry.kernel.args, { multi: KERNEL_MULTI_OPTIONS })],
    ...(entry.initrd ? [[entry.initrd, ...(initrd?.slice(1) ?? [])]] : initrd ? [initrd] : []),
    ...more,
  ];
  return out.map((p) => p.join(' ')).join(' --- ');
}

/**
 * A user's `DEFAULT mboot.c32 xen.gz … --- kernel … [--- initrd]` line (or `ONTIMEOUT …`, the
 * same command line booted when the timeout expires) brought up to date in place (see
 * updateMbootArgs). Undefined when the line is not such a Xen line.
 */
function updateUserCommand(
  line: string,
  entry: XenEntry,
  keyword: 'default' | 'ontimeout',
): string | undefined {
  const m = new RegExp(`^(\\s*${keyword}\\s+)(\\S*mboot\\.c32)\\s+(.*)$`, 'i').exec(line);
  if (!m) return undefined;
  const args = updateMbootArgs(m[3] ?? '', entry);
  return args === undefined ? undefined : `${m[1] ?? ''}${m[2] ?? ''} ${args}`;
}

/** A `LABEL` block: from its LABEL line to the line before the next LABEL. */
interface PxeLabel {
  name: string;
  start: number;
  end: number;
  /** Index of the APPEND line, when there is one. */
  append: number | undefined;
  /** The file KERNEL (or COM32) loads. */
  kernel: string | undefined;
  /** A `MENU DEFAULT` line in the block: the menu's default entry. */
  menuDefault: boolean;
}

/** The LABEL blocks, keywords read case-insensitively as syslinux does. */
function parseLabels(lines: readonly string[], skip: (i: number) => boolean): PxeLabel[] {
  const labels: PxeLabel[] = [];
  let current: PxeLabel | undefined;
  lines.forEach((line, i) => {
    if (skip(i)) return;
    const label = /^\s*label\s+(\S.*?)\s*$/i.exec(line);
    if (label) {
      current = {
        name: label[1] ?? '',
        start: i,
        end: i + 1,
        append: undefined,
        kernel: undefined,
        menuDefault: false,
      };
      labels.push(current);
      return;
    }
    if (!current || /^\s*(#|$)/.test(line)) return;
    current.end = i + 1;
    const kernel = /^\s*(?:kernel|com32)\s+(\S+)/i.exec(line);
    if (kernel) current.kernel = kernel[1];
    if (/^\s*append(\s|$)/i.test(line)) current.append = i;
    if (/^\s*menu\s+default\s*$/i.test(line)) current.menuDefault = true;
  });
  return labels;
}

/** The APPEND line of a user's `LABEL … KERNEL mboot.c32` Xen block, updated; undefined when it is not one. */
function updateUserLabel(lines: readonly string[], label: PxeLabel, entry: XenEntry): string | undefined {
  if (!label.kernel || !/(^|\/)mboot\.c32$/i.test(label.kernel) || label.append === undefined)
    return undefined;
  const m = /^(\s*append\s+)(.*)$/i.exec(lines[label.append] ?? '');
  if (!m) return undefined;
  const args = updateMbootArgs(m[2] ?? '', entry);
  return args === undefined ? undefined : `${m[1] ?? ''}${args}`;
}

/** What a DEFAULT line names (its first word), or undefined. */
function defaultTarget(line: string): string | undefined {
  return /^\s*default\s+(\S+)/i.exec(line)?.[1];
}

/** What an ONTIMEOUT line names (its first word), or undefined. */
function onTimeoutTarget(line: string): string | undefined {
  return /^\s*ontimeout\s+(\S+)/i.exec(line)?.[1];
}

export interface PxeMerge {
  text: string;
  action: 'created' | 'appended' | 'updated' | 'unchanged';
  /** The user's own Xen LABEL block the merge updated in place (its label), if any. */
  label?: string;
  warnings: string[];
}

const DISABLED_PREFIX = '# disabled for the Xen entry (xen-gentoo): ';

/**
 * Merge the Xen entry into an existing config (null: no file yet).
 *
 * Syslinux reads the file top to bottom and every `DEFAULT` line replaces the one before (the
 * same for `ONTIMEOUT`): the last one it reads is the one that boots. A user's own Xen entry is
 * updated in place, keeping their options: the last active DEFAULT line when it boots Xen through
 * mboot.c32 (updateUserCommand), else a `LABEL` block whose KERNEL is mboot.c32 with Xen and a
 * dom0 kernel in its APPEND (the one the last DEFAULT names), else an earlier mboot.c32 Xen
 * DEFAULT line, else the only such LABEL block. For such a label, DEFAULT must name it: a DEFAULT
 * that does is kept, a menu module (`DEFAULT menu.c32`) is kept with a warning, any other
 * DEFAULT makes way for a managed `DEFAULT <label>`. Without a user entry, the managed
 * `DEFAULT mboot.c32 …` line is used: it replaces the previous managed block, else takes the
 * place of the last active DEFAULT line.
 *
 * Other active DEFAULT lines would compete, so they are turned into comments with a prefix that
 * says why (remove the prefix to go back); a DEFAULT naming the user's Xen label is never one of
 * them. `ONTIMEOUT` names what boots when the timeout expires, whatever DEFAULT says: one naming
 * the Xen label stays, one that is itself an mboot.c32 Xen command line is updated in place like
 * a DEFAULT line, any other is turned into a comment the same way, with a warning naming file
 * and line (an unattended node would otherwise boot it). Everything else stays as it is.
 */
export function mergePxelinuxConfig(
  text: string | null,
  entry: XenEntry,
  options: { id?: string; file?: string } = {},
): PxeMerge {
  const id = options.id ?? 'boot-pxelinux';
  const file = options.file ?? PXE_CONFIG_PATH;
  if (text === null || text === '') {
    const block = [beginMarker(id), renderPxelinuxLine(entry), endMarker(id)];
    return { text: block.join('\n') + '\n', action: 'created', warnings: [] };
  }
  const warnings: string[] = [];
  const range = findBlock(text, id, options.file);
  const parsed = splitLines(text);
  const lines = [...parsed.lines];
  const inBlock = (i: number): boolean => range !== undefined && i >= range.start && i < range.end;
  const active = (re: RegExp): number[] => lines.flatMap((l, i) => (!inBlock(i) && re.test(l) ? [i] : []));
  const defaults = active(/^\s*default\s/i);
  const onTimeouts = active(/^\s*ontimeout\s/i);
  lines.forEach((l, i) => {
    if (inBlock(i)) return;
    if (/^\s*ui\s/i.test(l)) {
      warnings.push(
        `"${l.trim()}": with a menu UI, the DEFAULT line names the default entry; check the menu still boots Xen`,
      );
    }
    if (/^\s*(menu\s+)?include\s/i.test(l)) {
      warnings.push(
        `${file}:${i + 1}: "${l.trim()}": an included file may set another DEFAULT or ONTIMEOUT (syslinux uses the last one it reads); check that the Xen entry stays the default`,
      );
    }
  });
  // The DEFAULT that boots: syslinux keeps the last one it reads.
  const lastDefault = defaults[defaults.length - 1];
  const blockLines = range ? lines.slice(range.start, range.end) : [];
  // What the managed block names: a label (from an earlier run that found the user's Xen label)
  // or mboot.c32 itself (the tool's own entry).
  const blockNames = blockLines.map(defaultTarget).find((t) => t !== undefined);
  const managedLine = blockNames !== undefined && /(^|\/)mboot\.c32$/i.test(blockNames);
  const named = range
    ? blockNames
    : lastDefault === undefined
      ? undefined
      : defaultTarget(lines[lastDefault] ?? '');

  // 1. The DEFAULT that boots is the user's own mboot.c32 Xen line (only without a managed block).
  let userAt = range ? undefined : lastDefault;
  let userLine = userAt === undefined ? undefined : updateUserCommand(lines[userAt] ?? '', entry, 'default');
  // 2. Else the user's own Xen LABEL block that DEFAULT names. A managed `DEFAULT mboot.c32 …`
  //    line from earlier runs stays the entry (their labels stay as they are).
  let xenLabels =
    userLine !== undefined
      ? []
      : parseLabels(lines, inBlock).filter((l) => updateUserLabel(lines, l, entry) !== undefined);
  const namedLabel = managedLine ? undefined : xenLabels.find((l) => named !== undefined && l.name === named);
  // 3. Else an earlier mboot.c32 Xen DEFAULT line of the user's (the last one), 4. else their
  //    only Xen LABEL block.
  if (userLine === undefined && namedLabel === undefined && !range) {
    for (const i of [...defaults].reverse()) {
      const updated = updateUserCommand(lines[i] ?? '', entry, 'default');
      if (updated !== undefined) {
        [userAt, userLine, xenLabels] = [i, updated, []];
        break;
      }
    }
  }
  const userLabel =
    managedLine || userLine !== undefined
      ? undefined
      : (namedLabel ?? (xenLabels.length === 1 ? xenLabels[0] : undefined));
  if (userLine === undefined && userLabel === undefined && xenLabels.length > 0) {
    warnings.push(
      `kept the Xen LABEL entr${xenLabels.length === 1 ? 'y' : 'ies'} ${xenLabels.map((l) => l.name).join(', ')} in ${file} as ${xenLabels.length === 1 ? 'it is' : 'they are'}; the managed DEFAULT line boots Xen`,
    );
  }

  const disable = (i: number): void => {
    lines[i] = DISABLED_PREFIX + (lines[i] ?? '');
  };
  // ONTIMEOUT lines: kept when they name the Xen label, updated when they are a Xen command line
  // themselves, else turned into comments (the timeout would boot something else).
  const settleOnTimeouts = (label: string | undefined): void => {
    for (const i of onTimeouts) {
      const line = lines[i] ?? '';
      if (label !== undefined && onTimeoutTarget(line) === label) continue;
      const updated = updateUserCommand(line, entry, 'ontimeout');
      if (updated !== undefined) {
        lines[i] = updated;
        continue;
      }
      warnings.push(
        `${file}:${i + 1}: "${line.trim()}" boots ${onTimeoutTarget(line) ?? 'another entry'} instead of the Xen entry when the timeout expires (an unattended boot): turned into a comment; remove the "${DISABLED_PREFIX.trim()}" prefix to restore it`,
      );
      disable(i);
    }
  };
  const finish = (out: string, act: 'appended' | 'updated'): PxeMerge => ({
    text: out,
    action: out === text ? 'unchanged' : range ? 'updated' : act,
    ...(userLabel ? { label: userLabel.name } : {}),
    warnings,
  });
  const joined = (endsWithBlock: boolean): string =>
    joinLines({ ...parsed, lines, finalNewline: parsed.finalNewline || endsWithBlock });

  if (userLine !== undefined && userAt !== undefined) {
    lines[userAt] = userLine;
    for (const i of defaults) if (i !== userAt) disable(i);
    settleOnTimeouts(undefined);
    return finish(joined(false), 'updated');
  }

  if (userLabel !== undefined && userLabel.append !== undefined) {
    lines[userLabel.append] = updateUserLabel(lines, userLabel, entry) ?? lines[userLabel.append] ?? '';
    const namesLabel = (i: number): boolean => defaultTarget(lines[i] ?? '') === userLabel.name;
    // The user's DEFAULT stays when it names the label, or opens a menu (their menu, from which
    // the label is picked).
    const keep =
      !range && lastDefault !== undefined
        ? namesLabel(lastDefault) || /(^|\/)(vesa)?menu\.c32$/i.test(named ?? '')
        : false;
    if (keep && lastDefault !== undefined && !namesLabel(lastDefault) && !userLabel.menuDefault) {
      warnings.push(
        `${file}:${lastDefault + 1}: "${(lines[lastDefault] ?? '').trim()}" opens the menu, which starts the entry marked MENU DEFAULT (else the first) on timeout; check that it is LABEL ${userLabel.name}`,
      );
    }
    for (const i of defaults) if (!namesLabel(i) && !(keep && i === lastDefault)) disable(i);
    settleOnTimeouts(userLabel.name);
    const block = [beginMarker(id), `DEFAULT ${userLabel.name}`, endMarker(id)];
    if (range) {
      lines.splice(range.start, range.end - range.start, ...block);
      return finish(joined(range.end === parsed.lines.length), 'updated');
    }
    if (keep) return finish(joined(false), 'updated');
    if (lastDefault !== undefined) {
      lines.splice(lastDefault + 1, 0, ...block);
      return finish(joined(lastDefault === parsed.lines.length - 1), 'updated');
    }
    return finish(appendBlock(joined(false), block), 'updated');
  }

  const block = [beginMarker(id), renderPxelinuxLine(entry), endMarker(id)];
  for (const i of defaults) disable(i);
  settleOnTimeouts(undefined);
  if (range) {
    lines.splice(range.start, range.end - range.start, ...block);
    return finish(joined(range.end === parsed.lines.length), 'updated');
  }
  if (lastDefault !== undefined) {
    lines.splice(lastDefault + 1, 0, ...block);
    return finish(joined(lastDefault === parsed.lines.length - 1), 'appended');
  }
  return finish(appendBlock(joined(false), block), 'appended');
}

export interface TftpFile {
  /** Name inside the TFTP root. */
  name: string;
  /** Where it comes from on the server (undefined: the caller knows, e.g. the dom0 kernel). */
  source?: string;
  why: string;
}

/**
 * Where sys-boot/syslinux installs pxelinux.0 and the .c32 modules: /usr/lib/syslinux in the
 * HOWTO's days, /usr/share/syslinux today.
 */
export const SYSLINUX_DIRS = { legacy: '/usr/lib/syslinux', modern: '/usr/share/syslinux' } as const;

/**
 * Everything the TFTP root must serve for the entry. Syslinux 5 and later split the library
 * out of the modules: every .c32 needs ldlinux.c32, and mboot.c32 needs libcom32.c32.
 */
export function pxelinuxTftpFiles(
  entry: XenEntry,
  options: { syslinuxDir: string; syslinuxMajor: number },
): TftpFile[] {
  const dir = options.syslinuxDir.replace(/\/$/, '');
  const files: TftpFile[] = [
    { name: 'pxelinux.0', source: `${dir}/pxelinux.0`, why: 'the PXE boot program the DHCP server names' },
    { name: 'mboot.c32', source: `${dir}/mboot.c32`, why: 'loads Xen and its modules (multiboot)' },
  ];
  if (options.syslinuxMajor >= 5) {
    files.push(
      {
        name: 'ldlinux.c32',
        source: `${dir}/ldlinux.c32`,
        why: 'syslinux 5+ core module, loaded by pxelinux.0',
      },
      {
        name: 'libcom32.c32',
        source: `${dir}/libcom32.c32`,
        why: 'syslinux 5+ library mboot.c32 links against',
      },
    );
  }
  files.push(
    { name: entry.xen.path, why: 'the Xen hypervisor' },
    { name: entry.kernel.path, why: 'the dom0 kernel' },
    ...(entry.initrd ? [{ name: entry.initrd, why: 'the dom0 initrd' }] : []),
  );
  return files;
}
