import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import type { PackageConfigFiles } from '@xen-gentoo/make-conf';
import type { Answers, GuestAnswers } from '../answers/index.js';
import { guestImage } from '../answers/values.js';
import { readKeywordsConfig } from '../shared/package-config.js';
import { applyPackageEntryToConfig } from '../shared/package-entry.js';
import { getSystem } from '../shared/system-cache.js';
import { newestStable, newestTesting } from '../shared/versions.js';
import type { EbuildInfo } from '../system.js';
import { detectGuestHost, guestKernel, type GuestHost } from './target.js';

/** domi and what it needs unmasked, as the HOWTO lists them. */
export const DOMI_PACKAGES = [
  'app-emulation/domi',
  'sys-fs/multipath-tools',
  'sys-apps/yum',
  'app-arch/rpm',
] as const;

export interface DomuDomiFacts {
  host: GuestHost;
  guests: { guest: GuestAnswers; imageExists: boolean; config: string | undefined }[];
  domi: EbuildInfo[];
  packages: { catpn: string; ebuilds: EbuildInfo[] }[];
  domiInstalled: boolean;
  keywords: PackageConfigFiles;
}

/** domi's configuration of a guest (the HOWTO's debian-test.cfg, for a Gentoo guest). */
export function renderDomiConfig(guest: GuestAnswers, kernel: string): string {
  return [
    `# domi's settings for the domU ${guest.name}; written by xen-gentoo. Run: domi /etc/xen/domi/${guest.name}.cfg`,
    `DOMI_DISK_FILE="${guestImage(guest)}"`,
    'DOMI_DISK_SPARSE="yes"',
    `DOMI_XEN_CONF="/etc/xen/${guest.name}"`,
    `DOMI_XEN_KERNEL="${kernel}"`,
    'DOMI_DISTRO="gentoo"',
    `DOMI_NAME="${guest.name}"`,
    'DOMI_VDISK="xvda"',
    '',
  ].join('\n');
}

export const domuDomiStep = defineStep<Answers, DomuDomiFacts>({
  id: 'domu-domi',
  title: 'Build domUs with app-emulation/domi',
  phase: 'Creating DomUs',
  howtoSection: 'Using app-emulation/domi',
  after: ['domu-image'],
  async detect(ctx) {
    const host = await detectGuestHost(ctx);
    const sys = await getSystem(ctx.view);
    const guests: DomuDomiFacts['guests'] = [];
    for (const guest of ctx.answers.guests.filter((g) => g.route === 'domi'))
      guests.push({
        guest,
        imageExists: await ctx.view.exists(guestImage(guest)),
        config: await ctx.view.readFile(`/etc/xen/domi/${guest.name}.cfg`),
      });
    const packages: DomuDomiFacts['packages'] = [];
    for (const catpn of DOMI_PACKAGES) packages.push({ catpn, ebuilds: await sys.available(catpn) });
    return {
      host,
      guests,
      domi: packages[0]?.ebuilds ?? [],
      packages,
      domiInstalled: sys.hasPackage('app-emulation/domi'),
      keywords: await readKeywordsConfig(ctx.view, sys),
    };
  },
  plan(f): StepPlan {
    if (f.guests.length === 0) return { status: 'not-applicable', reason: 'no guest with route = domi' };
    if (f.domi.length === 0)
      return {
        status: 'not-applicable',
        reason:
          'app-emulation/domi is not in the package tree any more (it was removed long ago and never learnt xl): use route = quickpkg (domu-image) or route = prebuilt',
      };
    const changes: Change[] = [];
    let keywords = f.keywords;
    const unmasked: string[] = [];
    if (!f.domiInstalled) {
      for (const pkg of f.packages) {
        if (pkg.ebuilds.length === 0 || newestStable(pkg.ebuilds, f.host.arch)) continue;
        if (!newestTesting(pkg.ebuilds, f.host.arch)) continue;
        const result = applyPackageEntryToConfig(keywords, { atom: pkg.catpn, tokens: [`~${f.host.arch}`] });
        keywords = result.config;
        if (result.change) {
          // One write per file: a later entry replaces the earlier change of the same file.
          const at = changes.findIndex(
            (c) => c.kind === 'file' && c.path === (result.change as { path: string }).path,
          );
          if (at >= 0 && result.change.kind === 'file' && changes[at]?.kind === 'file')
            changes[at] = { ...result.change, before: (changes[at] as { before: string | null }).before };
          else changes.push(result.change);
        }
        unmasked.push(pkg.catpn);
      }
      changes.push({
        kind: 'command',
        argv: ['emerge', 'app-emulation/domi'],
        inRoot: true,
        installs: ['app-emulation/domi'],
        why: 'domi builds domU images (Gentoo from a stage3, Debian with debootstrap, Fedora with yum)',
      });
    }
    const built: string[] = [];
    for (const g of f.guests) {
      if (g.imageExists) {
        built.push(g.guest.name);
        continue;
      }
      const kernel = guestKernel(f.host, g.guest);
      if (!kernel.ok) return { status: 'blocked', reason: kernel.reason };
      const path = `/etc/xen/domi/${g.guest.name}.cfg`;
      const after = renderDomiConfig(g.guest, kernel.path);
      if (g.config !== after) changes.push({ kind: 'file', path, before: g.config ?? null, after });
      changes.push({
        kind: 'command',
        argv: ['domi', path],
        inRoot: true,
        long: true,
        why: `${g.guest.name}: domi makes the sparse image, installs Gentoo into it and writes /etc/xen/${g.guest.name}`,
      });
    }
    if (changes.length === 0) return { status: 'done', reason: `domi built ${built.join(', ')}` };
    return {
      status: 'pending',
      reason: [
        unmasked.length ? `accept ~${f.host.arch} for ${unmasked.join(', ')}` : undefined,
        f.domiInstalled ? undefined : 'emerge app-emulation/domi',
        `domi for ${f.guests
          .filter((g) => !g.imageExists)
          .map((g) => g.guest.name)
          .join(', ')}`,
      ]
        .filter(Boolean)
        .join('; '),
      changes,
    };
  },
});
