import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { defineCheck, type Finding } from '../check.js';

export interface DhcpcdFacts {
  era: Era;
  /** Installed net-misc/dhcpcd versions. */
  versions: string[];
}

/** dhcpcd 3.0.16 and 3.0.17 (any revision) flood the logs of a Xen guest with "bad UDP checksum". */
export function isFloodingDhcpcd(version: string): boolean {
  return /^3\.0\.1[67](?:[_-]|$)/.test(version);
}

const FIX = {
  howto: 'emerge =net-misc/dhcpcd-2.0.5-r1 in the domU (and mask =net-misc/dhcpcd-3.0.16* and -3.0.17*)',
  today:
    'any current dhcpcd (10.x); 3.0.18 and later already ignore the checksum of packets the Xen netfront never filled in',
};

export const dhcpcdCheck = defineCheck<DhcpcdFacts>({
  id: 'dhcpcd',
  title: 'dhcpcd 3.0.16/3.0.17 log flood',
  howtoSection: 'log flood when using dhcpcd-3.0.16 or 17',
  async detect({ view }) {
    const sys = await getSystem(view);
    return { era: sys.era, versions: sys.installed.get('net-misc/dhcpcd') ?? [] };
  },
  judge(f): Finding {
    const bad = f.versions.filter(isFloodingDhcpcd);
    const era = {
      era: f.era,
      matters: f.era === 'legacy',
      why:
        f.era === 'legacy'
          ? 'dhcpcd 3.0.16/17 were current in 2007'
          : "today's tree has no dhcpcd 3.0.x; the check only finds an old one left installed",
    };
    if (f.versions.length === 0) return { status: 'ok', found: 'dhcpcd is not installed', era, fix: FIX };
    if (bad.length === 0)
      return { status: 'ok', found: `dhcpcd ${f.versions.join(', ')} (not 3.0.16/17)`, era, fix: FIX };
    return {
      status: 'problem',
      found: `dhcpcd ${bad.join(', ')} is installed: as a Xen guest's DHCP client it logs "bad UDP checksum, ignoring" and renews every three seconds`,
      era: { ...era, matters: true },
      fix: FIX,
    };
  },
});
