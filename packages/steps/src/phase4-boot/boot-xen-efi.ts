import { defineStep, shellQuote, type Change, type StepPlan } from '@xen-gentoo/core';
import {
  buildXenEntry,
  efibootmgrCreateArgv,
  mergeXenEfiConfig,
  sameEfiPath,
  splitPartition,
  XEN_EFI_CONFIG_NAME,
  XEN_EFI_DIR,
  XEN_EFI_LOADER,
  XEN_EFI_NAME,
  type XenEntry,
} from '@xen-gentoo/bootloader';
import { compareKernelVersions } from '@xen-gentoo/kernel-config';
import type { Answers } from '../answers/index.js';
import { describeFirmware, resolveFirmware, type FirmwareFacts } from './firmware.js';
import {
  blockedByBootConfigError,
  chooseLoader,
  LOADER_NAMES,
  resolveEntryInputs,
  type EntryInputs,
} from './resolve.js';
import { detectBootFromAnswers, type BootTarget } from './target.js';

/**
 * `[boot] loader = xen-efi`: the UEFI firmware starts Xen's own EFI loader. xen.efi (what
 * app-emulation/xen installs with USE=uefi), its xen.cfg, the dom0 kernel and initramfs go into
 * EFI/xen on the EFI system partition, and a firmware boot entry (efibootmgr --create) starts it.
 * The answers that shape every entry (dom0_mem, the serial console, extra options) apply here too.
 */

export const XEN_EFI_USE_REASON =
  'add "app-emulation/xen uefi" to /etc/portage/package.use and emerge app-emulation/xen again (USE=uefi builds xen.efi)';

/** Where app-emulation/xen with USE=uefi installs xen.efi on amd64. */
const PREDICTED_XEN_EFI = '/usr/lib64/efi/xen.efi';

/** The xen.efi to copy: the unversioned one of Xen's EFI directory first, else the newest. */
function chooseImage(f: FirmwareFacts, espXenDir: string): FirmwareFacts['xenEfiImages'][number] | undefined {
  const images = f.xenEfiImages.filter((i) => !i.path.startsWith(`${espXenDir}/`));
  const version = (p: string): string => /xen-(\d[^/]*)\.efi$/.exec(p)?.[1] ?? '0';
  return (
    images.find((i) => i.path.endsWith('/xen.efi')) ??
    [...images].sort((a, b) => compareKernelVersions(version(a.path), version(b.path))).at(-1)
  );
}

/** The ESP copy is current: there, same size, not older than its source. */
function fresh(
  have: { size: number; mtimeMs: number } | undefined,
  source: { size: number; mtimeMs: number } | undefined,
): boolean {
  if (!have) return false;
  if (!source) return true;
  // FAT keeps modification times to 2 s
  return have.size === source.size && have.mtimeMs + 2000 >= source.mtimeMs;
}

function entryOf(v: EntryInputs): XenEntry {
  return buildXenEntry({
    title: v.title,
    xenPath: XEN_EFI_NAME,
    kernelPath: v.kernel.file,
    ...(v.initrd ? { initrdPath: v.initrd } : {}),
    dom0Mem: v.dom0Mem.text,
    ...(v.root ? { rootDevice: v.root } : {}),
    ...(v.serial ? { serial: v.serial } : {}),
    noreboot: v.noreboot,
    xenArgs: v.xenArgs,
    kernelArgs: v.kernelArgs,
  });
}

export function planBootXenEfi(t: BootTarget, answers: Answers): StepPlan {
  const a = answers.boot;
  const f = t.firmware;
  if (t.era === 'legacy') {
    return {
      status: 'not-applicable',
      reason:
        'UEFI came to PCs after the HOWTO: a 2007 host starts through BIOS, and Xen 3 has no EFI loader',
    };
  }
  const firmware = resolveFirmware(f, t.era, a);
  const facts = describeFirmware(f, firmware);
  if (a.loader !== 'xen-efi') {
    const loader = chooseLoader(t, a);
    const other = loader.ok ? `the host boots with ${LOADER_NAMES[loader.value]}` : 'no loader chosen yet';
    return {
      status: 'not-applicable',
      reason: firmware.uefi
        ? `${facts}; ${other}; [boot] loader = xen-efi starts Xen from the firmware directly`
        : `${facts}: xen.efi needs UEFI ([boot] firmware = uefi if the machine has it)`,
    };
  }
  if (!firmware.uefi) {
    return {
      status: 'blocked',
      reason: `[boot] loader = xen-efi needs a UEFI machine: ${facts}; set [boot] firmware = uefi if it is one`,
    };
  }
  const esp = f.esp;
  if (!esp) {
    return {
      status: 'blocked',
      reason:
        'no EFI system partition: /etc/fstab mounts no vfat file system at /boot/efi, /efi or /boot; add it (and mount it), or set [boot] esp',
    };
  }
  if (esp.fstype !== undefined && !/^(vfat|msdos|fat)$/.test(esp.fstype)) {
    return {
      status: 'blocked',
      reason: `${esp.mount} is ${esp.fstype}, not vfat: the firmware reads the EFI system partition as FAT`,
    };
  }
  if (!f.live && (esp.topLevel === undefined || esp.topLevel.length === 0)) {
    return {
      status: 'blocked',
      reason: `the EFI system partition looks unmounted (${esp.mount} is ${esp.topLevel === undefined ? 'missing' : 'empty'}): mount it there, then plan again`,
    };
  }
  const xenDir = `${esp.mount}/${XEN_EFI_DIR}`;
  // Not built yet: emerge-xen builds Xen with USE=uefi for this loader (or rebuilds it so).
  const coming = t.xenComing && t.xenUefi !== true;
  const image =
    chooseImage(f, xenDir) ??
    (coming ? { path: PREDICTED_XEN_EFI, signed: undefined, size: 0, mtimeMs: 0 } : undefined);
  if (!image) {
    return {
      status: 'blocked',
      reason: `no xen.efi (looked in /usr/lib64/efi, /usr/lib/efi, /boot/efi/gentoo, /boot): ${XEN_EFI_USE_REASON}`,
    };
  }
  if (f.secureBoot && image.signed !== true) {
    return {
      status: 'blocked',
      reason: `Secure Boot is on and ${image.path} is not signed, so the firmware will refuse it: sign it with a key the firmware trusts (sbsign --key db.key --cert db.crt ${image.path}), or turn Secure Boot off in the firmware setup`,
    };
  }
  const inputs = resolveEntryInputs(t, a, { needRoot: true });
  if (!inputs.ok) return { status: 'blocked', reason: inputs.reason };
  const v = inputs.value;
  const warnings = [...inputs.warnings];
  if (image.path === PREDICTED_XEN_EFI && image.size === 0)
    warnings.push(
      `${PREDICTED_XEN_EFI} is not there yet: emerge-xen builds Xen with USE=uefi ([boot] loader = xen-efi), which installs it`,
    );
  try {
    const entry = entryOf(v);
    const cfgPath = `${xenDir}/${XEN_EFI_CONFIG_NAME}`;
    const merged = mergeXenEfiConfig(esp.config ?? null, entry, { file: cfgPath });
    warnings.push(...merged.warnings);
    const have = esp.xenDir ?? {};
    const copies: { from: string; name: string; source: { size: number; mtimeMs: number } | undefined }[] = [
      { from: image.path, name: XEN_EFI_NAME, source: image },
      { from: `/boot/${v.kernel.file}`, name: v.kernel.file, source: t.bootStats[v.kernel.file] },
      ...(v.initrd ? [{ from: `/boot/${v.initrd}`, name: v.initrd, source: t.bootStats[v.initrd] }] : []),
    ];
    const stale = copies.filter((c) => !fresh(have[c.name], c.source));
    const loaderEntry = f.bootEntries?.find(
      (e) => e.loader !== undefined && sameEfiPath(e.loader, XEN_EFI_LOADER),
    );
    const device = esp.device ? splitPartition(esp.device) : undefined;
    const changes: Change[] = [];
    if (esp.xenDir === undefined) changes.push({ kind: 'directory', path: xenDir });
    for (const c of stale) {
      changes.push({
        kind: 'command',
        argv: ['cp', '--', c.from, `${xenDir}/${c.name}`],
        why:
          c.name === XEN_EFI_NAME
            ? 'the firmware starts Xen from the EFI system partition'
            : "xen.efi loads the dom0 files from its own directory on the EFI system partition (the firmware cannot read /boot's file system)",
        inRoot: true,
      });
    }
    if (merged.action !== 'unchanged')
      changes.push({ kind: 'file', path: cfgPath, before: esp.config ?? null, after: merged.text });
    const what = [
      ...(stale.length > 0 ? [`copy ${stale.map((c) => c.name).join(', ')} to ${xenDir}`] : []),
      ...(merged.action === 'created' ? [`write ${cfgPath} ([${merged.section}])`] : []),
      ...(merged.action === 'updated' ? [`update [${merged.section}] in ${cfgPath}`] : []),
    ];
    // The firmware's boot entry: visible on the running system only.
    if (f.bootEntries !== undefined) {
      if (loaderEntry) {
        if (!loaderEntry.active)
          warnings.push(
            `the firmware entry Boot${loaderEntry.number.toString(16).toUpperCase().padStart(4, '0')} for ${XEN_EFI_LOADER} is inactive: efibootmgr --bootnum ${loaderEntry.number.toString(16).toUpperCase().padStart(4, '0')} --active`,
          );
      } else if (!device) {
        return {
          status: 'blocked',
          reason: `${facts}: the firmware needs a boot entry for ${XEN_EFI_LOADER}, and the ESP's disk and partition are unknown (${esp.device ?? esp.spec ?? 'no device'}): set [boot] esp_device (e.g. /dev/nvme0n1p1)`,
        };
      } else {
        changes.push({
          kind: 'command',
          argv: efibootmgrCreateArgv({ ...device, label: v.title }),
          why: `adds the firmware boot entry "${v.title}" for ${XEN_EFI_LOADER} and puts it first in BootOrder; the other entries stay, in their order, after it`,
          inRoot: true,
        });
        what.push(`add the firmware boot entry "${v.title}" (efibootmgr)`);
      }
    } else {
      // quoted for the shell: the loader's backslashes and the label's spaces are part of them
      const command = (
        device
          ? efibootmgrCreateArgv({ ...device, label: v.title })
          : [
              'efibootmgr',
              '--create',
              '--disk',
              'DISK',
              '--part',
              'N',
              '--loader',
              XEN_EFI_LOADER,
              '--label',
              v.title,
            ]
      )
        .map(shellQuote)
        .join(' ');
      if (changes.length > 0)
        changes.push({
          kind: 'manual',
          text: `On the machine itself (booted, or in the chroot of its installation), add the firmware boot entry: ${command}`,
        });
      warnings.push(
        `the firmware's boot entries cannot be seen from a mounted root: on the machine, efibootmgr lists them (the entry for ${XEN_EFI_LOADER} is made with: ${command})`,
      );
    }
    if (changes.length === 0) {
      return {
        status: 'done',
        reason: [
          `${facts}; ${xenDir} has ${XEN_EFI_NAME}, ${XEN_EFI_CONFIG_NAME} ([${merged.section}] boots ${v.kernel.file}) and the dom0 files`,
          ...(loaderEntry
            ? [
                `the firmware entry Boot${loaderEntry.number.toString(16).toUpperCase().padStart(4, '0')} "${loaderEntry.label}" starts it`,
              ]
            : []),
        ].join('; '),
        warnings,
      };
    }
    return { status: 'pending', reason: `${facts}: ${what.join(', ')}`, changes, warnings };
  } catch (e) {
    return blockedByBootConfigError(e);
  }
}

export const bootXenEfiStep = defineStep<Answers, BootTarget>({
  id: 'boot-xen-efi',
  title: "Boot Xen from UEFI with Xen's own EFI loader (xen.efi)",
  phase: 'Updating your boot loader',
  howtoSection: 'Updating your boot loader',
  after: ['emerge-xen', 'kernel-build', 'dom0-mem'],
  detect: detectBootFromAnswers,
  plan: planBootXenEfi,
});
