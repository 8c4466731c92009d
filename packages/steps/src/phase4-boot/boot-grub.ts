import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import {
  buildXenEntry,
  grubDefaultDiff,
  grubDefaultSettings,
  grubDefaultValues,
  grubDefaultWarnings,
  GRUB_MKCONFIG_ARGV,
  mergeGrub2Custom,
  mergeGrubDefault,
  mergeGrubLegacy,
  otherXenEntries,
  grubCfgHas,
  parseGrubLegacy,
  renderGrub2Entry,
  type XenEntry,
} from '@xen-gentoo/bootloader';
import { compareKernelVersions, isDom0Config } from '@xen-gentoo/kernel-config';
import type { Answers } from '../answers/index.js';
import type { BootAnswers } from '../answers/boot.js';
import {
  blockedByBootConfigError,
  bootIsSeparate,
  chooseLoader,
  resolveEntryInputs,
  ROAD_NAMES,
  type EntryInputs,
} from './resolve.js';
import { describeFirmware, resolveFirmware } from './firmware.js';
import { detectBootFromAnswers, type BootTarget } from './target.js';

const SECTION = 'Updating your boot loader';

/** Build the entry for a loader whose paths are relative to the partition holding /boot. */
export function entryFor(inputs: EntryInputs, prefix: string, options: { root: boolean }): XenEntry {
  return buildXenEntry({
    title: inputs.title,
    xenPath: `${prefix}/${inputs.xen.file}`,
    kernelPath: `${prefix}/${inputs.kernel.file}`,
    ...(inputs.initrd ? { initrdPath: `${prefix}/${inputs.initrd}` } : {}),
    dom0Mem: inputs.dom0Mem.text,
    ...(options.root && inputs.root ? { rootDevice: inputs.root } : {}),
    ...(inputs.serial ? { serial: inputs.serial } : {}),
    noreboot: inputs.noreboot,
    xenArgs: inputs.xenArgs,
    kernelArgs: inputs.kernelArgs,
  });
}

/** The GRUB legacy menu file: grub.conf (Gentoo; menu.lst links to it) or a lone menu.lst. */
function legacyMenu(t: BootTarget): { path: string; text: string } | { reason: string } {
  if (t.grubConf !== undefined) {
    if (t.menuLst !== undefined && t.menuLstLink === undefined && t.menuLst !== t.grubConf) {
      return {
        reason:
          '/boot/grub/grub.conf and /boot/grub/menu.lst are two different files: make menu.lst a symlink to grub.conf (as Gentoo installs it) so there is one menu to edit',
      };
    }
    return { path: '/boot/grub/grub.conf', text: t.grubConf };
  }
  if (t.menuLst !== undefined) return { path: '/boot/grub/menu.lst', text: t.menuLst };
  return { path: '/boot/grub/grub.conf', text: '' };
}

function planLegacy(t: BootTarget, a: BootAnswers): StepPlan {
  const menu = legacyMenu(t);
  if ('reason' in menu) return { status: 'blocked', reason: menu.reason };
  const inputs = resolveEntryInputs(t, a, { needRoot: true });
  if (!inputs.ok) return { status: 'blocked', reason: inputs.reason };
  const warnings = [...inputs.warnings];
  const parsed = parseGrubLegacy(menu.text);
  const defaultIndex = Number(parsed.globals.find((g) => g.name === 'default')?.args ?? '0');
  const defaultStanza =
    parsed.stanzas[Number.isInteger(defaultIndex) ? defaultIndex : 0] ?? parsed.stanzas[0];
  let grubRoot = a.grub_root ?? defaultStanza?.commands.find((c) => c.name === 'root')?.args;
  if (!grubRoot) {
    grubRoot = '(hd0,0)';
    warnings.push('no GRUB root device in the existing entries: using (hd0,0) ([boot] grub_root sets it)');
  }
  const prefix = bootIsSeparate(t, menu.text) ? '' : '/boot';
  try {
    const entry = entryFor(inputs.value, prefix, { root: true });
    const merged = mergeGrubLegacy(menu.text, entry, { grubRoot, file: menu.path });
    warnings.push(...merged.warnings);
    if (merged.action === 'unchanged') {
      return {
        status: 'done',
        reason: `${menu.path} has the Xen entry "${merged.title}" (number ${merged.index})`,
        warnings,
      };
    }
    return {
      status: 'pending',
      reason: `${merged.action === 'appended' ? 'add' : 'update'} the Xen entry "${merged.title}" (number ${merged.index}) in ${menu.path}`,
      changes: [
        { kind: 'file', path: menu.path, before: t.grubConf ?? t.menuLst ?? null, after: merged.text },
      ],
      warnings,
    };
  } catch (e) {
    return blockedByBootConfigError(e);
  }
}

/**
 * What is different about GRUB 2 on a UEFI host: GRUB's EFI image (grub-install
 * --target=x86_64-efi, built with GRUB_PLATFORMS="efi-64") reads the same /boot/grub/grub.cfg,
 * and Xen must be started with multiboot2 (multiboot has no EFI hand-over; Xen 4.9 and later).
 */
function grub2OnUefi(t: BootTarget, a: BootAnswers): { note: string; warnings: string[] } | undefined {
  const firmware = resolveFirmware(t.firmware, t.era, a);
  if (!firmware.uefi) return undefined;
  const esp = t.firmware.esp?.mount ?? '/boot/efi';
  const warnings: string[] = [];
  if (t.firmware.grubEfi64 === false)
    warnings.push(
      `the installed sys-boot/grub was built without GRUB_PLATFORMS="efi-64" and cannot boot this UEFI machine: set GRUB_PLATFORMS="efi-64" in make.conf, emerge --oneshot sys-boot/grub, then grub-install --target=x86_64-efi --efi-directory=${esp}`,
    );
  return {
    note: `${describeFirmware(t.firmware, firmware)}: GRUB's EFI image (grub-install --target=x86_64-efi --efi-directory=${esp}) reads /boot/grub/grub.cfg and starts Xen with multiboot2`,
    warnings,
  };
}

function mkconfig(why: string): Change {
  return { kind: 'command', argv: [...GRUB_MKCONFIG_ARGV], why, inRoot: true };
}

function planGrub2(t: BootTarget, a: BootAnswers): StepPlan {
  return a.grub2_mode === 'custom-entry' ? planGrub2Custom(t, a) : planGrub2Default(t, a);
}

/** GRUB 2, default-grub mode: the Xen options in /etc/default/grub, then grub-mkconfig. */
function planGrub2Default(t: BootTarget, a: BootAnswers): StepPlan {
  const inputs = resolveEntryInputs(t, a, { needRoot: false });
  if (!inputs.ok) return { status: 'blocked', reason: inputs.reason };
  const warnings = [...inputs.warnings];
  const prefix = bootIsSeparate(t) ? '' : '/boot';
  try {
    const entry = entryFor(inputs.value, prefix, { root: false });
    const settings = grubDefaultSettings(entry);
    const before = t.defaultGrub ?? '';
    const after = mergeGrubDefault(before, settings);
    const changed = grubDefaultDiff(before, settings);
    // The options the tool sets merged into the user's: what grub.cfg will carry.
    const values = grubDefaultValues(before, settings);
    const cfgCurrent = grubCfgHas(
      t.grubCfg,
      values.GRUB_CMDLINE_XEN_DEFAULT ?? '',
      values.GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT,
    );
    // grub-mkconfig reads /boot/config-VERSION for /boot/vmlinuz-VERSION.
    const configPath = `/boot/${inputs.value.kernel.file.replace(/^vmlinuz-/, 'config-')}`;
    const config = t.kernelConfigs[configPath];
    if (config !== undefined && !isDom0Config(config)) {
      warnings.push(
        `${configPath} lacks CONFIG_XEN_DOM0=y: grub-mkconfig's 20_linux_xen lists only dom0-capable kernels`,
      );
    } else if (config === undefined) {
      const { bootConfig, suffix } = inputs.value.kernel;
      const remedy = bootConfig
        ? `${ROAD_NAMES[suffix]} installs ${bootConfig}`
        : `copy the kernel's configuration to ${configPath}`;
      warnings.push(
        `grub-mkconfig lists a kernel under Xen only when /boot/config-<version> says CONFIG_XEN_DOM0=y; ${remedy}`,
      );
    }
    warnings.push(
      'GRUB_DEFAULT is unchanged: the Xen entries follow the plain Linux ones; pick "… with Xen hypervisor" in the menu',
    );
    if (changed.length === 0 && cfgCurrent) {
      return {
        status: 'done',
        reason: '/etc/default/grub has the Xen options and /boot/grub/grub.cfg has the Xen entries',
        warnings,
      };
    }
    warnings.push(...grubDefaultWarnings(before, settings));
    const changes: Change[] = [];
    if (changed.length > 0)
      changes.push({ kind: 'file', path: '/etc/default/grub', before: t.defaultGrub ?? null, after });
    changes.push(
      mkconfig('regenerates grub.cfg; 20_linux_xen writes one entry per /boot/xen* and dom0 kernel'),
    );
    return {
      status: 'pending',
      reason:
        changed.length > 0
          ? `set ${changed.join(', ')} in /etc/default/grub, then grub-mkconfig`
          : '/boot/grub/grub.cfg has no Xen entry with these options: grub-mkconfig',
      changes,
      warnings,
    };
  } catch (e) {
    return blockedByBootConfigError(e);
  }
}

/** GRUB 2, custom-entry mode: a multiboot2/module2 menuentry in the custom file, then grub-mkconfig. */
function planGrub2Custom(t: BootTarget, a: BootAnswers): StepPlan {
  const inputs = resolveEntryInputs(t, a, { needRoot: true });
  if (!inputs.ok) return { status: 'blocked', reason: inputs.reason };
  const warnings = [...inputs.warnings];
  const prefix = bootIsSeparate(t) ? '' : '/boot';
  const oldXen = inputs.value.xen.version && compareKernelVersions(inputs.value.xen.version, '4.9') < 0;
  if (oldXen && resolveFirmware(t.firmware, t.era, a).uefi)
    return {
      status: 'blocked',
      reason: `Xen ${inputs.value.xen.version} cannot be started by GRUB on UEFI (multiboot2 with EFI came in Xen 4.9): update app-emulation/xen, or use Xen's EFI loader ([boot] loader = xen-efi)`,
    };
  const multiboot = oldXen ? 'multiboot' : 'multiboot2';
  try {
    const entry = entryFor(inputs.value, prefix, { root: true });
    const file = a.grub2_custom_file;
    const before = t.customFiles[file];
    const merged = mergeGrub2Custom(before ?? null, entry, { file, multiboot });
    warnings.push(...merged.warnings, ...otherXenEntries(before, file, entry.title));
    const rendered = renderGrub2Entry(entry, { multiboot }).join('\n');
    const cfgCurrent = t.grubCfg?.includes(rendered) ?? false;
    if (merged.action === 'unchanged' && cfgCurrent) {
      return {
        status: 'done',
        reason: `${file} and /boot/grub/grub.cfg have the Xen entry "${entry.title}"`,
        warnings,
      };
    }
    const changes: Change[] = [];
    if (merged.action !== 'unchanged') {
      changes.push({
        kind: 'file',
        path: file,
        before: before ?? null,
        after: merged.text,
        ...(before === undefined ? { mode: 0o755 } : {}),
      });
    }
    changes.push(mkconfig(`copies the entry of ${file} into grub.cfg`));
    return {
      status: 'pending',
      reason:
        merged.action === 'unchanged'
          ? `/boot/grub/grub.cfg lacks the entry of ${file}: grub-mkconfig`
          : `${merged.action === 'updated' ? 'update' : 'add'} the Xen entry "${entry.title}" in ${file}, then grub-mkconfig`,
      changes,
      warnings,
    };
  } catch (e) {
    return blockedByBootConfigError(e);
  }
}

export function planBootGrub(t: BootTarget, answers: Answers): StepPlan {
  const a = answers.boot;
  const loader = chooseLoader(t, a);
  if (!loader.ok) return { status: 'blocked', reason: loader.reason };
  if (loader.value === 'lilo')
    return { status: 'not-applicable', reason: 'the host boots with LILO: see boot-lilo' };
  if (loader.value === 'pxelinux')
    return {
      status: 'not-applicable',
      reason: '[boot] loader = pxelinux: the host boots over the network (boot-pxelinux)',
    };
  if (loader.value === 'xen-efi')
    return {
      status: 'not-applicable',
      reason: "[boot] loader = xen-efi: the UEFI firmware starts Xen's own EFI loader (boot-xen-efi)",
    };
  const uefi = resolveFirmware(t.firmware, t.era, a);
  if (loader.value === 'grub-legacy' && uefi.uefi)
    return {
      status: 'blocked',
      reason: `${describeFirmware(t.firmware, uefi)}: GRUB legacy (0.97) cannot start on UEFI; use GRUB 2 ([boot] loader = grub2) or Xen's EFI loader ([boot] loader = xen-efi)`,
    };
  const efi = loader.value === 'grub2' ? grub2OnUefi(t, a) : undefined;
  const plan = loader.value === 'grub-legacy' ? planLegacy(t, a) : planGrub2(t, a);
  const warnings = [...loader.warnings, ...(efi?.warnings ?? []), ...(plan.warnings ?? [])];
  const withNote =
    efi && plan.status !== 'blocked' ? { ...plan, reason: `${plan.reason}; ${efi.note}` } : plan;
  return warnings.length > 0 ? { ...withNote, warnings } : withNote;
}

export const bootGrubStep = defineStep<Answers, BootTarget>({
  id: 'boot-grub',
  title: 'Add the Xen entry to GRUB',
  phase: SECTION,
  howtoSection: 'Updating your boot loader',
  after: ['emerge-xen', 'kernel-build', 'dom0-mem'],
  detect: detectBootFromAnswers,
  plan: planBootGrub,
});
