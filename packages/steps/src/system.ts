import { resolveLinkTarget, type View } from '@xen-gentoo/core';
import { compareVersions, splitPackageVersion } from '@xen-gentoo/make-conf';
import { readMakeConfSet } from './shared/make-conf-set.js';

export type Era = 'legacy' | 'modern';
export type InitSystem = 'baselayout1' | 'openrc' | 'systemd';

/** The rc configuration file of an init system: /etc/conf.d/rc (baselayout 1), /etc/rc.conf (OpenRC); none for systemd. */
export function rcConfPath(initSystem: InitSystem): string | undefined {
  if (initSystem === 'baselayout1') return '/etc/conf.d/rc';
  if (initSystem === 'openrc') return '/etc/rc.conf';
  return undefined;
}

/** One ebuild the repository offers. */
export interface EbuildInfo {
  version: string;
  keywords: string[];
  iuse: string[];
}

/** What every step may know about the target, decided once per target. */
export interface SystemFacts {
  era: Era;
  /** Why the era was decided so (shown in the plan). */
  eraEvidence: string;
  /** Gentoo arch keyword: 'x86', 'amd64', …, from the profile, CHOST or the CPU. */
  arch: string;
  /**
   * The make.conf file the tool edits: the last one Portage reads (/etc/portage/make.conf, or
   * /etc/make.conf where it is the only one, or the last file of a make.conf directory).
   */
  makeConfPath: string;
  /** Every make.conf Portage reads on this target (both when both exist). */
  makeConfPaths: string[];
  /** Profile symlink path and its target profile name (e.g. default/linux/amd64/23.0). */
  profileLink: string;
  profile: string | undefined;
  initSystem: InitSystem;
  /** Path of the main package repository (/usr/portage or /var/db/repos/gentoo). */
  repoPath: string;
  /** Installed package versions from /var/db/pkg: 'category/name' → versions, newest last. */
  installed: Map<string, string[]>;
  /** The newest installed version of a package. */
  installedVersion(catpn: string): string | undefined;
  /** Ebuilds the repository offers for a package, oldest first (empty when the tree lacks it). */
  available(catpn: string): Promise<EbuildInfo[]>;
  /** Whether a package is installed or will be by an earlier planned command. */
  hasPackage(catpn: string): boolean;
}

const MODERN_MAKE_CONF = '/etc/portage/make.conf';
const LEGACY_MAKE_CONF = '/etc/make.conf';

/** Decide once per target which world it is in, from files alone (works on a mounted root). */
export async function detectSystem(view: View): Promise<SystemFacts> {
  const modernConf = await view.stat(MODERN_MAKE_CONF);
  const legacyConf = await view.stat(LEGACY_MAKE_CONF);
  let vars = new Map<string, string>();
  let makeConf: { path: string } | undefined;
  try {
    const set = await readMakeConfSet(
      view,
      modernConf === undefined && legacyConf !== undefined ? LEGACY_MAKE_CONF : MODERN_MAKE_CONF,
    );
    makeConf = set;
    vars = set.vars;
  } catch {
    // A malformed make.conf is reported by the steps that must edit it.
  }
  const makeConfPaths = [
    ...(legacyConf !== undefined ? [LEGACY_MAKE_CONF] : []),
    ...(modernConf !== undefined ? [MODERN_MAKE_CONF] : []),
  ];

  const profileLink = (await view.stat('/etc/portage/make.profile'))
    ? '/etc/portage/make.profile'
    : '/etc/make.profile';
  const linkTarget = await view.readlink(profileLink);
  const profile = linkTarget ? profileName(resolveLinkTarget(profileLink, linkTarget)) : undefined;

  const installed = await readInstalled(view);
  const newest = (catpn: string): string | undefined => installed.get(catpn)?.at(-1);

  const baselayout = newest('sys-apps/baselayout');
  const reasons: string[] = [];
  let legacyScore = 0;
  if (profile?.startsWith('default-linux/') || profile?.match(/^(hardened|selinux)\/(x86|amd64|\d)/)) {
    legacyScore += 2;
    reasons.push(`profile ${profile} uses the 2007 naming`);
  }
  if (modernConf === undefined && legacyConf !== undefined) {
    legacyScore += 1;
    reasons.push('only /etc/make.conf exists');
  }
  if (baselayout && compareVersions(baselayout, '2') < 0) {
    legacyScore += 2;
    reasons.push(`baselayout ${baselayout} (< 2)`);
  }
  const era: Era = legacyScore >= 2 ? 'legacy' : 'modern';
  const eraEvidence =
    era === 'legacy'
      ? reasons.join('; ')
      : [
          profile ? `profile ${profile}` : undefined,
          modernConf !== undefined ? '/etc/portage/make.conf exists' : undefined,
          baselayout ? `baselayout ${baselayout}` : undefined,
        ]
          .filter(Boolean)
          .join('; ') || 'no 2007-era markers found';

  const arch = await detectArch(view, profile, vars.get('CHOST'));
  const initSystem = await detectInit(view, profile, baselayout);
  const repoPath = await detectRepo(view, vars.get('PORTDIR'));

  const ebuildCache = new Map<string, Promise<EbuildInfo[]>>();
  return {
    era,
    eraEvidence,
    arch,
    makeConfPath:
      modernConf === undefined && legacyConf === undefined
        ? era === 'legacy'
          ? LEGACY_MAKE_CONF
          : MODERN_MAKE_CONF
        : (makeConf?.path ?? (modernConf !== undefined ? MODERN_MAKE_CONF : LEGACY_MAKE_CONF)),
    makeConfPaths,
    profileLink,
    profile,
    initSystem,
    repoPath,
    installed,
    installedVersion: newest,
    available(catpn) {
      let found = ebuildCache.get(catpn);
      if (!found) {
        found = readEbuilds(view, `${repoPath}/${catpn}`);
        ebuildCache.set(catpn, found);
      }
      return found;
    },
    hasPackage: (catpn) => installed.has(catpn) || view.pendingInstalls.has(catpn),
  };
}

/** 'default/linux/amd64/23.0' from '/var/db/repos/gentoo/profiles/default/linux/amd64/23.0'. */
export function profileName(resolvedTarget: string): string {
  const at = resolvedTarget.lastIndexOf('/profiles/');
  return at >= 0 ? resolvedTarget.slice(at + '/profiles/'.length) : resolvedTarget;
}

const ARCHES = [
  'amd64',
  'x86',
  'arm64',
  'arm',
  'ppc64',
  'ppc',
  'riscv',
  'sparc',
  'alpha',
  'hppa',
  'ia64',
  'mips',
  's390',
  'loong',
  'm68k',
];

async function detectArch(
  view: View,
  profile: string | undefined,
  chost: string | undefined,
): Promise<string> {
  const fromProfile = profile?.split('/').find((part) => ARCHES.includes(part));
  if (fromProfile) return fromProfile;
  const cpu = chost?.split('-')[0];
  if (cpu) {
    if (/^i[3-6]86$/.test(cpu)) return 'x86';
    if (cpu === 'x86_64') return 'amd64';
    if (cpu === 'aarch64') return 'arm64';
  }
  const cpuinfo = await view.readFile('/proc/cpuinfo');
  if (cpuinfo && /^flags\s*:.*\blm\b/m.test(cpuinfo)) return 'amd64';
  return 'x86';
}

async function detectInit(
  view: View,
  profile: string | undefined,
  baselayout: string | undefined,
): Promise<InitSystem> {
  if (baselayout && compareVersions(baselayout, '2') < 0) return 'baselayout1';
  if ((await view.stat('/etc/conf.d/rc')) && !(await view.stat('/etc/rc.conf'))) return 'baselayout1';
  if (profile?.split('/').includes('systemd')) return 'systemd';
  if (await view.stat('/run/systemd/system')) return 'systemd';
  const init = await view.readlink('/sbin/init');
  if (init?.includes('systemd')) return 'systemd';
  return 'openrc';
}

async function detectRepo(view: View, portdir: string | undefined): Promise<string> {
  if (portdir) return portdir;
  for (const file of [
    '/etc/portage/repos.conf/gentoo.conf',
    '/etc/portage/repos.conf',
    '/usr/share/portage/config/repos.conf',
  ]) {
    const text = await view.readFile(file);
    const match = text?.match(/^\[gentoo\][^[]*?^\s*location\s*=\s*(\S+)/ms);
    if (match?.[1]) return match[1];
  }
  if (await view.stat('/var/db/repos/gentoo')) return '/var/db/repos/gentoo';
  return '/usr/portage';
}

async function readInstalled(view: View): Promise<Map<string, string[]>> {
  const installed = new Map<string, string[]>();
  for (const category of (await view.list('/var/db/pkg')) ?? []) {
    if (category.startsWith('.') || !category.includes('-')) {
      if (category !== 'virtual') continue;
    }
    for (const pf of (await view.list(`/var/db/pkg/${category}`)) ?? []) {
      if (pf.startsWith('-MERGING-') || pf.startsWith('.')) continue;
      const split = splitPackageVersion(pf);
      if (!split) continue;
      const key = `${category}/${split.name}`;
      const list = installed.get(key) ?? [];
      list.push(split.version);
      installed.set(key, list);
    }
  }
  for (const list of installed.values()) list.sort(compareVersions);
  return installed;
}

async function readEbuilds(view: View, dir: string): Promise<EbuildInfo[]> {
  const name = dir.split('/').pop() ?? '';
  const result: EbuildInfo[] = [];
  for (const file of (await view.list(dir)) ?? []) {
    if (!file.endsWith('.ebuild')) continue;
    const split = splitPackageVersion(file.slice(0, -'.ebuild'.length));
    if (!split || split.name !== name) continue;
    const text = (await view.readFile(`${dir}/${file}`)) ?? '';
    result.push({
      version: split.version,
      keywords: words(text.match(/^\s*KEYWORDS="([^"]*)"/m)?.[1]),
      iuse: words(text.match(/^\s*IUSE="([^"]*)"/m)?.[1]).map((flag) => flag.replace(/^[+-]/, '')),
    });
  }
  return result.sort((a, b) => compareVersions(a.version, b.version));
}

function words(text: string | undefined): string[] {
  return text ? text.split(/\s+/).filter(Boolean) : [];
}
