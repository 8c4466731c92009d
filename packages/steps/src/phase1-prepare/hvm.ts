import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import { planPackageEntry, type PackageConfigFiles } from '@xen-gentoo/make-conf';
import type { Answers } from '../answers/index.js';
import { planShellConfEdits, tokens, type ShellConfFile } from '../shared/make-conf-file.js';
import { readMakeConfSet } from '../shared/make-conf-set.js';
import { readKeywordsConfig } from '../shared/package-config.js';
import { getSystem } from '../shared/system-cache.js';
import { newestStable } from '../shared/versions.js';

export interface HvmFacts {
  arch: string;
  setting: 'auto' | 'yes' | 'no';
  cpuFlag: 'vmx' | 'svm' | undefined;
  cpuinfoFound: boolean;
  /** xen-tools in the tree turns hvm on by default (IUSE +hvm) or no longer has the flag. */
  hvmDefaultOn: boolean;
  /** dev86 needs a keyword entry (amd64 without a stable dev86, 2007 era). */
  dev86NeedsKeyword: boolean;
  xenToolsIuseHasHvm: boolean;
  conf: ShellConfFile;
  keywords: PackageConfigFiles;
}

export const hvmStep = defineStep<Answers, HvmFacts>({
  id: 'hvm',
  title: 'HVM guests: USE=hvm (and dev86 on amd64)',
  phase: 'Preparing the System',
  howtoSection: 'Windows and other Unmodified Guests in domU (a.k.a. HVM Guests)',
  after: ['profile'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const cpuinfo = await view.readFile('/proc/cpuinfo');
    const flags = new Set((cpuinfo?.match(/^flags\s*:(.*)$/m)?.[1] ?? '').split(/\s+/));
    const tools = await sys.available('app-emulation/xen-tools');
    const newestTools = tools.at(-1);
    const toolsText = newestTools
      ? await view.readFile(`${sys.repoPath}/app-emulation/xen-tools/xen-tools-${newestTools.version}.ebuild`)
      : undefined;
    const dev86 = await sys.available('sys-devel/dev86');
    return {
      arch: sys.arch,
      setting: answers.portage.hvm,
      cpuFlag: flags.has('vmx') ? 'vmx' : flags.has('svm') ? 'svm' : undefined,
      cpuinfoFound: cpuinfo !== undefined,
      hvmDefaultOn: sys.era === 'modern' || /IUSE="[^"]*\+hvm\b/.test(toolsText ?? ''),
      xenToolsIuseHasHvm: newestTools ? newestTools.iuse.includes('hvm') : sys.era === 'legacy',
      dev86NeedsKeyword: sys.arch === 'amd64' && sys.era === 'legacy' && !newestStable(dev86, 'amd64'),
      conf: await readMakeConfSet(view, sys.makeConfPath),
      keywords: await readKeywordsConfig(view, sys),
    };
  },
  plan(f): StepPlan {
    const warnings = f.conf.warnings;
    if (f.setting === 'no') return { status: 'not-applicable', reason: '[portage] hvm = no', warnings };
    if (f.setting === 'auto' && !f.cpuFlag)
      return {
        status: 'not-applicable',
        reason: f.cpuinfoFound
          ? 'the CPU has neither vmx (Intel VT) nor svm (AMD-V) in /proc/cpuinfo: no HVM guests ([portage] hvm = yes forces it)'
          : '/proc/cpuinfo is not readable on this target; set [portage] hvm = yes or no',
        warnings,
      };
    const cpu = f.cpuFlag ? `the CPU has ${f.cpuFlag}` : '[portage] hvm = yes';
    if (f.hvmDefaultOn)
      return {
        status: 'done',
        reason: `${cpu}; today's xen-tools builds HVM support by default (IUSE +hvm) and pulls dev86 itself`,
        warnings,
      };
    const changes: Change[] = [];
    if (f.xenToolsIuseHasHvm && !tokens(f.conf.vars.get('USE')).includes('hvm')) {
      const { change } = planShellConfEdits(f.conf, [{ op: 'add-token', variable: 'USE', token: 'hvm' }]);
      if (change) changes.push(change);
    }
    if (f.dev86NeedsKeyword) {
      const entry = planPackageEntry(
        f.keywords,
        { atom: 'sys-devel/dev86', tokens: ['~amd64'] },
        'xen-gentoo',
      );
      if (entry) changes.push({ kind: 'file', ...entry });
    }
    if (changes.length === 0) {
      const use = f.xenToolsIuseHasHvm
        ? 'USE has hvm'
        : "the tree's xen-tools has no hvm USE flag, so there is nothing to set in USE";
      return {
        status: 'done',
        reason: `${cpu}; ${use}${f.arch === 'amd64' ? ' and dev86 is unmasked' : ''}`,
        warnings,
      };
    }
    return {
      status: 'pending',
      reason: `${cpu}: add hvm to USE before building xen${f.dev86NeedsKeyword ? '; unmask sys-devel/dev86 (amd64)' : ''}`,
      changes,
      warnings,
    };
  },
});
