import { defineStep, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { planShellConfEdits, tokens, type ShellConfFile } from '../shared/make-conf-file.js';
import { readMakeConfSet } from '../shared/make-conf-set.js';
import { getSystem } from '../shared/system-cache.js';

export interface BuildpkgFacts {
  era: 'legacy' | 'modern';
  setting: 'yes' | 'no';
  conf: ShellConfFile;
}

export const buildpkgStep = defineStep<Answers, BuildpkgFacts>({
  id: 'buildpkg',
  title: 'Turn on FEATURES=buildpkg',
  phase: 'Preparing the System',
  howtoSection: 'Activating buildpkg',
  after: ['profile'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    return {
      era: sys.era,
      setting: answers.portage.buildpkg,
      conf: await readMakeConfSet(view, sys.makeConfPath),
    };
  },
  plan(f): StepPlan {
    const warnings = f.conf.warnings;
    if (f.setting === 'no') return { status: 'not-applicable', reason: '[portage] buildpkg = no', warnings };
    const pkgdir =
      f.conf.vars.get('PKGDIR') ?? (f.era === 'legacy' ? '/usr/portage/packages' : '/var/cache/binpkgs');
    if (tokens(f.conf.vars.get('FEATURES')).includes('buildpkg'))
      return { status: 'done', reason: `FEATURES has buildpkg (binary packages go to ${pkgdir})`, warnings };
    const { change } = planShellConfEdits(f.conf, [
      { op: 'add-token', variable: 'FEATURES', token: 'buildpkg' },
    ]);
    if (!change) return { status: 'done', reason: 'FEATURES has buildpkg', warnings };
    return {
      status: 'pending',
      reason: `add buildpkg to FEATURES in ${f.conf.path}: every package built from now on is kept in ${pkgdir} for the domUs`,
      changes: [change],
      warnings,
    };
  },
});
