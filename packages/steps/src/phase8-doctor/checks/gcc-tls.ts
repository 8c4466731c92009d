import { compareVersions } from '@xen-gentoo/make-conf';
import { TLS_FLAG, tlsFlagMatters } from '../../phase1-prepare/cflags-tls.js';
import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { defineCheck, type Finding } from '../check.js';
import { activeGcc, readCompilerFlags, words } from '../toolchain.js';

export interface GccTlsFacts {
  era: Era;
  arch: string;
  makeConf: string;
  gcc: { version: string; from: string } | undefined;
  /** CFLAGS holds -mno-tls-direct-seg-refs. */
  hasFlag: boolean;
}

/** The first gcc that knows -mno-tls-direct-seg-refs (the HOWTO: "3.4 works"). */
export const GCC_TLS_MINIMUM = '3.4';

const FIX = {
  howto: `upgrade gcc to ${GCC_TLS_MINIMUM} or later as the Gentoo GCC Upgrading Guide describes (emerge gcc, gcc-config, fix_libtool_files.sh), then keep ${TLS_FLAG} in CFLAGS`,
  today: `nothing: every gcc in today's tree knows the flag, and on amd64 it is not wanted at all (remove ${TLS_FLAG} from CFLAGS there)`,
};

export const gccTlsCheck = defineCheck<GccTlsFacts>({
  id: 'gcc-tls',
  title: `gcc knows ${TLS_FLAG}`,
  howtoSection: "invalid option `no-tls-direct-seg-refs'",
  async detect({ view }) {
    const sys = await getSystem(view);
    const { path, cflags } = await readCompilerFlags(view, sys);
    return {
      era: sys.era,
      arch: sys.arch,
      makeConf: path,
      gcc: await activeGcc(view, sys),
      hasFlag: words(cflags).includes(TLS_FLAG),
    };
  },
  judge(f): Finding {
    const where = tlsFlagMatters(f.arch, f.era);
    const era = { era: f.era, matters: where.matters, why: where.why };
    const flag = f.hasFlag
      ? `CFLAGS in ${f.makeConf} has ${TLS_FLAG}`
      : `CFLAGS in ${f.makeConf} lacks ${TLS_FLAG}`;
    if (f.gcc === undefined)
      return {
        status: f.hasFlag ? 'unknown' : 'not-applicable',
        found: `${flag}; no gcc found (no /etc/env.d/gcc, no sys-devel/gcc in /var/db/pkg)`,
        era,
        fix: FIX,
      };
    const gcc = `gcc ${f.gcc.version} (${f.gcc.from})`;
    const tooOld = compareVersions(f.gcc.version, GCC_TLS_MINIMUM) < 0;
    if (!tooOld) return { status: 'ok', found: `${gcc} knows the flag; ${flag}`, era, fix: FIX };
    if (f.hasFlag)
      return {
        status: 'problem',
        found: `${gcc} is older than ${GCC_TLS_MINIMUM} and ${flag}: every build stops with "cc1: error: invalid option \`no-tls-direct-seg-refs'"`,
        era,
        fix: FIX,
      };
    return {
      status: where.matters ? 'problem' : 'ok',
      found: `${gcc} is older than ${GCC_TLS_MINIMUM}: it cannot take ${TLS_FLAG}${where.matters ? ', which this host needs' : ''}`,
      era,
      fix: FIX,
    };
  },
});
