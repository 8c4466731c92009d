import { isDom0Config } from '@xen-gentoo/kernel-config';
import { compareVersions } from '@xen-gentoo/make-conf';
import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { GRUB_CFG, grub2XenEntries } from '../boot-entries.js';
import { defineCheck, type Finding } from '../check.js';

export interface Grub2Facts {
  era: Era;
  /** GRUB 2 is the boot loader: sys-boot/grub 2 installed, or /etc/default/grub there. */
  grub2: boolean;
  /** /boot/config-* files and whether each builds a dom0 kernel (CONFIG_XEN_DOM0=y or CONFIG_XEN_PRIVILEGED_GUEST=y). */
  configs: { name: string; dom0: boolean; kernel: boolean }[];
  /** Hypervisor images 20_linux_xen would find (/boot/xen*, not xen-syms-*, *.config). */
  xenImages: string[];
  /** Xen entries in grub.cfg, when it exists. */
  grubCfgXenEntries: string[] | undefined;
}

const FIX = {
  howto:
    'GRUB 2 did not exist in 2007: the HOWTO writes a GRUB legacy stanza by hand (`kernel /xen.gz`, `module /vmlinuz…`)',
  today:
    "install the dom0 kernel's configuration as /boot/config-VERSION beside /boot/vmlinuz-VERSION (`make install` does, or copy .config), with CONFIG_XEN_DOM0=y, have /boot/xen-*.gz (emerge app-emulation/xen), then `grub-mkconfig -o /boot/grub/grub.cfg`",
};

function isXenImage(name: string): boolean {
  return /^xen/.test(name) && !/^xen-syms-|^xenpolicy-|\.config$|\.efi$/.test(name);
}

export const grub2XenEntryCheck = defineCheck<Grub2Facts>({
  id: 'grub2-xen-entry',
  title: "GRUB 2's grub-mkconfig lists a Xen entry",
  howtoSection: 'Updating your boot loader',
  async detect({ view }) {
    const sys = await getSystem(view);
    const grub = sys.installedVersion('sys-boot/grub');
    const names = (await view.list('/boot')) ?? [];
    const configs: Grub2Facts['configs'] = [];
    for (const name of names.filter((n) => n.startsWith('config-'))) {
      const text = await view.readFile(`/boot/${name}`);
      if (text === undefined) continue;
      const version = name.slice('config-'.length);
      configs.push({
        name,
        dom0: isDom0Config(text),
        kernel: names.some(
          (n) => n === `vmlinuz-${version}` || n === `vmlinux-${version}` || n === `kernel-${version}`,
        ),
      });
    }
    const cfg = await view.readFile(GRUB_CFG);
    return {
      era: sys.era,
      grub2:
        (grub !== undefined && compareVersions(grub, '1.90') >= 0) ||
        (await view.stat('/etc/default/grub')) !== undefined,
      configs,
      xenImages: names.filter(isXenImage),
      grubCfgXenEntries: cfg === undefined ? undefined : grub2XenEntries(cfg, GRUB_CFG).map((e) => e.title),
    };
  },
  judge(f): Finding {
    const era = {
      era: f.era,
      matters: f.grub2,
      why: f.grub2
        ? "GRUB 2's 20_linux_xen lists a kernel under Xen only when its /boot/config-* has CONFIG_XEN_DOM0=y (or CONFIG_XEN_PRIVILEGED_GUEST=y)"
        : 'this host boots with GRUB legacy (or another loader), not GRUB 2',
    };
    if (!f.grub2)
      return {
        status: 'not-applicable',
        found: 'GRUB 2 is not installed (no sys-boot/grub 2, no /etc/default/grub)',
        era,
        fix: FIX,
      };
    const details = f.configs.map(
      (c) =>
        `/boot/${c.name}: ${c.dom0 ? 'dom0 (CONFIG_XEN_DOM0=y)' : 'no CONFIG_XEN_DOM0=y'}${c.kernel ? '' : ', no kernel image beside it'}`,
    );
    if (f.grubCfgXenEntries && f.grubCfgXenEntries.length > 0)
      return {
        status: 'ok',
        found: `${GRUB_CFG} has Xen entries: ${f.grubCfgXenEntries.map((t) => `"${t}"`).join(', ')}`,
        era,
        details,
        fix: FIX,
      };
    const usable = f.configs.filter((c) => c.dom0 && c.kernel);
    const problems = [
      usable.length === 0
        ? f.configs.length === 0
          ? 'no /boot/config-* at all'
          : 'no /boot/config-* with CONFIG_XEN_DOM0=y beside its kernel'
        : undefined,
      f.xenImages.length === 0 ? 'no hypervisor image (/boot/xen*.gz)' : undefined,
    ].filter((x): x is string => x !== undefined);
    if (problems.length > 0)
      return {
        status: 'problem',
        found: `grub-mkconfig would list no Xen entry: ${problems.join('; ')}`,
        era,
        details,
        fix: FIX,
      };
    return {
      status: 'problem',
      found: `${usable.map((c) => `/boot/${c.name}`).join(', ')} and ${f.xenImages.join(', ')} are ready, but ${GRUB_CFG} has no Xen entry: grub-mkconfig has not run since`,
      era,
      details,
      fix: FIX,
    };
  },
});
