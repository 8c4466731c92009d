import { InputError, type View } from '@xen-gentoo/core';
import {
  EFI_GLOBAL_GUID,
  parseEfiBootEntry,
  parseEfiBootOrder,
  parseSecureBoot,
  peSigned,
  XEN_EFI_CONFIG_NAME,
  XEN_EFI_DIR,
  type EfiBootEntry,
} from '@xen-gentoo/bootloader';
import type { BootAnswers } from '../answers/boot.js';
import type { Era } from '../system.js';

/**
 * How the machine starts (BIOS or UEFI), where its EFI system partition is, whether Secure Boot
 * is on, and what the ESP and the firmware already hold for Xen. Read through the view only.
 */
export interface FirmwareFacts {
  /** The target is the running system (efivars and /proc/mounts are its own). */
  live: boolean;
  /** Live system: /sys/firmware/efi exists (the kernel was started by UEFI). */
  efiRuntime: boolean | undefined;
  /** Live system: the SecureBoot variable as Xen reads it; undefined when efivars are not readable. */
  secureBoot: boolean | undefined;
  esp: EspFacts | undefined;
  /** Live system with efivars: the firmware's Boot#### entries and BootOrder. */
  bootEntries: EfiBootEntry[] | undefined;
  bootOrder: number[] | undefined;
  /** The installed sys-boot/grub's USE has grub_platforms_efi-64 (undefined: not installed / unknown). */
  grubEfi64: boolean | undefined;
  /** Xen's EFI binaries the installed xen put on the target: path → whether it is signed. */
  xenEfiImages: { path: string; signed: boolean | undefined; size: number; mtimeMs: number }[];
}

export interface EspFacts {
  /** Mount point in the target. */
  mount: string;
  /** Where the mount point came from. */
  source: 'answers' | 'mounts' | 'fstab';
  fstype: string | undefined;
  /** The partition's device as the system names it (/dev/nvme0n1p1), when known. */
  device: string | undefined;
  /** The device as /etc/fstab or /proc/mounts writes it (may be UUID=…). */
  spec: string | undefined;
  /** Names in the mount point (an empty directory on a mounted root: not mounted). */
  topLevel: string[] | undefined;
  /** The files in ESP/EFI/xen: name → size and mtime. */
  xenDir: Record<string, { size: number; mtimeMs: number }> | undefined;
  /** ESP/EFI/xen/xen.cfg. */
  config: string | undefined;
}

/** Where distributions mount the ESP, most specific first. */
export const ESP_MOUNTS = ['/boot/efi', '/efi', '/boot'] as const;

const EFIVARS = '/sys/firmware/efi/efivars';

/** Mount table lines (fstab or /proc/mounts): spec, mount point, type; comments skipped. */
function mountLines(text: string | undefined): { spec: string; mount: string; type: string }[] {
  return (text ?? '').split('\n').flatMap((line) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return [];
    const [spec, mount, type] = t.split(/\s+/);
    return spec && mount && type ? [{ spec, mount: mount.replace(/\/+$/, '') || '/', type }] : [];
  });
}

function isVfat(type: string): boolean {
  return type === 'vfat' || type === 'msdos' || type === 'fat';
}

/** UUID=, PARTUUID=, LABEL= through /dev/disk/by-*; a /dev path as it is. Live system only. */
async function resolveDevice(
  view: View,
  spec: string | undefined,
  live: boolean,
): Promise<string | undefined> {
  if (!spec) return undefined;
  if (spec.startsWith('/dev/')) {
    if (!live) return spec;
    const link = await view.readlink(spec);
    if (link === undefined) return spec;
    return resolveLink(spec, link);
  }
  if (!live) return undefined;
  const m = /^(UUID|PARTUUID|LABEL|PARTLABEL)=(.+)$/.exec(spec);
  if (!m?.[1] || !m[2]) return undefined;
  const dir = `/dev/disk/by-${m[1].toLowerCase()}`;
  const link = await view.readlink(`${dir}/${m[2]}`);
  return link === undefined ? undefined : resolveLink(`${dir}/${m[2]}`, link);
}

function resolveLink(from: string, link: string): string {
  if (link.startsWith('/')) return link;
  const parts = from.split('/').slice(0, -1);
  for (const p of link.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.' && p !== '') parts.push(p);
  }
  return parts.join('/');
}

async function detectEsp(view: View, a: BootAnswers, live: boolean): Promise<EspFacts | undefined> {
  const fstab = mountLines(await view.readFile('/etc/fstab'));
  const mounts = live ? mountLines(await view.readFile('/proc/mounts')) : [];
  let found: { mount: string; source: EspFacts['source']; type?: string; spec?: string } | undefined;
  if (a.esp) {
    const m = mounts.find((l) => l.mount === a.esp) ?? fstab.find((l) => l.mount === a.esp);
    found = { mount: a.esp, source: 'answers', ...(m ? { type: m.type, spec: m.spec } : {}) };
  } else {
    for (const mount of ESP_MOUNTS) {
      const live = mounts.find((l) => l.mount === mount && isVfat(l.type));
      if (live) {
        found = { mount, source: 'mounts', type: live.type, spec: live.spec };
        break;
      }
      const fs = fstab.find((l) => l.mount === mount && isVfat(l.type));
      if (fs) {
        found = { mount, source: 'fstab', type: fs.type, spec: fs.spec };
        break;
      }
    }
  }
  if (!found) return undefined;
  const device = a.esp_device ?? (await resolveDevice(view, found.spec, live));
  const xenDirPath = `${found.mount}/${XEN_EFI_DIR}`;
  const names = await view.list(xenDirPath);
  let xenDir: EspFacts['xenDir'];
  if (names) {
    xenDir = {};
    for (const name of names) {
      const s = await view.stat(`${xenDirPath}/${name}`);
      if (s?.kind === 'file') xenDir[name] = { size: s.size, mtimeMs: s.mtimeMs };
    }
  }
  return {
    mount: found.mount,
    source: found.source,
    fstype: found.type,
    device,
    spec: found.spec,
    topLevel: await view.list(found.mount),
    xenDir,
    config: await view.readFile(`${xenDirPath}/${XEN_EFI_CONFIG_NAME}`),
  };
}

async function efiVariable(view: View, name: string): Promise<Uint8Array | undefined> {
  return view.readBytes(`${EFIVARS}/${name}-${EFI_GLOBAL_GUID}`, 64 * 1024);
}

/** Where app-emulation/xen with USE=uefi puts xen.efi (Xen's EFI_DIR, and /boot/efi/<vendor> of Gentoo's ebuild). */
const XEN_EFI_SOURCES = ['/usr/lib64/efi', '/usr/lib/efi', '/boot/efi/gentoo', '/boot'];

async function detectXenEfiImages(view: View): Promise<FirmwareFacts['xenEfiImages']> {
  const out: FirmwareFacts['xenEfiImages'] = [];
  for (const dir of XEN_EFI_SOURCES) {
    for (const name of (await view.list(dir)) ?? []) {
      if (!/^xen(?:-\d[^/]*)?\.efi$/.test(name)) continue;
      const path = `${dir}/${name}`;
      const s = await view.stat(path);
      if (s?.kind !== 'file' && s?.kind !== 'symlink') continue;
      // the whole image (a few MiB); one too large to read is taken as of unknown signature
      const head = await view.readBytes(path, 64 * 1024 * 1024).catch((e: unknown) => {
        if (e instanceof InputError) return undefined;
        throw e;
      });
      const link = s.kind === 'symlink' ? await view.readlink(path) : undefined;
      const target = link === undefined ? s : await view.stat(link.startsWith('/') ? link : `${dir}/${link}`);
      if (link !== undefined && target?.kind !== 'file') continue;
      out.push({
        path,
        signed: head ? peSigned(head) : undefined,
        size: target?.size ?? s.size,
        mtimeMs: target?.mtimeMs ?? s.mtimeMs,
      });
    }
  }
  return out;
}

export async function detectFirmware(
  view: View,
  a: BootAnswers,
  grubVersion: string | undefined,
): Promise<FirmwareFacts> {
  const live = view.root === '/';
  const efiRuntime = live ? (await view.stat('/sys/firmware/efi'))?.kind === 'directory' : undefined;
  let secureBoot: boolean | undefined;
  let bootEntries: EfiBootEntry[] | undefined;
  let bootOrder: number[] | undefined;
  if (live && efiRuntime) {
    const names = await view.list(EFIVARS);
    if (names) {
      secureBoot = parseSecureBoot(await efiVariable(view, 'SecureBoot'));
      const order = await efiVariable(view, 'BootOrder');
      bootOrder = order ? parseEfiBootOrder(order) : [];
      bootEntries = [];
      for (const name of names) {
        const m = /^Boot([0-9A-Fa-f]{4})-/.exec(name);
        if (!m?.[1] || !name.toLowerCase().endsWith(EFI_GLOBAL_GUID)) continue;
        const bytes = await view.readBytes(`${EFIVARS}/${name}`, 64 * 1024);
        const entry = bytes ? parseEfiBootEntry(parseInt(m[1], 16), bytes) : undefined;
        if (entry) bootEntries.push(entry);
      }
    }
  }
  const use = grubVersion ? await view.readFile(`/var/db/pkg/sys-boot/grub-${grubVersion}/USE`) : undefined;
  return {
    live,
    efiRuntime,
    secureBoot,
    esp: await detectEsp(view, a, live),
    bootEntries,
    bootOrder,
    grubEfi64: use === undefined ? undefined : use.split(/\s+/).includes('grub_platforms_efi-64'),
    xenEfiImages: await detectXenEfiImages(view),
  };
}

export interface FirmwareChoice {
  uefi: boolean;
  /** Why, in words (shown in the plan). */
  why: string;
}

/** Whether the target starts through UEFI, and why the tool thinks so. */
export function resolveFirmware(f: FirmwareFacts, era: Era, a: BootAnswers): FirmwareChoice {
  if (era === 'legacy')
    return { uefi: false, why: 'a 2007 host starts through BIOS (UEFI came to PCs later)' };
  if (a.firmware === 'uefi') return { uefi: true, why: '[boot] firmware = uefi' };
  if (a.firmware === 'bios') return { uefi: false, why: '[boot] firmware = bios' };
  if (f.live)
    return f.efiRuntime
      ? { uefi: true, why: '/sys/firmware/efi exists' }
      : { uefi: false, why: 'no /sys/firmware/efi: the running system was started through BIOS (or CSM)' };
  if (f.esp)
    return {
      uefi: true,
      why:
        f.esp.source === 'answers'
          ? `[boot] esp = ${f.esp.mount}`
          : `/etc/fstab mounts an EFI system partition (${f.esp.fstype ?? 'vfat'}) at ${f.esp.mount}`,
    };
  return {
    uefi: false,
    why: '/etc/fstab mounts no EFI system partition: no vfat at /boot/efi, /efi or /boot',
  };
}

/** The firmware facts in one clause for the plan: "UEFI (…); ESP /boot/efi (vfat, /dev/sda1); Secure Boot off". */
export function describeFirmware(f: FirmwareFacts, choice: FirmwareChoice): string {
  if (!choice.uefi) return `BIOS host (${choice.why})`;
  const esp = f.esp
    ? `ESP ${f.esp.mount} (${[f.esp.fstype, f.esp.device ?? f.esp.spec].filter(Boolean).join(', ')})`
    : 'no EFI system partition found (vfat at /boot/efi, /efi or /boot in /etc/fstab)';
  const sb =
    f.secureBoot === undefined
      ? f.live
        ? 'Secure Boot unknown (efivars not readable)'
        : 'Secure Boot not visible from a mounted root'
      : `Secure Boot ${f.secureBoot ? 'on' : 'off'}`;
  return `UEFI host (${choice.why}); ${esp}; ${sb}`;
}
