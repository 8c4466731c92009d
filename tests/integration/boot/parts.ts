import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real components the boot tests use, as prepared by tests/integration/setup/boot.sh. */
export interface BootParts {
  root: string;
  xen: string;
  kernelVersion: string;
  vmlinuz: string;
  modules: string;
  busybox: string;
  pxelinux: string;
  syslinuxModules: string;
  /** Xen's EFI loader (xen.efi) from the same package as `xen`. */
  xenEfi: string;
  /** OVMF, the UEFI firmware for QEMU (`-bios`). */
  ovmf: string;
}

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SETUP = join(REPO, 'tests', 'integration', 'setup', 'boot.sh');

let cached: BootParts | undefined;

/**
 * Run the setup script (idempotent: a no-op when everything is in the cache) and read the
 * KEY=VALUE lines it prints. Set XG_BOOT_NO_SETUP=1 to only use what is already there.
 */
export function bootParts(): BootParts {
  if (cached) return cached;
  const args = process.env.XG_BOOT_NO_SETUP ? ['--print'] : [];
  const out = execFileSync(SETUP, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const env = new Map(
    out
      .split('\n')
      .map((l) => /^(XG_[A-Z_]+)=(.*)$/.exec(l))
      .flatMap((m) => (m ? [[m[1] ?? '', m[2] ?? ''] as const] : [])),
  );
  const get = (k: string): string => {
    const v = env.get(k);
    if (!v) throw new Error(`${SETUP} did not print ${k}`);
    return v;
  };
  cached = {
    root: get('XG_BOOT_ROOT'),
    xen: get('XG_XEN'),
    kernelVersion: get('XG_KERNEL_VERSION'),
    vmlinuz: get('XG_VMLINUZ'),
    modules: get('XG_MODULES'),
    busybox: get('XG_BUSYBOX'),
    pxelinux: get('XG_PXELINUX'),
    syslinuxModules: get('XG_SYSLINUX_MODULES'),
    xenEfi: get('XG_XEN_EFI'),
    ovmf: get('XG_OVMF'),
  };
  for (const [k, v] of Object.entries(cached) as Array<[string, string]>) {
    if (k === 'kernelVersion') continue;
    if (!existsSync(v)) throw new Error(`boot part ${k} missing: ${v}`);
  }
  return cached;
}

/** Whether a program is on PATH. */
export function haveTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
