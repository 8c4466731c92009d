import { defineStep, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { getSystem } from '../shared/system-cache.js';
import { EMERGE_TOUCHES } from '../shared/emerge.js';
import { XEN_PACKAGES } from './keywords.js';

export interface EmergeXenFacts {
  arch: string;
  installed: { catpn: string; version: string | undefined }[];
  inTree: boolean;
  excluded: boolean;
}

export const emergeXenStep = defineStep<Answers, EmergeXenFacts>({
  id: 'emerge-xen',
  title: 'Install the hypervisor and the Xen tools',
  phase: 'Building the hypervisor and applications',
  howtoSection: 'Building the hypervisor and applications',
  after: ['keywords', 'rebuild-world'],
  async detect({ view }) {
    const sys = await getSystem(view);
    const xen = await sys.available('app-emulation/xen');
    return {
      arch: sys.arch,
      installed: XEN_PACKAGES.map((catpn) => ({ catpn, version: sys.installedVersion(catpn) })),
      inTree: xen.length > 0,
      excluded: xen.length > 0 && xen.every((e) => e.keywords.includes(`-${sys.arch}`)),
    };
  },
  plan(f): StepPlan {
    const missing = f.installed.filter((p) => p.version === undefined).map((p) => p.catpn);
    if (missing.length === 0)
      return {
        status: 'done',
        reason: `installed: ${f.installed.map((p) => `${p.catpn}-${p.version}`).join(', ')}`,
      };
    if (f.excluded)
      return {
        status: 'blocked',
        reason: `app-emulation/xen is not available on ${f.arch} (KEYWORDS -${f.arch}); a Xen host needs amd64`,
      };
    if (!f.inTree)
      return { status: 'blocked', reason: 'the package tree has no app-emulation/xen: run emerge --sync' };
    return {
      status: 'pending',
      reason: `emerge ${missing.join(' ')}`,
      changes: [
        {
          kind: 'command',
          argv: ['emerge', '--verbose', '--noreplace', ...XEN_PACKAGES],
          why: 'installs the hypervisor (/boot/xen.gz) and the management tools',
          inRoot: true,
          long: true,
          installs: [...XEN_PACKAGES],
          touches: EMERGE_TOUCHES,
        },
      ],
    };
  },
});
