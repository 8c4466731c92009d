import { posix } from 'node:path';
import { resolveLinkTarget, type View } from '@xen-gentoo/core';
import { tryParseAtom } from '@xen-gentoo/make-conf';
import { readShellConf, tokens } from './make-conf-file.js';
import { readPackageConfig } from './package-config.js';

/** Where a USE flag's last setting came from, as Portage stacks USE. */
export interface UseSource {
  flag: string;
  on: boolean;
  /** The file that set it last. */
  file: string;
}

/** Stack USE tokens as Portage does: `-flag` removes, `-*` clears, anything else adds. */
function stack(into: Map<string, UseSource>, words: string[], file: string): void {
  for (const word of words) {
    if (word === '-*') {
      for (const [flag] of into) into.set(flag, { flag, on: false, file });
    } else if (word.startsWith('-')) into.set(word.slice(1), { flag: word.slice(1), on: false, file });
    else into.set(word, { flag: word, on: true, file });
  }
}

/** The profile directories in Portage's order: parents first (depth first), the profile last. */
async function profileDirs(view: View, dir: string, seen: Set<string>, depth = 0): Promise<string[]> {
  if (seen.has(dir) || depth > 32) return [];
  seen.add(dir);
  const parents = tokens(await view.readFile(`${dir}/parent`)).filter((p) => !p.startsWith('#'));
  const out: string[] = [];
  for (const p of parents) out.push(...(await profileDirs(view, posix.resolve(dir, p), seen, depth + 1)));
  out.push(dir);
  return out;
}

/**
 * The USE flags the profile sets (make.defaults along the parents), with the file of each
 * flag's last setting. Reads through the view only.
 */
export async function readProfileUse(view: View, profileLink: string): Promise<Map<string, UseSource>> {
  const use = new Map<string, UseSource>();
  const target = await view.readlink(profileLink);
  if (!target) return use;
  for (const dir of await profileDirs(view, resolveLinkTarget(profileLink, target), new Set())) {
    const path = `${dir}/make.defaults`;
    if ((await view.stat(path))?.kind !== 'file') continue;
    stack(use, tokens((await readShellConf(view, path)).vars.get('USE')), path);
  }
  return use;
}

/** The flags package.use sets for one package (cat/pn), from files given as [path, text]. */
export function packageUseFor(files: [string, string][], catpn: string): UseSource[] {
  const out = new Map<string, UseSource>();
  for (const [path, text] of files) {
    for (const line of text.split('\n')) {
      const [atom, ...words] = line.replace(/#.*/, '').trim().split(/\s+/);
      const parsed = atom ? tryParseAtom(atom) : undefined;
      if (parsed && `${parsed.category}/${parsed.name}` === catpn) stack(out, words, path);
    }
  }
  return [...out.values()];
}

/**
 * /etc/portage/package.use as [path, text] pairs, read as Portage reads a package.* file or
 * directory (readPackageConfig), files in name order so later files stack over earlier ones.
 */
export async function readPackageUse(view: View): Promise<[string, string][]> {
  const { files } = await readPackageConfig(view, '/etc/portage/package.use');
  return files
    .map((f): [string, string] => [f.path, f.content])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Where the profile and package.use set one flag for one package (cat/pn): the two layers
 * stackedFlag takes besides make.conf and the ebuild's default.
 */
export async function readFlagSources(
  view: View,
  profileLink: string,
  catpn: string,
  flag: string,
): Promise<{ profileUse: UseSource | undefined; packageUse: UseSource | undefined }> {
  return {
    profileUse: (await readProfileUse(view, profileLink)).get(flag),
    packageUse: packageUseFor(await readPackageUse(view), catpn).find((u) => u.flag === flag),
  };
}

/** Where a flag's effective setting for one package comes from, lowest first. */
export interface UseLayers {
  /** The ebuild's IUSE default (+flag on, -flag off), if it gives one. */
  iuseDefault?: boolean | undefined;
  /** What the profile's make.defaults set (readProfileUse). */
  profile?: UseSource | undefined;
  /** make.conf's USE, as Portage reads it, and the file it is in. */
  confUse: string | undefined;
  confFile: string;
  /** What package.use sets for the package (packageUseFor). */
  packageUse?: UseSource | undefined;
}

/**
 * A flag's effective setting for one package as Portage stacks USE: the IUSE default, then the
 * profile, then make.conf (where `-*` clears what came before), then package.use. `source` is the
 * file of the last setting; undefined when nothing set the flag (then it is off).
 */
export function stackedFlag(
  flag: string,
  layers: UseLayers,
): {
  on: boolean;
  source: string | undefined;
  layer: 'iuse' | 'profile' | 'make.conf' | 'package.use' | undefined;
} {
  let state: { on: boolean; source: string | undefined; layer: ReturnType<typeof stackedFlag>['layer'] } = {
    on: false,
    source: undefined,
    layer: undefined,
  };
  if (layers.iuseDefault !== undefined) state = { on: layers.iuseDefault, source: undefined, layer: 'iuse' };
  if (layers.profile) state = { on: layers.profile.on, source: layers.profile.file, layer: 'profile' };
  for (const word of tokens(layers.confUse)) {
    if (word === '-*' || word === `-${flag}`)
      state = { on: false, source: layers.confFile, layer: 'make.conf' };
    else if (word === flag) state = { on: true, source: layers.confFile, layer: 'make.conf' };
  }
  if (layers.packageUse)
    state = { on: layers.packageUse.on, source: layers.packageUse.file, layer: 'package.use' };
  return state;
}

/** What one profile directory says about USE, for stacking it per package. */
export interface ProfileDirUse {
  /** make.defaults and its USE words (undefined when the directory has none). */
  makeDefaults: { path: string; words: string[] } | undefined;
  /** The directory's package.use as [path, text]. */
  packageUse: [string, string][];
  /** Flags use.mask/use.force (and their .stable variants) name, with any leading '-' dropped. */
  maskForce: string[];
  /** The directory's package.use.mask/.force (and .stable variants) as [path, text]. */
  packageMaskForce: [string, string][];
}

const MASK_FORCE = ['use.mask', 'use.force', 'use.stable.mask', 'use.stable.force'];
const PACKAGE_MASK_FORCE = [
  'package.use.mask',
  'package.use.force',
  'package.use.stable.mask',
  'package.use.stable.force',
];

async function configPairs(view: View, path: string): Promise<[string, string][]> {
  const { files } = await readPackageConfig(view, path);
  return files.map((f): [string, string] => [f.path, f.content]);
}

/**
 * Every profile directory's USE settings in Portage's order (parents first): make.defaults,
 * package.use, and the mask and force files. Reads through the view only.
 */
export async function readProfileLayers(view: View, profileLink: string): Promise<ProfileDirUse[]> {
  const target = await view.readlink(profileLink);
  if (!target) return [];
  const out: ProfileDirUse[] = [];
  for (const dir of await profileDirs(view, resolveLinkTarget(profileLink, target), new Set())) {
    const path = `${dir}/make.defaults`;
    const makeDefaults =
      (await view.stat(path))?.kind === 'file'
        ? { path, words: tokens((await readShellConf(view, path)).vars.get('USE')) }
        : undefined;
    const maskForce: string[] = [];
    for (const name of MASK_FORCE)
      for (const [, text] of await configPairs(view, `${dir}/${name}`))
        for (const line of text.split('\n')) {
          const word = line.replace(/#.*/, '').trim();
          if (word) maskForce.push(word.replace(/^-/, ''));
        }
    const packageMaskForce: [string, string][] = [];
    for (const name of PACKAGE_MASK_FORCE)
      packageMaskForce.push(...(await configPairs(view, `${dir}/${name}`)));
    out.push({
      makeDefaults,
      packageUse: await configPairs(view, `${dir}/package.use`),
      maskForce,
      packageMaskForce,
    });
  }
  return out;
}

/**
 * The profile's USE for one package (cat/pn) as Portage stacks it: along the profile directories,
 * each one's make.defaults USE, then its package.use lines for the package.
 */
export function profileUseFor(layers: ProfileDirUse[], catpn: string): Map<string, UseSource> {
  const use = new Map<string, UseSource>();
  for (const layer of layers) {
    if (layer.makeDefaults) stack(use, layer.makeDefaults.words, layer.makeDefaults.path);
    for (const u of packageUseFor(layer.packageUse, catpn)) use.set(u.flag, u);
  }
  return use;
}

/**
 * The flags the profile masks or forces for one package (use.mask, use.force, package.use.mask,
 * package.use.force and their .stable variants, unmasking entries included): their value is the
 * profile's, whatever USE says.
 */
export function maskedOrForcedFor(layers: ProfileDirUse[], catpn: string): Set<string> {
  const out = new Set<string>();
  for (const layer of layers) {
    for (const flag of layer.maskForce) out.add(flag);
    for (const u of packageUseFor(layer.packageMaskForce, catpn)) out.add(u.flag);
  }
  return out;
}
