import { defineStep, type StepPlan, type View } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { tokens } from '../shared/make-conf-file.js';
import { detectGuestHost, guestsOf, type GuestHost } from './target.js';

export interface QuickpkgFacts {
  host: GuestHost;
  guests: number;
  pkgdir: string;
  buildpkg: boolean;
  /** Installed packages (=category/name-version) with no binary package in PKGDIR. */
  missing: string[];
  present: number;
}

/** PKGDIR: make.conf's, else Portage's default of the era. */
export function pkgdirOf(host: GuestHost): string {
  return host.vars.PKGDIR ?? (host.era === 'legacy' ? `${host.repoPath}/packages` : '/var/cache/binpkgs');
}

/** Whether PKGDIR holds a binary package of category/name-version (tbz2, gpkg, or the multi-instance layout). */
async function hasBinpkg(view: View, pkgdir: string, catpn: string, version: string): Promise<boolean> {
  const [category, name] = catpn.split('/') as [string, string];
  const pf = `${name}-${version}`;
  const inCategory = (await view.list(`${pkgdir}/${category}`)) ?? [];
  if (
    inCategory.includes(`${pf}.tbz2`) ||
    inCategory.includes(`${pf}.gpkg.tar`) ||
    inCategory.includes(`${pf}.xpak`)
  )
    return true;
  if (!inCategory.includes(name)) return false;
  const instances = (await view.list(`${pkgdir}/${category}/${name}`)) ?? [];
  return instances.some((f) => f.startsWith(`${pf}-`) && /-\d+\.(gpkg\.tar|xpak)$/.test(f));
}

export const quickpkgStep = defineStep<Answers, QuickpkgFacts>({
  id: 'quickpkg',
  title: "Binary packages of dom0's installed packages, for the domUs",
  phase: 'Creating DomUs',
  howtoSection: 'Gentoo domU using quickpkg',
  after: ['buildpkg'],
  async detect(ctx) {
    const host = await detectGuestHost(ctx);
    const pkgdir = pkgdirOf(host);
    const missing: string[] = [];
    let present = 0;
    for (const { catpn, version } of host.installed) {
      if (await hasBinpkg(ctx.view, pkgdir, catpn, version)) present++;
      else missing.push(`=${catpn}-${version}`);
    }
    return {
      host,
      guests: guestsOf(ctx.answers, 'quickpkg').length,
      pkgdir,
      buildpkg: tokens(host.vars.FEATURES).includes('buildpkg'),
      missing,
      present,
    };
  },
  plan(f): StepPlan {
    if (f.guests === 0)
      return {
        status: 'not-applicable',
        reason: 'no guest is built from binary packages (route = quickpkg)',
      };
    if (f.host.installed.length === 0)
      return { status: 'blocked', reason: 'no installed package found in /var/db/pkg' };
    if (f.missing.length === 0)
      return {
        status: 'done',
        reason: `every installed package (${f.present}) has a binary package in ${f.pkgdir}`,
      };
    const all = f.present === 0 && f.host.era === 'modern';
    const argv = ['quickpkg', '--include-config=y', ...(all ? ['@installed'] : f.missing)];
    const buildpkg = f.buildpkg ? 'buildpkg is on, so packages merged from now on get one; ' : '';
    return {
      status: 'pending',
      reason: `${buildpkg}${f.missing.length} installed package(s) have no binary package in ${f.pkgdir}`,
      changes: [
        {
          kind: 'command',
          argv,
          inRoot: true,
          long: true,
          why: "packs dom0's installed packages (with their configuration files) so the domUs are installed from them without compiling",
        },
      ],
      notes:
        f.host.era === 'modern'
          ? [
              "the HOWTO's equery loop (equery -q list | cut -d ' ' -f 3) no longer parses; quickpkg takes the package set or the atoms itself",
            ]
          : [],
    };
  },
});
