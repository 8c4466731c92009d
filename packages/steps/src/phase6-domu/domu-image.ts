import {
  defineStep,
  type Change,
  type CommandChange,
  type ImageChange,
  type ImagePart,
  type StepPlan,
} from '@xen-gentoo/core';
import type { Answers, GuestAnswers } from '../answers/index.js';
import { guestHostname, guestImage, sizeBytes } from '../answers/values.js';
import { loopMountMissing, machineOf, probeLoopMount, type LoopMountFacts } from './loop-mount.js';
import { detectGuestHost, guestFilesystem, guestsOf, type GuestHost } from './target.js';

export interface DomuImageFacts {
  host: GuestHost;
  guests: {
    guest: GuestAnswers;
    image: string;
    imageExists: boolean;
    imageBytes: number | undefined;
    stageExists: boolean;
    passwordFileExists: boolean | undefined;
  }[];
  /** Probed only when an image to build needs a loop mount. */
  loopMount?: LoopMountFacts;
}

/** Where an image's tree is staged before it becomes the image. */
export function stageDirOf(image: string): string {
  return `${image}.xen-gentoo-stage`;
}

/** The domU's /etc/fstab: the image as xvda, the swap file, and (2007) proc and shm as in the HOWTO. */
export function renderGuestFstab(filesystem: string, swap: boolean, era: 'legacy' | 'modern'): string {
  const lines = [
    '# <fs>\t\t<mountpoint>\t<type>\t\t<opts>\t\t<dump/pass>',
    `/dev/xvda\t/\t\t${filesystem}\t\tnoatime\t\t0 1`,
    ...(swap ? ['/swap\t\tnone\t\tswap\t\tsw\t\t0 0'] : []),
    ...(era === 'legacy'
      ? ['proc\t\t/proc\t\tproc\t\tdefaults\t0 0', 'shm\t\t/dev/shm\ttmpfs\t\tnodev,nosuid,noexec\t0 0']
      : []),
  ];
  return `# written by xen-gentoo: the domU's disk is xvda (no boot partition, CD-ROM or floppy)\n${lines.join('\n')}\n`;
}

/**
 * The commands that fill the staged tree from dom0's binary packages (ROOT= the staging
 * directory, as the HOWTO does), and the chroot fix-ups that still exist.
 */
export function guestMergeCommands(host: GuestHost, guest: GuestAnswers, stage: string): CommandChange[] {
  const root = `${stage}/`;
  const env = { ROOT: root, CONFIG_PROTECT: '-/etc', FEATURES: '-collision-protect' };
  const legacy = host.era === 'legacy';
  const extra = [
    ...(guest.network === 'dhcp' ? [legacy ? 'net-misc/dhcp' : 'net-misc/dhcpcd'] : []),
    ...(legacy && guestFilesystem(host, guest).filesystem === 'reiserfs' ? ['sys-fs/reiserfsprogs'] : []),
  ];
  const commands: CommandChange[] = [
    {
      kind: 'command',
      argv: ['emerge', '--usepkg', '--emptytree', legacy ? 'system' : '@system'],
      env,
      inRoot: true,
      long: true,
      why: `${guest.name}: installs the base system into the image from dom0's binary packages (same CFLAGS, CHOST and USE), overwriting the stage's files`,
    },
  ];
  if (legacy)
    commands.push(
      {
        kind: 'command',
        argv: ['chroot', stage, 'gcc-config', '1'],
        inRoot: true,
        why: `${guest.name}: selects the gcc profile, which a ROOT= merge of sys-devel/gcc leaves invalid`,
      },
      {
        kind: 'command',
        argv: ['chroot', stage, 'env-update'],
        inRoot: true,
        why: `${guest.name}: rebuilds /etc/profile.env and ld.so.cache in the image`,
      },
      {
        kind: 'command',
        argv: ['emerge', '--usepkg', 'app-portage/gentoolkit'],
        env,
        inRoot: true,
        why: `${guest.name}: revdep-rebuild comes with gentoolkit`,
      },
      {
        kind: 'command',
        argv: ['chroot', stage, 'revdep-rebuild', '--', '--usepkg'],
        inRoot: true,
        long: true,
        why: `${guest.name}: re-merges what still links against a library of the stage tarball`,
      },
      {
        kind: 'command',
        argv: ['chroot', stage, 'perl-cleaner', 'all', '--usepkg'],
        inRoot: true,
        long: true,
        why: `${guest.name}: perl modules after the perl update`,
      },
      {
        kind: 'command',
        argv: ['chroot', stage, 'python-updater'],
        inRoot: true,
        long: true,
        why: `${guest.name}: python modules after the python update`,
      },
    );
  else
    commands.push({
      kind: 'command',
      argv: ['chroot', stage, 'env-update'],
      inRoot: true,
      why: `${guest.name}: rebuilds /etc/profile.env and ld.so.cache in the image`,
    });
  if (extra.length)
    commands.push({
      kind: 'command',
      argv: ['emerge', '--usepkg', ...extra],
      env,
      inRoot: true,
      why: `${guest.name}: what the domU needs to boot beyond @system (${extra.join(', ')})`,
    });
  return commands;
}

/** Everything done to a guest's staged tree, in the HOWTO's order. */
export function guestImageParts(
  host: GuestHost,
  guest: GuestAnswers,
  stage: string,
  filesystem: string,
): ImagePart[] {
  const legacy = host.era === 'legacy';
  const parts: ImagePart[] = [];
  if (guest.swap !== '0') parts.push({ kind: 'swap', path: '/swap', bytes: sizeBytes(guest.swap) });
  if (legacy) parts.push({ kind: 'copy', from: host.repoPath, path: host.repoPath });
  // A make.conf inside /etc/portage goes with the copy of that directory.
  for (const path of host.makeConfPaths)
    if (!path.startsWith('/etc/portage/')) parts.push({ kind: 'copy', from: path, path });
  parts.push({ kind: 'copy', from: '/etc/portage', path: '/etc/portage' });
  parts.push({ kind: 'copy', from: '/etc/resolv.conf', path: '/etc/resolv.conf' });
  if (host.profileLinkTarget !== undefined)
    parts.push({ kind: 'symlink', path: host.profileLink, target: host.profileLinkTarget });
  parts.push(...guestMergeCommands(host, guest, stage));
  const hostname = guestHostname(guest);
  parts.push(
    legacy
      ? {
          kind: 'file',
          path: '/etc/conf.d/hostname',
          content: `# written by xen-gentoo\nHOSTNAME="${hostname}"\n`,
        }
      : {
          kind: 'file',
          path: '/etc/conf.d/hostname',
          content: `# written by xen-gentoo\nhostname="${hostname}"\n`,
        },
  );
  if (!legacy) parts.push({ kind: 'file', path: '/etc/hostname', content: `${hostname}\n` });
  parts.push({ kind: 'symlink', path: '/etc/localtime', target: `../usr/share/zoneinfo/${guest.timezone}` });
  if (!legacy) parts.push({ kind: 'file', path: '/etc/timezone', content: `${guest.timezone}\n` });
  if (!legacy) {
    // The PV console is hvc0: a login prompt there.
    if (host.initSystem === 'systemd')
      parts.push({
        kind: 'symlink',
        path: '/etc/systemd/system/getty.target.wants/serial-getty@hvc0.service',
        target: '/usr/lib/systemd/system/serial-getty@.service',
      });
    else
      parts.push(
        { kind: 'symlink', path: '/etc/init.d/agetty.hvc0', target: 'agetty' },
        { kind: 'symlink', path: '/etc/runlevels/default/agetty.hvc0', target: '/etc/init.d/agetty.hvc0' },
      );
  }
  if (guest.network === 'dhcp') {
    // eth0 by DHCP in the domU (dhcp, or dhcpcd today, is merged above).
    if (host.initSystem === 'systemd')
      parts.push({
        kind: 'symlink',
        path: '/etc/systemd/system/multi-user.target.wants/dhcpcd.service',
        target: '/usr/lib/systemd/system/dhcpcd.service',
      });
    else
      parts.push(
        {
          kind: 'file',
          path: '/etc/conf.d/net',
          content: legacy
            ? '# written by xen-gentoo\nconfig_eth0=( "dhcp" )\n'
            : '# written by xen-gentoo\nconfig_eth0="dhcp"\n',
        },
        { kind: 'symlink', path: '/etc/init.d/net.eth0', target: 'net.lo' },
        { kind: 'symlink', path: '/etc/runlevels/default/net.eth0', target: '/etc/init.d/net.eth0' },
      );
  }
  parts.push({
    kind: 'file',
    path: '/etc/fstab',
    content: renderGuestFstab(filesystem, guest.swap !== '0', host.era),
  });
  if (guest.root_password_file !== undefined)
    parts.push({
      kind: 'secret',
      path: '/etc/shadow',
      user: 'root',
      source: { file: guest.root_password_file },
    });
  else if (guest.root_password_env !== undefined)
    parts.push({
      kind: 'secret',
      path: '/etc/shadow',
      user: 'root',
      source: { env: guest.root_password_env },
    });
  return parts;
}

export function planGuestImage(host: GuestHost, guest: GuestAnswers, image: string): ImageChange {
  const fs = guestFilesystem(host, guest);
  const stage = stageDirOf(image);
  return {
    kind: 'image',
    path: image,
    bytes: sizeBytes(guest.disk_size),
    filesystem: fs.filesystem,
    archive: guest.stage ?? '',
    stage,
    mount: fs.mount,
    parts: guestImageParts(host, guest, stage, fs.filesystem),
    why: `${guest.name}: the domU's disk, ${fs.why}`,
  };
}

export const domuImageStep = defineStep<Answers, DomuImageFacts>({
  id: 'domu-image',
  title: "Build each Gentoo domU image from a stage tarball and dom0's binary packages",
  phase: 'Creating DomUs',
  howtoSection: 'Gentoo domU using quickpkg',
  after: ['quickpkg'],
  async detect(ctx) {
    const host = await detectGuestHost(ctx);
    const guests: DomuImageFacts['guests'] = [];
    for (const guest of guestsOf(ctx.answers, 'quickpkg')) {
      const image = guestImage(guest);
      const info = await ctx.view.stat(image);
      guests.push({
        guest,
        image,
        imageExists: info !== undefined,
        imageBytes: info?.kind === 'file' ? info.size : undefined,
        stageExists: guest.stage !== undefined && (await ctx.view.stat(guest.stage))?.kind === 'file',
        passwordFileExists: undefined,
      });
    }
    const mounted = [
      ...new Set(
        guests
          .filter((g) => !g.imageExists && g.stageExists)
          .map((g) => guestFilesystem(host, g.guest))
          .filter((fs) => fs.mount)
          .map((fs) => fs.filesystem),
      ),
    ];
    return mounted.length
      ? { host, guests, loopMount: await probeLoopMount(machineOf(ctx.view), mounted) }
      : { host, guests };
  },
  plan(f): StepPlan {
    if (f.guests.length === 0)
      return { status: 'not-applicable', reason: 'no guest with route = quickpkg in the answers file' };
    const changes: Change[] = [];
    const done: string[] = [];
    const pending: string[] = [];
    const blocked: string[] = [];
    const warnings: string[] = [];
    for (const g of f.guests) {
      if (g.imageExists) {
        done.push(
          `${g.guest.name}: ${g.image} exists${g.imageBytes === undefined ? ' (not a regular file)' : ''}`,
        );
        continue;
      }
      if (g.guest.stage === undefined) {
        blocked.push(`${g.guest.name}: no stage tarball: set stage in [guest.${g.guest.name}]`);
        continue;
      }
      if (!g.stageExists) {
        blocked.push(
          `${g.guest.name}: the stage tarball ${g.guest.stage} is not there (download a stage3 for the profile first)`,
        );
        continue;
      }
      if (g.guest.swap !== '0' && sizeBytes(g.guest.swap) >= sizeBytes(g.guest.disk_size)) {
        blocked.push(
          `${g.guest.name}: the swap file (swap = ${g.guest.swap}) does not fit on the disk (disk_size = ${g.guest.disk_size}): give a larger disk_size or a smaller swap (0 for none) in [guest.${g.guest.name}]`,
        );
        continue;
      }
      const fs = guestFilesystem(f.host, g.guest);
      const missing =
        fs.mount && f.loopMount ? loopMountMissing(f.loopMount, fs.filesystem, g.guest.name) : [];
      if (missing.length) {
        blocked.push(
          `${g.guest.name}: the image cannot be loop-mounted on this machine: ${missing.join('; and ')} (its filesystem: ${fs.why})`,
        );
        continue;
      }
      if (g.guest.root_password_file === undefined && g.guest.root_password_env === undefined)
        warnings.push(
          `${g.guest.name}: no root password (root_password_file or root_password_env): root keeps the stage's locked password`,
        );
      const change = planGuestImage(f.host, g.guest, g.image);
      changes.push(change);
      pending.push(
        `${g.guest.name}: ${g.image}, ${g.guest.disk_size} ${change.filesystem}${change.mount ? ' (loop mount)' : ' (no mount: mke2fs -d)'}`,
      );
    }
    const notes =
      f.host.era === 'modern'
        ? [
            "the package tree and binary packages are dom0's, used through ROOT= (not copied into the image); python-updater no longer exists, and revdep-rebuild and perl-cleaner have nothing to do after an --emptytree merge of one set of binary packages",
          ]
        : [];
    if (blocked.length && !changes.length)
      return { status: 'blocked', reason: [...blocked, ...done].join('; '), warnings };
    if (!changes.length) return { status: 'done', reason: done.join('; ') };
    return {
      status: 'pending',
      reason: [...pending, ...done, ...blocked].join('; '),
      changes,
      warnings: [...warnings, ...blocked.map((b) => `blocked: ${b}`)],
      notes,
    };
  },
});
