import {
  buildFragment,
  compareConfig,
  describeOutcome,
  fragmentValues,
  type KernelArch,
  type KernelEra,
  type SymbolChange,
} from '@xen-gentoo/kernel-config';
import { compareVersions } from '@xen-gentoo/make-conf';
import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { defineCheck, mattersOnEveryEra, type Finding } from '../check.js';
import { findDom0KernelConfig, type FoundConfig } from '../dom0-configs.js';

export interface KernelConfigFacts {
  era: Era;
  arch: string;
  /** [kernel] sources: where the tree and its _dom0 build directory are. */
  sources?: string;
  config: FoundConfig | undefined;
}

const FIX = {
  howto:
    'make menuconfig in the dom0 build directory and switch on each option named (the HOWTO\'s "Domain 0 Kernel Configuration" dialogues), then rebuild and install the kernel',
  today:
    '`xen-gentoo apply --only kernel-dom0-config` merges the options and lets Kconfig resolve them (`xen-gentoo kernel check --role dom0` explains any it drops); with a distribution kernel, a file in /etc/kernel/config.d/ does the same',
};

function kernelEra(config: FoundConfig): KernelEra {
  if (/xen/i.test(config.version ?? '') || config.values.has('XEN_PRIVILEGED_GUEST')) return 'xenlinux';
  const base = /^(\d+\.\d+(?:\.\d+)?)/.exec(config.version ?? '')?.[1];
  return base !== undefined && compareVersions(base, '2.6.37') < 0 ? 'xenlinux' : 'mainline';
}

function kernelArch(config: FoundConfig, arch: string): KernelArch | undefined {
  if (config.values.get('X86_64') === 'y') return 'amd64';
  if (
    config.values.get('X86_32') === 'y' ||
    (config.values.get('X86') === 'y' && !config.values.has('X86_64'))
  )
    return 'x86';
  return arch === 'amd64' || arch === 'x86' ? arch : undefined;
}

/** `CONFIG_XEN_BLKDEV_BACKEND=y dropped ("Block-device backend driver")`. */
function describe(change: SymbolChange): string {
  const howto = [...new Set(change.howto?.map((h) => `"${h.text}"`))].join(', ');
  return `CONFIG_${change.symbol}=${change.requested} ${describeOutcome(change)}${howto ? ` (${howto})` : ''}`;
}

export const kernelConfigCheck = defineCheck<KernelConfigFacts>({
  id: 'kernel-config',
  title: "The dom0 kernel's .config has the options the HOWTO asks for",
  howtoSection: 'Building the kernel',
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    return {
      era: sys.era,
      arch: sys.arch,
      sources: answers.kernel.sources,
      config: await findDom0KernelConfig(view, answers.kernel),
    };
  },
  judge(f): Finding {
    const era = mattersOnEveryEra(f.era, {
      legacy: "2007: xen-sources' options (XEN_PRIVILEGED_GUEST, the backends, bridging, loop, tun)",
      today: "today: mainline's options (XEN_DOM0, XEN_PV or PVH, the backends, bridging, loop, tun)",
    });
    if (f.config === undefined)
      return {
        status: 'unknown',
        found: `no kernel configuration found (/boot/config-*, ${f.sources ?? '/usr/src/linux'}/.config, ${f.sources ?? '/usr/src/linux'}/_dom0/.config)`,
        era,
        fix: FIX,
      };
    const arch = kernelArch(f.config, f.arch);
    if (arch === undefined)
      return {
        status: 'not-applicable',
        found: `${f.config.path}: not an x86 kernel; the HOWTO's options are for x86`,
        era: { ...era, matters: false },
        fix: FIX,
      };
    const fragment = buildFragment({ era: kernelEra(f.config), role: 'dom0', arch });
    const why = [f.config.why, ...(f.config.version ? [`Linux ${f.config.version}`] : [])];
    const where = `${f.config.path} (${why.join('; ')})`;
    if (fragment.refusal) return { status: 'problem', found: `${where}: ${fragment.refusal}`, era, fix: FIX };
    const howtoOf = (symbol: string) => fragment.items.find((i) => i.symbol === symbol)?.howto;
    const { kept, changes } = compareConfig(fragmentValues(fragment), f.config.values, howtoOf);
    if (changes.length === 0)
      return {
        status: 'ok',
        found: `${where} has all ${kept.length} options the HOWTO asks for`,
        era,
        fix: FIX,
      };
    return {
      status: 'problem',
      found: `${where}: ${changes.length} of the ${changes.length + kept.length} options the HOWTO asks for are missing or different`,
      era,
      details: changes.map(describe),
      fix: FIX,
    };
  },
});
