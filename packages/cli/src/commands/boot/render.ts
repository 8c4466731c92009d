import { Args, Flags } from '@oclif/core';
import { shellQuote, UsageError } from '@xen-gentoo/core';
import { boot } from '@xen-gentoo/steps';
import { BaseCommand } from '../../lib/base-command.js';

export default class BootRender extends BaseCommand<typeof BootRender> {
  static override summary = 'Print the Xen boot entry for one boot loader, from flags or the answers file.';
  static override description =
    'Looks at no machine: prints the entry (GRUB 2 menuentry, GRUB legacy stanza, LILO image stanza or PXELinux DEFAULT line), the file it belongs in and the commands to run around it. Flags win over the [boot] section of --answers.';
  static override examples = [
    '<%= config.bin %> boot render grub2 --kernel 6.12.58-gentoo --root-device /dev/sda3 --serial',
    '<%= config.bin %> boot render grub-legacy --kernel 2.6.20-xen-r6 --era legacy --dom0-mem 256M',
    '<%= config.bin %> boot render pxelinux --kernel 2.6.12.5 --era legacy --kernel-args "ro root=/dev/nfs"',
  ];
  static override args = {
    kind: Args.string({ description: 'Boot loader.', required: true, options: [...boot.BOOT_ENTRY_KINDS] }),
  };
  static override flags = {
    kernel: Flags.string({ summary: 'dom0 kernel: a version (→ vmlinuz-VERSION-xen0) or a path.' }),
    'root-device': Flags.string({ summary: 'dom0 root= device.' }),
    'dom0-mem': Flags.string({
      summary: 'Memory for dom0 (B/K/M/G; a bare number is KiB; Xen 4: min:/max:).',
    }),
    era: Flags.string({
      summary: 'Xen 3 (2007) or Xen 4 (today) rules.',
      options: ['legacy', 'modern'],
      default: 'modern',
    }),
    initrd: Flags.string({ summary: 'dom0 initrd.' }),
    serial: Flags.boolean({
      summary: 'Serial console variant (Xen on com1, dom0 on hvc0 or ttyS0).',
      allowNo: true,
    }),
    'serial-port': Flags.string({ options: ['com1', 'com2'] }),
    'serial-speed': Flags.integer({}),
    'xen-args': Flags.string({ summary: 'Extra Xen options.' }),
    'kernel-args': Flags.string({ summary: 'Extra dom0 kernel options.' }),
    title: Flags.string({ summary: 'Menu title.' }),
    'grub-root': Flags.string({ summary: 'GRUB legacy device, e.g. (hd0,0).' }),
    'lilo-label': Flags.string({ summary: 'LILO label.' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(BootRender);
    const answers = (await this.loadAnswers()).boot;
    const f = this.flags;
    const kernel = f.kernel ?? answers.kernel;
    if (!kernel)
      throw new UsageError('boot render needs --kernel (or kernel = … in the [boot] section of --answers)');
    const optional = <T>(value: T | undefined): T | undefined => value;
    const rendered = boot.renderBootEntry(args.kind as boot.BootEntryKind, {
      kernel,
      era: f.era as 'legacy' | 'modern',
      root: optional(f['root-device'] ?? answers.root_device),
      dom0Mem: f['dom0-mem'] ?? (answers.dom0_mem === 'auto' ? undefined : answers.dom0_mem),
      initrd: optional(f.initrd ?? answers.initrd),
      serial: f.serial ?? answers.serial === 'yes',
      serialPort: (f['serial-port'] as 'com1' | 'com2' | undefined) ?? answers.serial_port,
      serialSpeed: f['serial-speed'] ?? answers.serial_speed,
      serialVga: answers.serial_vga === 'yes',
      ...(answers.noreboot === 'auto' ? {} : { noreboot: answers.noreboot === 'yes' }),
      xenArgs: f['xen-args'] ?? answers.xen_args,
      kernelArgs: f['kernel-args'] ?? answers.kernel_args,
      title: optional(f.title ?? answers.title),
      grubRoot: optional(f['grub-root'] ?? answers.grub_root),
      liloLabel: f['lilo-label'] ?? answers.lilo_label,
    });
    if (this.flags.json) {
      this.writeJson(rendered);
      return;
    }
    process.stdout.write(`# ${rendered.file}\n${rendered.text}`);
    for (const argv of rendered.commands) process.stdout.write(`# then: ${argv.map(shellQuote).join(' ')}\n`);
    for (const warning of rendered.warnings) process.stderr.write(`warning: ${warning}\n`);
  }
}
