import type { DetectContext, View } from '@xen-gentoo/core';
import { compareVersions } from '@xen-gentoo/make-conf';
import type { Answers, GuestAnswers } from '../answers/index.js';
import { compareKernelVersions } from '@xen-gentoo/kernel-config';
import { kernelVersionOfPackage } from '../phase4-boot/resolve.js';
import { detectBootFromAnswers } from '../phase4-boot/target.js';
import { readMakeConfSet } from '../shared/make-conf-set.js';
import { getSystem } from '../shared/system-cache.js';
import { versionBelow } from '../shared/versions.js';
import type { Era, InitSystem } from '../system.js';

/** What the guest steps know about the host (dom0) they make guests on. */
export interface GuestHost {
  era: Era;
  arch: string;
  initSystem: InitSystem;
  /** The target is the machine running the tool (its tools build the images). */
  live: boolean;
  makeConfPaths: string[];
  /** The make.conf variables Portage reads (CFLAGS, PKGDIR …). */
  vars: Record<string, string>;
  profileLink: string;
  profileLinkTarget: string | undefined;
  repoPath: string;
  /** Names in /boot. */
  bootFiles: string[];
  /** The version kernel-build names its files with (vmlinuz-VERSION-xenU), when known. */
  kernelVersion: string | undefined;
  /** Installed (or coming) xen-tools version. */
  xenToolsVersion: string | undefined;
  /** xl (xen-tools 4.5 and later: xm and xend were removed) or xm. */
  toolstack: 'xl' | 'xm';
  e2fsprogsVersion: string | undefined;
  hasMkreiserfs: boolean;
  /** Installed package → newest version (for quickpkg). */
  installed: { catpn: string; version: string }[];
}

export async function detectGuestHost({ view, answers }: DetectContext<Answers>): Promise<GuestHost> {
  const sys = await getSystem(view);
  const boot = await detectBootFromAnswers({ view, answers });
  let vars: Record<string, string> = {};
  try {
    vars = Object.fromEntries((await readMakeConfSet(view, sys.makeConfPath)).vars);
  } catch {
    // A malformed make.conf is reported by the steps that edit it.
  }
  const tools = sys.installedVersion('app-emulation/xen-tools');
  const toolsCandidate = tools ?? (await sys.available('app-emulation/xen-tools')).at(-1)?.version;
  const fromPackage = boot.kernelPackages[0];
  const installed = [...sys.installed.entries()].map(([catpn, versions]) => ({
    catpn,
    version: versions.at(-1) ?? '',
  }));
  return {
    era: sys.era,
    arch: sys.arch,
    initSystem: sys.initSystem,
    live: view.root === '/',
    makeConfPaths: sys.makeConfPaths,
    vars,
    profileLink: sys.profileLink,
    profileLinkTarget: await view.readlink(sys.profileLink),
    repoPath: sys.repoPath,
    bootFiles: boot.bootFiles,
    kernelVersion:
      boot.kernelRelease ??
      boot.kernelSourceVersion ??
      (fromPackage ? kernelVersionOfPackage(fromPackage.catpn, fromPackage.version) : undefined),
    xenToolsVersion: toolsCandidate,
    toolstack:
      toolsCandidate !== undefined && !versionBelow(toolsCandidate, '4.5')
        ? 'xl'
        : sys.era === 'legacy'
          ? 'xm'
          : 'xl',
    e2fsprogsVersion: sys.installedVersion('sys-fs/e2fsprogs'),
    hasMkreiserfs:
      (await view.exists('/sbin/mkreiserfs')) ||
      (await view.exists('/usr/sbin/mkreiserfs')) ||
      sys.installedVersion('sys-fs/reiserfsprogs') !== undefined,
    installed,
  };
}

/** The guest's kernel in dom0: the answer, the newest vmlinuz-*-xenU, the single kernel, or the one kernel-build installs. */
export function guestKernel(
  host: GuestHost,
  guest: GuestAnswers,
): { ok: true; path: string; warning?: string } | { ok: false; reason: string } {
  if (guest.kernel) {
    const present = guest.kernel.startsWith('/boot/') && host.bootFiles.includes(guest.kernel.slice(6));
    return present || !guest.kernel.startsWith('/boot/')
      ? { ok: true, path: guest.kernel }
      : { ok: true, path: guest.kernel, warning: `${guest.name}: ${guest.kernel} is not there yet` };
  }
  const newest = (re: RegExp): string | undefined =>
    host.bootFiles
      .map((f) => re.exec(f)?.[1])
      .filter((v): v is string => v !== undefined)
      .sort(compareKernelVersions)
      .at(-1);
  const domU = newest(/^vmlinuz-(.+)-xenU$/);
  if (domU) return { ok: true, path: `/boot/vmlinuz-${domU}-xenU` };
  const single = newest(/^vmlinuz-(.+)-xen$/);
  if (single) return { ok: true, path: `/boot/vmlinuz-${single}-xen` };
  if (host.kernelVersion)
    return {
      ok: true,
      path: `/boot/vmlinuz-${host.kernelVersion}-xenU`,
      warning: `${guest.name}: /boot/vmlinuz-${host.kernelVersion}-xenU is not built yet: kernel-build installs it`,
    };
  return {
    ok: false,
    reason: `${guest.name}: no domU kernel (no /boot/vmlinuz-*-xenU and no kernel sources to tell its name): kernel-build installs one, or set kernel in [guest.${guest.name}]`,
  };
}

/** The filesystem of a guest's image and how it is filled. */
export function guestFilesystem(
  host: GuestHost,
  guest: GuestAnswers,
): { filesystem: 'ext4' | 'ext3' | 'reiserfs'; mount: boolean; why: string } {
  const filesystem =
    guest.filesystem !== 'auto'
      ? guest.filesystem
      : host.era === 'legacy'
        ? host.hasMkreiserfs
          ? 'reiserfs'
          : 'ext3'
        : 'ext4';
  const chosen =
    guest.filesystem !== 'auto'
      ? `${filesystem} ([guest.${guest.name}] filesystem)`
      : host.era === 'legacy'
        ? host.hasMkreiserfs
          ? "reiserfs (the HOWTO's; reiserfsprogs is installed)"
          : "ext3 (the HOWTO's reiserfs needs reiserfsprogs, which is not installed)"
        : 'ext4 (reiserfs was removed from Linux 6.13)';
  // mke2fs -d (a filesystem made from a directory, no mount) came with e2fsprogs 1.43.
  const oldE2fs =
    host.live && host.e2fsprogsVersion !== undefined && compareVersions(host.e2fsprogsVersion, '1.43') < 0;
  const mount = filesystem === 'reiserfs' || oldE2fs;
  const how = mount
    ? filesystem === 'reiserfs'
      ? 'needs a loop mount: reiserfs cannot be made from a directory'
      : `needs a loop mount: e2fsprogs ${host.e2fsprogsVersion} has no mke2fs -d (1.43)`
    : 'built without mounting (mke2fs -d)';
  return { filesystem, mount, why: `${chosen}, ${how}` };
}

/** The view's guests of one route. */
export function guestsOf(answers: Answers, route: GuestAnswers['route']): GuestAnswers[] {
  return answers.guests.filter((g) => g.route === route);
}

export type { View };
