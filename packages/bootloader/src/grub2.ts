import { KERNEL_MULTI_OPTIONS, mergeOptions, splitArgs, type XenEntry } from './entry.js';
import { BootConfigError } from './errors.js';
import { beginMarker, endMarker, findBlock, MARKER_TAG } from './marker.js';
import { inConditional, readShellVariable, setShellVariables, type ShellAssignment } from './shell-vars.js';
import { appendBlock, replaceLines, splitLines } from './text.js';

/**
 * GRUB 2. Two ways to get a Xen entry:
 * (a) /etc/default/grub: the GRUB_CMDLINE_XEN* variables, then `grub-mkconfig`, whose
 *     20_linux_xen script writes one entry per /boot/xen* × dom0-capable kernel;
 * (b) a hand-made `menuentry` with multiboot2/module2 in /etc/grub.d/40_custom.
 */

export const GRUB_MKCONFIG_ARGV = ['grub-mkconfig', '-o', '/boot/grub/grub.cfg'] as const;

export const GRUB_XEN_VARIABLES = [
  'GRUB_CMDLINE_XEN',
  'GRUB_CMDLINE_XEN_DEFAULT',
  'GRUB_CMDLINE_LINUX_XEN_REPLACE',
  'GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT',
] as const;
export type GrubXenVariable = (typeof GRUB_XEN_VARIABLES)[number];

export type GrubXenSettings = Partial<Record<GrubXenVariable, string>>;

/**
 * The /etc/default/grub settings for an entry: Xen's options go to GRUB_CMDLINE_XEN_DEFAULT
 * (normal entries, not the recovery ones, which keep Xen's defaults); dom0 options that must
 * replace the usual Linux ones (console=hvc0 under Xen) go to GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT.
 * root= is left to grub-mkconfig.
 */
export function grubDefaultSettings(entry: XenEntry): GrubXenSettings {
  const kernelArgs = entry.kernel.args.filter((a) => !a.startsWith('root=') && a !== 'ro');
  return {
    GRUB_CMDLINE_XEN_DEFAULT: entry.xen.args.join(' '),
    ...(kernelArgs.length > 0 ? { GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT: kernelArgs.join(' ') } : {}),
  };
}

/**
 * What 20_linux_xen uses in place of a REPLACE variable when it is unset or empty: the plain Linux
 * variable. Setting GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT to "console=hvc0" alone would drop every
 * option of GRUB_CMDLINE_LINUX_DEFAULT from the Xen entries, so the Linux value is the base.
 */
const REPLACED: Partial<Record<GrubXenVariable, string>> = {
  GRUB_CMDLINE_LINUX_XEN_REPLACE: 'GRUB_CMDLINE_LINUX',
  GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT: 'GRUB_CMDLINE_LINUX_DEFAULT',
};

/** The literal value of a variable, or a BootConfigError when it is built with expansions. */
function literalValue(text: string, name: string, file: string): string | undefined {
  const a = readShellVariable(text, name, file);
  if (a === undefined) return undefined;
  if (a.value === undefined) {
    throw new BootConfigError(`${name} is built with shell expansions, so its options cannot be merged`, {
      expected: `a literal value; add the Xen options to ${name} by hand`,
      file,
      line: text.slice(0, a.start).split('\n').length,
    });
  }
  return a.value;
}

/**
 * The values the settings' variables must have in this file: the options the tool sets merged
 * into what the file already has (see mergeOptions), so the user's other Xen and dom0 options
 * (loglvl=all, iommu=no-intremap, …) stay. Throws BootFileSyntaxError when sh cannot read the file.
 */
export function grubDefaultValues(
  text: string,
  settings: GrubXenSettings,
  file = '/etc/default/grub',
): GrubXenSettings {
  const out: GrubXenSettings = {};
  for (const name of GRUB_XEN_VARIABLES) {
    const want = settings[name];
    if (want === undefined) continue;
    let base = literalValue(text, name, file);
    const replaced = REPLACED[name];
    if ((base === undefined || base.trim() === '') && replaced !== undefined) {
      base = literalValue(text, replaced, file);
    }
    const multi = name.startsWith('GRUB_CMDLINE_LINUX') ? KERNEL_MULTI_OPTIONS : [];
    out[name] = mergeOptions(splitArgs(base), splitArgs(want), { multi }).join(' ');
  }
  return out;
}

/** Apply settings to /etc/default/grub text losslessly (other lines and other options untouched). */
export function mergeGrubDefault(
  text: string,
  settings: GrubXenSettings,
  file = '/etc/default/grub',
): string {
  const merged = grubDefaultValues(text, settings, file);
  const values = GRUB_XEN_VARIABLES.flatMap((name) => {
    const v = merged[name];
    return v === undefined ? [] : [[name, v] as const];
  });
  return setShellVariables(text, values, { comment: 'Xen hypervisor and dom0 options (xen-gentoo)', file });
}

/** Which settings differ from what the file holds (empty: nothing to do). */
export function grubDefaultDiff(
  text: string,
  settings: GrubXenSettings,
  file = '/etc/default/grub',
): GrubXenVariable[] {
  const merged = grubDefaultValues(text, settings, file);
  return GRUB_XEN_VARIABLES.filter((name) => {
    const want = merged[name];
    return want !== undefined && readShellVariable(text, name, file)?.value !== want;
  });
}

/**
 * Warnings for the edit mergeGrubDefault makes: a variable it rewrites (or whose options it starts
 * from) assigned inside an `if … fi` (or case, loop, group) is edited there, and the result
 * depends on the condition. Each names the file and line.
 */
export function grubDefaultWarnings(
  text: string,
  settings: GrubXenSettings,
  file = '/etc/default/grub',
): string[] {
  const warnings: string[] = [];
  const lineOf = (a: ShellAssignment): number => text.slice(0, a.start).split('\n').length;
  for (const name of grubDefaultDiff(text, settings, file)) {
    const own = readShellVariable(text, name, file);
    if (own && inConditional(text, own.start)) {
      warnings.push(
        `${file}:${lineOf(own)}: ${name} is set inside a conditional; check the result (the Xen options are edited there and apply only when the condition holds)`,
      );
    }
    const replaced = REPLACED[name];
    if (replaced !== undefined && (own?.value === undefined || own.value.trim() === '')) {
      const base = readShellVariable(text, replaced, file);
      if (base && inConditional(text, base.start)) {
        warnings.push(
          `${file}:${lineOf(base)}: ${replaced}, whose options ${name} starts from, is set inside a conditional; check the result`,
        );
      }
    }
  }
  return warnings;
}

/** Quote a word for GRUB's script language: bare when safe, else single quotes. */
export function grubQuote(word: string): string {
  if (/^[A-Za-z0-9_\-.,:=/+%@]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface Grub2EntryOptions {
  /** `search --set=root --fs-uuid <uuid>` for the filesystem holding the files; default: GRUB's own. */
  fsUuid?: string;
  /** multiboot2/module2 (Xen ≥ 4.x, default) or multiboot/module (older Xen). */
  multiboot?: 'multiboot2' | 'multiboot';
  /** Extra menuentry classes. */
  classes?: string[];
}

/** Render a GRUB 2 menuentry booting Xen (no markers). */
export function renderGrub2Entry(entry: XenEntry, options: Grub2EntryOptions = {}): string[] {
  const loader = options.multiboot ?? 'multiboot2';
  const moduleCmd = loader === 'multiboot2' ? 'module2' : 'module';
  if (options.fsUuid !== undefined && !/^[A-Za-z0-9-]+$/.test(options.fsUuid)) {
    throw new BootConfigError(`filesystem UUID "${options.fsUuid}"`, { expected: 'letters, digits and -' });
  }
  const classes = ['gentoo', 'xen', ...(options.classes ?? [])]
    .map((c) => `--class ${grubQuote(c)}`)
    .join(' ');
  const words = (ws: string[]): string => ws.map(grubQuote).join(' ');
  return [
    `menuentry '${entry.title.replace(/'/g, `'\\''`)}' ${classes} {`,
    '\tinsmod gzio',
    ...(options.fsUuid ? [`\tsearch --no-floppy --fs-uuid --set=root ${options.fsUuid}`] : []),
    `\techo 'Loading Xen ...'`,
    `\t${loader} ${words([entry.xen.path, ...entry.xen.args])}`,
    `\techo 'Loading Linux ...'`,
    `\t${moduleCmd} ${words([entry.kernel.path, ...entry.kernel.args])}`,
    ...(entry.initrd
      ? [`\techo 'Loading initial ramdisk ...'`, `\t${moduleCmd} --nounzip ${grubQuote(entry.initrd)}`]
      : []),
    '}',
  ];
}

/** The head of /etc/grub.d/40_custom as sys-boot/grub installs it. */
export const GRUB_CUSTOM_HEADER = [
  '#!/bin/sh',
  'exec tail -n +3 $0',
  '# This file provides an easy way to add custom menu entries.  Simply type the',
  '# menu entries you want to add after this comment.  Be careful not to change',
  "# the 'exec tail' line above.",
];

export interface Grub2CustomMerge {
  text: string;
  action: 'created' | 'appended' | 'updated' | 'unchanged';
  warnings: string[];
}

/**
 * Merge the entry, as a managed block, into a grub.d custom file (null: the file does not
 * exist). The file must use the `exec tail -n +3 $0` form, whose lines from the third on are
 * copied into grub.cfg verbatim: any other script would execute the entry as shell.
 */
export function mergeGrub2Custom(
  text: string | null,
  entry: XenEntry,
  options: Grub2EntryOptions & { id?: string; file?: string } = {},
): Grub2CustomMerge {
  const id = options.id ?? 'boot-grub';
  const file = options.file ?? '/etc/grub.d/40_custom';
  const block = [beginMarker(id), ...renderGrub2Entry(entry, options), endMarker(id)];
  if (text === null || text === '') {
    return { text: [...GRUB_CUSTOM_HEADER, ...block].join('\n') + '\n', action: 'created', warnings: [] };
  }
  const { lines } = splitLines(text);
  if (!/^#!/.test(lines[0] ?? '') || !/^exec tail -n \+3 \$0\s*$/.test(lines[1] ?? '')) {
    throw new BootConfigError('not a custom-entries file', {
      expected: 'the first two lines "#!/bin/sh" and "exec tail -n +3 $0"',
      file,
      line: 2,
    });
  }
  const warnings: string[] = [];
  const range = findBlock(text, id, file);
  if (range) {
    const out = replaceLines(text, range.start, range.end, block);
    return { text: out, action: out === text ? 'unchanged' : 'updated', warnings };
  }
  const titleRe = /^\s*menuentry\s+(?:'([^']*)'|"([^"]*)"|(\S+))/;
  for (const line of lines) {
    const m = titleRe.exec(line);
    if (m && (m[1] ?? m[2] ?? m[3]) === entry.title) {
      warnings.push(`${file} already has a menu entry titled "${entry.title}"; remove it, GRUB shows both`);
    }
  }
  return { text: appendBlock(text, block), action: 'appended', warnings };
}

/** The part of a tail-style custom file that grub-mkconfig copies into grub.cfg. */
export function customFileOutput(text: string): string {
  return text.split('\n').slice(2).join('\n');
}

/** grub.cfg's lines as GRUB reads them: a line ending in a backslash joins the next (a comment line excepted). */
export function grubCfgLines(grubCfg: string): string[] {
  const lines: string[] = [];
  let pending: string | undefined;
  for (const raw of grubCfg.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const joined = pending === undefined ? line : pending + line;
    if (/(^|[^\\])(\\\\)*\\$/.test(joined) && !/^\s*#/.test(joined)) pending = joined.slice(0, -1);
    else {
      lines.push(joined);
      pending = undefined;
    }
  }
  if (pending !== undefined) lines.push(pending);
  return lines;
}

/** Whether grub.cfg has a multiboot line with these Xen options and a module line with these dom0 options. */
export function grubCfgHas(
  grubCfg: string | undefined,
  xenArgs: string,
  kernelArgs: string | undefined,
): boolean {
  if (grubCfg === undefined) return false;
  const normalised = grubCfgLines(grubCfg).map((l) => l.trim().replace(/\s+/g, ' '));
  const xenOk = normalised.some(
    (l) => /^multiboot2? \S*xen\S*( |$)/.test(l) && (` ${l} `.includes(` ${xenArgs} `) || xenArgs === ''),
  );
  const kernelOk =
    kernelArgs === undefined ||
    normalised.some((l) => /^module2? \S*vmlinu/.test(l) && ` ${l} `.includes(` ${kernelArgs} `));
  return xenOk && kernelOk;
}

/**
 * Xen entries of the administrator's own in a GRUB 2 custom file (outside the tool's block): they
 * stay, and the menu then has two; say where, so one can be removed.
 */
export function otherXenEntries(text: string | undefined, file: string, title: string): string[] {
  const out: string[] = [];
  let managed = false;
  (text ?? '').split(/\r?\n/).forEach((line, index) => {
    if (line.includes(` ${MARKER_TAG} `)) managed = /^\s*#\s*BEGIN\b/.test(line);
    else if (!managed && /^\s*(?:multiboot2?|xen_hypervisor)\s+\S*xen[^/\s]*(?:\s|$)/.test(line))
      out.push(
        `${file}:${index + 1}: another Xen entry (not the tool's) stays beside "${title}"; remove one of them`,
      );
  });
  return out;
}
