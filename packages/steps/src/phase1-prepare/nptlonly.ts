import { defineStep, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { planShellConfEdits, tokens, type ShellConfFile } from '../shared/make-conf-file.js';
import { readMakeConfSet } from '../shared/make-conf-set.js';
import { readFlagSources, stackedFlag, type UseSource } from '../shared/profile-use.js';
import { getSystem } from '../shared/system-cache.js';

export interface NptlonlyFacts {
  era: 'legacy' | 'modern';
  setting: 'auto' | 'yes' | 'no';
  /** Whether any glibc ebuild in the tree knows the flag; undefined when the tree has no glibc. */
  treeKnowsFlag: boolean | undefined;
  installedGlibcUse: string[] | undefined;
  conf: ShellConfFile;
  /** nptlonly as the profile sets it (make.defaults along the parents), if it does. */
  profileUse?: UseSource | undefined;
  /** nptlonly as package.use sets it for sys-libs/glibc, if it does. */
  packageUse?: UseSource | undefined;
}

export const nptlonlyStep = defineStep<Answers, NptlonlyFacts>({
  id: 'nptlonly',
  title: 'Build glibc with USE=nptlonly',
  phase: 'Preparing the System',
  howtoSection: 'nptlonly USE flag',
  after: ['profile'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const glibc = await sys.available('sys-libs/glibc');
    const version = sys.installedVersion('sys-libs/glibc');
    const use = version ? await view.readFile(`/var/db/pkg/sys-libs/glibc-${version}/USE`) : undefined;
    return {
      era: sys.era,
      setting: answers.portage.nptlonly,
      treeKnowsFlag: glibc.length ? glibc.some((e) => e.iuse.includes('nptlonly')) : undefined,
      installedGlibcUse: use === undefined ? undefined : tokens(use),
      conf: await readMakeConfSet(view, sys.makeConfPath),
      ...(await readFlagSources(view, sys.profileLink, 'sys-libs/glibc', 'nptlonly')),
    };
  },
  plan(f): StepPlan {
    const warnings = f.conf.warnings;
    if (f.setting === 'no') return { status: 'not-applicable', reason: '[portage] nptlonly = no', warnings };
    const knows = f.treeKnowsFlag ?? f.era === 'legacy';
    if (!knows && f.setting === 'auto')
      return {
        status: 'not-applicable',
        reason: 'USE=nptlonly no longer exists; glibc is always NPTL',
        warnings,
      };
    // Portage stacks USE: the profile's make.defaults, then make.conf, then package.use.
    const { on, source: from } = stackedFlag('nptlonly', {
      profile: f.profileUse,
      confUse: f.conf.vars.get('USE'),
      confFile: f.conf.path,
      packageUse: f.packageUse,
    });
    if (on) {
      const note =
        f.installedGlibcUse && !f.installedGlibcUse.includes('nptlonly')
          ? ' (the installed glibc picks it up at rebuild-world)'
          : '';
      return { status: 'done', reason: `USE has nptlonly (${from ?? f.conf.path})${note}`, warnings };
    }
    if (f.packageUse && !f.packageUse.on)
      return {
        status: 'blocked',
        reason: `${f.packageUse.file} turns nptlonly off for sys-libs/glibc (-nptlonly), which wins over make.conf: remove it there`,
        warnings,
      };
    const { change } = planShellConfEdits(f.conf, [{ op: 'add-token', variable: 'USE', token: 'nptlonly' }]);
    if (!change) return { status: 'done', reason: 'USE has nptlonly', warnings };
    return {
      status: 'pending',
      reason: `add nptlonly to USE in ${f.conf.path}${f.treeKnowsFlag === false ? " ([portage] nptlonly = yes, although the tree's glibc no longer has the flag)" : ''}`,
      changes: [change],
      warnings,
    };
  },
});
