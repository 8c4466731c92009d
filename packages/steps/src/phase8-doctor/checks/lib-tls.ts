import { compareVersions } from '@xen-gentoo/make-conf';
import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { defineCheck, type Finding } from '../check.js';

export interface LibTlsFacts {
  era: Era;
  arch: string;
  /** /lib/tls is there (a directory or a link), and /lib/tls.disabled. */
  libTls: boolean;
  libTlsDisabled: boolean;
  glibc: string | undefined;
}

/** The first glibc whose TLS code Xen does not have to emulate (the HOWTO: "at least version 2.4"). */
export const GLIBC_XEN_FRIENDLY = '2.4';

const FIX = {
  howto: `upgrade glibc to ${GLIBC_XEN_FRIENDLY} or later (the Gentoo Upgrading Guide); until then \`mv /lib/tls /lib/tls.disabled\` stops the slow emulation`,
  today: 'nothing: 32-bit PV is gone from Linux and Xen, and no current glibc has /lib/tls',
};

export const libTlsCheck = defineCheck<LibTlsFacts>({
  id: 'lib-tls',
  title: '/lib/tls with an old glibc',
  howtoSection: 'Warning about /lib/tls on boot',
  async detect({ view }) {
    const sys = await getSystem(view);
    return {
      era: sys.era,
      arch: sys.arch,
      libTls: (await view.stat('/lib/tls')) !== undefined,
      libTlsDisabled: (await view.stat('/lib/tls.disabled')) !== undefined,
      glibc: sys.installedVersion('sys-libs/glibc'),
    };
  },
  judge(f): Finding {
    const matters = f.era === 'legacy' && f.arch === 'x86';
    const era = {
      era: f.era,
      matters,
      why: matters
        ? "32-bit x86 under 2007's Xen: glibc's /lib/tls code uses segment tricks Xen must emulate"
        : f.era === 'legacy'
          ? `${f.arch}: the /lib/tls emulation only concerns 32-bit x86`
          : 'no 32-bit PV any more, and no current glibc installs /lib/tls',
    };
    const glibc = f.glibc ? `glibc ${f.glibc}` : 'no glibc in /var/db/pkg';
    const old = f.glibc !== undefined && compareVersions(f.glibc, GLIBC_XEN_FRIENDLY) < 0;
    if (!f.libTls)
      return {
        status: 'ok',
        found: `no /lib/tls${f.libTlsDisabled ? ' (/lib/tls.disabled is there)' : ''}; ${glibc}`,
        era,
        fix: FIX,
      };
    if (!old)
      return {
        status: 'ok',
        found: `/lib/tls is there, with ${glibc}${f.glibc ? ' (new enough: no emulation warning)' : ''}`,
        era,
        fix: FIX,
      };
    return {
      status: matters ? 'problem' : 'not-applicable',
      found: `/lib/tls is there with ${glibc} (older than ${GLIBC_XEN_FRIENDLY}): Xen prints "Currently emulating unsupported memory accesses in /lib/tls glibc libraries" and runs them slowly`,
      era,
      fix: FIX,
    };
  },
});
