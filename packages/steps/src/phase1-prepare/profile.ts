import { posix } from 'node:path';
import { defineStep, resolveLinkTarget, type StepPlan, type View } from '@xen-gentoo/core';
import { compareVersions } from '@xen-gentoo/make-conf';
import type { Answers } from '../answers/index.js';
import { getSystem } from '../shared/system-cache.js';

export interface ProfileFacts {
  era: 'legacy' | 'modern';
  arch: string;
  profileLink: string;
  linkTarget: string | undefined;
  /** The links the profile link goes through when they never reach a file or directory (a loop). */
  linkLoop: string[] | undefined;
  current: string | undefined;
  repoPath: string;
  /** Whether the current profile's directory exists in the tree. */
  currentInTree: boolean;
  currentDeprecated: boolean;
  wanted: string | undefined;
  wantedInTree: boolean;
  wantedDeprecated: boolean;
}

/**
 * Follow the profile link as the kernel would (at most 40 links). A chain that comes back to a link
 * it went through (make.profile -> make.profile) or goes on past 40 links is a loop: the profile
 * name read from it means nothing, and "the tree is missing" would send the admin the wrong way.
 */
async function profileLinkLoop(view: View, link: string): Promise<string[] | undefined> {
  const chain = [link];
  let current = link;
  for (let hops = 0; hops < 40; hops++) {
    if ((await view.stat(current))?.kind !== 'symlink') return undefined;
    const target = await view.readlink(current);
    if (target === undefined) return undefined;
    current = resolveLinkTarget(current, target);
    const seen = chain.includes(current);
    chain.push(current);
    if (seen) return chain;
  }
  return chain;
}

/** Legacy names: default-linux/x86/2007.0[/desktop]; returns 2007.0. */
function legacyRelease(profile: string): string | undefined {
  return (
    profile.match(/^(?:default-linux|hardened|selinux)\/[^/]+\/(\d{4}\.\d+)/)?.[1] ??
    profile.match(/\/(\d{4}\.\d+)(?:\/|$)/)?.[1]
  );
}

/** Modern names: default/linux/amd64/23.0[/systemd]; returns 23.0. */
function modernRelease(profile: string): string | undefined {
  return profile.match(/^default\/linux\/[^/]+\/(\d+\.\d+)/)?.[1];
}

/** Why a profile is unsupported for the HOWTO's purpose, or undefined when it is fine. */
export function profileProblem(profile: string, deprecated: boolean): string | undefined {
  if (deprecated) return `profile ${profile} is deprecated`;
  if (profile.includes('no-nptl')) return `profile ${profile} has no NPTL glibc (the HOWTO needs NPTL)`;
  const legacy = legacyRelease(profile);
  if (profile.startsWith('default-linux/') || (legacy && !modernRelease(profile))) {
    if (legacy && compareVersions(legacy, '2006.1') < 0) return `profile ${profile} is older than 2006.1`;
    return undefined;
  }
  const modern = modernRelease(profile);
  if (modern && compareVersions(modern, '23.0') < 0)
    return `profile ${profile} predates 23.0 (17.x was deprecated in 2024)`;
  return undefined;
}

export const profileStep = defineStep<Answers, ProfileFacts>({
  id: 'profile',
  title: 'Use a supported profile',
  phase: 'Preparing the System',
  howtoSection: 'Profile',
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const linkTarget = await view.readlink(sys.profileLink);
    const inTree = async (name: string | undefined) =>
      name !== undefined && (await view.stat(`${sys.repoPath}/profiles/${name}`))?.kind === 'directory';
    const deprecated = async (name: string | undefined) =>
      name !== undefined && (await view.stat(`${sys.repoPath}/profiles/${name}/deprecated`)) !== undefined;
    const wanted = answers.system.profile;
    const linkLoop = linkTarget === undefined ? undefined : await profileLinkLoop(view, sys.profileLink);
    return {
      era: sys.era,
      arch: sys.arch,
      profileLink: sys.profileLink,
      linkTarget,
      linkLoop,
      current: linkLoop ? undefined : sys.profile,
      repoPath: sys.repoPath,
      currentInTree: await inTree(sys.profile),
      currentDeprecated: await deprecated(sys.profile),
      wanted,
      wantedInTree: await inTree(wanted),
      wantedDeprecated: await deprecated(wanted),
    };
  },
  plan(f): StepPlan {
    const select = (name: string): StepPlan => {
      if (!f.wantedInTree)
        return {
          status: 'blocked',
          reason: `profile ${name} is not in ${f.repoPath}/profiles: run emerge --sync, then plan again`,
        };
      const problem = profileProblem(name, f.wantedDeprecated);
      if (problem) return { status: 'blocked', reason: `[system] profile: ${problem}; choose another` };
      const target = posix.relative(posix.dirname(f.profileLink), `${f.repoPath}/profiles/${name}`);
      return {
        status: 'pending',
        reason: f.current ? `switch profile ${f.current} → ${name}` : `select profile ${name}`,
        changes: [{ kind: 'symlink', path: f.profileLink, target, before: f.linkTarget ?? null }],
      };
    };
    if (f.wanted && f.wanted !== f.current) return select(f.wanted);
    if (f.linkLoop)
      return {
        status: 'blocked',
        reason: `${f.profileLink} is a symlink loop (${f.linkLoop.join(' -> ')}), so no profile is selected: point it at a profile (eselect profile set, or set [system] profile)`,
      };
    if (!f.current)
      return { status: 'blocked', reason: `no profile selected (${f.profileLink}); set [system] profile` };
    if (!f.currentInTree)
      return {
        status: 'blocked',
        reason: `profile ${f.current} is not in ${f.repoPath}/profiles: the tree is missing or old; run emerge --sync`,
      };
    const problem = profileProblem(f.current, f.currentDeprecated);
    if (problem)
      return {
        status: 'blocked',
        reason: `${problem}; ${f.era === 'legacy' ? 'any 2006.1 or later profile will do (2007.0 recommended)' : 'select a 23.0 profile'}: set [system] profile (see eselect profile list)`,
      };
    return { status: 'done', reason: `profile ${f.current} is supported` };
  },
});
