/**
 * Render and merge Xen boot entries for GRUB legacy, GRUB 2, LILO (+ mbootpack) and
 * PXELinux. Pure: text in, text out; nothing here reads or writes the disk.
 */
export { BootConfigError, BootFileSyntaxError } from './errors.js';
export {
  checkDom0Mem,
  parseDom0Mem,
  formatSize,
  DOM0_MEM_MINIMUM,
  type Dom0Mem,
  type Dom0MemCheck,
  type Dom0MemItem,
  type Dom0MemSize,
  type Dom0MemSyntax,
} from './dom0-mem.js';
export {
  buildXenEntry,
  dom0SerialArgs,
  isXenImageName,
  mergeOptions,
  splitArgs,
  KERNEL_MULTI_OPTIONS,
  xenSerialArgs,
  SERIAL_SPEEDS,
  type SerialOptions,
  type SerialPort,
  type XenEntry,
  type XenEntryOptions,
} from './entry.js';
export { beginMarker, endMarker, findBlock, MARKER_TAG, type BlockRange } from './marker.js';
export {
  commandFile,
  isXenStanza,
  mergeGrubLegacy,
  parseGrubLegacy,
  renderGrubLegacyStanza,
  type GrubLegacyMerge,
  type LegacyCommand,
  type LegacyMenu,
  type LegacyRenderOptions,
  type LegacyStanza,
} from './grub-legacy.js';
export {
  customFileOutput,
  grubDefaultDiff,
  grubDefaultWarnings,
  grubDefaultSettings,
  grubDefaultValues,
  grubCfgHas,
  grubCfgLines,
  grubQuote,
  mergeGrub2Custom,
  otherXenEntries,
  mergeGrubDefault,
  renderGrub2Entry,
  GRUB_CUSTOM_HEADER,
  GRUB_MKCONFIG_ARGV,
  GRUB_XEN_VARIABLES,
  type Grub2CustomMerge,
  type Grub2EntryOptions,
  type GrubXenSettings,
  type GrubXenVariable,
} from './grub2.js';
export {
  decompressArgv,
  liloFiles,
  liloPackCommands,
  mergeLiloConf,
  renderLiloStanza,
  LILO_ARGV,
  type LiloCommand,
  type LiloFiles,
  type LiloMerge,
  type LiloPlanInput,
  type LiloStanzaOptions,
} from './lilo.js';
export {
  mergePxelinuxConfig,
  pxelinuxTftpFiles,
  renderPxelinuxLine,
  PXE_CONFIG_PATH,
  SYSLINUX_DIRS,
  type PxeMerge,
  type TftpFile,
} from './pxelinux.js';
export {
  inConditional,
  parseShellAssignments,
  readShellVariable,
  setShellVariable,
  setShellVariables,
  shellQuote,
  type ShellAssignment,
} from './shell-vars.js';
export { appendBlock, joinLines, replaceLines, splitLines, type Lines } from './text.js';
export {
  efibootmgrCreateArgv,
  mergeXenEfiConfig,
  parseEfiBootEntry,
  parseEfiBootOrder,
  parseSecureBoot,
  peSigned,
  readXenEfiSection,
  renderXenEfiConfig,
  sameEfiPath,
  splitPartition,
  xenEfiValues,
  EFI_GLOBAL_GUID,
  XEN_EFI_CONFIG_NAME,
  XEN_EFI_DIR,
  XEN_EFI_LOADER,
  XEN_EFI_NAME,
  XEN_EFI_SECTION,
  type EfiBootEntry,
  type XenEfiMerge,
} from './xen-efi.js';
