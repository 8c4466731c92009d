import type { View } from '@xen-gentoo/core';
import { commandFile, grubCfgLines, isXenStanza, parseGrubLegacy, splitArgs } from '@xen-gentoo/bootloader';

/** A boot entry that starts Xen, as the boot loader's file has it. */
export interface XenBootEntry {
  loader: 'grub-legacy' | 'grub2';
  file: string;
  /** 1-based line of the entry's title (GRUB legacy) or menuentry (GRUB 2). */
  line: number;
  title: string;
  /** The hypervisor image and its options (dom0_mem=, com1=, console= …). */
  xen: string | undefined;
  xenArgs: string[];
  /** The dom0 kernel (the first module) as the file names it, and its options. */
  kernel: string | undefined;
  kernelArgs: string[];
}

const LEGACY_FILES = ['/boot/grub/grub.conf', '/boot/grub/menu.lst'];
export const GRUB_CFG = '/boot/grub/grub.cfg';

function argsAfterFile(args: string): string[] {
  const words = splitArgs(args);
  const at = words.findIndex((w) => !w.startsWith('--'));
  return at < 0 ? [] : words.slice(at + 1);
}

/** GRUB legacy Xen stanzas (grub.conf, or menu.lst when it is a file of its own). */
export function legacyXenEntries(text: string, file: string): XenBootEntry[] {
  return parseGrubLegacy(text)
    .stanzas.filter(isXenStanza)
    .map((stanza) => {
      const kernel = stanza.commands.find((c) => c.name === 'kernel');
      const module = stanza.commands.find((c) => c.name === 'module');
      return {
        loader: 'grub-legacy' as const,
        file,
        line: stanza.start + 1,
        title: stanza.title,
        xen: kernel ? commandFile(kernel.args) : undefined,
        xenArgs: kernel ? argsAfterFile(kernel.args) : [],
        kernel: module ? commandFile(module.args) : undefined,
        kernelArgs: module ? argsAfterFile(module.args) : [],
      };
    });
}

/** GRUB 2 menu entries with a `multiboot`/`multiboot2`/`xen_hypervisor` line (grub.cfg or a custom file). */
export function grub2XenEntries(text: string, file: string): XenBootEntry[] {
  const entries: XenBootEntry[] = [];
  let current: XenBootEntry | undefined;
  let depth = 0;
  const lines = grubCfgLines(text);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const menu = /^(?:menuentry|submenu)\s+(?:'([^']*)'|"([^"]*)"|(\S+))/.exec(line);
    if (menu && line.endsWith('{')) {
      if (line.startsWith('menuentry')) {
        current = {
          loader: 'grub2',
          file,
          line: index + 1,
          title: menu[1] ?? menu[2] ?? menu[3] ?? '',
          xen: undefined,
          xenArgs: [],
          kernel: undefined,
          kernelArgs: [],
        };
        depth = 1;
      }
      return;
    }
    if (current === undefined) return;
    if (line.endsWith('{')) depth++;
    if (line === '}' || line.startsWith('}')) {
      depth--;
      if (depth === 0) {
        if (current.xen !== undefined) entries.push(current);
        current = undefined;
      }
      return;
    }
    const cmd = /^(multiboot2?|xen_hypervisor|module2?|xen_module)\s+(.*)$/.exec(line);
    if (!cmd) return;
    const [, name = '', args = ''] = cmd;
    if (name.startsWith('multiboot') || name === 'xen_hypervisor') {
      current.xen = commandFile(args);
      current.xenArgs = argsAfterFile(args);
    } else if (current.xen !== undefined && current.kernel === undefined) {
      current.kernel = commandFile(args);
      current.kernelArgs = argsAfterFile(args);
    }
  });
  return entries;
}

/** Every Xen entry of the boot loaders the target has (GRUB legacy and GRUB 2). */
export async function readXenBootEntries(view: View): Promise<XenBootEntry[]> {
  const entries: XenBootEntry[] = [];
  const seen = new Set<string>();
  for (const file of LEGACY_FILES) {
    const text = await view.readFile(file);
    if (text === undefined || seen.has(text)) continue;
    seen.add(text);
    entries.push(...legacyXenEntries(text, file));
  }
  const cfg = await view.readFile(GRUB_CFG);
  if (cfg !== undefined) entries.push(...grub2XenEntries(cfg, GRUB_CFG));
  return entries;
}

/**
 * Where a boot entry's file is on the target: GRUB reads paths on its boot partition, so
 * `/vmlinuz-…` of a separate /boot is /boot/vmlinuz-… here.
 */
export async function bootFilePath(view: View, path: string): Promise<string | undefined> {
  for (const candidate of path.startsWith('/boot/') ? [path] : [`/boot${path}`, path]) {
    if ((await view.stat(candidate)) !== undefined) return candidate;
  }
  return undefined;
}
