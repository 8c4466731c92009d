import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import { LILO_ARGV, liloFiles, liloPackCommands, mergeLiloConf } from '@xen-gentoo/bootloader';
import type { Answers } from '../answers/index.js';
import { blockedByBootConfigError, chooseLoader, LOADER_NAMES, resolveEntryInputs } from './resolve.js';
import { entryFor } from './boot-grub.js';
import { detectBootFromAnswers, type BootTarget } from './target.js';

export const LILO_TODAY_REASON =
  "LILO cannot load Xen's modules and mbootpack, the HOWTO's workaround, left Xen's source tree in October 2006; " +
  'its author keeps it at https://github.com/timdeegan/mbootpack, but Gentoo does not package it and nothing supports it with Xen 4: ' +
  'boot with GRUB 2 (emerge sys-boot/grub, [boot] loader = grub2), or on UEFI machines start xen.efi directly (USE=uefi on app-emulation/xen)';

/**
 * Where mbootpack can be had on a 2007 host: Xen's tools/misc/mbootpack went away in October 2006
 * (Xen 3.0.3 is the last release that has it); its author's own releases go on (0.5a, January 2007).
 */
export const MBOOTPACK_MISSING_REASON =
  'mbootpack is not installed (/usr/bin/mbootpack) and Xen 3.0.4 and later no longer ship it (it left tools/misc in October 2006): ' +
  "build it from its author's releases (https://github.com/timdeegan/mbootpack, 0.5a of January 2007) or from a Xen 3.0.3 source tarball (tools/misc/mbootpack), " +
  'or switch to GRUB ([boot] loader = grub-legacy)';

export function planBootLilo(t: BootTarget, answers: Answers): StepPlan {
  const a = answers.boot;
  const loader = chooseLoader(t, a);
  if (!loader.ok || loader.value !== 'lilo') {
    return {
      status: 'not-applicable',
      reason: loader.ok
        ? `the host boots with ${LOADER_NAMES[loader.value]}, not LILO`
        : 'no LILO configuration (/etc/lilo.conf)',
    };
  }
  if (t.era === 'modern') return { status: 'blocked', reason: LILO_TODAY_REASON };
  if (!t.mbootpack) {
    return {
      status: 'blocked',
      reason: MBOOTPACK_MISSING_REASON,
    };
  }
  const inputs = resolveEntryInputs(t, a, { needRoot: true });
  if (!inputs.ok) return { status: 'blocked', reason: inputs.reason };
  const warnings = [...inputs.warnings];
  const v = inputs.value;
  try {
    const packInput = {
      xenGz: `/boot/${v.xen.file}`,
      vmlinuz: `/boot/${v.kernel.file}`,
      ...(v.initrd ? { initrd: `/boot/${v.initrd}` } : {}),
    };
    const files = liloFiles(packInput);
    // LILO reads files through the root file system: absolute /boot paths, not partition-relative.
    const entry = entryFor({ ...v, initrd: undefined }, '/boot', { root: true });
    const packed = { ...entry, kernel: { ...entry.kernel, path: files.packed } };
    const merged = mergeLiloConf(t.liloConf ?? '', packed, { label: a.lilo_label });
    warnings.push(...merged.warnings);
    const m = t.mtimes;
    const packedTime = m[files.packed];
    const packedFresh =
      packedTime !== undefined &&
      packedTime >= (m[packInput.vmlinuz] ?? 0) &&
      packedTime >= (m[packInput.xenGz] ?? 0);
    const mapTime = m['/boot/map'];
    const mapFresh =
      mapTime !== undefined && mapTime >= (m['/etc/lilo.conf'] ?? 0) && mapTime >= (packedTime ?? Infinity);
    if (merged.action === 'unchanged' && packedFresh && mapFresh) {
      return {
        status: 'done',
        reason: `/etc/lilo.conf boots ${files.packed} as "${merged.label}" and lilo has run since`,
        warnings,
      };
    }
    const changes: Change[] = [];
    if (!packedFresh) {
      for (const c of liloPackCommands(packInput))
        changes.push({ kind: 'command', argv: c.argv, why: c.why, inRoot: true });
    }
    if (merged.action !== 'unchanged') {
      changes.push({ kind: 'file', path: '/etc/lilo.conf', before: t.liloConf ?? null, after: merged.text });
    }
    changes.push({
      kind: 'command',
      argv: [...LILO_ARGV],
      why: 'writes the new boot map; LILO reads lilo.conf only when lilo runs',
      touches: ['/boot'],
      inRoot: true,
    });
    return {
      status: 'pending',
      reason: [
        ...(packedFresh ? [] : [`pack Xen and ${v.kernel.file} into ${files.packed}`]),
        ...(merged.action === 'appended' ? [`add the image "${merged.label}" to /etc/lilo.conf`] : []),
        ...(merged.action === 'updated' ? [`update the image "${merged.label}" in /etc/lilo.conf`] : []),
        'run lilo',
      ].join(', '),
      changes,
      warnings,
    };
  } catch (e) {
    return blockedByBootConfigError(e);
  }
}

export const bootLiloStep = defineStep<Answers, BootTarget>({
  id: 'boot-lilo',
  title: 'Boot Xen with LILO (mbootpack)',
  phase: 'Updating your boot loader',
  howtoSection: 'Alternative: LILO',
  after: ['emerge-xen', 'kernel-build', 'dom0-mem'],
  detect: detectBootFromAnswers,
  plan: planBootLilo,
});
