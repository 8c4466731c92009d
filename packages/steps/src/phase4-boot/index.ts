import type { Step } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { bootGrubStep } from './boot-grub.js';
import { bootLiloStep } from './boot-lilo.js';
import { bootPxelinuxStep } from './boot-pxelinux.js';
import { bootSerialStep } from './boot-serial.js';
import { bootXenEfiStep } from './boot-xen-efi.js';
import { dom0MemStep } from './dom0-mem.js';
import type { BootTarget } from './target.js';

export { bootGrubStep, planBootGrub } from './boot-grub.js';
export { bootLiloStep, planBootLilo, LILO_TODAY_REASON } from './boot-lilo.js';
export { bootPxelinuxStep, planBootPxelinux } from './boot-pxelinux.js';
export { bootSerialStep, planBootSerial, SERIAL_KERNEL_OPTIONS } from './boot-serial.js';
export { bootXenEfiStep, planBootXenEfi, XEN_EFI_USE_REASON } from './boot-xen-efi.js';
export {
  describeFirmware,
  detectFirmware,
  resolveFirmware,
  ESP_MOUNTS,
  type EspFacts,
  type FirmwareChoice,
  type FirmwareFacts,
} from './firmware.js';
export { dom0MemStep, planDom0Mem } from './dom0-mem.js';
export { detectBootTarget, type BootTarget } from './target.js';
export { DEFAULT_DOM0_MEM } from './resolve.js';
export { xenEntryName, type XenEntryName } from './entry-name.js';
export {
  renderBootEntry,
  BOOT_ENTRY_KINDS,
  type BootEntryKind,
  type RenderBootEntryOptions,
  type RenderedBootEntry,
} from './render.js';

/**
 * Phase 4, "Updating your boot loader", in order: dom0-mem first (its value goes into every
 * entry), then the loaders, then the serial-console check.
 */
export const BOOT_STEPS: readonly Step<Answers, BootTarget>[] = [
  dom0MemStep,
  bootGrubStep,
  bootLiloStep,
  bootPxelinuxStep,
  bootXenEfiStep,
  bootSerialStep,
];
