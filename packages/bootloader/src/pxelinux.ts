import { KERNEL_MULTI_OPTIONS, mergeOptions, type XenEntry } from './entry.js';
import { BootConfigError } from './errors.js';
import { beginMarker, endMarker, findBlock } from './marker.js';
import { appendBlock, splitLines } from './text.js';

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
 * A user's `DEFAULT mboot.c32 xen.gz … --- kernel … [--- initrd]` line brought up to date in
 * place: the files set to the entry's, the tool's options merged into the Xen and dom0 parts (see
 * mergeOptions), further modules kept. Undefined when the line is not such a Xen line.
 */
function updateUserDefault(line: string, entry: XenEntry): string | undefined {
  const m = /^(\s*default\s+)(\S*mboot\.c32)\s+(.*)$/i.exec(line);
  if (!m) return undefined;
  const parts: string[][] = [[]];
  for (const w of (m[3] ?? '').trim().split(/\s+/)) {
    if (w === '---') parts.push([]);
    else if (w !== '') parts[parts.length - 1]?.push(w);
  }
  const [xen, kernel, initrd, ...more] = parts;
  if (!xen?.length || !kernel?.length) return undefined;
  const out = [
    [entry.xen.path, ...mergeOptions(xen.slice(1), entry.xen.args)],
    [entry.kernel.path, ...mergeOptions(kernel.slice(1), entry.kernel.args, { multi: KERNEL_MULTI_OPTIONS })],
    ...(entry.initrd ? [[entry.initrd, ...(initrd?.slice(1) ?? [])]] : initrd ? [initrd] : []),
    ...more,
  ];
  return `${m[1] ?? ''}${m[2] ?? ''} ${out.map((p) => p.join(' ')).join(' --- ')}`;
}

export interface PxeMerge {
  text: string;
  action: 'created' | 'appended' | 'updated' | 'unchanged';
  warnings: string[];
}

const DISABLED_PREFIX = '# disabled for the Xen entry (xen-gentoo): ';

/**
 * Merge the Xen DEFAULT line into an existing config (null: no file yet). The managed block is
 * replaced in place; a first active DEFAULT line that already boots Xen through mboot.c32 is the
 * user's and is updated in place, keeping its options (updateUserDefault); otherwise the block
 * takes the place of the first active DEFAULT line. Other
 * active DEFAULT lines would compete with it, so they are turned into comments with a prefix
 * that says why (remove the prefix to go back). LABEL stanzas and everything else stay as they are.
 */
export function mergePxelinuxConfig(
  text: string | null,
  entry: XenEntry,
  options: { id?: string; file?: string } = {},
): PxeMerge {
  const id = options.id ?? 'boot-pxelinux';
  const block = [beginMarker(id), renderPxelinuxLine(entry), endMarker(id)];
  if (text === null || text === '') return { text: block.join('\n') + '\n', action: 'created', warnings: [] };
  const warnings: string[] = [];
  const range = findBlock(text, id, options.file);
  const parsed = splitLines(text);
  const lines = [...parsed.lines];
  const isDefault = (l: string): boolean => /^\s*default\s/i.test(l);
  let firstDefault = -1;
  lines.forEach((l, i) => {
    if (range && i >= range.start && i < range.end) return;
    if (isDefault(l)) {
      if (firstDefault < 0 && !range) firstDefault = i;
      else lines[i] = DISABLED_PREFIX + l;
    }
    if (/^\s*ui\s/i.test(l)) {
      warnings.push(
        `"${l.trim()}": with a menu UI, the DEFAULT line names the default entry; check the menu still boots Xen`,
      );
    }
  });
  // The first active DEFAULT is the user's own mboot.c32 Xen line: update it in place, keeping
  // its options, rather than disabling it for a managed copy that would lose them.
  const userXen = range || firstDefault < 0 ? undefined : updateUserDefault(lines[firstDefault] ?? '', entry);
  let out: string;
  if (userXen !== undefined) {
    lines[firstDefault] = userXen;
    out = lines.join(parsed.eol) + (parsed.finalNewline ? parsed.eol : '');
  } else if (range) {
    lines.splice(range.start, range.end - range.start, ...block);
    const wasLast = range.end === parsed.lines.length;
    out = lines.join(parsed.eol) + (parsed.finalNewline || wasLast ? parsed.eol : '');
  } else if (firstDefault >= 0) {
    const previous = lines[firstDefault] ?? '';
    lines.splice(firstDefault, 1, DISABLED_PREFIX + previous, ...block);
    const wasLast = firstDefault === parsed.lines.length - 1;
    out = lines.join(parsed.eol) + (parsed.finalNewline || wasLast ? parsed.eol : '');
  } else {
    out = appendBlock(lines.join(parsed.eol) + (parsed.finalNewline ? parsed.eol : ''), block);
  }
  return {
    text: out,
    action: out === text ? 'unchanged' : range || userXen !== undefined ? 'updated' : 'appended',
    warnings,
  };
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
