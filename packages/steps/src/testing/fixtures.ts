/** The in-memory half of the step-test harness; copies of the sample roots and "plan, apply, plan again" are in samples.ts. */
import { MemoryHost, planStep, View, type Step, type StepPlan } from '@xen-gentoo/core';
import { answersSchema, type Answers } from '../answers/index.js';

type Files = Record<string, string>;

const ebuild = (keywords: string, iuse = '') => `EAPI=8\nSLOT="0"\nKEYWORDS="${keywords}"\nIUSE="${iuse}"\n`;
const vdb = (pf: string, cflags: string, extra: Files = {}): Files => {
  const [category, name] = pf.split('/') as [string, string];
  return {
    [`/var/db/pkg/${category}/${name}/CATEGORY`]: category,
    [`/var/db/pkg/${category}/${name}/CFLAGS`]: cflags,
    ...extra,
  };
};

/** A small 2007-era x86 target; `files` and `links` override or add paths (null removes). */
export function legacyTarget(
  files: Record<string, string | null> = {},
  links: Record<string, string | null> = {},
): MemoryHost {
  return target(
    {
      '/etc/make.conf':
        'CFLAGS="-O2 -march=i686 -pipe"\nCHOST="i686-pc-linux-gnu"\nCXXFLAGS="${CFLAGS}"\nUSE="X nptl"\n',
      '/etc/portage/package.keywords': '',
      '/etc/conf.d/rc': 'RC_NET_STRICT_CHECKING="no"\n',
      '/usr/portage/profiles/default-linux/x86/2007.0/parent': '..\n',
      '/usr/portage/profiles/default-linux/x86/2006.0/parent': '..\n',
      '/usr/portage/profiles/default-linux/x86/no-nptl/parent': '..\n',
      '/usr/portage/app-emulation/xen/xen-3.1.2.ebuild': ebuild('~amd64 ~x86', 'hvm pae'),
      '/usr/portage/app-emulation/xen-tools/xen-tools-3.1.2.ebuild': ebuild('~amd64 ~x86', 'hvm pygrub'),
      '/usr/portage/sys-libs/glibc/glibc-2.5-r4.ebuild': ebuild('amd64 x86', 'nptl nptlonly'),
      '/usr/portage/sys-devel/dev86/dev86-0.16.17.ebuild': ebuild('~amd64 x86'),
      '/proc/cpuinfo': 'flags\t\t: fpu vme pae vmx\n',
      ...vdb('sys-devel/gcc-4.1.2', '-O2 -march=i686 -pipe'),
      ...vdb('sys-libs/glibc-2.5-r4', '-O2 -march=i686 -pipe', {
        '/var/db/pkg/sys-libs/glibc-2.5-r4/USE': 'nptl x86',
      }),
      ...vdb('sys-apps/baselayout-1.12.9-r2', '-O2 -march=i686 -pipe'),
      ...vdb('sys-apps/portage-2.1.2.12', '-O2 -march=i686 -pipe'),
    },
    {
      '/etc/make.profile': '../usr/portage/profiles/default-linux/x86/2007.0',
      '/etc/runlevels/default/net.eth0': '/etc/init.d/net.eth0',
    },
    files,
    links,
  );
}

/** A small current amd64 OpenRC target. */
export function modernTarget(
  files: Record<string, string | null> = {},
  links: Record<string, string | null> = {},
): MemoryHost {
  return target(
    {
      '/etc/portage/make.conf':
        'COMMON_FLAGS="-O2 -pipe"\nCFLAGS="${COMMON_FLAGS}"\nCXXFLAGS="${COMMON_FLAGS}"\nLC_MESSAGES=C.utf8\n',
      '/etc/rc.conf': '#rc_hotplug="*"\n',
      '/var/db/repos/gentoo/profiles/default/linux/amd64/23.0/eapi': '8\n',
      '/var/db/repos/gentoo/profiles/default/linux/amd64/17.1/deprecated': 'yes\n',
      '/var/db/repos/gentoo/app-emulation/xen/xen-4.19.2.ebuild': ebuild(
        'amd64 ~arm -x86',
        '+boot-symlinks uefi',
      ),
      '/var/db/repos/gentoo/app-emulation/xen-tools/xen-tools-4.19.1.ebuild': ebuild(
        'amd64 ~arm64 x86',
        '+hvm +qemu systemd',
      ),
      '/var/db/repos/gentoo/sys-libs/glibc/glibc-2.41-r5.ebuild': ebuild('amd64 x86', 'multiarch ssp'),
      '/proc/cpuinfo': 'flags\t\t: fpu lm svm\n',
      ...vdb('sys-devel/gcc-14.3.1_p20250801', '-O2 -pipe'),
      ...vdb('sys-libs/glibc-2.41-r5', '-O2 -pipe'),
      ...vdb('sys-apps/baselayout-2.17-r1', '-O2 -pipe'),
      ...vdb('sys-apps/portage-3.0.69.3-r1', '-O2 -pipe'),
    },
    { '/etc/portage/make.profile': '../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0' },
    files,
    links,
  );
}

function target(
  baseFiles: Files,
  baseLinks: Files,
  files: Record<string, string | null>,
  links: Record<string, string | null>,
): MemoryHost {
  const host = new MemoryHost(baseFiles, baseLinks);
  for (const [path, content] of Object.entries(files)) {
    if (content === null) host.files.delete(path);
    else host.files.set(path, content);
  }
  for (const [path, linkTarget] of Object.entries(links)) {
    if (linkTarget === null) host.links.delete(path);
    else host.links.set(path, linkTarget);
  }
  return host;
}

/** Answers from a partial INI-shaped object. */
export function answers(raw: Record<string, Record<string, string>> = {}): Answers {
  return answersSchema.parse(raw);
}

/** Plan one step on a target (its own fresh view). */
export function planOn<F>(
  step: Step<Answers, F>,
  host: MemoryHost,
  a: Answers = answers(),
): Promise<StepPlan> {
  return planStep(step as Step<Answers, unknown>, new View(host), a);
}
