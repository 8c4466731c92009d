import { describeXenElfInfo, isXenCompatible } from '@xen-gentoo/kernel-config';
import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { bootFilePath, readXenBootEntries } from '../boot-entries.js';
import { defineCheck, mattersOnEveryEra, type Finding } from '../check.js';
import { inspectKernelImage, type KernelImageReport } from '../kernel-image.js';

export interface KernelImageFacts {
  era: Era;
  /** Each dom0 kernel: named by a Xen boot entry, or found in /boot. */
  kernels: {
    /** Where it came from: `/boot/grub/grub.conf:12 "Xen 3.1"`, or "/boot". */
    source: string;
    /** The path as the entry names it. */
    named: string;
    /** The image read, undefined when the file is not there. */
    report: KernelImageReport | undefined;
  }[];
  /** No Xen entry: the kernels in /boot were looked at instead. */
  fromBootDir: boolean;
}

const KERNEL_NAME = /^(vmlinuz|vmlinux|kernel|bzImage)(-|$)/;

const FIX = {
  howto:
    'build the dom0 kernel from xen-sources with the dom0 configuration (the HOWTO\'s "Building the kernel") and boot that image; `readelf -a /boot/vmlinuz-…-xen0 | egrep xen_guest` must show the __xen_guest section',
  today:
    'a mainline kernel with CONFIG_XEN_PV=y (or CONFIG_XEN_PVH=y) and CONFIG_XEN_DOM0=y carries Xen ELF notes; rebuild, install it and point the Xen entry at it (`readelf -n vmlinux` shows "Xen" notes; for a bzImage use the kernel\'s scripts/extract-vmlinux first)',
};

export const kernelElfNotesCheck = defineCheck<KernelImageFacts>({
  id: 'kernel-elf-notes',
  title: 'The dom0 kernel is a Xen-compatible ELF image',
  howtoSection: 'Xen says Linux dom0 is not a Xen-compatible Elf image',
  async detect({ view }) {
    const sys = await getSystem(view);
    const kernels: KernelImageFacts['kernels'] = [];
    const seen = new Set<string>();
    for (const entry of await readXenBootEntries(view)) {
      if (entry.kernel === undefined) continue;
      const source = `${entry.file}:${entry.line} "${entry.title}"`;
      const path = await bootFilePath(view, entry.kernel);
      if (path !== undefined && seen.has(path)) continue;
      if (path !== undefined) seen.add(path);
      kernels.push({
        source,
        named: entry.kernel,
        report: path ? await inspectKernelImage(view, path) : undefined,
      });
    }
    const fromBootDir = kernels.length === 0;
    if (fromBootDir) {
      const names = ((await view.list('/boot')) ?? []).filter((n) => KERNEL_NAME.test(n));
      for (const name of names) {
        const path = `/boot/${name}`;
        if ((await view.stat(path))?.kind !== 'file') continue;
        kernels.push({ source: '/boot', named: path, report: await inspectKernelImage(view, path) });
      }
    }
    return { era: sys.era, kernels, fromBootDir };
  },
  judge(f): Finding {
    const era = mattersOnEveryEra(f.era, {
      legacy: "Xen 3 loads only a xenified kernel (xen-sources' __xen_guest section)",
      today: 'Xen loads only a kernel with Xen ELF notes (mainline with CONFIG_XEN_PV or CONFIG_XEN_PVH)',
    });
    if (f.kernels.length === 0)
      return {
        status: 'unknown',
        found: 'no Xen boot entry and no kernel image in /boot: nothing to read yet',
        era,
        fix: FIX,
      };
    const details = f.kernels.map(({ source, named, report }) => {
      const where = source === '/boot' ? named : `${source}: ${named}`;
      if (report === undefined) return `${where}: the file is not there`;
      const shape =
        report.shape === 'bzimage'
          ? `bzImage (boot protocol ${report.protocol}, ${report.compression ?? 'unknown'} payload)`
          : report.shape === 'compressed-elf'
            ? `${report.compression}-compressed ELF`
            : report.shape === 'elf'
              ? 'ELF'
              : 'unknown format';
      if (report.info === undefined) return `${where}: ${shape}; ${report.error ?? 'no ELF inside'}`;
      return `${where}: ${shape}; ${describeXenElfInfo(report.info)}`;
    });
    const compatible = f.kernels.filter((k) => k.report?.info && isXenCompatible(k.report.info));
    const unreadable = f.kernels.filter((k) => k.report !== undefined && k.report.info === undefined);
    const bad = f.kernels.filter(
      (k) => k.report === undefined || (k.report.info !== undefined && !isXenCompatible(k.report.info)),
    );
    if (f.fromBootDir) {
      if (compatible.length > 0)
        return {
          status: 'ok',
          found: `no Xen boot entry yet; ${compatible.map((k) => k.named).join(', ')} can boot as dom0`,
          era,
          details,
          fix: FIX,
        };
      if (unreadable.length === f.kernels.length)
        return {
          status: 'unknown',
          found: 'no Xen boot entry; the kernels in /boot could not be read',
          era,
          details,
          fix: FIX,
        };
      return {
        status: 'problem',
        found: 'no kernel in /boot can boot as dom0: Xen would say "not a Xen-compatible Elf image"',
        era,
        details,
        fix: FIX,
      };
    }
    if (bad.length > 0)
      return {
        status: 'problem',
        found: `${bad.map((k) => k.named).join(', ')}: ${bad.some((k) => k.report === undefined) ? 'missing or ' : ''}without Xen notes; Xen says "not a Xen-compatible Elf image"`,
        era,
        details,
        fix: FIX,
      };
    if (unreadable.length > 0)
      return {
        status: 'unknown',
        found: `${unreadable.map((k) => k.named).join(', ')} could not be read`,
        era,
        details,
        fix: FIX,
      };
    return {
      status: 'ok',
      found: `every dom0 kernel of a Xen entry carries Xen's notes`,
      era,
      details,
      fix: FIX,
    };
  },
});
