// What the steps and commands compute from answers, without the schemas: planning with the
// defaults (no answers file) then never builds a schema (see defaults.ts).
import type { GuestAnswers } from './guests.js';
import type { KernelAnswers } from './kernel.js';

/**
 * A guest's name: a file name in /etc/xen and /etc/xen/auto, a Xen domain name and the default
 * hostname. Letters, digits, _ and -, starting with a letter or digit; no dot, no slash.
 */
export const GUEST_NAME = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
export const GUEST_NAME_EXPECTED =
  'a guest name of letters, digits, _ and - (starting and ending with a letter or digit, at most 63 characters)';

export function isGuestName(name: string): boolean {
  return GUEST_NAME.test(name);
}

/** Bytes of a size the schema accepted (M = MiB, G = GiB). */
export function sizeBytes(value: string): number {
  const n = Number(value.slice(0, -1));
  return n * (value.endsWith('G') ? 1024 ** 3 : 1024 ** 2);
}

/** The guest's image file. */
export function guestImage(guest: GuestAnswers): string {
  return guest.image ?? `/var/xen/${guest.name}.img`;
}

/** The guest's hostname. */
export function guestHostname(guest: GuestAnswers): string {
  return guest.hostname ?? guest.name.replace(/_/g, '-');
}

/** A kernel version as in /boot file names (vmlinuz-VERSION-xen0): no /, no "..". */
export const KERNEL_VERSION = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._+-]*$/;
export const KERNEL_VERSION_EXPECTED =
  'a kernel version such as 6.12.58-gentoo (letters, digits, . _ + -; no "..")';

export function isKernelVersion(value: string): boolean {
  return KERNEL_VERSION.test(value);
}

/** Which of the HOWTO's three ways of building the kernel the answers choose. */
export type KernelMethod = 'split' | 'single' | 'genkernel';

export function kernelMethod(answers: KernelAnswers): KernelMethod {
  if (answers.genkernel === 'yes') return 'genkernel';
  return answers.split === 'yes' ? 'split' : 'single';
}
