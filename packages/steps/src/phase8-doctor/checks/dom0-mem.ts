import {
  BootConfigError,
  checkDom0Mem,
  DOM0_MEM_MINIMUM,
  formatSize,
  type Dom0MemSyntax,
} from '@xen-gentoo/bootloader';
import { readShellVariable } from '@xen-gentoo/bootloader';
import { getSystem } from '../../shared/system-cache.js';
import { versionBelow } from '../../shared/versions.js';
import type { Era } from '../../system.js';
import { readXenBootEntries } from '../boot-entries.js';
import { defineCheck, type Finding } from '../check.js';

export interface Dom0MemFacts {
  era: Era;
  syntax: Dom0MemSyntax;
  /** Each place a hypervisor command line is written, with its dom0_mem= value (undefined: none). */
  lines: { where: string; value: string | undefined }[];
  memTotalBytes: number | undefined;
}

const FIX = {
  howto:
    'give dom0 more: `dom0_mem=` on the `kernel /xen.gz` line (the HOWTO warns that 98M gave "insufficient memory" errors with 2.6.16 dom0 kernels; a bare number is KiB)',
  today:
    'dom0_mem=1024M,max:1024M (at least 512M) in GRUB_CMDLINE_XEN_DEFAULT in /etc/default/grub, then grub-mkconfig -o /boot/grub/grub.cfg; `[boot] dom0_mem` and `xen-gentoo apply --only dom0-mem` write it',
};

const GRUB_XEN_VARS = ['GRUB_CMDLINE_XEN', 'GRUB_CMDLINE_XEN_DEFAULT'];

export const dom0MemCheck = defineCheck<Dom0MemFacts>({
  id: 'dom0-mem',
  title: 'dom0_mem is large enough',
  howtoSection: 'Troubleshooting',
  async detect({ view }) {
    const sys = await getSystem(view);
    const xen = sys.installedVersion('app-emulation/xen');
    const syntax: Dom0MemSyntax =
      xen !== undefined ? (versionBelow(xen, '4') ? 'xen3' : 'xen4') : sys.era === 'legacy' ? 'xen3' : 'xen4';
    const lines: Dom0MemFacts['lines'] = (await readXenBootEntries(view)).map((e) => ({
      where: `${e.file}:${e.line} "${e.title}"`,
      value: e.xenArgs
        .filter((a) => a.startsWith('dom0_mem='))
        .at(-1)
        ?.slice('dom0_mem='.length),
    }));
    const defaults = await view.readFile('/etc/default/grub');
    for (const name of GRUB_XEN_VARS) {
      const v = defaults === undefined ? undefined : readShellVariable(defaults, name, '/etc/default/grub');
      if (v === undefined) continue;
      const value = (v.value ?? '')
        .split(/\s+/)
        .filter((a) => a.startsWith('dom0_mem='))
        .at(-1)
        ?.slice('dom0_mem='.length);
      lines.push({ where: `/etc/default/grub ${name}`, value });
    }
    const meminfo = await view.readFile('/proc/meminfo');
    const kb = meminfo ? /^MemTotal:\s+(\d+)\s+kB/m.exec(meminfo)?.[1] : undefined;
    return { era: sys.era, syntax, lines, memTotalBytes: kb ? Number(kb) * 1024 : undefined };
  },
  judge(f): Finding {
    const minimum = DOM0_MEM_MINIMUM[f.syntax];
    const era = {
      era: f.era,
      matters: true,
      why:
        f.syntax === 'xen3'
          ? `Xen 3 with a 2.6 dom0: below ${formatSize(minimum)} dom0 runs out of memory`
          : `Xen 4 with a current dom0 (udev, xenstored, device models): below ${formatSize(minimum)} it runs out of memory`,
    };
    if (f.lines.length === 0)
      return {
        status: 'unknown',
        found: 'no Xen boot entry and no GRUB_CMDLINE_XEN: nothing sets dom0_mem yet',
        era,
        fix: FIX,
      };
    const details: string[] = [];
    const problems: string[] = [];
    for (const { where, value } of f.lines) {
      if (value === undefined) {
        details.push(`${where}: no dom0_mem (Xen gives dom0 all memory, then balloons it down for guests)`);
        continue;
      }
      try {
        const checked = checkDom0Mem(value, {
          syntax: f.syntax,
          ...(f.memTotalBytes === undefined ? {} : { hostMemBytes: f.memTotalBytes }),
        });
        const small = checked.value.items.filter(
          (i) =>
            i.kind !== 'min' &&
            i.size.percent === undefined &&
            i.size.bytes !== undefined &&
            i.size.bytes > 0 &&
            i.size.bytes < minimum,
        );
        const tooBig =
          f.memTotalBytes !== undefined &&
          checked.value.items.some((i) => i.size.bytes !== undefined && i.size.bytes >= f.memTotalBytes!);
        details.push([`${where}: dom0_mem=${value} (${checked.value.text})`, ...checked.warnings].join('; '));
        if (small.length > 0) problems.push(`${where}: dom0_mem=${value} is below ${formatSize(minimum)}`);
        if (tooBig) problems.push(`${where}: dom0_mem=${value} leaves nothing for guests`);
      } catch (error) {
        if (!(error instanceof BootConfigError)) throw error;
        details.push(`${where}: ${error.message}`);
        problems.push(`${where}: Xen cannot read ${error.message}`);
      }
    }
    if (problems.length > 0) return { status: 'problem', found: problems.join('; '), era, details, fix: FIX };
    return {
      status: 'ok',
      found: `dom0_mem is ${minimum ? `at least ${formatSize(minimum)} or unset` : 'fine'} everywhere`,
      era,
      details,
      fix: FIX,
    };
  },
});
