import { compareVersions } from '@xen-gentoo/make-conf';
import { readMakeConfSet } from '../../shared/make-conf-set.js';
import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { defineCheck, type Finding } from '../check.js';
import { words } from '../toolchain.js';

export interface HardenedFacts {
  era: Era;
  profile: string | undefined;
  /** USE in make.conf holds `hardened`. */
  useHardened: boolean;
  /** The Xen that is (or would be) built: installed, else the newest in the tree. */
  xen: { version: string; installed: boolean } | undefined;
}

/** The first Xen release whose build takes a hardened gcc (the HOWTO names 3.0.2 as failing). */
export const XEN_HARDENED_OK = '3.0.3';

const FIX = {
  howto:
    'emerge xen without the hardened flag: USE="-hardened" for app-emulation/xen (package.use), or the vanilla gcc spec while it builds (gcc-config …-vanilla), so gcc does not get \'-fno-stack-protector-all\'',
  today: 'nothing: current Xen builds on hardened profiles (default/linux/amd64/23.0/hardened)',
};

export const hardenedCheck = defineCheck<HardenedFacts>({
  id: 'hardened-xen',
  title: 'Hardened toolchain with an old Xen',
  howtoSection: "gcc & '-fno-stack-protector-all' error",
  async detect({ view }) {
    const sys = await getSystem(view);
    const set = await readMakeConfSet(view, sys.makeConfPath);
    const installed = sys.installedVersion('app-emulation/xen');
    const newest = installed ? undefined : (await sys.available('app-emulation/xen')).at(-1)?.version;
    return {
      era: sys.era,
      profile: sys.profile,
      useHardened: words(set.vars.get('USE') ?? '').includes('hardened'),
      xen: installed
        ? { version: installed, installed: true }
        : newest
          ? { version: newest, installed: false }
          : undefined,
    };
  },
  judge(f): Finding {
    const hardened = [
      f.profile?.split('/').includes('hardened') ? `profile ${f.profile}` : undefined,
      f.useHardened ? 'USE=hardened in make.conf' : undefined,
    ].filter((x): x is string => x !== undefined);
    const old = f.xen !== undefined && compareVersions(f.xen.version, XEN_HARDENED_OK) < 0;
    const era = {
      era: f.era,
      matters: f.era === 'legacy',
      why:
        f.era === 'legacy'
          ? `Xen before ${XEN_HARDENED_OK} fails to build with the hardened gcc`
          : 'Xen 4 builds with the hardened toolchain',
    };
    const xen = f.xen
      ? `Xen ${f.xen.version} (${f.xen.installed ? 'installed' : 'the newest in the tree'})`
      : 'no Xen installed or in the tree';
    if (hardened.length === 0)
      return {
        status: 'ok',
        found: `not hardened (profile ${f.profile ?? 'unknown'}); ${xen}`,
        era,
        fix: FIX,
      };
    if (!old)
      return {
        status: 'ok',
        found: `${hardened.join(', ')} with ${xen}, which builds hardened`,
        era,
        fix: FIX,
      };
    return {
      status: 'problem',
      found: `${hardened.join(', ')} with ${xen}: its build fails on '-fno-stack-protector-all'`,
      era,
      fix: FIX,
    };
  },
});
