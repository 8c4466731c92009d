import type { DoctorCheck, DoctorContext, CheckResult } from './check.js';
import { cpuVirtCheck } from './checks/cpu-virt.js';
import { dom0MemCheck } from './checks/dom0-mem.js';
import { dom0NetworkCheck } from './checks/dom0-network.js';
import { netStrictCheck, requiredModulesCheck } from './checks/from-steps.js';
import { grub2XenEntryCheck } from './checks/grub2-xen-entry.js';
import { kernelConfigCheck } from './checks/kernel-config.js';
import { serialConsoleCheck } from './checks/serial-console.js';
import { dhcpcdCheck } from './checks/dhcpcd.js';
import { gccTlsCheck } from './checks/gcc-tls.js';
import { hardenedCheck } from './checks/hardened.js';
import { kernelElfNotesCheck } from './checks/kernel-elf-notes.js';
import { libTlsCheck } from './checks/lib-tls.js';
import { mfpmathCheck } from './checks/mfpmath.js';
import { uefiCheck } from './checks/uefi.js';

export * from './check.js';
export * from './kernel-image.js';
export { readXenBootEntries, legacyXenEntries, grub2XenEntries, type XenBootEntry } from './boot-entries.js';
export { isFloodingDhcpcd } from './checks/dhcpcd.js';
export { routedInterfaces } from './checks/dom0-network.js';
export { configBeside, configVersion, findDom0KernelConfig } from './dom0-configs.js';

/**
 * Every check of the HOWTO's Troubleshooting section, in the section's order. A new check is a
 * module exporting a {@link DoctorCheck}, added here.
 */
export const DOCTOR_CHECKS: readonly DoctorCheck<never>[] = [
  serialConsoleCheck,
  kernelElfNotesCheck,
  requiredModulesCheck,
  mfpmathCheck,
  gccTlsCheck,
  hardenedCheck,
  libTlsCheck,
  netStrictCheck,
  dhcpcdCheck,
  dom0NetworkCheck,
  dom0MemCheck,
  grub2XenEntryCheck,
  kernelConfigCheck,
  cpuVirtCheck,
  uefiCheck,
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
