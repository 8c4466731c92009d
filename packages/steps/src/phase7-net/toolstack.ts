import type { View } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { getSystem } from '../shared/system-cache.js';
import { newestStable, newestTesting, versionBelow } from '../shared/versions.js';
import type { SystemFacts } from '../system.js';

export interface Toolstack {
  /** xen-tools installed, else the version emerge-xen would install. */
  toolsVersion: string | undefined;
  /** Installed or about to be (an earlier planned command installs it). */
  toolsPresent: boolean;
  toolsInstalled: boolean;
  /** xend and xm (xen-tools before 4.5): xend's network-bridge script sets up the host's network. */
  xend: boolean;
}

/** Which Xen toolstack the host has or will have: xend/xm before 4.5, xl from 4.5 on. */
export async function detectToolstack(view: View, answers: Answers, sys?: SystemFacts): Promise<Toolstack> {
  const s = sys ?? (await getSystem(view));
  const installed = s.installedVersion('app-emulation/xen-tools');
  let toolsVersion = installed;
  if (!toolsVersion) {
    const ebuilds = await s.available('app-emulation/xen-tools');
    const candidate =
      answers.xen.keywords === 'yes'
        ? newestTesting(ebuilds, s.arch)
        : (newestStable(ebuilds, s.arch) ?? newestTesting(ebuilds, s.arch));
    toolsVersion = candidate?.version;
  }
  return {
    toolsVersion,
    toolsPresent: s.hasPackage('app-emulation/xen-tools'),
    toolsInstalled: installed !== undefined,
    xend: toolsVersion !== undefined ? versionBelow(toolsVersion, '4.5') : s.era === 'legacy',
  };
}
