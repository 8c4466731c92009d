import { defineStep, type StepPlan } from '@xen-gentoo/core';
import type { MakeConfEdit } from '@xen-gentoo/make-conf';
import type { Answers } from '../answers/index.js';
import { planShellConfEdits, tokens, type ShellConfFile } from '../shared/make-conf-file.js';
import { readMakeConfSet } from '../shared/make-conf-set.js';
import { getSystem } from '../shared/system-cache.js';
import { versionBelow } from '../shared/versions.js';

export const TLS_FLAG = '-mno-tls-direct-seg-refs';

export interface CflagsFacts {
  era: 'legacy' | 'modern';
  arch: string;
  gcc: string | undefined;
  setting: 'auto' | 'yes' | 'no';
  conf: ShellConfFile;
}

/** Where the flag matters: 32-bit x86 under 32-bit PV, which only the 2007-era Xen/Linux had. */
export function tlsFlagMatters(arch: string, era: 'legacy' | 'modern'): { matters: boolean; why: string } {
  if (arch !== 'x86')
    return {
      matters: false,
      why: `${arch}: the flag only matters for 32-bit x86, where glibc's TLS uses negative %gs offsets that trap under 32-bit PV`,
    };
  if (era === 'modern')
    return {
      matters: false,
      why: 'x86 today: Linux has no 32-bit PV guests any more (XEN_PV depends on X86_64) and glibc dropped the nosegneg builds',
    };
  return { matters: true, why: 'x86 with a 2007-era Xen: 32-bit PV guests need it' };
}

export const cflagsTlsStep = defineStep<Answers, CflagsFacts>({
  id: 'cflags-tls',
  title: `Add ${TLS_FLAG} to CFLAGS`,
  phase: 'Preparing the System',
  howtoSection: 'TLS and CFLAGS',
  after: ['profile'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    return {
      era: sys.era,
      arch: sys.arch,
      gcc: sys.installedVersion('sys-devel/gcc'),
      setting: answers.portage.tls_flag,
      conf: await readMakeConfSet(view, sys.makeConfPath),
    };
  },
  plan(f): StepPlan {
    const warnings = f.conf.warnings;
    if (f.setting === 'no') return { status: 'not-applicable', reason: '[portage] tls_flag = no', warnings };
    const where = tlsFlagMatters(f.arch, f.era);
    if (f.setting === 'auto' && !where.matters)
      return {
        status: 'not-applicable',
        reason: `${where.why} ([portage] tls_flag = yes forces it)`,
        warnings,
      };
    if (versionBelow(f.gcc, '3.4'))
      return {
        status: 'blocked',
        reason: `gcc ${f.gcc} is too old for ${TLS_FLAG} (needs gcc 3.4 or later): emerge a newer sys-devel/gcc, select it with gcc-config, then plan again`,
        warnings,
      };
    const cflags = tokens(f.conf.vars.get('CFLAGS'));
    const cxxflags = tokens(f.conf.vars.get('CXXFLAGS'));
    const oldGcc = versionBelow(f.gcc, '4');
    const edits: MakeConfEdit[] = [];
    if (!cflags.includes(TLS_FLAG) || (f.conf.vars.has('CXXFLAGS') && !cxxflags.includes(TLS_FLAG)))
      edits.push({ op: 'add-cflag', flag: TLS_FLAG });
    if (oldGcc && (cflags.includes('-Os') || cxxflags.includes('-Os')))
      edits.push({ op: 'replace-cflag', from: '-Os', to: '-O2' });
    const { change } = planShellConfEdits(f.conf, edits);
    if (!change)
      return {
        status: 'done',
        reason: `CFLAGS has ${TLS_FLAG}${oldGcc ? ' and no -Os (gcc < 4 miscompiles with -Os)' : ''} in ${f.conf.path}`,
        warnings,
      };
    const why = [`add ${TLS_FLAG} (${where.why})`];
    if (edits.some((e) => e.op === 'replace-cflag'))
      why.push(`-Os → -O2 (gcc ${f.gcc} < 4 produces broken code with -Os)`);
    return { status: 'pending', reason: why.join('; '), changes: [change], warnings };
  },
});
