import { STATE_DIR } from '@xen-gentoo/core';
import { z } from './zod.js';
import { KERNEL_VERSION, KERNEL_VERSION_EXPECTED } from './values.js';

export const triState = z.enum(['auto', 'yes', 'no']);
export const yesNo = z.enum(['yes', 'no']);

/** One path or profile segment: not empty, not `.` or `..`, only letters, digits and . _ + -. */
const SEGMENT = /^[A-Za-z0-9._+-]+$/;
export const cleanSegment = (s: string): boolean => SEGMENT.test(s) && s !== '.' && s !== '..';

/**
 * A profile name as `eselect profile` shows it: relative to the tree's profiles/ directory,
 * segments of letters, digits and . _ + -, none of them empty, `.` or `..` (so the selected
 * profile is always inside profiles/).
 */
const profileName = z
  .string()
  .refine(
    (value) => value.split('/').every(cleanSegment),
    'a profile name under the tree\'s profiles/ directory such as default/linux/amd64/23.0 (letters, digits, . _ + - and /; no leading /, no empty, "." or ".." parts)',
  );

/** Whether `path` (clean, absolute) is the tool's own state directory or lies in it. */
export function inStateDir(path: string): boolean {
  return path === STATE_DIR || path.startsWith(`${STATE_DIR}/`);
}

/**
 * An absolute path: a leading /, then segments of letters, digits and . _ + -, none of them
 * empty, `.` or `..`. What it names cannot depend on where it is resolved. Never in the tool's
 * own state directory (its journals and lock are no place for a step's files).
 */
export function cleanAbsolutePath(description = 'an absolute path'): z.ZodString {
  return z
    .string()
    .refine(
      (value) =>
        value.startsWith('/') &&
        (value === '/' || value.slice(1).split('/').every(cleanSegment)) &&
        !inStateDir(value),
      `${description} (starting with /; letters, digits, . _ + - and /; no empty, "." or ".." parts; not in ${STATE_DIR}, where xen-gentoo keeps its journals)`,
    );
}

/** A kernel version as in /boot file names (vmlinuz-VERSION-xen0): no /, no "..". */
export const kernelVersion = z.string().regex(KERNEL_VERSION, KERNEL_VERSION_EXPECTED);

/** Whether `value` names a file directly in /boot (/boot/NAME), as the boot steps name kernels and initrds. */
export function isBootFile(value: string): boolean {
  return value.startsWith('/boot/') && cleanSegment(value.slice('/boot/'.length));
}

/** A file directly in /boot, as the boot steps name kernels and initrds (/boot/NAME). */
export function bootFile(example: string): z.ZodString {
  return z
    .string()
    .refine(isBootFile, `a file directly in /boot such as ${example} (letters, digits, . _ + -)`);
}

/** [system] */
export const systemAnswersSchema = z
  .strictObject({
    profile: profileName.optional().meta({
      description:
        'The profile to select when the current one is unsupported, by pointing the profile symlink at it as `eselect profile set` does.',
      howto: 'Profile',
      unset: 'keep the current profile',
      examples: ['default/linux/amd64/23.0'],
    }),
  })
  .meta({ description: 'The Portage profile.', howto: 'Profile' })
  .prefault({});

/** [portage] */
export const portageAnswersSchema = z
  .strictObject({
    tls_flag: triState.default('auto').meta({
      description:
        'Add -mno-tls-direct-seg-refs to CFLAGS. auto: only where it matters (32-bit x86 with a 2007-era Xen); yes: always; no: never.',
      howto: 'TLS and CFLAGS',
    }),
    nptlonly: triState.default('auto').meta({
      description: "USE=nptlonly. auto: where the tree's glibc still has the flag.",
      howto: 'nptlonly USE flag',
    }),
    buildpkg: yesNo.default('yes').meta({
      description: 'FEATURES="${FEATURES} buildpkg": keep binary packages for the domUs.',
      howto: 'Activating buildpkg',
    }),
    rebuild_world: yesNo.default('yes').meta({
      description:
        'emerge --emptytree @world when installed packages were built with other CFLAGS (--update --deep --newuse @world today when only USE changed).',
      howto: 'Applying Changes',
    }),
    hvm: triState.default('auto').meta({
      description: 'USE=hvm (and dev86 on a 2007 amd64). auto: when /proc/cpuinfo has vmx or svm.',
      howto: 'Windows and other Unmodified Guests in domU (a.k.a. HVM Guests)',
    }),
  })
  .meta({ description: 'Preparing the system: make.conf and USE flags.', howto: 'Preparing the System' })
  .prefault({});

/** [xen] */
export const xenAnswersSchema = z
  .strictObject({
    keywords: triState.default('auto').meta({
      description:
        'Accept ~arch keywords for Xen. auto: only for packages with no stable version for the arch; yes: always; no: never.',
      howto: 'Building the hypervisor and applications',
    }),
    interface: z
      .string()
      .regex(/^(?!\.{1,2}$)[A-Za-z0-9_.-]+$/, 'a network interface name (letters, digits, . _ -)')
      .default('eth0')
      .meta({
        description:
          'The interface kept out of the default runlevel (2007) and later enslaved to the xenbr0 bridge.',
        howto: 'Building the hypervisor and applications',
      }),
  })
  .meta({
    description: 'The hypervisor, its tools and its services.',
    howto: 'Building the hypervisor and applications',
  })
  .prefault({});
