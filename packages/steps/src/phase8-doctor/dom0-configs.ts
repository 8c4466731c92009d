import type { View } from '@xen-gentoo/core';
import { configValues, isDom0Config, parseConfig } from '@xen-gentoo/kernel-config';
import type { KernelAnswers } from '../answers/kernel.js';
import { bootFilePath, readXenBootEntries } from './boot-entries.js';

/** A kernel configuration found on the target, and why it is taken as the dom0 kernel's. */
export interface FoundConfig {
  path: string;
  text: string;
  values: Map<string, string>;
  why: string;
  /** The kernel version the file's header names ("2.6.18-gentoo", "6.1.0"). */
  version: string | undefined;
}

/** "2.6.18-gentoo" from "# Linux kernel version: 2.6.18-gentoo", "6.1.0" from "# Linux/x86 6.1.0 Kernel Configuration". */
export function configVersion(text: string): string | undefined {
  return (
    /^#\s*Linux kernel version:\s*(\S+)/m.exec(text)?.[1] ??
    /^#\s*Linux\/\S+\s+(\S+)\s+Kernel Configuration/m.exec(text)?.[1]
  );
}

async function found(view: View, path: string, why: string): Promise<FoundConfig | undefined> {
  const text = await view.readFile(path);
  if (text === undefined) return undefined;
  return { path, text, values: configValues(parseConfig(text)), why, version: configVersion(text) };
}

/** The /boot/config-VERSION beside a kernel image /boot/vmlinuz-VERSION. */
export function configBeside(kernelPath: string): string | undefined {
  const m = /^(.*\/)(?:vmlinuz|vmlinux|kernel|bzImage)-(.+)$/.exec(kernelPath);
  return m ? `${m[1]}config-${m[2]}` : undefined;
}

/** The configuration genkernel 4 saved for a kernel it installed as /boot/vmlinuz-VERSION. */
function genkernelSaved(kernelPath: string): string | undefined {
  const m = /\/vmlinuz-(.+)$/.exec(kernelPath);
  return m ? `/etc/kernels/kernel-config-${m[1]}` : undefined;
}

/**
 * The dom0 kernel's configuration, in the order a person would look: the config installed
 * beside the kernel a Xen entry boots (or the one genkernel saved for it in /etc/kernels), a
 * `/boot/config-*-xen0`, the dom0 build directory's and the tree's `.config` (of the tree
 * [kernel] sources names), a `/boot/config-*` with CONFIG_XEN_DOM0=y, else the newest
 * /boot/config-*.
 */
export async function findDom0KernelConfig(
  view: View,
  kernel?: KernelAnswers,
): Promise<FoundConfig | undefined> {
  for (const entry of await readXenBootEntries(view)) {
    const image = entry.kernel === undefined ? undefined : await bootFilePath(view, entry.kernel);
    if (image === undefined) continue;
    const why = `beside ${image}, which "${entry.title}" boots`;
    const beside = configBeside(image);
    const config = beside && (await found(view, beside, why));
    if (config) return config;
    const saved = genkernelSaved(image);
    const kept =
      saved && (await found(view, saved, `saved by genkernel for ${image}, which "${entry.title}" boots`));
    if (kept) return kept;
  }
  const boot = ((await view.list('/boot')) ?? []).filter((n) => n.startsWith('config-')).sort();
  const xen0 = boot.filter((n) => /-xen0$/.test(n)).at(-1);
  const sources = (kernel?.sources ?? '/usr/src/linux').replace(/\/+$/, '') || '/';
  const candidates: [string | undefined, string][] = [
    [xen0 && `/boot/${xen0}`, 'the installed dom0 kernel configuration'],
    [`${sources}/_dom0/.config`, 'the dom0 build directory'],
    [`${sources}/.config`, 'the kernel tree'],
  ];
  for (const [path, why] of candidates) {
    const config = path && (await found(view, path, why));
    if (config) return config;
  }
  for (const name of [...boot].reverse()) {
    const config = await found(view, `/boot/${name}`, 'a dom0 configuration in /boot');
    if (config && isDom0Config(config.text)) return config;
  }
  const newest = boot.at(-1);
  return newest
    ? found(view, `/boot/${newest}`, 'the only configuration there is: not built for Xen')
    : undefined;
}
