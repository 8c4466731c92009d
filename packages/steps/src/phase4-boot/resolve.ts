import { InputError, type StepPlan } from '@xen-gentoo/core';
import {
  BootConfigError,
  BootFileSyntaxError,
  checkDom0Mem,
  parseGrubLegacy,
  splitArgs,
  type Dom0MemSyntax,
  type SerialOptions,
} from '@xen-gentoo/bootloader';
import { compareKernelVersions } from '@xen-gentoo/kernel-config';
import type { BootAnswers } from '../answers/boot.js';
import { versionAtLeast, versionBelow } from '../shared/versions.js';
import type { BootTarget } from './target.js';

/** Pure decisions shared by the boot steps: which loader, which files, which options. */

export type Resolved<T> = { ok: true; value: T; warnings: string[] } | { ok: false; reason: string };

export type LoaderKind = 'grub-legacy' | 'grub2' | 'lilo' | 'pxelinux' | 'xen-efi';

/** Each loader's name in the plan's sentences. */
export const LOADER_NAMES: Record<LoaderKind, string> = {
  grub2: 'GRUB 2',
  'grub-legacy': 'GRUB legacy',
  pxelinux: 'PXE',
  lilo: 'LILO',
  'xen-efi': "Xen's EFI loader (xen.efi)",
};

/**
 * dom0_mem when the answers say auto: the tool's choice, not Xen's (Xen's own default is all the
 * memory but a reserve); see DEFAULT_DOM0_MEM_WHY in dom0-mem.ts.
 */
export const DEFAULT_DOM0_MEM = { legacy: '256M', modern: '1024M,max:1024M' } as const;

/** Which loader the host boots with; explains itself. */
export function chooseLoader(t: BootTarget, a: BootAnswers): Resolved<LoaderKind> {
  if (t.bootSeparate && t.bootFiles.length === 0 && a.loader !== 'pxelinux') {
    return {
      ok: false,
      reason:
        '/boot is a file system of its own (/etc/fstab) and looks unmounted (empty): mount /boot, then plan again',
    };
  }
  if (a.loader !== 'auto') return { ok: true, value: a.loader, warnings: [] };
  const grub2 =
    t.defaultGrub !== undefined || t.grubCfg !== undefined || versionAtLeast(t.grubVersion, '1.90');
  const legacy =
    (t.grubConf !== undefined || t.menuLst !== undefined) && !versionAtLeast(t.grubVersion, '1.90');
  const lilo = t.liloConf !== undefined;
  const found: LoaderKind[] = [
    ...(grub2 ? (['grub2'] as const) : []),
    ...(legacy ? (['grub-legacy'] as const) : []),
    ...(lilo ? (['lilo'] as const) : []),
  ];
  if (found.length === 1) return { ok: true, value: found[0] ?? 'grub2', warnings: [] };
  if (found.length === 0) {
    return {
      ok: false,
      reason:
        'no boot loader configuration found (/etc/default/grub, /boot/grub/grub.cfg, /boot/grub/grub.conf, /boot/grub/menu.lst, /etc/lilo.conf): ' +
        'mount /boot if it is a separate partition, or set [boot] loader',
    };
  }
  // Several: the installed package decides.
  const byPackage = found.filter(
    (l) =>
      (l === 'grub2' && versionAtLeast(t.grubVersion, '1.90')) ||
      (l === 'grub-legacy' && t.grubVersion !== undefined && !versionAtLeast(t.grubVersion, '1.90')) ||
      (l === 'lilo' && t.liloVersion !== undefined),
  );
  if (byPackage.length === 1) {
    return {
      ok: true,
      value: byPackage[0] ?? 'grub2',
      warnings: [
        `configuration for ${found.join(' and ')} found; the installed packages say ${byPackage[0]}`,
      ],
    };
  }
  return {
    ok: false,
    reason: `configuration for ${found.join(' and ')} found: set [boot] loader to the one this machine boots with`,
  };
}

export interface Dom0MemChoice {
  text: string;
  syntax: Dom0MemSyntax;
  auto: boolean;
  /** With auto: the boot file whose dom0_mem was kept (the administrator's choice). */
  keptFrom?: string;
}

/**
 * The dom0_mem values the host's boot configuration already gives Xen, with the file each is in
 * (comment lines skipped). Includes the tool's own entries from an earlier run.
 */
function dom0MemInBootFiles(t: BootTarget): { file: string; value: string }[] {
  const files: [string, string | undefined][] = [
    ['/etc/default/grub', t.defaultGrub],
    ['/boot/grub/grub.conf', t.grubConf],
    ['/etc/lilo.conf', t.liloConf],
    ...Object.entries(t.customFiles),
    ...(t.pxe
      ? ([[`${t.pxe.dir}/pxelinux.cfg/default`, t.pxe.config]] as [string, string | undefined][])
      : []),
    ...(t.firmware.esp?.config !== undefined
      ? ([[`${t.firmware.esp.mount}/EFI/xen/xen.cfg`, t.firmware.esp.config]] as [string, string][])
      : []),
  ];
  const found: { file: string; value: string }[] = [];
  for (const [file, text] of files) {
    for (const line of (text ?? '').split(/\r?\n/)) {
      if (/^\s*#/.test(line)) continue;
      for (const m of line.matchAll(/(?:^|[\s"'])dom0_mem=([^\s"']+)/g)) {
        if (m[1]) found.push({ file, value: m[1] });
      }
    }
  }
  return found;
}

/**
 * With `[boot] dom0_mem = auto`, the value the administrator already gives Xen is kept when the
 * boot files agree on one that is valid for this Xen and not known to be too small: replacing
 * dom0_mem=4096M by the default would shrink dom0 behind their back. Otherwise the default, with
 * a warning when the files disagree.
 */
function autoDom0Mem(
  t: BootTarget,
  syntax: Dom0MemSyntax,
): { input: string; keptFrom?: string; warnings: string[] } {
  const fallback = DEFAULT_DOM0_MEM[t.era];
  const found = dom0MemInBootFiles(t);
  const values = [...new Set(found.map((f) => f.value))];
  if (values.length === 0) return { input: fallback, warnings: [] };
  const where = found.map((f) => `dom0_mem=${f.value} (${f.file})`).join(', ');
  if (values.length > 1)
    return {
      input: fallback,
      warnings: [
        `the boot files disagree on dom0_mem: ${where}; [boot] dom0_mem = auto uses ${fallback} (set it to keep another)`,
      ],
    };
  const value = values[0] ?? fallback;
  try {
    const checked = checkDom0Mem(value, {
      syntax,
      ...(t.memTotalBytes !== undefined ? { hostMemBytes: t.memTotalBytes } : {}),
    });
    if (checked.warnings.length === 0) return { input: value, keptFrom: found[0]?.file, warnings: [] };
  } catch (e) {
    if (!(e instanceof BootConfigError)) throw e;
  }
  return {
    input: fallback,
    warnings: [
      `${where} is not kept (not valid or too small for this Xen); [boot] dom0_mem = auto uses ${fallback}`,
    ],
  };
}

export function dom0MemSyntax(t: BootTarget): Dom0MemSyntax {
  if (t.xenVersion !== undefined) return versionBelow(t.xenVersion, '4') ? 'xen3' : 'xen4';
  return t.era === 'legacy' ? 'xen3' : 'xen4';
}

export function resolveDom0Mem(t: BootTarget, a: BootAnswers): Resolved<Dom0MemChoice> {
  const syntax = dom0MemSyntax(t);
  const auto = a.dom0_mem.trim() === 'auto';
  const chosen = auto ? autoDom0Mem(t, syntax) : { input: a.dom0_mem, warnings: [] };
  try {
    const { value, warnings } = checkDom0Mem(chosen.input, {
      syntax,
      ...(t.memTotalBytes !== undefined ? { hostMemBytes: t.memTotalBytes } : {}),
    });
    return {
      ok: true,
      value: {
        // A kept value stays as the administrator wrote it (4096M, not 4G): nothing to rewrite.
        text: chosen.keptFrom !== undefined ? chosen.input : value.text,
        syntax,
        auto,
        ...(chosen.keptFrom !== undefined ? { keptFrom: chosen.keptFrom } : {}),
      },
      warnings: [...chosen.warnings, ...warnings],
    };
  } catch (e) {
    if (e instanceof BootConfigError) return { ok: false, reason: `[boot] dom0_mem: ${e.message}` };
    throw e;
  }
}

export interface XenImage {
  /** File name in /boot. */
  file: string;
  version: string | undefined;
  /** Not there yet: the name emerge-xen will install. */
  predicted: boolean;
}

const XEN_IMAGE = /^xen(?:-(\d[^/]*?))?\.gz$/;

export function resolveXen(t: BootTarget): Resolved<XenImage> {
  const images = t.bootFiles.filter((f) => XEN_IMAGE.test(f));
  const versioned = images
    .map((f) => XEN_IMAGE.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort(compareKernelVersions);
  const newest = versioned.at(-1);
  const version = t.xenVersion ?? newest;
  if (images.includes('xen.gz'))
    return { ok: true, value: { file: 'xen.gz', version, predicted: false }, warnings: [] };
  if (newest)
    return { ok: true, value: { file: `xen-${newest}.gz`, version, predicted: false }, warnings: [] };
  if (t.xenComing) {
    return {
      ok: true,
      value: { file: 'xen.gz', version, predicted: true },
      warnings: ['/boot/xen.gz is not there yet: the entry names the file emerge-xen installs'],
    };
  }
  return {
    ok: false,
    reason:
      'no Xen hypervisor in /boot (xen.gz or xen-<version>.gz): emerge-xen installs app-emulation/xen first',
  };
}

export interface KernelImage {
  /** e.g. 2.6.20-xen-r6 (the part between vmlinuz- and -xen0 / -xen; the release for genkernel). */
  version: string;
  /** File name in /boot, e.g. vmlinuz-2.6.20-xen-r6-xen0. */
  file: string;
  /** Which road built it: xen0 (kernel-build), xen (kernel-single) or genkernel. */
  suffix: 'xen0' | 'xen' | 'genkernel';
  predicted: boolean;
  /** The configuration its road installs in /boot, when it installs one. */
  bootConfig: string | undefined;
}

const XEN0_KERNEL = /^vmlinuz-(.+)-xen0$/;
/** The single dom0-and-domU kernel of the HOWTO's "Only one domain 0 kernel" (kernel-single). */
const SINGLE_KERNEL = /^vmlinuz-(.+)-xen$/;
/** genkernel 3.x names (the HOWTO's era): kernel-genkernel-ARCH-RELEASE. */
const GENKERNEL_KERNEL = /^kernel-genkernel-(?:x86|x86_64)-(.+)$/;

/** genkernel's architecture name in its file names. */
function genkernelArch(t: BootTarget): string {
  return t.arch === 'amd64' ? 'x86_64' : 'x86';
}

/**
 * The names genkernel installs for a release: genkernel 3.x (2007) kernel-genkernel-ARCH-RELEASE
 * with initramfs-genkernel-ARCH-RELEASE (the name the genkernel step re-zips); genkernel 4
 * (today) vmlinuz-RELEASE with initramfs-RELEASE.img.
 */
export function genkernelFiles(t: BootTarget, release: string): { kernel: string; initrd: string } {
  const arch = genkernelArch(t);
  return t.era === 'legacy'
    ? { kernel: `kernel-genkernel-${arch}-${release}`, initrd: `initramfs-genkernel-${arch}-${release}.gz` }
    : { kernel: `vmlinuz-${release}`, initrd: `initramfs-${release}.img` };
}

/** The kernel version string a kernel source package builds. */
export function kernelVersionOfPackage(catpn: string, version: string): string {
  const m = /^([\d.]+)(?:-(r\d+))?$/.exec(version);
  const base = m?.[1] ?? version;
  const rev = m?.[2];
  const flavour = catpn.endsWith('/xen-sources')
    ? 'xen'
    : catpn.endsWith('/gentoo-sources')
      ? 'gentoo'
      : undefined;
  return [base, flavour, rev].filter(Boolean).join('-');
}

export const ROAD_NAMES: Record<KernelImage['suffix'], string> = {
  xen0: 'kernel-build',
  xen: 'kernel-single',
  genkernel: 'genkernel',
};

function image(
  version: string,
  file: string,
  suffix: KernelImage['suffix'],
  predicted: boolean,
): KernelImage {
  return {
    version,
    file,
    suffix,
    predicted,
    bootConfig: suffix === 'genkernel' ? undefined : `/boot/config-${version}-${suffix}`,
  };
}

export function resolveKernel(t: BootTarget, a: BootAnswers): Resolved<KernelImage> {
  if (a.kernel) {
    const file = a.kernel.startsWith('/')
      ? (a.kernel.split('/').pop() ?? '')
      : /-xen0?$/.test(a.kernel)
        ? `vmlinuz-${a.kernel}`
        : `vmlinuz-${a.kernel}-xen0`;
    const m = XEN0_KERNEL.exec(file) ?? SINGLE_KERNEL.exec(file) ?? GENKERNEL_KERNEL.exec(file);
    const version = m?.[1] ?? file.replace(/^vmlinuz-/, '');
    const suffix = GENKERNEL_KERNEL.test(file) ? 'genkernel' : XEN0_KERNEL.test(file) || !m ? 'xen0' : 'xen';
    if (a.kernel.startsWith('/') && !a.kernel.startsWith('/boot/')) {
      return { ok: false, reason: `[boot] kernel ${a.kernel}: the dom0 kernel must be in /boot` };
    }
    const present = t.bootFiles.includes(file);
    return {
      ok: true,
      value: image(version, file, suffix, !present),
      warnings: present ? [] : [`/boot/${file} ([boot] kernel) is not there yet: kernel-build installs it`],
    };
  }
  const newestOf = (re: RegExp): string | undefined =>
    t.bootFiles
      .map((f) => re.exec(f)?.[1])
      .filter((v): v is string => v !== undefined)
      .sort(compareKernelVersions)
      .at(-1);
  const fromPackage = t.kernelPackages[0];
  const release =
    t.kernelRelease ??
    t.kernelSourceVersion ??
    (fromPackage ? kernelVersionOfPackage(fromPackage.catpn, fromPackage.version) : undefined);
  // The road the answers chose decides which kernel dom0 boots; another road's kernel in /boot
  // is only the fallback when this road's cannot be named.
  const found: Record<KernelImage['suffix'], () => KernelImage | undefined> = {
    xen0: () => {
      const v = newestOf(XEN0_KERNEL);
      return v ? image(v, `vmlinuz-${v}-xen0`, 'xen0', false) : undefined;
    },
    xen: () => {
      const v = newestOf(SINGLE_KERNEL);
      return v ? image(v, `vmlinuz-${v}-xen`, 'xen', false) : undefined;
    },
    genkernel: () => {
      const old = newestOf(GENKERNEL_KERNEL);
      if (old)
        return image(
          old,
          t.bootFiles.find((f) => GENKERNEL_KERNEL.exec(f)?.[1] === old) ?? '',
          'genkernel',
          false,
        );
      if (!release) return undefined;
      const file = genkernelFiles(t, release).kernel;
      return t.bootFiles.includes(file) ? image(release, file, 'genkernel', false) : undefined;
    },
  };
  const road: KernelImage['suffix'] =
    t.kernelMethod === 'genkernel' ? 'genkernel' : t.kernelMethod === 'single' ? 'xen' : 'xen0';
  const built = found[road]();
  if (built) return { ok: true, value: built, warnings: [] };
  if (release) {
    const file = road === 'genkernel' ? genkernelFiles(t, release).kernel : `vmlinuz-${release}-${road}`;
    return {
      ok: true,
      value: image(release, file, road, true),
      warnings: [`/boot/${file} is not built yet: the entry names the file ${ROAD_NAMES[road]} will install`],
    };
  }
  for (const other of ['xen0', 'xen', 'genkernel'] as const) {
    const fallback = found[other]();
    if (fallback) return { ok: true, value: fallback, warnings: [] };
  }
  return {
    ok: false,
    reason:
      'no dom0 kernel: no /boot/vmlinuz-*-xen0 (or -xen) and no kernel sources to tell its name (kernel-sources, kernel-build), or set [boot] kernel',
  };
}

/** The initrd the kernel's road makes, by its name in /boot (kernel-build makes none). */
function roadInitrd(t: BootTarget, kernel: KernelImage): string | undefined {
  if (kernel.suffix === 'xen')
    return t.era === 'legacy' ? 'initrd-xen-3.0.img' : `initramfs-${kernel.version}-xen.img`;
  if (kernel.suffix === 'genkernel') {
    const arch = genkernelArch(t);
    const old = t.bootFiles.find((f) => f.startsWith(`initramfs-genkernel-${arch}-${kernel.version}`));
    return old ?? genkernelFiles(t, kernel.version).initrd;
  }
  return undefined;
}

/** The dom0 initrd file in /boot, if any. */
export function resolveInitrd(
  t: BootTarget,
  a: BootAnswers,
  kernel: KernelImage,
): Resolved<string | undefined> {
  if (a.initrd) {
    if (!a.initrd.startsWith('/boot/'))
      return { ok: false, reason: `[boot] initrd ${a.initrd}: the initrd must be in /boot` };
    const file = a.initrd.slice('/boot/'.length);
    return {
      ok: true,
      value: file,
      warnings: t.bootFiles.includes(file) ? [] : [`${a.initrd} ([boot] initrd) does not exist yet`],
    };
  }
  const v = `${kernel.version}-${kernel.suffix}`;
  const road = roadInitrd(t, kernel);
  const candidates = [
    ...(road ? [road] : []),
    `initramfs-${v}.img`,
    `initramfs-${v}`,
    `initrd-${v}.img`,
    `initrd-${v}`,
    `initramfs-genkernel-${v}`,
  ];
  const present = candidates.find((c) => t.bootFiles.includes(c));
  if (present) return { ok: true, value: present, warnings: [] };
  // kernel-single and genkernel make their initrd with the kernel: the entry names it already.
  if (road)
    return {
      ok: true,
      value: road,
      warnings: [
        `/boot/${road} is not made yet: the entry names the file ${ROAD_NAMES[kernel.suffix]} makes`,
      ],
    };
  return { ok: true, value: undefined, warnings: [] };
}

export function resolveRoot(t: BootTarget, a: BootAnswers, initrd: string | undefined): Resolved<string> {
  const root = a.root_device ?? t.fstabRoot;
  if (!root) {
    return {
      ok: false,
      reason: "dom0's root device is unknown: /etc/fstab has no / line; set [boot] root_device",
    };
  }
  const warnings =
    !initrd && /^(UUID|LABEL)=/.test(root)
      ? [`root=${root} needs an initramfs to be resolved; without one use the device name or PARTUUID=`]
      : [];
  return { ok: true, value: root, warnings };
}

export function serialOptions(t: BootTarget, a: BootAnswers): SerialOptions | undefined {
  if (a.serial !== 'yes') return undefined;
  return {
    port: a.serial_port,
    speed: a.serial_speed,
    dom0Console: t.era === 'legacy' ? 'ttyS0' : 'hvc0',
    vga: a.serial_vga === 'yes',
  };
}

export function noreboot(a: BootAnswers): boolean {
  return a.noreboot === 'yes' || (a.noreboot === 'auto' && a.serial === 'yes');
}

export function entryTitle(a: BootAnswers, xen: XenImage, kernel: KernelImage): string {
  if (a.title) return a.title;
  const xv = xen.version ? /^\d+(\.\d+)?/.exec(xen.version)?.[0] : undefined;
  return `Xen${xv ? ` ${xv}` : ''} / Linux ${kernel.version}`;
}

/**
 * Whether /boot is its own file system, so the boot loader sees /boot/xen.gz as /xen.gz.
 * The existing GRUB legacy entries are the best witness, then /etc/fstab.
 */
export function bootIsSeparate(t: BootTarget, menuText?: string): boolean {
  if (menuText) {
    for (const s of parseGrubLegacy(menuText).stanzas) {
      const k = s.commands.find((c) => c.name === 'kernel');
      const file = k?.args.split(/\s+/)[0]?.replace(/^\([^)]*\)/, '');
      if (file?.startsWith('/boot/')) return false;
      if (file?.startsWith('/')) return true;
    }
  }
  return t.bootSeparate ?? false;
}

export interface EntryInputs {
  xen: XenImage;
  kernel: KernelImage;
  initrd: string | undefined;
  root: string | undefined;
  dom0Mem: Dom0MemChoice;
  serial: SerialOptions | undefined;
  noreboot: boolean;
  title: string;
  xenArgs: string[];
  kernelArgs: string[];
}

/** Everything an entry needs, or the first reason it cannot be written. */
export function resolveEntryInputs(
  t: BootTarget,
  a: BootAnswers,
  options: { needRoot: boolean },
): Resolved<EntryInputs> {
  const warnings: string[] = [];
  const mem = resolveDom0Mem(t, a);
  if (!mem.ok) return mem;
  // the dom0-mem step reports its warnings; do not repeat them per loader
  const xen = resolveXen(t);
  if (!xen.ok) return xen;
  warnings.push(...xen.warnings);
  const kernel = resolveKernel(t, a);
  if (!kernel.ok) return kernel;
  warnings.push(...kernel.warnings);
  const initrdResult = resolveInitrd(t, a, kernel.value);
  if (!initrdResult.ok) return initrdResult;
  warnings.push(...initrdResult.warnings);
  const initrd = initrdResult.value;
  let root: string | undefined;
  if (options.needRoot || a.root_device) {
    const r = resolveRoot(t, a, initrd);
    if (!r.ok) {
      if (options.needRoot) return r;
    } else {
      root = r.value;
      warnings.push(...r.warnings);
    }
  }
  // genkernel's initramfs mounts the root itself: the HOWTO's root=/dev/ram0 real_root=DEVICE.
  const kernelArgs = splitArgs(a.kernel_args);
  if (kernel.value.suffix === 'genkernel' && root) {
    kernelArgs.unshift(`real_root=${root}`);
    if (t.era === 'legacy') root = '/dev/ram0';
  }
  return {
    ok: true,
    value: {
      xen: xen.value,
      kernel: kernel.value,
      initrd,
      root,
      dom0Mem: mem.value,
      serial: serialOptions(t, a),
      noreboot: noreboot(a),
      title: entryTitle(a, xen.value, kernel.value),
      xenArgs: splitArgs(a.xen_args),
      kernelArgs,
    },
    warnings,
  };
}

/**
 * A boot file or answer the boot-loader package cannot take blocks the step with its message.
 * A boot file that is malformed (a quote sh cannot close, a broken xen-gentoo marker block) is
 * bad input instead: InputError (exit 2) naming the file and line, since no answer can fix it and
 * guessing which lines are the tool's could cost the machine its boot entry.
 */
export function blockedByBootConfigError(e: unknown): StepPlan {
  rethrowBootFileError(e);
  if (e instanceof BootConfigError) return { status: 'blocked', reason: e.message };
  throw e;
}

/** Turn a malformed-boot-file error into the InputError the CLI reports as bad input (exit 2). */
export function rethrowBootFileError(e: unknown): void {
  if (e instanceof BootFileSyntaxError) {
    throw new InputError(e.file ?? '', e.line, e.problem, e.expected);
  }
}
