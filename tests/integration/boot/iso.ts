import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { customFileOutput } from '@xen-gentoo/bootloader';
import { buildInitramfs } from './initramfs.js';
import type { BootParts } from './parts.js';

/**
 * Lay files out in a directory tree at the paths the boot entry names, and build a GRUB 2
 * rescue ISO (BIOS) whose grub.cfg is `grubCfg`.
 */
export function buildGrubIso(
  workDir: string,
  files: Record<string, string | Buffer>,
  grubCfg: string,
): string {
  const tree = join(workDir, 'iso');
  for (const [path, content] of Object.entries(files)) {
    const dst = join(tree, path);
    mkdirSync(dirname(dst), { recursive: true });
    if (typeof content === 'string') copyFileSync(content, dst);
    else writeFileSync(dst, content);
  }
  mkdirSync(join(tree, 'boot', 'grub'), { recursive: true });
  writeFileSync(join(tree, 'boot', 'grub', 'grub.cfg'), grubCfg);
  const iso = join(workDir, 'boot.iso');
  execFileSync('grub-mkrescue', ['-o', iso, tree], { stdio: ['ignore', 'ignore', 'pipe'] });
  return iso;
}

/** grub-script-check on a text; returns its output, throws when the script is invalid. */
export function grubScriptCheck(workDir: string, name: string, text: string): string {
  const file = join(workDir, name);
  writeFileSync(file, text);
  return execFileSync('grub-script-check', [file], { encoding: 'utf8' });
}

/**
 * A GRUB 2 rescue image that boots a custom entry the tool wrote (the 40_custom file): grub.cfg is
 * what grub-mkconfig copies of it, without a menu wait, checked with grub-script-check; Xen, the
 * dom0 kernel and the test initramfs are at the paths the entry names.
 */
export function customEntryIso(workDir: string, parts: BootParts, custom: string): string {
  const kv = parts.kernelVersion;
  const cfg = `set timeout=0\nset default=0\n${customFileOutput(custom)}`;
  grubScriptCheck(workDir, 'grub.cfg', cfg);
  return buildGrubIso(
    workDir,
    {
      'boot/xen.gz': parts.xen,
      [`boot/vmlinuz-${kv}-xen0`]: parts.vmlinuz,
      [`boot/initramfs-${kv}-xen0.img`]: buildInitramfs(parts),
    },
    cfg,
  );
}
