import { z } from 'zod';
import { cleanAbsolutePath, kernelVersion, yesNo } from './base.js';

/** The keys of the [kernel] section, each with its own schema (the kernel commands check their flags with them). */
export const kernelAnswersKeys = z.strictObject({
  /** The kernel source tree (a directory or the /usr/src/linux symlink). */
  sources: cleanAbsolutePath('an absolute directory such as /usr/src/linux').default('/usr/src/linux'),
  /**
   * Two kernels from one tree, dom0 in `_dom0` and domU in `_domU` (the HOWTO's "Separating dom0
   * and domU"); `no` builds one kernel for both ("Only one domain 0 kernel").
   */
  split: yesNo.default('yes'),
  /**
   * The configuration the Xen options are merged into: `existing` (the output directory's
   * .config), `proc` (/proc/config.gz of the running kernel), `boot` (a /boot/config-*: the
   * running kernel's on the live system, else the tree's own version's, else this role's earlier
   * build, else the newest; never the other role's), `defconfig`; `auto` takes the first of these
   * that exists.
   */
  base: z.enum(['auto', 'existing', 'proc', 'boot', 'defconfig']).default('auto'),
  /** Build and install the kernels (long: minutes to hours). */
  build: yesNo.default('yes'),
  /** Kernel version used in /boot file names (vmlinuz-VERSION-xen0); default: from the tree's Makefile. */
  version: kernelVersion.optional(),
  /** Build with genkernel instead ("Using genkernel"); only the 2007-era genkernel needs the HOWTO's fixes. */
  genkernel: yesNo.default('no'),
  /** Home of the user who gets the make0/makeU aliases and ~/bin/copy-config. */
  user_home: cleanAbsolutePath('an absolute directory such as /root').default('/root'),
  /**
   * The Troubleshooting serial console (CONFIG_SERIAL_8250_CONSOLE) in dom0: `auto` = yes on
   * mainline, no on xen-sources (where "Disable serial port drivers" gives Xen's console ttyS0).
   */
  serial_console: z.enum(['auto', 'yes', 'no']).default('auto'),
});

/** [kernel] section of the answers file. */
export const kernelAnswersSchema = kernelAnswersKeys.prefault({});
export type KernelAnswers = z.infer<typeof kernelAnswersSchema>;

/** Which of the HOWTO's three ways of building the kernel the answers choose. */
export type KernelMethod = 'split' | 'single' | 'genkernel';

export function kernelMethod(answers: KernelAnswers): KernelMethod {
  if (answers.genkernel === 'yes') return 'genkernel';
  return answers.split === 'yes' ? 'split' : 'single';
}
