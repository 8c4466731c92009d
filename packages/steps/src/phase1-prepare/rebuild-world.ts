import { defineStep, type StepPlan, type View } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { tokens } from '../shared/make-conf-file.js';
import { readMakeConfSet } from '../shared/make-conf-set.js';
import { EMERGE_TOUCHES } from '../shared/emerge.js';
import { getSystem } from '../shared/system-cache.js';

export interface RebuildFacts {
  era: 'legacy' | 'modern';
  setting: 'yes' | 'no';
  cflags: string;
  /** Installed packages (category/PF) built with other CFLAGS than the current ones. */
  stale: string[];
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

async function readBuiltFlags(view: View): Promise<{ pkg: string; cflags: string | undefined }[]> {
  const result: { pkg: string; cflags: string | undefined }[] = [];
  for (const category of (await view.list('/var/db/pkg')) ?? []) {
    if (category.startsWith('.')) continue;
    for (const pf of (await view.list(`/var/db/pkg/${category}`)) ?? []) {
      if (pf.startsWith('.') || pf.startsWith('-MERGING-')) continue;
      const cflags = await view.readFile(`/var/db/pkg/${category}/${pf}/CFLAGS`);
      result.push({ pkg: `${category}/${pf}`, cflags });
    }
  }
  return result;
}

async function whyNoPackages(view: View): Promise<string> {
  if ((await view.list('/var/db/pkg')) !== undefined) return '/var/db/pkg holds no installed packages';
  const kind = (await view.stat('/var/db/pkg'))?.kind;
  if (kind === undefined) return '/var/db/pkg does not exist';
  return `/var/db/pkg is a ${kind === 'file' ? 'regular file' : kind}, not a directory`;
}

export const rebuildWorldStep = defineStep<Answers, RebuildFacts>({
  id: 'rebuild-world',
  title: 'Rebuild every package with the new CFLAGS',
  phase: 'Preparing the System',
  howtoSection: 'Applying Changes',
  after: ['cflags-tls', 'nptlonly', 'buildpkg'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const conf = await readMakeConfSet(view, sys.makeConfPath);
    const cflags = normalizeFlags(conf.vars.get('CFLAGS') ?? '');
    const built = await readBuiltFlags(view);
    const noPackages = built.length === 0 ? await whyNoPackages(view) : undefined;
    // Packages without a recorded CFLAGS (virtuals, binary-only) are not counted as stale.
    const stale = built
      .filter((b) => b.cflags !== undefined && normalizeFlags(b.cflags) !== cflags)
      .map((b) => b.pkg);
    const mtimedb =
      (await view.readFile('/var/cache/edb/mtimedb')) ?? (await view.readFile('/var/lib/portage/mtimedb'));
    return {
      era: sys.era,
      setting: answers.portage.rebuild_world,
      cflags,
      stale,
      total: built.length,
      ...(noPackages ? { noPackages } : {}),
      resumable:
        mtimedb !== undefined && /"resume"\s*:\s*\{\s*"/.test(mtimedb) && /emptytree|"-e"/.test(mtimedb),
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
    if (f.stale.length === 0)
      return {
        status: 'done',
        reason: `all ${f.total} installed packages were built with CFLAGS="${f.cflags}"`,
      };
    const sample = f.stale.slice(0, 3).join(', ') + (f.stale.length > 3 ? ', …' : '');
    if (f.setting === 'no')
      return {
        status: 'not-applicable',
        reason: `[portage] rebuild_world = no; ${f.stale.length} packages were built with other CFLAGS (${sample})`,
      };
    const world = f.era === 'legacy' ? 'world' : '@world';
    const argv = f.resumable ? ['emerge', '--resume'] : ['emerge', '--emptytree', '--verbose', world];
    return {
      status: 'pending',
      reason: `${f.stale.length} of ${f.total} packages were built with other CFLAGS than "${f.cflags}" (${sample})${f.resumable ? '; resuming the interrupted rebuild' : ''}`,
      warnings: [
        'this recompiles every package and takes hours; it can be resumed (emerge --resume) if interrupted',
        'the HOWTO warns the machine may not boot afterwards: if so, re-install the boot loader (grub-install) from a rescue system',
      ],
      changes: [
        {
          kind: 'command',
          argv,
          why: 'every package must be rebuilt with the new CFLAGS/USE (the HOWTO: emerge -evat world)',
          inRoot: true,
          long: true,
          touches: EMERGE_TOUCHES,
        },
      ],
    };
  },
});
