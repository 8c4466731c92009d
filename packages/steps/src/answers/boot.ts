import { BootConfigError, parseDom0Mem } from '@xen-gentoo/bootloader';
import { z } from './zod.js';
import { bootFile, cleanAbsolutePath, isBootFile, kernelVersion, triState, yesNo } from './base.js';

/* eslint-disable no-control-regex -- these patterns are there to refuse control characters */
/** Boot options: one line (tabs allowed) without quotes or backslashes. */
const OPTION_WORDS = /^[^"'\\\x00-\x08\x0a-\x1f\x7f]*$/;
/** A root= device: no white space, quotes, backslashes or control characters. */
const DEVICE = /^[^\s"'\\\x00-\x1f\x7f]+$/;
/** A menu title: one line without control characters or single quotes. */
const TITLE = /^[^\x00-\x1f\x7f']*$/;
/* eslint-enable no-control-regex */

/** Boot options: printed into the boot loader's files, so one line without quotes or backslashes. */
const optionWords = z
  .string()
  .regex(OPTION_WORDS, 'boot options separated by spaces, on one line, without quotes or backslashes');

/**
 * The dom0 kernel: a version (the boot steps look for /boot/vmlinuz-VERSION-xen0) or a file
 * directly in /boot (the steps and boot loaders name it by its file name in /boot).
 */
const dom0Kernel = z
  .string()
  .refine(
    (value) => kernelVersion.safeParse(value).success || isBootFile(value),
    'a kernel version such as 6.12.58-gentoo (letters, digits, . _ + -; no "..") or a file directly in /boot such as /boot/vmlinuz-6.12.58-gentoo-xen0',
  );

/** The keys of the [boot] section, each with its own schema (boot render checks its flags with them). */
export const bootAnswersKeys = z
  .strictObject({
    loader: z.enum(['auto', 'grub-legacy', 'grub2', 'lilo', 'pxelinux', 'xen-efi']).default('auto').meta({
      description:
        "The boot loader to configure. auto: the one the host has (GRUB 2, GRUB legacy or LILO); pxelinux: only the PXE server entry (see pxe_dir); xen-efi: the UEFI firmware starts Xen's own EFI loader (xen.efi with its xen.cfg on the EFI system partition) through a boot entry of its own.",
      howto: 'Updating your boot loader',
    }),
    firmware: z.enum(['auto', 'bios', 'uefi']).default('auto').meta({
      description:
        'How the machine starts. auto: UEFI when /sys/firmware/efi exists on the live system; on a mounted root, when /etc/fstab mounts a vfat EFI system partition at /boot/efi, /efi or /boot. Today only: a 2007 host has no UEFI.',
      howto: 'Updating your boot loader',
    }),
    esp: cleanAbsolutePath('an absolute directory such as /boot/efi')
      .optional()
      .meta({
        description: 'Where the EFI system partition is mounted.',
        howto: 'Updating your boot loader',
        unset: 'the vfat file system /etc/fstab mounts at /boot/efi, /efi or /boot',
        examples: ['/boot/efi'],
      }),
    esp_device: z
      .string()
      .regex(
        /^(?!.*\/\.\.?(\/|$))\/dev\/[A-Za-z0-9_.+-]+(\/[A-Za-z0-9_.+-]+)*$/,
        'a partition device such as /dev/nvme0n1p1 or /dev/sda1',
      )
      .optional()
      .meta({
        description:
          "The EFI system partition's device, for the firmware boot entry of xen-efi (efibootmgr --disk and --part).",
        howto: 'Updating your boot loader',
        unset: 'the device mounted at the ESP (/proc/mounts), else the one /etc/fstab names',
        examples: ['/dev/nvme0n1p1'],
      }),
    grub2_mode: z.enum(['default-grub', 'custom-entry']).default('default-grub').meta({
      description:
        'GRUB 2 only. default-grub: Xen options in /etc/default/grub, then grub-mkconfig; custom-entry: a multiboot2/module2 menuentry in grub2_custom_file.',
      howto: 'GRUB',
    }),
    grub2_custom_file: cleanAbsolutePath('an absolute path such as /etc/grub.d/40_custom')
      .default('/etc/grub.d/40_custom')
      .meta({
        description: 'GRUB 2 custom-entry mode: the grub.d file that holds the entry.',
        howto: 'GRUB',
      }),
    dom0_mem: z
      .string()
      .superRefine((value, ctx) => {
        if (value === 'auto') return;
        // Valid under the Xen 3 rules or today's; the era-specific check is dom0-mem's.
        let today: unknown;
        for (const syntax of ['xen4', 'xen3'] as const) {
          try {
            const parsed = parseDom0Mem(value, syntax);
            // Xen 4 reads -N as "all memory but N", which depends on the machine Xen boots on; on
            // one with less than N, Xen's subtraction wraps and dom0 gets all of the memory.
            if (parsed.items.some((item) => (item.size.bytes ?? 0) < 0))
              ctx.addIssue({
                code: 'custom',
                message:
                  'a size above zero such as 1024M,max:1024M (a negative size means all memory but that much, and Xen gives dom0 everything on a machine with less)',
              });
            return;
          } catch (error) {
            today ??= error;
          }
        }
        // A value that reads as sizes but cannot work (a zero, min: above max:) says why.
        const why = today instanceof BootConfigError && !/^a size(,| such as)/.test(today.expected);
        ctx.addIssue({
          code: 'custom',
          message: why
            ? (today as BootConfigError).expected
            : 'auto, a size such as 512M or 1G (B, K, M, G; a bare number is KiB), or a list such as 1024M,max:1024M',
        });
      })
      .default('auto')
      .meta({
        description:
          "Xen's dom0_mem: a size above zero with B, K, M or G (a bare number is KiB), today also min:/max: lists. auto keeps the value the boot files already give Xen when they agree on a valid one that is not too small; else the tool's own choice (Xen's default is all the memory but a reserve): 256M on a 2007 host (the HOWTO's 98M is known to be too small), 1024M,max:1024M today (a fixed size, as Xen advises).",
        howto: 'Updating your boot loader',
      }),
    root_device: z
      .string()
      .regex(DEVICE, 'a device such as /dev/sda3 or UUID=… (no spaces, quotes or backslashes)')
      .optional()
      .meta({
        description: "dom0's root= device.",
        howto: 'Updating your boot loader',
        unset: 'the device of / in /etc/fstab (GRUB 2 default-grub mode: grub-mkconfig decides)',
        examples: ['/dev/sda3'],
      }),
    kernel: dom0Kernel.optional().meta({
      description:
        'The dom0 kernel: a version (6.12.58-gentoo → /boot/vmlinuz-6.12.58-gentoo-xen0) or a file directly in /boot.',
      howto: 'Updating your boot loader',
      unset:
        "the kernel of the [kernel] road: the newest -xen0 (split), -xen (split = no) or genkernel's, else the one that road will install",
      examples: ['6.12.58-gentoo'],
    }),
    initrd: bootFile('/boot/initramfs-6.12.58-gentoo-xen0.img')
      .optional()
      .meta({
        description: 'The dom0 initrd (a file directly in /boot).',
        howto: 'Updating your boot loader',
        unset: '/boot/initramfs-KERNEL.img or /boot/initrd-KERNEL when present',
        examples: ['/boot/initramfs-6.12.58-gentoo-xen0.img'],
      }),
    kernel_args: optionWords.default('').meta({
      description: 'Extra dom0 kernel options, space separated.',
      howto: 'Updating your boot loader',
    }),
    xen_args: optionWords
      .default('')
      .meta({ description: 'Extra Xen options, space separated.', howto: 'Updating your boot loader' }),
    title: z.string().regex(TITLE, 'one line of text without single quotes').optional().meta({
      description: 'The menu title of the entry.',
      howto: 'Updating your boot loader',
      unset: 'Xen / Linux VERSION',
    }),
    grub_root: z
      .string()
      .regex(/^\((hd|fd|nd)\d*(,\d+)?(,[a-z])?\)$/, 'a GRUB legacy device such as (hd0,0)')
      .optional()
      .meta({
        description: 'The GRUB legacy device of the partition with the files.',
        howto: 'GRUB',
        unset: 'the root line of the default entry',
        examples: ['(hd0,0)'],
      }),
    serial: yesNo.default('no').meta({
      description:
        'The serial-console variant: Xen on serial_port at serial_speed, dom0 on hvc0 (today) or ttyS0 (2007).',
      howto: 'Troubleshooting',
    }),
    serial_port: z
      .enum(['com1', 'com2'])
      .default('com1')
      .meta({ description: 'The serial port of the serial console.', howto: 'Troubleshooting' }),
    serial_speed: z.coerce
      .number({ error: 'one of 9600, 19200, 38400, 57600, 115200' })
      .int('one of 9600, 19200, 38400, 57600, 115200')
      .refine(
        (n) => [9600, 19200, 38400, 57600, 115200].includes(n),
        'one of 9600, 19200, 38400, 57600, 115200',
      )
      .default(115200)
      .meta({ description: 'The speed of the serial console, in baud.', howto: 'Troubleshooting' }),
    serial_vga: yesNo.default('yes').meta({
      description: "Keep Xen's messages on the screen as well as on the serial line (console=com1,vga).",
      howto: 'Troubleshooting',
    }),
    noreboot: triState.default('auto').meta({
      description:
        "Xen's noreboot: Xen does not reboot by itself after a crash or error, so its messages stay on the console (the HOWTO describes it as a refusal of shutdown -r). auto: on with the serial console, as in the HOWTO.",
      howto: 'Troubleshooting',
    }),
    lilo_label: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,15}$/, 'at most 15 letters, digits, _ . or -')
      .default('xen')
      .meta({ description: 'The LILO label of the Xen image.', howto: 'Alternative: LILO' }),
    pxe_dir: cleanAbsolutePath('an absolute directory such as /diskless')
      .optional()
      .meta({
        description: 'The TFTP root of a PXE boot server; boot-pxelinux writes pxelinux.cfg/default there.',
        howto: 'Alternative: PXELinux',
        unset: 'no PXE server entry',
        examples: ['/diskless'],
      }),
  })
  .meta({
    description: 'The Xen entry of the boot loader and what it passes to Xen and dom0.',
    howto: 'Updating your boot loader',
  });

/** [boot] section of the answers file: how the Xen entry is written and what it passes. */
export const bootAnswersSchema = bootAnswersKeys.prefault({});
export type BootAnswers = z.infer<typeof bootAnswersSchema>;
