import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { defineCheck, type Finding } from '../check.js';
import { readCompilerFlags, words } from '../toolchain.js';

export interface MfpmathFacts {
  era: Era;
  makeConf: string;
  /** The -mfpmath=… words of CFLAGS and CXXFLAGS. */
  flags: { variable: string; flag: string }[];
}

const FIX = {
  howto: 'remove 387 from the -mfpmath=sse,387 flag in make.conf (-mfpmath=sse), then emerge xen again',
  today:
    "nothing for Xen: today's app-emulation/xen and xen-tools ebuilds unset CFLAGS before building, so make.conf's flags cannot break kernel.c",
};

export const mfpmathCheck = defineCheck<MfpmathFacts>({
  id: 'mfpmath',
  title: '-mfpmath=sse,387 in CFLAGS',
  howtoSection: 'Compiling Xen fails on kernel.c',
  async detect({ view }) {
    const sys = await getSystem(view);
    const { path, cflags, cxxflags } = await readCompilerFlags(view, sys);
    const flags = [
      ...words(cflags).map((flag) => ({ variable: 'CFLAGS', flag })),
      ...words(cxxflags).map((flag) => ({ variable: 'CXXFLAGS', flag })),
    ].filter((f) => f.flag.startsWith('-mfpmath='));
    return { era: sys.era, makeConf: path, flags };
  },
  judge(f): Finding {
    const era =
      f.era === 'legacy'
        ? { era: f.era, matters: true, why: "2007's Xen 3 hypervisor is built with make.conf's CFLAGS" }
        : {
            era: f.era,
            matters: false,
            why: "today's Xen ebuilds build with their own flags (they unset CFLAGS)",
          };
    const with387 = f.flags.filter((x) => x.flag.slice('-mfpmath='.length).split(',').includes('387'));
    const both = with387.filter((x) => x.flag.slice('-mfpmath='.length).split(',').length > 1);
    if (both.length === 0)
      return {
        status: 'ok',
        found: f.flags.length
          ? `${f.makeConf}: ${f.flags.map((x) => `${x.variable} has ${x.flag}`).join(', ')} (no sse,387 mix)`
          : `${f.makeConf}: no -mfpmath in CFLAGS`,
        era,
        fix: FIX,
      };
    const found = `${f.makeConf}: ${both.map((x) => `${x.variable} has ${x.flag}`).join(', ')}`;
    return era.matters
      ? { status: 'problem', found: `${found}: Xen's kernel.c fails to compile with it`, era, fix: FIX }
      : { status: 'not-applicable', found: `${found}, which no longer reaches Xen's build`, era, fix: FIX };
  },
});
