import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { shellQuote, UsageError } from '@xen-gentoo/core';
import { boot, type Answers } from '@xen-gentoo/steps';
import { bootAnswersKeys } from '@xen-gentoo/steps/answers';
import { checkFlagValue } from '../../lib/answers-file.js';
import { BaseCommand } from '../../lib/base-command.js';

type BootAnswers = Answers['boot'];

/** Each value flag and the [boot] key it stands for: checked with that key's schema. */
const FLAG_KEYS = {
  kernel: 'kernel',
  'root-device': 'root_device',
  'dom0-mem': 'dom0_mem',
  initrd: 'initrd',
  'serial-port': 'serial_port',
  'serial-speed': 'serial_speed',
  'xen-args': 'xen_args',
  'kernel-args': 'kernel_args',
  title: 'title',
  'grub-root': 'grub_root',
  'lilo-label': 'lilo_label',
  esp: 'esp',
  'esp-device': 'esp_device',
} as const satisfies Record<string, keyof BootAnswers>;

export default class BootRender extends BaseCommand<typeof BootRender> {
  static override summary = 'Print the Xen boot entry for one boot loader, from flags or the answers file.';
  static override description =
    'Looks at no machine: prints the entry (GRUB 2 menuentry, GRUB legacy stanza, LILO image stanza, PXELinux DEFAULT line or the xen.cfg of xen.efi), the file it belongs in and the commands to run around it. Flags win over the [boot] section of --answers.';
  static override examples = [
    '<%= config.bin %> boot render grub2 --kernel 6.12.58-gentoo --root-device /dev/sda3 --serial',
    '<%= config.bin %> boot render grub-legacy --kernel 2.6.20-xen-r6 --era legacy --dom0-mem 256M',
    '<%= config.bin %> boot render pxelinux --kernel 2.6.12.5 --era legacy --kernel-args "ro root=/dev/nfs"',
    '<%= config.bin %> boot render xen-efi --kernel 6.12.58-gentoo --root-device /dev/nvme0n1p2 --esp-device /dev/nvme0n1p1',
  ];
  static override args = {
    kind: Args.string({ description: 'Boot loader.', required: true, options: [...boot.BOOT_ENTRY_KINDS] }),
  };
  static override flags = {
    kernel: Flags.string({
      summary: 'dom0 kernel: a version (→ /boot/vmlinuz-VERSION-xen0) or a file directly in /boot.',
    }),
    'root-device': Flags.string({ summary: 'dom0 root= device.' }),
    'dom0-mem': Flags.string({
      summary: 'Memory for dom0 (B/K/M/G; a bare number is KiB; Xen 4: min:/max:).',
    }),
    era: Flags.string({
      summary: 'Xen 3 (2007) or Xen 4 (today) rules.',
      options: ['legacy', 'modern'],
      default: 'modern',
    }),
    initrd: Flags.string({ summary: 'dom0 initrd: a file directly in /boot.' }),
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
    esp: Flags.string({ summary: 'xen-efi: where the EFI system partition is mounted (default /boot/efi).' }),
    'esp-device': Flags.string({
      summary: 'xen-efi: the EFI system partition, e.g. /dev/nvme0n1p1 (for the efibootmgr command).',
    }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(BootRender);
    const fromFile = (await this.loadAnswers()).boot;
    // Flags win over the [boot] section; they are checked by the same schemas as its keys.
    const flagged: Partial<Record<keyof BootAnswers, unknown>> = {};
    for (const [flag, key] of Object.entries(FLAG_KEYS)) {
      const value = (this.flags as Record<string, unknown>)[flag];
      if (value !== undefined) flagged[key] = checkFlagValue(`--${flag}`, bootAnswersKeys.shape[key], value);
    }
    const answers = { ...fromFile, ...flagged } as BootAnswers;
    const f = this.flags;
    const kernel = answers.kernel;
    if (!kernel)
      throw new UsageError('boot render needs --kernel (or kernel = … in the [boot] section of --answers)');
    const rendered = boot.renderBootEntry(args.kind as boot.BootEntryKind, {
      kernel,
      era: f.era as 'legacy' | 'modern',
      root: answers.root_device,
      dom0Mem: answers.dom0_mem === 'auto' ? undefined : answers.dom0_mem,
      initrd: answers.initrd,
      serial: f.serial ?? answers.serial === 'yes',
      serialPort: answers.serial_port,
      serialSpeed: answers.serial_speed,
      serialVga: answers.serial_vga === 'yes',
      ...(answers.noreboot === 'auto' ? {} : { noreboot: answers.noreboot === 'yes' }),
      xenArgs: answers.xen_args,
      kernelArgs: answers.kernel_args,
      title: answers.title,
      grubRoot: answers.grub_root,
      liloLabel: answers.lilo_label,
      esp: answers.esp,
      espDevice: answers.esp_device,
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
