import { parseDom0Mem } from '@xen-gentoo/bootloader';
import { z } from 'zod';
import { triState, yesNo } from './base.js';

const absolutePath = z.string().regex(/^\/\S*$/, 'an absolute path without spaces');
const optionWords = z.string().regex(/^[^"'\\\r\n]*$/, 'boot options without quotes or backslashes');

/** [boot] section of the answers file: how the Xen entry is written and what it passes. */
export const bootAnswersSchema = z
  .strictObject({
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
    grub2_custom_file: absolutePath.default('/etc/grub.d/40_custom'),
    /**
     * Memory for dom0 (Xen's dom0_mem): a size with B, K, M or G (a bare number is KiB), and
     * today also a list such as 1024M,max:1024M. auto = 256M on a 2007 host (the HOWTO's 98M
     * is known to be too small) and 1024M,max:1024M today.
     */
    dom0_mem: z
      .string()
      .superRefine((value, ctx) => {
        if (value === 'auto') return;
        // Valid under the Xen 3 rules or today's; the era-specific check is dom0-mem's.
        for (const syntax of ['xen4', 'xen3'] as const) {
          try {
            parseDom0Mem(value, syntax);
            return;
          } catch {
            // try the other rules
          }
        }
        ctx.addIssue({
          code: 'custom',
          message:
            'auto, a size such as 512M or 1G (B, K, M, G; a bare number is KiB), or a list such as 1024M,max:1024M',
        });
      })
      .default('auto'),
    /** dom0's root= device. Default: the device of / in /etc/fstab (GRUB 2 default-grub mode: grub-mkconfig decides). */
    root_device: z.string().regex(/^\S+$/, 'a device without spaces').optional(),
    /**
     * dom0 kernel: a version (2.6.20-xen-r6 → /boot/vmlinuz-2.6.20-xen-r6-xen0) or a /boot path.
     * Default: the newest /boot/vmlinuz-*-xen0, else the one kernel-build will install.
     */
    kernel: z.string().regex(/^\S+$/, 'a version or a path without spaces').optional(),
    /** dom0 initrd (absolute path). Default: /boot/initramfs-<kernel>.img or initrd-<kernel> when present. */
    initrd: absolutePath.optional(),
    /** Extra dom0 kernel options, space separated. */
    kernel_args: optionWords.default(''),
    /** Extra Xen options, space separated. */
    xen_args: optionWords.default(''),
    /** Menu title of the entry. Default: "Xen <version> / Linux <kernel>". */
    title: z
      .string()
      .regex(/^[^\r\n']*$/, 'one line without single quotes')
      .optional(),
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
      .number()
      .int()
      .refine(
        (n) => [9600, 19200, 38400, 57600, 115200].includes(n),
        'one of 9600, 19200, 38400, 57600, 115200',
      )
      .default(115200),
    /** Keep Xen's messages on the screen as well as on the serial line (console=com1,vga). */
    serial_vga: yesNo.default('yes'),
    /** Xen's noreboot (stay on the screen after a crash). auto = on with the serial console, as in the HOWTO. */
    noreboot: triState.default('auto'),
    /** LILO label of the Xen image. */
    lilo_label: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,15}$/, 'at most 15 letters, digits, _ . or -')
      .default('xen'),
    /** PXE: the TFTP root directory (e.g. /diskless); boot-pxelinux writes pxelinux.cfg/default there. */
    pxe_dir: absolutePath.optional(),
  })
  .prefault({});
export type BootAnswers = z.infer<typeof bootAnswersSchema>;
