import type { TargetReader } from '@xen-gentoo/core';

/** Where the running kernel tells whether it is Xen's control domain. */
export const XEN_CAPABILITIES = '/proc/xen/capabilities';
export const HYPERVISOR_TYPE = '/sys/hypervisor/type';
export const PROC_CMDLINE = '/proc/cmdline';
export const PROC_VERSION = '/proc/version';

/**
 * What the running system says about Xen:
 * - `dom0`: it runs as Xen's control domain (`/proc/xen/capabilities` holds `control_d`, and
 *   `/sys/hypervisor/type`, where the kernel has it, is `xen`), as every Xen init script and unit
 *   checks before it starts.
 * - `underXen`: it runs on the Xen hypervisor at all (dom0 or a guest).
 * - `xenfsUnmounted`: Xen is there but `/proc/xen` holds no capabilities file, so whether this is
 *   dom0 cannot be read until xenfs is mounted (today's kernels mount it only through xencommons
 *   or proc-xen.mount; Xen's own scripts do `mount -t xenfs xenfs /proc/xen`).
 * - `kernelRelease` and `cmdline`: which kernel booted and how, to tell a boot of the plain kernel.
 * - `evidence`: one line per file read, what it held.
 */
export interface Dom0Facts {
  dom0: boolean;
  underXen: boolean;
  xenfsUnmounted: boolean;
  capabilities: string | undefined;
  hypervisorType: string | undefined;
  kernelRelease: string | undefined;
  cmdline: string | undefined;
  /** The BOOT_IMAGE= a boot loader put on the kernel command line (GRUB does for plain Linux entries). */
  bootImage: string | undefined;
  evidence: string[];
}

/** The words of /proc/xen/capabilities (comma- or space-separated; the kernel writes "control_d"). */
export function capabilityWords(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** "6.12.58-gentoo" from /proc/version's "Linux version 6.12.58-gentoo (…) #1 SMP …". */
export function kernelReleaseOf(procVersion: string): string | undefined {
  return /^Linux version (\S+)/.exec(procVersion)?.[1];
}

/** The value of BOOT_IMAGE= on a kernel command line. */
export function bootImageOf(cmdline: string): string | undefined {
  return /(?:^|\s)BOOT_IMAGE=(\S+)/.exec(cmdline)?.[1];
}

/** Read the running system's Xen facts through the view (works on a mounted root too: no /proc there, not dom0). */
export async function detectDom0(view: TargetReader): Promise<Dom0Facts> {
  const capabilities = await view.readFile(XEN_CAPABILITIES);
  const typeText = await view.readFile(HYPERVISOR_TYPE);
  const versionText = await view.readFile(PROC_VERSION);
  const cmdlineText = await view.readFile(PROC_CMDLINE);
  const procXen = (await view.stat('/proc/xen'))?.kind === 'directory';
  return dom0From({
    capabilities,
    hypervisorType: typeText,
    procVersion: versionText,
    cmdline: cmdlineText,
    procXen,
  });
}

/** The decision of detectDom0 from the files' texts (undefined: the file is not there). */
export function dom0From(files: {
  capabilities: string | undefined;
  hypervisorType: string | undefined;
  procVersion?: string | undefined;
  cmdline?: string | undefined;
  /** /proc/xen exists (the kernel has Xen support even when xenfs is not mounted on it). */
  procXen?: boolean;
}): Dom0Facts {
  const evidence: string[] = [];
  const type = files.hypervisorType?.trim();
  const caps = files.capabilities === undefined ? undefined : capabilityWords(files.capabilities);
  const control = caps?.includes('control_d') ?? false;

  if (type === undefined) evidence.push(`${HYPERVISOR_TYPE} is missing`);
  else evidence.push(`${HYPERVISOR_TYPE} is "${type}"`);
  if (caps === undefined)
    evidence.push(
      `${XEN_CAPABILITIES} is missing${files.procXen ? ' (/proc/xen is there: xenfs is not mounted)' : ''}`,
    );
  else if (control) evidence.push(`${XEN_CAPABILITIES} holds control_d`);
  else
    evidence.push(
      `${XEN_CAPABILITIES} holds ${caps.length ? `"${caps.join(' ')}"` : 'nothing'}, not control_d`,
    );

  // A hypervisor type other than xen rules Xen out, whatever /proc/xen says.
  const typeAllows = type === undefined || type === 'xen';
  const dom0 = control && typeAllows;
  const underXen = type === 'xen' || (typeAllows && caps !== undefined);
  const xenfsUnmounted = underXen && caps === undefined;

  const kernelRelease = files.procVersion === undefined ? undefined : kernelReleaseOf(files.procVersion);
  const cmdline = files.cmdline?.trim();
  const bootImage = cmdline === undefined ? undefined : bootImageOf(cmdline);
  if (kernelRelease) evidence.push(`running Linux ${kernelRelease} (${PROC_VERSION})`);
  if (cmdline !== undefined) evidence.push(`${PROC_CMDLINE}: ${cmdline || '(empty)'}`);

  return {
    dom0,
    underXen,
    xenfsUnmounted,
    capabilities: files.capabilities,
    hypervisorType: type,
    kernelRelease,
    cmdline,
    bootImage,
    evidence,
  };
}

/** One sentence on what the running system is, from its Xen facts. */
export function describeDom0(f: Dom0Facts): string {
  if (f.dom0) return `this system runs as Xen's dom0 (${f.evidence.slice(0, 2).join('; ')})`;
  if (f.xenfsUnmounted)
    return `this system runs under Xen, but ${XEN_CAPABILITIES} is missing: mount xenfs (mount -t xenfs xenfs /proc/xen) to tell dom0 from a guest`;
  if (f.underXen)
    return `this system runs under Xen as a guest (domU), not as dom0 (${f.evidence.slice(0, 2).join('; ')})`;
  const kernel = f.kernelRelease ? `Linux ${f.kernelRelease}` : 'its kernel';
  return `this system runs ${kernel} without Xen (${f.evidence.slice(0, 2).join('; ')})`;
}
