import { compareVersions } from '@xen-gentoo/make-conf';
import type { EbuildInfo } from '../system.js';

/** The newest ebuild with a stable keyword for the arch. */
export function newestStable(ebuilds: EbuildInfo[], arch: string): EbuildInfo | undefined {
  return ebuilds.filter((e) => e.keywords.includes(arch)).at(-1);
}

/** The newest ebuild with a stable or testing keyword for the arch. */
export function newestTesting(ebuilds: EbuildInfo[], arch: string): EbuildInfo | undefined {
  return ebuilds.filter((e) => e.keywords.includes(arch) || e.keywords.includes(`~${arch}`)).at(-1);
}

/** Whether the arch is explicitly excluded (`-x86`) by every ebuild. */
export function excludedEverywhere(ebuilds: EbuildInfo[], arch: string): boolean {
  return (
    ebuilds.length > 0 && ebuilds.every((e) => e.keywords.includes(`-${arch}`) || e.keywords.includes('-*'))
  );
}

export function versionAtLeast(version: string | undefined, floor: string): boolean {
  return version !== undefined && compareVersions(version, floor) >= 0;
}

export function versionBelow(version: string | undefined, ceiling: string): boolean {
  return version !== undefined && compareVersions(version, ceiling) < 0;
}
