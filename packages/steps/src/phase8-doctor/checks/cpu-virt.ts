import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { defineCheck, type Finding } from '../check.js';

export interface CpuVirtFacts {
  era: Era;
  /** vmx / svm as /proc/cpuinfo shows them; undefined when the target has no /proc/cpuinfo. */
  cpuFlags: string[] | undefined;
  /**
   * Under Xen, the kernel's /proc/cpuinfo hides vmx/svm: the hypervisor's own capabilities
   * (/sys/hypervisor/properties/capabilities, e.g. "xen-3.0-x86_64 hvm-3.0-x86_32 …") say instead.
   */
  xenCapabilities: string | undefined;
  /** What asks for HVM guests: USE=hvm, a guest configuration with builder/type "hvm". */
  hvmWanted: string[];
}

const FIX = {
  howto:
    'HVM guests need Intel VT (vmx) or AMD-V (svm): a CPU that has it, switched on in the BIOS; without it, only paravirtualised guests run',
  today:
    'the same: enable VT-x/AMD-V in the firmware set-up (`xl info` lists hvm in virt_caps once Xen sees it); otherwise use PV or PVH guests (type = "pv" / "pvh")',
};

export const cpuVirtCheck = defineCheck<CpuVirtFacts>({
  id: 'cpu-virt',
  title: 'CPU virtualisation for HVM guests (vmx/svm)',
  howtoSection: 'Windows and other Unmodified Guests in domU (a.k.a. HVM Guests)',
  async detect({ view }) {
    const sys = await getSystem(view);
    const cpuinfo = await view.readFile('/proc/cpuinfo');
    const flags = cpuinfo?.match(/^flags\s*:(.*)$/m)?.[1]?.split(/\s+/) ?? [];
    const hvmWanted: string[] = [];
    const use = (await view.readFile(sys.makeConfPath)) ?? '';
    if (/^\s*USE=["'][^"']*(?<![-\w])hvm\b/m.test(use)) hvmWanted.push(`USE=hvm in ${sys.makeConfPath}`);
    for (const name of (await view.list('/etc/xen')) ?? []) {
      if ((await view.stat(`/etc/xen/${name}`))?.kind !== 'file') continue;
      const text = await view.readFile(`/etc/xen/${name}`);
      if (text && /^\s*(builder|type)\s*=\s*["']hvm["']/m.test(text))
        hvmWanted.push(`/etc/xen/${name} is an HVM guest`);
    }
    return {
      era: sys.era,
      cpuFlags: cpuinfo === undefined ? undefined : flags.filter((f) => f === 'vmx' || f === 'svm'),
      xenCapabilities: (await view.readFile('/sys/hypervisor/properties/capabilities'))?.trim(),
      hvmWanted,
    };
  },
  judge(f): Finding {
    const era = { era: f.era, matters: true, why: 'HVM guests need the CPU extensions on every Xen version' };
    if (f.xenCapabilities !== undefined && f.xenCapabilities !== '') {
      const hvm = f.xenCapabilities.split(/\s+/).filter((c) => c.startsWith('hvm-'));
      if (hvm.length > 0)
        return { status: 'ok', found: `Xen offers HVM guests (${hvm.join(' ')})`, era, fix: FIX };
      return {
        status: f.hvmWanted.length > 0 ? 'problem' : 'ok',
        found: `Xen reports no HVM capability (${f.xenCapabilities}); ${f.hvmWanted.length > 0 ? f.hvmWanted.join('; ') : 'no HVM guest is configured'}`,
        era,
        fix: FIX,
      };
    }
    if (f.cpuFlags === undefined)
      return {
        status: 'unknown',
        found: 'the target has no /proc/cpuinfo (a mounted root: check on the machine itself)',
        era,
        fix: FIX,
      };
    if (f.cpuFlags.length > 0)
      return {
        status: 'ok',
        found: `the CPU has ${[...new Set(f.cpuFlags)].join(' and ')}: HVM guests can run (if the firmware enables it)`,
        era,
        fix: FIX,
      };
    return {
      status: f.hvmWanted.length > 0 ? 'problem' : 'ok',
      found: [
        'the CPU has neither vmx nor svm in /proc/cpuinfo: paravirtualised guests only',
        ...(f.hvmWanted.length > 0 ? [`but ${f.hvmWanted.join('; ')}`] : []),
      ].join(', '),
      era,
      fix: FIX,
    };
  },
});
