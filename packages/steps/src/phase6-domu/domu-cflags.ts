import { defineStep, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { tokens } from '../shared/make-conf-file.js';
import { detectGuestHost, guestsOf } from './target.js';

export interface DomuCflagsFacts {
  era: 'legacy' | 'modern';
  arch: string;
  guests: number;
  hostHasFlag: boolean;
}

const TLS_FLAG = '-mno-tls-direct-seg-refs';

export const domuCflagsStep = defineStep<Answers, DomuCflagsFacts>({
  id: 'domu-cflags',
  title: 'CFLAGS of each domU (the "skeleton base")',
  phase: 'Creating DomUs',
  howtoSection: 'TLS and CFLAGS',
  after: ['domu-image'],
  async detect(ctx) {
    const host = await detectGuestHost(ctx);
    return {
      era: host.era,
      arch: host.arch,
      guests: guestsOf(ctx.answers, 'quickpkg').length,
      hostHasFlag: tokens(host.vars.CFLAGS).includes(TLS_FLAG),
    };
  },
  plan(f): StepPlan {
    if (f.guests === 0)
      return {
        status: 'not-applicable',
        reason: "no guest is built from dom0's packages (route = quickpkg)",
      };
    if (f.era === 'modern' || f.arch !== 'x86')
      return {
        status: 'not-applicable',
        reason: `${TLS_FLAG} matters only for 32-bit x86 guests of a 2007-era Xen; Linux has no 32-bit PV any more (and ${f.arch} never needed it): a domU's CFLAGS are dom0's, copied with make.conf by domu-image`,
      };
    if (f.hostHasFlag)
      return {
        status: 'done',
        reason: `dom0's CFLAGS have ${TLS_FLAG}; domu-image copies make.conf into every domU and installs dom0's binary packages, so the skeleton base is dom0's`,
      };
    return {
      status: 'blocked',
      reason: `dom0's CFLAGS lack ${TLS_FLAG} (cflags-tls first): the domUs get dom0's make.conf and binary packages`,
    };
  },
});
