import type { Change, StepPlan, View } from '@xen-gentoo/core';
import { systemctlEnable } from '../shared/systemctl.js';

/** systemd-networkd's directories, in the order a file of the same name overrides (first wins). */
const DIRS = [
  '/etc/systemd/network',
  '/run/systemd/network',
  '/usr/lib/systemd/network',
  '/lib/systemd/network',
];
const DIR = '/etc/systemd/network';
const WANTS = '/etc/systemd/system/multi-user.target.wants/systemd-networkd.service';

export interface NetworkFile {
  path: string;
  name: string;
  content: string;
}

export interface NetworkdFacts {
  root: string;
  /** Our three files as they are now. */
  netdev: string | undefined;
  portNetwork: string | undefined;
  bridgeNetwork: string | undefined;
  /** The .network file networkd applies to the interface now (the first by name that matches it). */
  ifaceFile: NetworkFile | undefined;
  networkdEnabled: boolean;
}

export const netdevName = (bridge: string) => `${bridge}.netdev`;
export const bridgeNetworkName = (bridge: string) => `00-${bridge}.network`;
export const portNetworkName = (bridge: string, iface: string) => `00-${bridge}-port-${iface}.network`;

export function renderNetdev(bridge: string): string {
  return [
    "# The bridge the Xen guests' interfaces join (xen-gentoo net-bridge)",
    '[NetDev]',
    `Name=${bridge}`,
    'Kind=bridge',
    '',
    '[Bridge]',
    'STP=no',
    'ForwardDelaySec=0',
    '',
  ].join('\n');
}

/**
 * The interface's own .network once it is a port: [Network] Bridge=, and the [Link] settings
 * (MTU, MAC address, …) of the file that configured it, which belong to the link, not the address.
 */
export function renderPortNetwork(bridge: string, iface: string, from?: NetworkFile): string {
  const link = from ? splitSections(from.content).filter((section) => section.name === 'Link') : [];
  return [
    `# ${iface} only carries the ${bridge} bridge${from && link.length > 0 ? `, with the [Link] settings of ${from.path}` : ''} (xen-gentoo net-bridge)`,
    '[Match]',
    `Name=${iface}`,
    '',
    ...link.flatMap((section) => ['[Link]', ...trimLastBlank(section.lines), '']),
    '[Network]',
    `Bridge=${bridge}`,
    '',
  ].join('\n');
}

const trimLastBlank = (lines: string[]): string[] =>
  lines.filter((l, i, all) => !(l.trim() === '' && i === all.length - 1));

/** Sections of an INI-style unit file: name → body lines (comments kept). */
export function splitSections(text: string): { name: string; lines: string[] }[] {
  const sections: { name: string; lines: string[] }[] = [];
  for (const raw of text.replace(/\r/g, '').split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(raw);
    if (header) sections.push({ name: header[1]!, lines: [] });
    else sections.at(-1)?.lines.push(raw);
  }
  return sections;
}

/** The bridge's .network: the interface's own settings (all but [Match] and [Link], which stay with the port), else DHCP. */
export function renderBridgeNetwork(bridge: string, from: NetworkFile | undefined): string {
  const head = ['[Match]', `Name=${bridge}`, ''];
  if (!from)
    return [
      `# ${bridge} holds the host's address (xen-gentoo net-bridge)`,
      ...head,
      '[Network]',
      'DHCP=yes',
      '',
    ].join('\n');
  const body: string[] = [];
  for (const section of splitSections(from.content)) {
    if (section.name === 'Match' || section.name === 'Link') continue;
    body.push(`[${section.name}]`, ...trimLastBlank(section.lines), '');
  }
  return [
    `# ${bridge} holds the host's address, moved from ${from.path} (xen-gentoo net-bridge)`,
    ...head,
    ...body,
  ].join('\n');
}

/** Whether a `Name=` match list (globs, space separated; a leading ! negates) matches the interface. */
export function nameMatches(list: string, iface: string): boolean {
  const words = list.split(/\s+/).filter(Boolean);
  const negate = words[0]?.startsWith('!') ?? false;
  const patterns = words.map((w, i) => (i === 0 && negate ? w.slice(1) : w));
  const glob = (p: string) =>
    new RegExp(
      `^${p
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
  const hit = patterns.some((p) => glob(p).test(iface));
  return negate ? !hit : hit;
}

/** The `Name=` of a file's [Match] section, if any. */
function matchNames(content: string): string | undefined {
  const match = splitSections(content).find((s) => s.name === 'Match');
  const names = match?.lines
    .map((l) => /^\s*Name\s*=\s*(.*)$/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
  return names?.length ? names.join(' ') : undefined;
}

export async function readNetworkd(view: View, iface: string, bridge: string): Promise<NetworkdFacts> {
  const seen = new Map<string, NetworkFile>();
  for (const dir of DIRS) {
    for (const name of (await view.list(dir)) ?? []) {
      if (!name.endsWith('.network') || seen.has(name)) continue;
      const content = await view.readFile(`${dir}/${name}`);
      if (content !== undefined) seen.set(name, { path: `${dir}/${name}`, name, content });
    }
  }
  const ours = new Set([bridgeNetworkName(bridge), portNetworkName(bridge, iface)]);
  const ifaceFile = [...seen.values()]
    .filter((f) => !ours.has(f.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .find((f) => {
      const names = matchNames(f.content);
      return names !== undefined && nameMatches(names, iface);
    });
  return {
    root: view.root,
    netdev: await view.readFile(`${DIR}/${netdevName(bridge)}`),
    portNetwork: await view.readFile(`${DIR}/${portNetworkName(bridge, iface)}`),
    bridgeNetwork: await view.readFile(`${DIR}/${bridgeNetworkName(bridge)}`),
    ifaceFile,
    networkdEnabled: (await view.readlink(WANTS)) !== undefined,
  };
}

/** systemd hosts: the bridge as systemd-networkd .netdev/.network files. */
export function planNetworkd(f: NetworkdFacts, iface: string, bridge: string): StepPlan {
  const changes: Change[] = [];
  const why: string[] = [];
  const warnings: string[] = [];
  const want = (name: string, current: string | undefined, after: string, what: string) => {
    if (current === after) return;
    changes.push({ kind: 'file', path: `${DIR}/${name}`, before: current ?? null, after });
    why.push(`${DIR}/${name} (${what})`);
  };
  want(netdevName(bridge), f.netdev, renderNetdev(bridge), `the ${bridge} bridge, STP off, no forward delay`);
  want(
    portNetworkName(bridge, iface),
    f.portNetwork,
    renderPortNetwork(bridge, iface, f.ifaceFile),
    f.ifaceFile && /^\s*\[Link\]/m.test(f.ifaceFile.content)
      ? `${iface} enslaved to ${bridge}, keeping the [Link] settings of ${f.ifaceFile.path}`
      : `${iface} enslaved to ${bridge}`,
  );
  // An existing bridge .network is the administrator's address by now: kept as it is.
  if (f.bridgeNetwork === undefined)
    want(
      bridgeNetworkName(bridge),
      undefined,
      renderBridgeNetwork(bridge, f.ifaceFile),
      f.ifaceFile ? `${bridge} takes the address settings of ${f.ifaceFile.path}` : `${bridge} by DHCP`,
    );
  if (!f.ifaceFile && f.bridgeNetwork === undefined)
    warnings.push(`no .network file configures ${iface}: ${bridge} gets DHCP=yes`);
  if (f.ifaceFile && f.ifaceFile.name < portNetworkName(bridge, iface))
    warnings.push(
      `${f.ifaceFile.path} sorts before ${portNetworkName(bridge, iface)}, so networkd keeps applying it to ${iface}: rename it to sort after`,
    );
  if (!f.networkdEnabled) {
    changes.push({
      kind: 'command',
      argv: systemctlEnable(f.root, ['systemd-networkd.service']),
      why: 'systemd-networkd sets up the bridge at boot',
    });
    why.push('systemctl enable systemd-networkd.service');
  }
  if (changes.length === 0)
    return {
      status: 'done',
      reason: `systemd-networkd bridges ${iface} into ${bridge}, which holds the address (${DIR})`,
      warnings,
    };
  warnings.push(
    `the bridge takes ${iface}'s address at the next boot (or \`networkctl reload\`); keep console access on a remote machine`,
  );
  return { status: 'pending', reason: why.join('; '), changes, warnings };
}
