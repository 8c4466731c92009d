import type { View } from '@xen-gentoo/core';
import { chooseLoader } from '../phase4-boot/resolve.js';
import { detectBootTarget } from '../phase4-boot/target.js';
import { defaultAnswers } from './defaults.js';

/** A value detection found on a target for one key, and where it was found. */
export interface DetectedAnswer {
  value: string;
  found: string;
}

/**
 * What the target tells about the answers whose default is "find it on the target": the boot
 * loader it has, the root device in /etc/fstab, the kernel version /usr/src/linux points at.
 * Keyed "section.key". Reads through the view only.
 */
export async function detectAnswerValues(view: View): Promise<Record<string, DetectedAnswer>> {
  const defaults = defaultAnswers();
  const target = await detectBootTarget(view, {
    customFile: defaults.boot.grub2_custom_file,
    pxeDir: undefined,
    boot: defaults.boot,
  });
  const found: Record<string, DetectedAnswer> = {};
  const loader = chooseLoader(target, defaults.boot);
  if (loader.ok) found['boot.loader'] = { value: loader.value, found: 'the boot loader configuration' };
  if (target.fstabRoot !== undefined)
    found['boot.root_device'] = { value: target.fstabRoot, found: 'the / line of /etc/fstab' };
  if (target.kernelSourceVersion !== undefined)
    found['kernel.version'] = { value: target.kernelSourceVersion, found: 'the /usr/src/linux link' };
  return found;
}
