import { BootConfigError, parseDom0Mem } from '@xen-gentoo/bootloader';
import { z } from 'zod';
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
export const bootAnswersKeys = z.strictObject({
  /**
   * Boot loader to configure. auto = the one the host has: GRUB 2 (/etc/default/grub,
   * /boot/grub/grub.cfg), GRUB legacy (/boot/grub/grub.conf or menu.lst) or LILO
   * (/etc/lilo.conf). pxelinux = only the PXE server entry (see pxe_dir).
   */
  loader: z.enum(['auto', 'grub-legacy', 'grub2', 'lilo', 'pxelinux']).default('auto'),
  /**
   * GRUB 2 only. default-grub = Xen options in /etc/default/grub (GRUB_CMDLINE_XEN_DEFAULT …)
   * and grub-mkconfig writes the entries; custom-entry = our own menuentry (multiboot2/module2)
   * in grub2_custom_file, then grub-mkconfig.
   */
  grub2_mode: z.enum(['default-grub', 'custom-entry']).default('default-grub'),
  /** GRUB 2 custom-entry mode: the grub.d file that holds the entry (exec tail -n +3 $0 form). */
  grub2_custom_file: cleanAbsolutePath('an absolute path such as /etc/grub.d/40_custom').default(
    '/etc/grub.d/40_custom',
  ),
  /**
   * Memory for dom0 (Xen's dom0_mem): a size above zero with B, K, M or G (a bare number is KiB), and
   * today also a list such as 1024M,max:1024M. auto keeps the value the boot files already give
   * Xen when they agree on a valid one that is not too small; else the tool's own choice (Xen's
   * default is all the memory but a reserve): 256M on a 2007 host (the HOWTO's 98M is known to be
   * too small) and 1024M,max:1024M today (a fixed size, as Xen advises).
   */
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
    .default('auto'),
  /** dom0's root= device. Default: the device of / in /etc/fstab (GRUB 2 default-grub mode: grub-mkconfig decides). */
  root_device: z
    .string()
    .regex(DEVICE, 'a device such as /dev/sda3 or UUID=… (no spaces, quotes or backslashes)')
    .optional(),
  /**
   * dom0 kernel: a version (2.6.20-xen-r6 → /boot/vmlinuz-2.6.20-xen-r6-xen0) or a file directly
   * in /boot. Default: the newest /boot/vmlinuz-*-xen0, else the one kernel-build will install.
   */
  kernel: dom0Kernel.optional(),
  /** dom0 initrd (a file directly in /boot). Default: /boot/initramfs-<kernel>.img or initrd-<kernel> when present. */
  initrd: bootFile('/boot/initramfs-6.12.58-gentoo-xen0.img').optional(),
  /** Extra dom0 kernel options, space separated. */
  kernel_args: optionWords.default(''),
  /** Extra Xen options, space separated. */
  xen_args: optionWords.default(''),
  /** Menu title of the entry. Default: "Xen <version> / Linux <kernel>". */
  title: z.string().regex(TITLE, 'one line of text without single quotes').optional(),
  /** GRUB legacy device of the partition with the files, e.g. (hd0,0). Default: the root line of the default entry. */
  grub_root: z
    .string()
    .regex(/^\((hd|fd|nd)\d*(,\d+)?(,[a-z])?\)$/, 'a GRUB legacy device such as (hd0,0)')
    .optional(),
  /**
   * Serial console (the HOWTO's Troubleshooting section): Xen on serial_port at serial_speed,
   * dom0 on hvc0 (today; Xen owns the UART) or ttyS0 (2007 xen0 kernels).
   */
  serial: yesNo.default('no'),
  serial_port: z.enum(['com1', 'com2']).default('com1'),
  serial_speed: z.coerce
    .number({ error: 'one of 9600, 19200, 38400, 57600, 115200' })
    .int('one of 9600, 19200, 38400, 57600, 115200')
    .refine(
      (n) => [9600, 19200, 38400, 57600, 115200].includes(n),
      'one of 9600, 19200, 38400, 57600, 115200',
    )
    .default(115200),
  /** Keep Xen's messages on the screen as well as on the serial line (console=com1,vga). */
  serial_vga: yesNo.default('yes'),
  /**
   * Xen's noreboot: Xen does not reboot by itself after a crash or error, so its messages stay on
   * the console (the HOWTO describes it as a refusal of shutdown -r). auto = on with the serial console, as in the HOWTO.
   */
  noreboot: triState.default('auto'),
  /** LILO label of the Xen image. */
  lilo_label: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,15}$/, 'at most 15 letters, digits, _ . or -')
    .default('xen'),
  /** PXE: the TFTP root directory (e.g. /diskless); boot-pxelinux writes pxelinux.cfg/default there. */
  pxe_dir: cleanAbsolutePath('an absolute directory such as /diskless').optional(),
});

/** [boot] section of the answers file: how the Xen entry is written and what it passes. */
export const bootAnswersSchema = bootAnswersKeys.prefault({});
export type BootAnswers = z.infer<typeof bootAnswersSchema>;
