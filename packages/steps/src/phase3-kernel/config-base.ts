/**
 * The base configuration a role's Xen options are merged into: the output directory's own
 * `.config`, the running kernel's `/proc/config.gz`, a configuration in /boot, or the
 * architecture defconfig (`[kernel] base`; `auto` takes the first that exists).
 */
import { isUtf8 } from 'node:buffer';
import { MAX_INPUT_BYTES, type View } from '@xen-gentoo/core';
import { compareKernelVersions, type KernelRole } from '@xen-gentoo/kernel-config';
import { isKernelVersion } from '../answers/values.js';
import type { KernelAnswers } from '../answers/kernel.js';
import { walkLinks } from '../shared/portage-files.js';

export type BaseKind = 'existing' | 'proc' | 'boot' | 'defconfig';

/** Where the base configuration comes from. Text bases are merged in the plan (and shown as a diff). */
export type ConfigBase =
  | {
      kind: 'existing' | 'boot';
      path: string;
      text: string;
      /** Why this file was chosen (shown in the plan): `the running kernel`, `the tree's own version`. */
      why?: string;
    }
  | { kind: 'proc'; path: '/proc/config.gz' }
  | { kind: 'defconfig' };

/** The suffix kernel-build gives a role's files in /boot (vmlinuz-VERSION-xen0, config-VERSION-xenU). */
const ROLE_SUFFIX: Record<KernelRole, string> = { dom0: 'xen0', domU: 'xenU' };

/**
 * A `config-VERSION` name in /boot: VERSION starts with the kernel's dotted numbers and is a
 * kernel version the answers file would accept. `config-….old` (what installkernel leaves of
 * the configuration it replaced) and names such as `config-zzz` are not configurations of an
 * installed kernel.
 */
function bootConfigVersion(name: string): string | undefined {
  const m = /^config-(\d+(?:\.\d+)+(?:[-+_.][A-Za-z0-9._+-]*)?)$/.exec(name);
  const version = m?.[1];
  if (!version || version.endsWith('.old') || !isKernelVersion(version)) return undefined;
  return version;
}

/** The text of `path` when it is a regular file, or a symlink (followed in the target) to one. */
async function regularFileText(view: View, path: string): Promise<string | undefined> {
  return (await walkLinks(view, path)).kind === 'file' ? view.readFile(path) : undefined;
}

/**
 * The configuration in /boot to start a role's kernel from, best first: the running kernel's
 * (only on the live system: on a mounted root the running kernel is this machine's, not the
 * target's), then the tree's own version (`config-RELEASE`, then this role's earlier build
 * `config-RELEASE-xen0`), then the newest by kernel version. Never the other role's build
 * (dom0 from a `-xenU` configuration lacks every backend), never a dangling link or a file that
 * is not regular, never a name that is not `config-VERSION`.
 */
async function bootBase(
  view: View,
  role: KernelRole,
  treeRelease: string,
): Promise<{ kind: 'boot'; path: string; text: string; why: string } | undefined> {
  const other = `-${ROLE_SUFFIX[role === 'dom0' ? 'domU' : 'dom0']}`;
  const usable = (version: string | undefined): version is string =>
    version !== undefined && bootConfigVersion(`config-${version}`) === version && !version.endsWith(other);
  const tryVersion = async (version: string | undefined, why: string) => {
    if (!usable(version)) return undefined;
    const path = `/boot/config-${version}`;
    const text = await regularFileText(view, path);
    return text === undefined ? undefined : { kind: 'boot' as const, path, text, why };
  };
  const running = view.root === '/' ? (await view.readFile('/proc/sys/kernel/osrelease'))?.trim() : undefined;
  const first =
    (await tryVersion(running, 'the running kernel')) ??
    (await tryVersion(treeRelease, "the tree's own version")) ??
    (await tryVersion(`${treeRelease}-${ROLE_SUFFIX[role]}`, `the ${role} kernel built from this tree`));
  if (first) return first;
  const versions = ((await view.list('/boot')) ?? [])
    .map(bootConfigVersion)
    .filter(usable)
    .sort(compareKernelVersions)
    .reverse();
  for (const version of versions) {
    const found = await tryVersion(version, 'the newest kernel version in /boot');
    if (found) return found;
  }
  return undefined;
}

/**
 * Why `path` cannot be the running kernel's configuration, or undefined when it can: it must be
 * a regular file that starts with gzip's magic bytes (1f 8b), or `gzip -d` fails in the middle
 * of the apply. Read as bytes through the view: a gzip file is never text.
 */
const NOT_A_FILE = {
  directory: 'a directory',
  symlink: 'a dangling or looping link',
  other: 'a special file',
} as const;

async function procConfigProblem(view: View, path: string): Promise<string | undefined> {
  const { path: real, kind } = await walkLinks(view, path);
  if (kind === undefined) return `${path} does not exist (CONFIG_IKCONFIG_PROC)`;
  if (kind !== 'file') return `${path} is ${NOT_A_FILE[kind]}, not a regular file`;
  const bytes = (await view.readBytes(real, MAX_INPUT_BYTES)) ?? new Uint8Array();
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return undefined;
  return `${path} is not a gzip file (${isUtf8(bytes) ? 'it reads as text' : 'it does not start with the bytes 1f 8b'})`;
}

/** The chosen base (or why there is none), and why better candidates were passed over. */
export interface BaseChoice {
  base: ConfigBase | undefined;
  problem: string | undefined;
  notes: string[];
}

export async function chooseBase(
  view: View,
  answer: KernelAnswers['base'],
  current: string | undefined,
  configPath: string,
  role: KernelRole,
  treeRelease: string,
): Promise<BaseChoice> {
  const order: BaseKind[] = answer === 'auto' ? ['existing', 'proc', 'boot', 'defconfig'] : [answer];
  const notes: string[] = [];
  const found = (base: ConfigBase): BaseChoice => ({ base, problem: undefined, notes });
  const problem = (text: string): BaseChoice => ({ base: undefined, problem: text, notes });
  for (const kind of order) {
    if (kind === 'existing') {
      if (current !== undefined) return found({ kind, path: configPath, text: current });
      if (answer !== 'auto') return problem(`[kernel] base = existing, but ${configPath} does not exist`);
    } else if (kind === 'proc') {
      const why = await procConfigProblem(view, '/proc/config.gz');
      if (!why) return found({ kind, path: '/proc/config.gz' });
      if (answer !== 'auto') return problem(`[kernel] base = proc, but ${why}`);
      if ((await view.stat('/proc/config.gz')) !== undefined)
        notes.push(`base: ${why}, so it is not the base`);
    } else if (kind === 'boot') {
      const base = await bootBase(view, role, treeRelease);
      if (base) return found(base);
      if (answer !== 'auto')
        return problem(
          `[kernel] base = boot, but /boot has no configuration for the ${role} kernel (a regular file config-VERSION, not the other role's -${ROLE_SUFFIX[role === 'dom0' ? 'domU' : 'dom0']})`,
        );
    } else {
      return found({ kind: 'defconfig' });
    }
  }
  return found({ kind: 'defconfig' });
}
