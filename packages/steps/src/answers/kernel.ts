import { z } from './zod.js';
import { cleanAbsolutePath, kernelVersion, yesNo } from './base.js';

/** The keys of the [kernel] section, each with its own schema (the kernel commands check their flags with them). */
export const kernelAnswersKeys = z
  .strictObject({
    sources: cleanAbsolutePath('an absolute directory such as /usr/src/linux')
      .default('/usr/src/linux')
      .meta({
        description: 'The kernel source tree (a directory or the /usr/src/linux symlink).',
        howto: 'Building the kernel',
      }),
    split: yesNo.default('yes').meta({
      description:
        'yes: two kernels from one tree, dom0 in O=_dom0 and domU in O=_domU ("Separating dom0 and domU"); no: one kernel for both ("Only one domain 0 kernel").',
      howto: 'Separating dom0 and domU',
    }),
    base: z.enum(['auto', 'existing', 'proc', 'boot', 'defconfig']).default('auto').meta({
      description:
        "The configuration the Xen options are merged into: existing (the output directory's .config), proc (/proc/config.gz), boot (a /boot/config-*: the running kernel's on the live system, else the tree's version's, else this role's earlier build, else the newest; never the other role's), defconfig; auto takes the first that exists.",
      howto: 'Domain 0 Kernel Configuration',
    }),
    build: yesNo.default('yes').meta({
      description: 'Build and install the kernels (minutes to hours).',
      howto: 'Building the kernel',
    }),
    version: kernelVersion.optional().meta({
      description: 'The kernel version used in /boot file names (vmlinuz-VERSION-xen0).',
      howto: 'Building the kernel',
      unset: "read from the tree's Makefile",
      examples: ['6.12.58-gentoo'],
    }),
    genkernel: yesNo.default('no').meta({
      description:
        'Build with genkernel instead ("Using genkernel"); only genkernel before 3.4.10_pre3 needs the HOWTO\'s fixes; genkernel 4 builds the tree kernel-dom0-config configured.',
      howto: 'Using genkernel',
    }),
    user_home: cleanAbsolutePath('an absolute directory such as /root').default('/root').meta({
      description: 'Home of the user who gets the make0/makeU aliases and ~/bin/copy-config.',
      howto: 'Separating dom0 and domU',
    }),
    serial_console: z.enum(['auto', 'yes', 'no']).default('auto').meta({
      description:
        'CONFIG_SERIAL_8250_CONSOLE in dom0. auto: yes on mainline, no on xen-sources (where "Disable serial port drivers" gives Xen\'s console ttyS0, the console of [boot] serial = yes); yes on xen-sources also turns "Disable serial port drivers" off, for a port Xen does not own.',
      howto: 'Troubleshooting',
    }),
  })
  .meta({ description: 'Building the dom0 and domU kernels.', howto: 'Building the kernel' });

/** [kernel] section of the answers file. */
export const kernelAnswersSchema = kernelAnswersKeys.prefault({});
export type KernelAnswers = z.infer<typeof kernelAnswersSchema>;

export { kernelMethod, type KernelMethod } from './values.js';
