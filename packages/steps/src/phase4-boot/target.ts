import type { DetectContext, View } from '@xen-gentoo/core';
import type { BootAnswers } from '../answers/boot.js';
import type { Answers } from '../answers/index.js';
import type { KernelAnswers, KernelMethod } from '../answers/kernel.js';
import { kernelMethod } from '../answers/values.js';
import { outputDir, readKernelTree } from '../phase3-kernel/tree.js';
import { getSystem } from '../shared/system-cache.js';
import type { Era } from '../system.js';
import { detectFirmware, type FirmwareFacts } from './firmware.js';

/**
 * What the boot steps read from the target, in one place. Everything a plan needs is here as
 * plain data, so the plans stay pure.
 */
export interface BootTarget {
  era: Era;
  arch: string;
  initSystem: string;
  /** Installed app-emulation/xen version, if any. */
  xenVersion: string | undefined;
  /** app-emulation/xen installed, or an earlier planned command installs it. */
  xenComing: boolean;
  /** The installed app-emulation/xen was built with USE=uefi (its /var/db/pkg record). */
  xenUefi?: boolean;
  /** Installed sys-boot/grub, sys-boot/lilo, sys-boot/syslinux versions. */
  grubVersion: string | undefined;
  liloVersion: string | undefined;
  syslinuxVersion: string | undefined;
  /** Names in /boot. */
  bootFiles: string[];
  /** Size and mtime of the kernels and initrds in /boot (a link in /boot followed). */
  bootStats: Record<string, { size: number; mtimeMs: number }>;
  /** /etc/fstab: the / device and whether /boot is its own file system. */
  fstabRoot: string | undefined;
  bootSeparate: boolean | undefined;
  /** File texts (undefined: absent). */
  grubConf: string | undefined;
  menuLst: string | undefined;
  /** menu.lst is a symlink (to grub.conf on Gentoo). */
  menuLstLink: string | undefined;
  defaultGrub: string | undefined;
  grubCfg: string | undefined;
  customFiles: Record<string, string | undefined>;
  liloConf: string | undefined;
  /** mtimes (ms) of the LILO files, when they exist. */
  mtimes: Record<string, number | undefined>;
  mbootpack: string | undefined;
  /** /usr/src/linux points at linux-<version>. */
  kernelSourceVersion: string | undefined;
  /** Kernel source packages: installed version, or the newest in the tree when a planned command installs it. */
  kernelPackages: { catpn: string; version: string; installed: boolean }[];
  /**
   * The release the kernel steps name the dom0 kernel by: [kernel] version, else the release of
   * the tree [kernel] sources names (undefined when that tree has no Makefile yet); genkernel
   * names its files after the tree's release only.
   */
  kernelRelease?: string;
  /**
   * Where the kernel steps keep the dom0 configuration, first the one the built kernel came
   * from: genkernel's saved /etc/kernels/kernel-config-* on that road, then the .config of the
   * dom0 output directory of [kernel] sources (`_dom0` on the split road, the tree itself
   * otherwise).
   */
  dom0Configs?: string[];
  /** Kernel configs that matter for dom0: path → text. */
  kernelConfigs: Record<string, string>;
  /** syslinux module directories that hold mboot.c32, and whether ldlinux.c32 is beside it. */
  syslinuxDirs: { dir: string; ldlinux: boolean }[];
  /** PXE directory listing (names, relative to pxe_dir) and its config. */
  pxe: { dir: string; files: string[]; config: string | undefined } | undefined;
  inittab: string | undefined;
  memTotalBytes: number | undefined;
  /** The kernel road of the answers: it decides the dom0 kernel's name and its initrd. */
  kernelMethod: KernelMethod;
  /** BIOS or UEFI, the EFI system partition, Secure Boot, the firmware's boot entries. */
  firmware: FirmwareFacts;
}

const KERNEL_PACKAGES = ['sys-kernel/xen-sources', 'sys-kernel/gentoo-sources', 'sys-kernel/vanilla-sources'];

/** Where the kernel steps leave the dom0 configuration on the chosen road (see BootTarget.dom0Configs). */
async function dom0ConfigPaths(
  view: View,
  kernel: KernelAnswers | undefined,
  method: KernelMethod,
): Promise<{ release: string | undefined; paths: string[] }> {
  const tree = await readKernelTree(view, kernel?.sources ?? '/usr/src/linux');
  // genkernel names its files after the tree's release; the other roads install under [kernel] version.
  const release =
    method === 'genkernel' ? (tree?.release ?? kernel?.version) : (kernel?.version ?? tree?.release);
  const paths: string[] = [];
  if (method === 'genkernel' && release !== undefined) {
    // genkernel 4 saves kernel-config-RELEASE; genkernel 3 kernel-config-ARCH-RELEASE.
    const saved = ((await view.list('/etc/kernels')) ?? [])
      .filter((f) => ['', 'x86-', 'x86_64-'].some((arch) => f === `kernel-config-${arch}${release}`))
      .sort();
    paths.push(...saved.map((f) => `/etc/kernels/${f}`));
  }
  if (tree) paths.push(`${outputDir(tree, 'dom0', method)}/.config`);
  return { release, paths };
}

async function readKernelConfigs(
  view: View,
  bootFiles: string[],
  dom0Configs: string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const paths = [
    ...bootFiles.filter((f) => /^config-.+/.test(f) && !f.endsWith('.old')).map((f) => `/boot/${f}`),
    ...dom0Configs,
  ];
  for (const p of paths) {
    const text = await view.readFile(p);
    if (text !== undefined) out[p] = text;
  }
  return out;
}

function parseFstab(text: string | undefined): {
  root: string | undefined;
  bootSeparate: boolean | undefined;
} {
  if (text === undefined) return { root: undefined, bootSeparate: undefined };
  let root: string | undefined;
  let boot = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const [dev, mnt] = t.split(/\s+/);
    if (mnt === '/' && dev && dev !== '/dev/ROOT') root = dev;
    if (mnt === '/boot') boot = true;
  }
  return { root, bootSeparate: boot };
}

/** Whether an installed package's /var/db/pkg record has a USE flag. */
async function installedWithUse(
  view: View,
  catpn: string,
  version: string | undefined,
  flag: string,
): Promise<boolean | undefined> {
  if (version === undefined) return undefined;
  const use = await view.readFile(`/var/db/pkg/${catpn}-${version}/USE`);
  return use === undefined ? undefined : use.split(/\s+/).includes(flag);
}

export async function detectBootTarget(
  view: View,
  options: {
    customFile: string;
    pxeDir: string | undefined;
    kernelMethod?: KernelMethod;
    boot: BootAnswers;
    kernel?: KernelAnswers;
  },
): Promise<BootTarget> {
  const sys = await getSystem(view);
  const dom0 = await dom0ConfigPaths(view, options.kernel, options.kernelMethod ?? 'split');
  const bootFiles = (await view.list('/boot')) ?? [];
  const fstab = parseFstab(await view.readFile('/etc/fstab'));
  const link = await view.readlink('/usr/src/linux');
  const kernelSourceVersion = link ? /(?:^|\/)linux-(\S+?)\/?$/.exec(link)?.[1] : undefined;
  const mtime = async (p: string): Promise<number | undefined> => (await view.stat(p))?.mtimeMs;
  let mbootpack: string | undefined;
  for (const p of [
    '/usr/bin/mbootpack',
    '/usr/sbin/mbootpack',
    '/usr/local/bin/mbootpack',
    '/usr/local/sbin/mbootpack',
  ]) {
    if (await view.stat(p)) {
      mbootpack = p;
      break;
    }
  }
  const syslinuxDirs: BootTarget['syslinuxDirs'] = [];
  for (const dir of ['/usr/share/syslinux', '/usr/lib/syslinux']) {
    if (await view.stat(`${dir}/mboot.c32`))
      syslinuxDirs.push({ dir, ldlinux: (await view.stat(`${dir}/ldlinux.c32`)) !== undefined });
  }
  let pxe: BootTarget['pxe'];
  if (options.pxeDir) {
    const files = (await view.list(options.pxeDir)) ?? [];
    const cfgDir = (await view.list(`${options.pxeDir}/pxelinux.cfg`)) ?? [];
    pxe = {
      dir: options.pxeDir,
      files: [...files, ...cfgDir.map((f) => `pxelinux.cfg/${f}`)],
      config: await view.readFile(`${options.pxeDir}/pxelinux.cfg/default`),
    };
  }
  const meminfo = await view.readFile('/proc/meminfo');
  const memKb = meminfo ? /^MemTotal:\s+(\d+)\s+kB/m.exec(meminfo)?.[1] : undefined;
  const customFiles: Record<string, string | undefined> = {
    [options.customFile]: await view.readFile(options.customFile),
  };
  const kernelPackages: BootTarget['kernelPackages'] = [];
  for (const catpn of KERNEL_PACKAGES) {
    const installed = sys.installedVersion(catpn);
    if (installed) kernelPackages.push({ catpn, version: installed, installed: true });
    else if (sys.hasPackage(catpn)) {
      const newest = (await sys.available(catpn)).at(-1)?.version;
      if (newest) kernelPackages.push({ catpn, version: newest, installed: false });
    }
  }
  const grubVersion = sys.installedVersion('sys-boot/grub');
  const bootStats: BootTarget['bootStats'] = {};
  for (const name of bootFiles.filter((f) => /^(vmlinuz|initr)/.test(f))) {
    let s = await view.stat(`/boot/${name}`);
    if (s?.kind === 'symlink') {
      const link = (await view.readlink(`/boot/${name}`)) ?? '';
      s = await view.stat(link.startsWith('/') ? link : `/boot/${link}`);
    }
    if (s?.kind === 'file') bootStats[name] = { size: s.size, mtimeMs: s.mtimeMs };
  }
  return {
    era: sys.era,
    arch: sys.arch,
    initSystem: sys.initSystem,
    xenVersion: sys.installedVersion('app-emulation/xen'),
    xenComing: sys.hasPackage('app-emulation/xen'),
    xenUefi: await installedWithUse(
      view,
      'app-emulation/xen',
      sys.installedVersion('app-emulation/xen'),
      'uefi',
    ),
    grubVersion,
    liloVersion: sys.installedVersion('sys-boot/lilo'),
    syslinuxVersion: sys.installedVersion('sys-boot/syslinux'),
    bootFiles,
    bootStats,
    fstabRoot: fstab.root,
    bootSeparate: fstab.bootSeparate,
    grubConf: await view.readFile('/boot/grub/grub.conf'),
    menuLst: await view.readFile('/boot/grub/menu.lst'),
    menuLstLink: await view.readlink('/boot/grub/menu.lst'),
    defaultGrub: await view.readFile('/etc/default/grub'),
    grubCfg: await view.readFile('/boot/grub/grub.cfg'),
    customFiles,
    liloConf: await view.readFile('/etc/lilo.conf'),
    mtimes: {
      '/etc/lilo.conf': await mtime('/etc/lilo.conf'),
      '/boot/map': await mtime('/boot/map'),
      ...Object.fromEntries(
        await Promise.all(
          bootFiles
            .filter((f) => f.endsWith('-mpack') || f.startsWith('vmlinuz') || f.startsWith('xen'))
            .map(async (f) => [`/boot/${f}`, await mtime(`/boot/${f}`)] as const),
        ),
      ),
    },
    mbootpack,
    kernelSourceVersion,
    kernelPackages,
    kernelRelease: dom0.release,
    dom0Configs: dom0.paths,
    kernelConfigs: await readKernelConfigs(view, bootFiles, dom0.paths),
    syslinuxDirs,
    pxe,
    inittab: await view.readFile('/etc/inittab'),
    memTotalBytes: memKb ? Number(memKb) * 1024 : undefined,
    kernelMethod: options.kernelMethod ?? 'split',
    firmware: await detectFirmware(view, options.boot, grubVersion),
  };
}

/** What every boot step detects, with the answers that shape it (the custom GRUB file, the PXE directory). */
export function detectBootFromAnswers({ view, answers }: DetectContext<Answers>): Promise<BootTarget> {
  return detectBootTarget(view, {
    customFile: answers.boot.grub2_custom_file,
    pxeDir: answers.boot.pxe_dir,
    kernelMethod: kernelMethod(answers.kernel),
    boot: answers.boot,
    kernel: answers.kernel,
  });
}
