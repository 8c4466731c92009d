import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import { applyPackageEntryToConfig } from '../shared/package-entry.js';
import type { PackageConfigFiles } from '@xen-gentoo/make-conf';
import type { Answers } from '../answers/index.js';
import { readKeywordsConfig } from '../shared/package-config.js';
import { getSystem } from '../shared/system-cache.js';
import type { EbuildInfo } from '../system.js';
import { excludedEverywhere, newestStable, newestTesting } from '../shared/versions.js';

export const XEN_PACKAGES = ['app-emulation/xen', 'app-emulation/xen-tools'] as const;

export interface KeywordsFacts {
  arch: string;
  era: 'legacy' | 'modern';
  setting: 'auto' | 'yes' | 'no';
  /** Package → its ebuilds in the tree. */
  packages: { catpn: string; ebuilds: EbuildInfo[] }[];
  config: PackageConfigFiles;
}

export const keywordsStep = defineStep<Answers, KeywordsFacts>({
  id: 'keywords',
  title: 'Unmask Xen, the Xen tools and the kernel sources',
  phase: 'Building the hypervisor and applications',
  howtoSection: 'Building the hypervisor and applications',
  after: ['hvm'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const packages: { catpn: string; ebuilds: EbuildInfo[] }[] = [];
    for (const catpn of XEN_PACKAGES) packages.push({ catpn, ebuilds: await sys.available(catpn) });
    const xenSources = await sys.available('sys-kernel/xen-sources');
    if (xenSources.length) packages.push({ catpn: 'sys-kernel/xen-sources', ebuilds: xenSources });
    return {
      arch: sys.arch,
      era: sys.era,
      setting: answers.xen.keywords,
      packages,
      config: await readKeywordsConfig(view, sys),
    };
  },
  plan(f): StepPlan {
    if (f.setting === 'no') return { status: 'not-applicable', reason: '[xen] keywords = no' };
    const [xen] = f.packages;
    if (xen && excludedEverywhere(xen.ebuilds, f.arch))
      return {
        status: 'blocked',
        reason: `app-emulation/xen is not available on ${f.arch} (KEYWORDS -${f.arch}): today's Xen needs a 64-bit host (amd64); Xen dropped 32-bit hypervisors in 4.3`,
      };
    if (f.packages.every((p) => p.ebuilds.length === 0))
      return { status: 'blocked', reason: 'the package tree has no app-emulation/xen: run emerge --sync' };
    const keyword = `~${f.arch}`;
    let config = f.config;
    const changes: Change[] = [];
    const wanted: string[] = [];
    const stable: string[] = [];
    for (const pkg of f.packages) {
      const best = newestStable(pkg.ebuilds, f.arch);
      if (f.setting === 'auto' && best) {
        stable.push(`${pkg.catpn}-${best.version}`);
        continue;
      }
      if (!newestTesting(pkg.ebuilds, f.arch)) continue;
      wanted.push(pkg.catpn);
      const result = applyPackageEntryToConfig(config, { atom: pkg.catpn, tokens: [keyword] });
      config = result.config;
      if (result.change) changes.push(result.change);
    }
    const stableNote = stable.length ? `; stable on ${f.arch}, no unmask needed: ${stable.join(', ')}` : '';
    if (wanted.length === 0) return { status: 'done', reason: `nothing to unmask${stableNote}` };
    const where = changes[0]?.kind === 'file' ? changes[0].path : f.config.path;
    if (changes.length === 0)
      return { status: 'done', reason: `${wanted.join(', ')} accepted with ${keyword}${stableNote}` };
    return {
      status: 'pending',
      reason: `accept ${keyword} for ${wanted.join(', ')} in ${where}${stableNote}`,
      changes: mergeFileChanges(changes),
    };
  },
});

/** Several edits of one file become one change (first before, last after). */
export function mergeFileChanges(changes: Change[]): Change[] {
  const out: Change[] = [];
  for (const change of changes) {
    const previous = out.find((c) => c.kind === 'file' && change.kind === 'file' && c.path === change.path);
    if (previous && previous.kind === 'file' && change.kind === 'file') previous.after = change.after;
    else out.push({ ...change });
  }
  return out;
}
