import type { View } from '@xen-gentoo/core';
import { compareVersions } from '@xen-gentoo/make-conf';
import { readMakeConfSet } from '../shared/make-conf-set.js';
import type { SystemFacts } from '../system.js';

/** CFLAGS and CXXFLAGS as Portage reads them (every make.conf, in order). */
export async function readCompilerFlags(
  view: View,
  sys: SystemFacts,
): Promise<{ path: string; cflags: string; cxxflags: string }> {
  const set = await readMakeConfSet(view, sys.makeConfPath);
  return { path: set.path, cflags: set.vars.get('CFLAGS') ?? '', cxxflags: set.vars.get('CXXFLAGS') ?? '' };
}

/**
 * The gcc that builds packages: the one gcc-config selected (`CURRENT=` in /etc/env.d/gcc/config
 * or config-CHOST; "i686-pc-linux-gnu-3.3.6" → 3.3.6), else the newest sys-devel/gcc installed.
 */
export async function activeGcc(
  view: View,
  sys: SystemFacts,
): Promise<{ version: string; from: string } | undefined> {
  const dir = '/etc/env.d/gcc';
  for (const name of ['config', ...((await view.list(dir)) ?? []).filter((n) => n.startsWith('config-'))]) {
    const text = await view.readFile(`${dir}/${name}`);
    const current = text?.match(/^\s*CURRENT=["']?([^"'\s]+)/m)?.[1];
    const version = current?.match(/-(\d+(?:\.\d+)*)$/)?.[1];
    if (version) return { version, from: `${dir}/${name}` };
  }
  const installed = sys.installed.get('sys-devel/gcc');
  const newest = installed?.slice().sort(compareVersions).at(-1);
  return newest ? { version: newest, from: `/var/db/pkg/sys-devel/gcc-${newest}` } : undefined;
}

export function words(flags: string): string[] {
  return flags.split(/\s+/).filter(Boolean);
}
