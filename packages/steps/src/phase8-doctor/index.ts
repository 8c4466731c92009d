import type { DoctorCheck, DoctorContext, CheckResult } from './check.js';
import { cpuVirtCheck } from './checks/cpu-virt.js';
import { dhcpcdCheck } from './checks/dhcpcd.js';
import { gccTlsCheck } from './checks/gcc-tls.js';
import { hardenedCheck } from './checks/hardened.js';
import { kernelElfNotesCheck } from './checks/kernel-elf-notes.js';
import { libTlsCheck } from './checks/lib-tls.js';
import { mfpmathCheck } from './checks/mfpmath.js';

export * from './check.js';
export * from './kernel-image.js';
export { readXenBootEntries, legacyXenEntries, grub2XenEntries, type XenBootEntry } from './boot-entries.js';
export { isFloodingDhcpcd } from './checks/dhcpcd.js';

/**
 * Every check of the HOWTO's Troubleshooting section, in the section's order. A new check is a
 * module exporting a {@link DoctorCheck}, added here.
 */
export const DOCTOR_CHECKS: readonly DoctorCheck<never>[] = [
  kernelElfNotesCheck,
  mfpmathCheck,
  gccTlsCheck,
  hardenedCheck,
  libTlsCheck,
  dhcpcdCheck,
  cpuVirtCheck,
] as unknown as DoctorCheck<never>[];

/** Run every check (or those of `only`) over the target, in order. */
export async function runDoctor(
  ctx: DoctorContext,
  checks: readonly DoctorCheck<never>[] = DOCTOR_CHECKS,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks as readonly DoctorCheck<unknown>[]) {
    const finding = check.judge(await check.detect(ctx));
    results.push({ id: check.id, title: check.title, howtoSection: check.howtoSection, ...finding });
  }
  return results;
}
