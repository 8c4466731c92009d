import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import type { PackageConfigFiles } from '@xen-gentoo/make-conf';
import type { Answers } from '../answers/index.js';
import { getSystem } from '../shared/system-cache.js';
import { EMERGE_TOUCHES } from '../shared/emerge.js';
import { applyPackageEntryToConfig } from '../shared/package-entry.js';
import { readPackageConfig } from '../shared/package-config.js';
import { tokens } from '../shared/make-conf-file.js';
import { XEN_PACKAGES } from './keywords.js';

export interface EmergeXenFacts {
  arch: string;
  installed: { catpn: string; version: string | undefined }[];
  inTree: boolean;
  excluded: boolean;
  /** [boot] loader = xen-efi on a current host: Xen must be built with USE=uefi (xen.efi). */
  wantsUefi?: boolean;
  /** package.use (file or directory) when xen.efi is wanted. */
  packageUse?: PackageConfigFiles;
  /** USE of the installed app-emulation/xen (its /var/db/pkg record). */
  xenUse?: string[];
}

const XEN = 'app-emulation/xen';

export const emergeXenStep = defineStep<Answers, EmergeXenFacts>({
  id: 'emerge-xen',
  title: 'Install the hypervisor and the Xen tools',
  phase: 'Building the hypervisor and applications',
  howtoSection: 'Building the hypervisor and applications',
  after: ['keywords', 'rebuild-world'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const xen = await sys.available(XEN);
    const facts: EmergeXenFacts = {
      arch: sys.arch,
      installed: XEN_PACKAGES.map((catpn) => ({ catpn, version: sys.installedVersion(catpn) })),
      inTree: xen.length > 0,
      excluded: xen.length > 0 && xen.every((e) => e.keywords.includes(`-${sys.arch}`)),
    };
    if (sys.era === 'modern' && answers.boot.loader === 'xen-efi') {
      const packageUse = await readPackageConfig(view, '/etc/portage/package.use');
      const installed = sys.installedVersion(XEN);
      facts.wantsUefi = true;
      // a host without package.use gets the directory, as today's handbook sets it up
      facts.packageUse =
        packageUse.kind === 'missing'
          ? { ...packageUse, path: '/etc/portage/package.use/xen-gentoo' }
          : packageUse;
      if (installed !== undefined)
        facts.xenUse = tokens(await view.readFile(`/var/db/pkg/${XEN}-${installed}/USE`));
    }
    return facts;
  },
  plan(f): StepPlan {
    const missing = f.installed.filter((p) => p.version === undefined).map((p) => p.catpn);
    const useChange =
      f.wantsUefi && f.packageUse
        ? applyPackageEntryToConfig(f.packageUse, { atom: XEN, tokens: ['uefi'] }).change
        : undefined;
    const rebuild = f.wantsUefi === true && f.xenUse !== undefined && !f.xenUse.includes('uefi');
    if (missing.length === 0 && !useChange && !rebuild)
      return {
        status: 'done',
        reason: [
          `installed: ${f.installed.map((p) => `${p.catpn}-${p.version}`).join(', ')}`,
          ...(f.wantsUefi ? ['built with USE=uefi (xen.efi)'] : []),
        ].join('; '),
      };
    if (f.excluded)
      return {
        status: 'blocked',
        reason: `app-emulation/xen is not available on ${f.arch} (KEYWORDS -${f.arch}); a Xen host needs amd64`,
      };
    if (!f.inTree)
      return { status: 'blocked', reason: 'the package tree has no app-emulation/xen: run emerge --sync' };
    const changes: Change[] = [];
    const what: string[] = [];
    if (useChange) {
      changes.push(useChange);
      what.push(`${XEN} uefi in ${useChange.path} ([boot] loader = xen-efi needs xen.efi)`);
    }
    if (missing.length > 0) {
      what.push(`emerge ${missing.join(' ')}`);
      changes.push({
        kind: 'command',
        argv: ['emerge', '--verbose', '--noreplace', ...XEN_PACKAGES],
        why: 'installs the hypervisor (/boot/xen.gz) and the management tools',
        inRoot: true,
        long: true,
        installs: [...XEN_PACKAGES],
        touches: EMERGE_TOUCHES,
      });
    }
    if (rebuild) {
      what.push(`emerge ${XEN} again with USE=uefi`);
      changes.push({
        kind: 'command',
        argv: ['emerge', '--verbose', '--oneshot', XEN],
        why: 'the installed Xen was built without USE=uefi: rebuilt, it installs xen.efi',
        inRoot: true,
        long: true,
        installs: [XEN],
        touches: EMERGE_TOUCHES,
      });
    }
    return { status: 'pending', reason: what.join('; '), changes };
  },
});
