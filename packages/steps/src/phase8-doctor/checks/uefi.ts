import {
  readXenEfiSection,
  sameEfiPath,
  XEN_EFI_DIR,
  XEN_EFI_LOADER,
  XEN_EFI_NAME,
} from '@xen-gentoo/bootloader';
import type { BootAnswers } from '../../answers/boot.js';
import {
  describeFirmware,
  detectFirmware,
  resolveFirmware,
  type FirmwareFacts,
} from '../../phase4-boot/firmware.js';
import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { defineCheck, type Finding } from '../check.js';

export interface UefiFacts {
  era: Era;
  boot: BootAnswers;
  firmware: FirmwareFacts;
}

const FIX = {
  howto: 'the HOWTO predates UEFI: its machines start through BIOS',
  today:
    'mount the EFI system partition (its /etc/fstab line, e.g. /boot/efi vfat); with [boot] loader = xen-efi, `xen-gentoo apply --only boot-xen-efi` copies xen.efi, xen.cfg and the dom0 files to ESP/EFI/xen and adds the firmware entry with `efibootmgr --create`; GRUB 2 needs GRUB_PLATFORMS="efi-64" and `grub-install --target=x86_64-efi --efi-directory=/boot/efi`',
};

/**
 * UEFI hosts: the ESP is mounted, the files the xen.cfg on it names are there (xen.efi, the dom0
 * kernel, the ramdisk), the firmware has a boot entry for xen.efi (on the running system, where
 * efivars show it), and an installed GRUB 2 has its EFI platform.
 */
export const uefiCheck = defineCheck<UefiFacts>({
  id: 'uefi',
  title: 'UEFI: the EFI system partition, xen.efi and the firmware boot entry',
  howtoSection: 'Troubleshooting',
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    return {
      era: sys.era,
      boot: answers.boot,
      firmware: await detectFirmware(view, answers.boot, sys.installedVersion('sys-boot/grub')),
    };
  },
  judge({ era: eraName, boot, firmware: f }): Finding {
    const choice = resolveFirmware(f, eraName, boot);
    const era = {
      era: eraName,
      matters: eraName === 'modern',
      why:
        eraName === 'legacy'
          ? 'a 2007 host starts through BIOS'
          : 'most machines start through UEFI today: the firmware reads the EFI system partition',
    };
    if (!choice.uefi) return { status: 'not-applicable', found: describeFirmware(f, choice), era, fix: FIX };
    const facts = describeFirmware(f, choice);
    const esp = f.esp;
    if (!esp)
      return {
        status: 'problem',
        found: `${facts}: no EFI system partition is mounted or in /etc/fstab`,
        era,
        fix: FIX,
      };
    const problems: string[] = [];
    const details: string[] = [facts];
    const mounted = f.live ? esp.source === 'mounts' : (esp.topLevel?.length ?? 0) > 0;
    if (!mounted) problems.push(`the EFI system partition is not mounted at ${esp.mount}`);
    if (f.grubEfi64 === false)
      problems.push('the installed sys-boot/grub was built without GRUB_PLATFORMS="efi-64"');
    const usesXenEfi = boot.loader === 'xen-efi' || esp.config !== undefined;
    if (mounted && usesXenEfi) {
      const dir = `${esp.mount}/${XEN_EFI_DIR}`;
      const section = esp.config === undefined ? undefined : readXenEfiSection(esp.config);
      if (!section) problems.push(`${dir}/xen.cfg is missing or has no section to boot`);
      else {
        const kernel = section.kernel.split(/\s+/)[0] ?? '';
        const wanted = [XEN_EFI_NAME, kernel, ...(section.ramdisk ? [section.ramdisk] : [])].filter(Boolean);
        const missing = wanted.filter((name) => esp.xenDir?.[name] === undefined);
        details.push(`${dir}/xen.cfg [${section.section}] boots ${kernel || '(no kernel=)'}`);
        if (!kernel) problems.push(`${dir}/xen.cfg [${section.section}] has no kernel=`);
        if (missing.length > 0) problems.push(`${dir} lacks ${missing.join(', ')}`);
      }
      if (f.bootEntries !== undefined) {
        const entry = f.bootEntries.find(
          (e) => e.loader !== undefined && sameEfiPath(e.loader, XEN_EFI_LOADER),
        );
        const number = entry?.number.toString(16).toUpperCase().padStart(4, '0');
        if (!entry) problems.push(`the firmware has no boot entry for ${XEN_EFI_LOADER}`);
        else {
          details.push(
            `Boot${number} "${entry.label}" starts ${XEN_EFI_LOADER}${f.bootOrder?.[0] === entry.number ? ' (first in BootOrder)' : ''}`,
          );
          if (!entry.active) problems.push(`the firmware entry Boot${number} is inactive`);
        }
      } else
        details.push("the firmware's boot entries cannot be seen from here (a mounted root, or no efivars)");
    }
    if (problems.length > 0) return { status: 'problem', found: problems.join('; '), era, details, fix: FIX };
    return {
      status: 'ok',
      found: usesXenEfi ? `${facts}; xen.efi and its files are on the ESP` : `${facts}; the ESP is mounted`,
      era,
      details,
      fix: FIX,
    };
  },
});
