import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import { planPackageEntry, type PackageConfigFiles } from '@xen-gentoo/make-conf';
import type { Answers } from '../answers/index.js';
import { planShellConfEdits, tokens, type ShellConfFile } from '../shared/make-conf-file.js';
import { readMakeConfSet } from '../shared/make-conf-set.js';
import { readKeywordsConfig } from '../shared/package-config.js';
import { readFlagSources, stackedFlag, type UseSource } from '../shared/profile-use.js';
import { getSystem } from '../shared/system-cache.js';
import { newestStable } from '../shared/versions.js';

export interface HvmFacts {
  arch: string;
  setting: 'auto' | 'yes' | 'no';
  cpuFlag: 'vmx' | 'svm' | undefined;
  cpuinfoFound: boolean;
  /** xen-tools in the tree turns hvm on by default (IUSE +hvm; assumed today when the tree lacks xen-tools). */
  hvmDefaultOn: boolean;
  /** hvm as the profile sets it (make.defaults along the parents), if it does. */
  profileUse?: UseSource | undefined;
  /** hvm as package.use sets it for app-emulation/xen-tools, if it does. */
  packageUse?: UseSource | undefined;
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
      hvmDefaultOn: newestTools ? /IUSE="[^"]*\+hvm\b/.test(toolsText ?? '') : sys.era === 'modern',
      ...(await readFlagSources(view, sys.profileLink, 'app-emulation/xen-tools', 'hvm')),
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
    const knowsFlag = f.xenToolsIuseHasHvm || f.hvmDefaultOn;
    // Portage stacks USE: IUSE's default, the profile's make.defaults, make.conf, package.use.
    const layers = {
      iuseDefault: f.hvmDefaultOn ? true : undefined,
      profile: f.profileUse,
      confUse: f.conf.vars.get('USE'),
      confFile: f.conf.path,
      packageUse: f.packageUse,
    };
    const use = stackedFlag('hvm', layers);
    if (knowsFlag && !use.on && use.layer === 'package.use')
      return {
        status: 'blocked',
        reason: `${cpu}, but ${use.source ?? 'package.use'} turns hvm off for app-emulation/xen-tools (-hvm), which wins over make.conf: remove it there`,
        warnings,
      };
    const changes: Change[] = [];
    let useReason: string | undefined;
    if (knowsFlag && !use.on) {
      const edits: Parameters<typeof planShellConfEdits>[1] = [];
      const confTokens = tokens(f.conf.vars.get('USE'));
      if (confTokens.includes('-hvm')) edits.push({ op: 'remove-token', variable: 'USE', token: '-hvm' });
      const rest = confTokens.filter((t) => t !== '-hvm').join(' ');
      if (!stackedFlag('hvm', { ...layers, confUse: rest }).on)
        edits.push({ op: 'add-token', variable: 'USE', token: 'hvm' });
      const { change } = planShellConfEdits(f.conf, edits);
      if (change) changes.push(change);
      useReason =
        use.layer === 'make.conf' && confTokens.includes('-hvm')
          ? `${f.conf.path} turns hvm off (USE="-hvm"): take -hvm out of USE${edits.length > 1 ? ' and add hvm' : ''} before building xen`
          : `add hvm to USE before building xen`;
    }
    if (f.hvmDefaultOn && changes.length === 0 && !f.dev86NeedsKeyword) {
      const from =
        use.layer === 'iuse'
          ? "today's xen-tools builds HVM support by default (IUSE +hvm) and pulls dev86 itself"
          : `USE has hvm (${use.source ?? f.conf.path}); today's xen-tools pulls dev86 itself`;
      return {
        status: 'done',
        reason: `${cpu}; ${from}`,
        warnings,
      };
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
      const has = knowsFlag
        ? `USE has hvm (${use.source ?? f.conf.path})`
        : "the tree's xen-tools has no hvm USE flag, so there is nothing to set in USE";
      return {
        status: 'done',
        reason: `${cpu}; ${has}${f.arch === 'amd64' ? ' and dev86 is unmasked' : ''}`,
        warnings,
      };
    }
    return {
      status: 'pending',
      reason: [
        `${cpu}: ${useReason ?? 'USE has hvm'}`,
        ...(f.dev86NeedsKeyword ? ['unmask sys-devel/dev86 (amd64)'] : []),
      ].join('; '),
      changes,
      warnings,
    };
  },
});
