import { defineStep, type StepPlan, type View } from '@xen-gentoo/core';
import { splitPackageVersion } from '@xen-gentoo/make-conf';
import type { Answers } from '../answers/index.js';
import { tokens } from '../shared/make-conf-file.js';
import { readMakeConfSet } from '../shared/make-conf-set.js';
import { EMERGE_TOUCHES } from '../shared/emerge.js';
import {
  maskedOrForcedFor,
  packageUseFor,
  profileUseFor,
  readPackageUse,
  readProfileLayers,
  stackedFlag,
  type ProfileDirUse,
} from '../shared/profile-use.js';
import { getSystem } from '../shared/system-cache.js';

/** One USE flag whose effective value differs from what an installed package was built with. */
export interface UseChange {
  flag: string;
  /** The effective value now (what the rebuild will build with). */
  on: boolean;
  /** The file whose setting decides it. */
  source: string;
}

export interface RebuildFacts {
  era: 'legacy' | 'modern';
  setting: 'yes' | 'no';
  cflags: string;
  /** Installed packages (category/PF) built with other CFLAGS than the current ones. */
  stale: string[];
  /**
   * Installed packages (category/PF) built with another value of a USE flag in their IUSE than
   * the one USE now stacks to (profile make.defaults, make.conf, package.use), with the flags.
   */
  useChanged: { pkg: string; flags: UseChange[] }[];
  total: number;
  /**
   * Why no installed package was found at all (set only when `total` is 0): every Gentoo system
   * has installed packages, so an empty or unreadable /var/db/pkg is a broken package database,
   * not a system with nothing to rebuild.
   */
  noPackages?: string;
  /** An interrupted emerge left a resume list. */
  resumable: boolean;
}

function normalizeFlags(value: string): string {
  return tokens(value).join(' ');
}

interface Built {
  pkg: string;
  catpn: string | undefined;
  cflags: string | undefined;
  use: string | undefined;
  iuse: string | undefined;
}

async function readBuilt(view: View): Promise<Built[]> {
  const result: Built[] = [];
  for (const category of (await view.list('/var/db/pkg')) ?? []) {
    if (category.startsWith('.')) continue;
    for (const pf of (await view.list(`/var/db/pkg/${category}`)) ?? []) {
      if (pf.startsWith('.') || pf.startsWith('-MERGING-')) continue;
      const dir = `/var/db/pkg/${category}/${pf}`;
      const name = splitPackageVersion(pf)?.name;
      result.push({
        pkg: `${category}/${pf}`,
        catpn: name === undefined ? undefined : `${category}/${name}`,
        cflags: await view.readFile(`${dir}/CFLAGS`),
        use: await view.readFile(`${dir}/USE`),
        iuse: await view.readFile(`${dir}/IUSE`),
      });
    }
  }
  return result;
}

/**
 * The flags of a package's IUSE whose effective value (as Portage stacks USE: the IUSE default,
 * the profile's make.defaults and package.use along its directories, make.conf, package.use)
 * differs from the recorded USE. Only flags a USE layer names explicitly are judged: what the
 * IUSE default alone decides, or what a `-*` wildcard clears, may also be set by USE_EXPAND
 * variables, which are not read here; flags the profile masks or forces for the package are
 * left out too. A false "rebuild" costs hours.
 */
function changedUse(
  b: Built,
  profileLayers: ProfileDirUse[],
  confUse: string | undefined,
  confFile: string,
  packageUse: [string, string][],
): UseChange[] {
  if (b.iuse === undefined || b.use === undefined || b.catpn === undefined) return [];
  const recorded = new Set(tokens(b.use));
  const confWords = new Set(tokens(confUse));
  const pkgUse = packageUseFor(packageUse, b.catpn);
  const profile = profileUseFor(profileLayers, b.catpn);
  const maskedOrForced = maskedOrForcedFor(profileLayers, b.catpn);
  const out: UseChange[] = [];
  for (const word of tokens(b.iuse)) {
    const flag = word.replace(/^[+-]/, '');
    if (maskedOrForced.has(flag)) continue;
    const named =
      profile.has(flag) ||
      confWords.has(flag) ||
      confWords.has(`-${flag}`) ||
      pkgUse.some((u) => u.flag === flag);
    if (!named) continue;
    const layers = {
      iuseDefault: word.startsWith('+') ? true : word.startsWith('-') ? false : undefined,
      profile: profile.get(flag),
      confUse,
      confFile,
      packageUse: pkgUse.find((u) => u.flag === flag),
    };
    const { on, source } = stackedFlag(flag, layers);
    if (on !== recorded.has(flag)) out.push({ flag, on, source: source ?? confFile });
  }
  return out;
}

async function whyNoPackages(view: View): Promise<string> {
  if ((await view.list('/var/db/pkg')) !== undefined) return '/var/db/pkg holds no installed packages';
  const kind = (await view.stat('/var/db/pkg'))?.kind;
  if (kind === undefined) return '/var/db/pkg does not exist';
  return `/var/db/pkg is a ${kind === 'file' ? 'regular file' : kind}, not a directory`;
}

const sampleOf = (list: string[]): string => list.slice(0, 3).join(', ') + (list.length > 3 ? ', …' : '');

export const rebuildWorldStep = defineStep<Answers, RebuildFacts>({
  id: 'rebuild-world',
  title: 'Rebuild every package with the new CFLAGS and USE',
  phase: 'Preparing the System',
  howtoSection: 'Applying Changes',
  after: ['cflags-tls', 'nptlonly', 'buildpkg'],
  async detect({ view, answers }) {
    // The view holds make.conf and package.use as the earlier steps leave them (nptlonly, and
    // cflags-tls's CFLAGS). hvm comes later in the HOWTO's order: its flag only touches
    // xen-tools, which emerge-xen builds with it; an installed xen-tools built without the
    // make.conf's hvm is named on the next run like any other package.
    const sys = await getSystem(view);
    const conf = await readMakeConfSet(view, sys.makeConfPath);
    const cflags = normalizeFlags(conf.vars.get('CFLAGS') ?? '');
    const built = await readBuilt(view);
    const noPackages = built.length === 0 ? await whyNoPackages(view) : undefined;
    // Packages without a recorded CFLAGS (virtuals, binary-only) are not counted as stale.
    const stale = built
      .filter((b) => b.cflags !== undefined && normalizeFlags(b.cflags) !== cflags)
      .map((b) => b.pkg);
    const profile = await readProfileLayers(view, sys.profileLink);
    const packageUse = await readPackageUse(view);
    const confUse = conf.vars.get('USE');
    const useChanged = built
      .map((b) => ({ pkg: b.pkg, flags: changedUse(b, profile, confUse, conf.path, packageUse) }))
      .filter((u) => u.flags.length > 0);
    const mtimedb =
      (await view.readFile('/var/cache/edb/mtimedb')) ?? (await view.readFile('/var/lib/portage/mtimedb'));
    return {
      era: sys.era,
      setting: answers.portage.rebuild_world,
      cflags,
      stale,
      useChanged,
      total: built.length,
      ...(noPackages ? { noPackages } : {}),
      resumable:
        mtimedb !== undefined &&
        /"resume"\s*:\s*\{\s*"/.test(mtimedb) &&
        /emptytree|"-e"|newuse/.test(mtimedb),
    };
  },
  plan(f): StepPlan {
    if (f.total === 0) {
      const why = f.noPackages ?? '/var/db/pkg lists no installed packages';
      return f.setting === 'no'
        ? { status: 'not-applicable', reason: `[portage] rebuild_world = no; ${why}` }
        : {
            status: 'blocked',
            reason: `${why}, so which packages need a rebuild is unknown: Portage's database of installed packages is missing or damaged (a Gentoo system always has packages there); restore /var/db/pkg before rebuilding`,
          };
    }
    const useChanged = f.useChanged;
    const needing = new Set([...f.stale, ...useChanged.map((u) => u.pkg)]);
    if (needing.size === 0)
      return {
        status: 'done',
        reason: `all ${f.total} installed packages were built with CFLAGS="${f.cflags}" and the USE flags now in effect`,
      };
    const whys: string[] = [];
    if (f.stale.length > 0)
      whys.push(`${f.stale.length} built with other CFLAGS than "${f.cflags}" (${sampleOf(f.stale)})`);
    if (useChanged.length > 0)
      whys.push(
        `${useChanged.length} built with other USE: ${useChanged
          .map(
            (u) =>
              `${u.pkg} (${u.flags.map((c) => `${c.on ? '+' : '-'}${c.flag} from ${c.source}`).join(', ')})`,
          )
          .join('; ')}`,
      );
    const what = `${needing.size} of ${f.total} packages need a rebuild: ${whys.join('; ')}`;
    if (f.setting === 'no')
      return { status: 'not-applicable', reason: `[portage] rebuild_world = no; ${what}` };
    const world = f.era === 'legacy' ? 'world' : '@world';
    // The command: the HOWTO's `emerge -e world` on a 2007 host, for CFLAGS and USE alike (it
    // rebuilds everything against the new glibc). Today other CFLAGS still mean rebuilding every
    // package (`emerge --emptytree @world`), but a USE-only change is what the handbook's
    // `emerge --update --deep --newuse @world` is for: it rebuilds just the packages whose USE
    // changed (and updates the rest), which is what a Gentoo admin runs after a USE edit.
    const newuseOnly = f.era === 'modern' && f.stale.length === 0;
    const argv = f.resumable
      ? ['emerge', '--resume']
      : newuseOnly
        ? ['emerge', '--update', '--deep', '--newuse', '--verbose', world]
        : ['emerge', '--emptytree', '--verbose', world];
    const how = newuseOnly
      ? 'only USE changed, so emerge --update --deep --newuse @world rebuilds what it touches'
      : f.era === 'legacy'
        ? 'the HOWTO rebuilds everything (emerge -e world)'
        : 'other CFLAGS mean every package is rebuilt (emerge --emptytree @world)';
    return {
      status: 'pending',
      reason: `${what}; ${how}${f.resumable ? '; resuming the interrupted rebuild' : ''}`,
      warnings: [
        newuseOnly
          ? 'this rebuilds the packages whose USE changed and updates the rest of @world; it can be resumed (emerge --resume) if interrupted'
          : 'this recompiles every package and takes hours; it can be resumed (emerge --resume) if interrupted',
        'the HOWTO warns the machine may not boot afterwards: if so, re-install the boot loader (grub-install) from a rescue system',
      ],
      changes: [
        {
          kind: 'command',
          argv,
          why: newuseOnly
            ? 'the packages whose USE flags changed must be rebuilt with them'
            : 'every package must be rebuilt with the new CFLAGS/USE (the HOWTO: emerge -evat world)',
          inRoot: true,
          long: true,
          touches: EMERGE_TOUCHES,
        },
      ],
    };
  },
});
