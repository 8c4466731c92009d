import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { readXenBootEntries } from '../boot-entries.js';
import { defineCheck, mattersOnEveryEra, type Finding } from '../check.js';
import { findDom0KernelConfig } from '../dom0-configs.js';

export interface SerialFacts {
  era: Era;
  entries: { where: string; xenArgs: string[]; kernelArgs: string[] }[];
  /** The dom0 kernel configuration's serial and Xen console options. */
  config: { path: string; serial8250Console: boolean; hvcXen: boolean } | undefined;
}

const FIX = {
  howto:
    'Xen: `com1=9600,8n1` (and `noreboot`) on the `kernel /xen.gz` line; dom0: `console=ttyS0` on the `module /vmlinuz…` line; kernel: "Console on 8250/16550 and compatible serial port" (CONFIG_SERIAL_8250_CONSOLE=y)',
  today:
    'Xen: `com1=115200,8n1 console=com1,vga` (GRUB_CMDLINE_XEN_DEFAULT); dom0: `console=hvc0` (Xen owns the UART) with CONFIG_HVC_XEN=y; `[boot] serial` and `xen-gentoo apply --only boot-serial` write it',
};

const option = (args: string[], name: string): string[] =>
  args.filter((a) => a.startsWith(`${name}=`)).map((a) => a.slice(name.length + 1));

export const serialConsoleCheck = defineCheck<SerialFacts>({
  id: 'serial-console',
  title: 'Serial console settings',
  howtoSection: 'Troubleshooting',
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const entries = (await readXenBootEntries(view)).map((e) => ({
      where: `${e.file}:${e.line} "${e.title}"`,
      xenArgs: e.xenArgs,
      kernelArgs: e.kernelArgs,
    }));
    const found = await findDom0KernelConfig(view, answers.kernel);
    return {
      era: sys.era,
      entries,
      config: found && {
        path: found.path,
        serial8250Console: found.values.get('SERIAL_8250_CONSOLE') === 'y',
        hvcXen: found.values.get('HVC_XEN') === 'y',
      },
    };
  },
  judge(f): Finding {
    const era = mattersOnEveryEra(f.era, {
      legacy: "2007: Xen's com1= and the XenLinux dom0's console=ttyS0",
      today: "today: Xen owns the UART (com1= and console=com1), dom0 speaks through Xen's console, hvc0",
    });
    const serial = f.entries.filter(
      (e) =>
        e.xenArgs.some((a) => /^com[12]=/.test(a)) ||
        option(e.kernelArgs, 'console').some((c) => /^(ttyS|hvc)/.test(c)),
    );
    if (serial.length === 0)
      return {
        status: 'ok',
        found: f.entries.length
          ? "no Xen entry uses a serial console (optional: the HOWTO's way to watch a boot)"
          : 'no Xen entry yet, so no serial console to check',
        era,
        fix: FIX,
      };
    const problems: string[] = [];
    const details: string[] = [];
    for (const e of serial) {
      const com = e.xenArgs.filter((a) => /^com[12]=/.test(a));
      const xenConsole = option(e.xenArgs, 'console');
      const dom0Console = option(e.kernelArgs, 'console');
      details.push(
        `${e.where}: Xen ${[...com, ...xenConsole.map((c) => `console=${c}`)].join(' ') || '(no serial options)'}; dom0 ${dom0Console.map((c) => `console=${c}`).join(' ') || '(no console=)'}`,
      );
      const port = com[0]?.split('=')[0];
      if (com.length === 0)
        problems.push(`${e.where}: dom0 writes to a serial console, but Xen has no com1=/com2= setting`);
      if (f.era === 'modern' && port && !xenConsole.some((c) => c.split(',').includes(port)))
        problems.push(`${e.where}: ${port}= without console=${port}: Xen 4 prints to VGA only`);
      if (f.era === 'modern' && com.length > 0 && dom0Console.some((c) => c.startsWith('ttyS')))
        problems.push(`${e.where}: dom0 console=ttyS…, but Xen owns the serial port: use console=hvc0`);
      if (f.config && dom0Console.some((c) => c.startsWith('ttyS')) && !f.config.serial8250Console)
        problems.push(`${f.config.path} lacks CONFIG_SERIAL_8250_CONSOLE=y for console=ttyS0`);
      if (f.config && dom0Console.some((c) => c.startsWith('hvc')) && !f.config.hvcXen)
        problems.push(
          f.era === 'legacy'
            ? `${e.where}: dom0 console=hvc0, but ${f.config.path} is a kernel without hvc0 (a XenLinux 2.6 dom0 has none; Xen's console driver hvc0 came with mainline Linux 2.6.26): use console=ttyS0`
            : `${f.config.path} lacks CONFIG_HVC_XEN=y for console=hvc0`,
        );
      if (e.xenArgs.includes('noreboot'))
        details.push(
          `${e.where}: noreboot keeps Xen from rebooting after a crash, so its last messages stay on the serial console`,
        );
    }
    if (problems.length > 0)
      return { status: 'problem', found: [...new Set(problems)].join('; '), era, details, fix: FIX };
    return {
      status: 'ok',
      found: `the serial console is set up in ${serial.length} Xen entr${serial.length === 1 ? 'y' : 'ies'}`,
      era,
      details,
      fix: FIX,
    };
  },
});
