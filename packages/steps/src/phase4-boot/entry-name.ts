import { readShellVariable } from '@xen-gentoo/bootloader';
import type { BootAnswers } from '../answers/boot.js';
import { chooseLoader, resolveEntryInputs } from './resolve.js';
import type { BootTarget } from './target.js';

/** The boot entry the boot steps write, as the boot menu shows it, and where it is. */
export interface XenEntryName {
  /** The title or label to pick in the menu. */
  name: string;
  /** Where the entry is: "GRUB's menu", "LILO's prompt", "the PXE menu". */
  where: string;
}

/**
 * The Xen entry the boot steps write (boot-grub, boot-lilo, boot-pxelinux), by the name the menu
 * shows; undefined when no loader or entry can be resolved (the boot steps say why). In GRUB 2's
 * default-grub mode grub-mkconfig names it: 20_linux_xen's first entry is "<OS>, with Xen
 * hypervisor", OS being "$GRUB_DISTRIBUTOR GNU/Linux".
 */
export function xenEntryName(t: BootTarget, a: BootAnswers): XenEntryName | undefined {
  const loader = chooseLoader(t, a);
  if (!loader.ok) return undefined;
  if (loader.value === 'lilo') return { name: a.lilo_label, where: "LILO's boot prompt" };
  if (loader.value === 'grub2' && a.grub2_mode !== 'custom-entry') {
    const distributor =
      t.defaultGrub === undefined ? undefined : readShellVariable(t.defaultGrub, 'GRUB_DISTRIBUTOR')?.value;
    const os = distributor ? `${distributor} GNU/Linux` : 'GNU/Linux';
    return { name: `${os}, with Xen hypervisor`, where: "GRUB's menu (written by grub-mkconfig)" };
  }
  const inputs = resolveEntryInputs(t, a, { needRoot: false });
  if (!inputs.ok) return undefined;
  if (loader.value === 'pxelinux')
    return { name: inputs.value.title, where: 'the PXE boot (pxelinux.cfg/default)' };
  return { name: inputs.value.title, where: "GRUB's menu" };
}
