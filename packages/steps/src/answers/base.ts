import { STATE_DIR } from '@xen-gentoo/core';
import { z } from 'zod';

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
export const kernelVersion = z
  .string()
  .regex(
    /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._+-]*$/,
    'a kernel version such as 6.12.58-gentoo (letters, digits, . _ + -; no "..")',
  );

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
    /** Profile to select when the current one is unsupported, e.g. default/linux/amd64/23.0. */
    profile: profileName.optional(),
  })
  .prefault({});

/** [portage] */
export const portageAnswersSchema = z
  .strictObject({
    /** -mno-tls-direct-seg-refs: auto = only where it matters (32-bit x86). */
    tls_flag: triState.default('auto'),
    nptlonly: triState.default('auto'),
    buildpkg: yesNo.default('yes'),
    /** emerge -e @world after a CFLAGS change. */
    rebuild_world: yesNo.default('yes'),
    /** USE=hvm (and dev86 on amd64): auto = when /proc/cpuinfo has vmx or svm. */
    hvm: triState.default('auto'),
  })
  .prefault({});

/** [xen] */
export const xenAnswersSchema = z
  .strictObject({
    /** Accept ~arch keywords for Xen: auto = only where the tree has no stable version. */
    keywords: triState.default('auto'),
    /** Keep net.eth0 (or the named interface) out of the default runlevel. */
    interface: z
      .string()
      .regex(/^(?!\.{1,2}$)[A-Za-z0-9_.-]+$/, 'a network interface name (letters, digits, . _ -)')
      .default('eth0'),
  })
  .prefault({});
