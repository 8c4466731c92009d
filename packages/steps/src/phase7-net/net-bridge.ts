import { defineStep, type Change, type StepPlan, type View } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { getSystem } from '../shared/system-cache.js';
import type { InitSystem } from '../system.js';
import { NETWORK_BRIDGE_TEMPLATE } from '../templates.generated.js';
import {
  editConfNet,
  ifvar,
  lookup,
  parseConfNet,
  renderValue,
  type ConfNet,
  type ConfNetEdit,
  type NetAssignment,
} from './conf-net.js';
import { planNetworkd, readNetworkd, type NetworkdFacts } from './networkd.js';
import { detectToolstack } from './toolstack.js';

export const BRIDGE = 'xenbr0';
export const CONF_NET = '/etc/conf.d/net';
export const NETWORK_BRIDGE = '/etc/xen/scripts/network-bridge';
const HEADER = `# ${BRIDGE}: the bridge the Xen guests' interfaces join (xen-gentoo net-bridge)`;
/** The HOWTO's bridge settings for baselayout 1 (brctl). */
export const LEGACY_BRCTL = ['setfd 0', 'sethello 0', 'stp off'];
/** The same for netifrc: sysfs knobs under /sys/class/net/xenbr0/bridge/ (no brctl, no arrays). */
export const SYSFS_KNOBS: [string, string][] = [
  ['forward_delay', '0'],
  ['stp_state', '0'],
];
/** Per-interface netifrc / baselayout settings that belong to the address and move with it. */
const MOVED = [
  'routes',
  'fallback',
  'fallback_route',
  'dhcp',
  'dhcpcd',
  'dhclient',
  'udhcpc',
  'pump',
  'dns_servers',
  'dns_domain',
  'dns_search',
  'dns_options',
  'ntp_servers',
  'nis_servers',
  'nis_domain',
];

export interface NetBridgeFacts {
  initSystem: InitSystem;
  iface: string;
  xend: boolean;
  toolsPresent: boolean;
  conf: ConfNet | undefined;
  /** Link targets, when the links exist. */
  initBridge: string | undefined;
  initBridgeIsFile: boolean;
  initLoExists: boolean;
  defaultBridge: string | undefined;
  defaultIface: string | undefined;
  /** xend hosts: the network-bridge script, its kept original, and a copy Portage protected. */
  script: string | undefined;
  scriptOrig: string | undefined;
  protectedCopy: { path: string; content: string } | undefined;
  networkd: NetworkdFacts | undefined;
}

export const netBridgeStep = defineStep<Answers, NetBridgeFacts>({
  id: 'net-bridge',
  title: `The ${BRIDGE} bridge holds the host's address`,
  phase: 'Networking',
  howtoSection: 'Dom0 network configuration (alternative solution)',
  after: ['xen-services', 'net-hotplug'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const tools = await detectToolstack(view, answers, sys);
    const iface = answers.xen.interface;
    const systemd = sys.initSystem === 'systemd';
    return {
      initSystem: sys.initSystem,
      iface,
      xend: tools.xend,
      toolsPresent: tools.toolsPresent,
      conf: systemd ? undefined : parseConfNet((await view.readFile(CONF_NET)) ?? null, CONF_NET),
      initBridge: await view.readlink(`/etc/init.d/net.${BRIDGE}`),
      initBridgeIsFile: (await view.stat(`/etc/init.d/net.${BRIDGE}`))?.kind === 'file',
      initLoExists: (await view.stat('/etc/init.d/net.lo')) !== undefined,
      defaultBridge: await view.readlink(`/etc/runlevels/default/net.${BRIDGE}`),
      defaultIface: await view.readlink(`/etc/runlevels/default/net.${iface}`),
      script: tools.xend ? await view.readFile(NETWORK_BRIDGE) : undefined,
      scriptOrig: tools.xend ? await view.readFile(`${NETWORK_BRIDGE}.orig`) : undefined,
      protectedCopy: tools.xend ? await findProtectedCopy(view) : undefined,
      networkd: systemd ? await readNetworkd(view, iface, BRIDGE) : undefined,
    };
  },
  plan(f): StepPlan {
    if (f.initSystem === 'systemd') return planNetworkd(f.networkd!, f.iface, BRIDGE);
    return planConfNetBridge(f);
  },
});

/** Portage's protected copy of xen-tools' network-bridge (`._cfg0000_network-bridge`), newest. */
async function findProtectedCopy(view: View): Promise<{ path: string; content: string } | undefined> {
  const dir = '/etc/xen/scripts';
  const name = ((await view.list(dir)) ?? []).filter((n) => /^\._cfg\d{4}_network-bridge$/.test(n)).at(-1);
  if (!name) return undefined;
  const content = await view.readFile(`${dir}/${name}`);
  return content === undefined ? undefined : { path: `${dir}/${name}`, content };
}

function sameValue(a: NetAssignment | undefined, kind: 'array' | 'string', values: string[]): boolean {
  return a !== undefined && a.kind === kind && a.values.join('\n') === values.join('\n');
}

/** The address settings `config_IF` gives, as values in the host's syntax (string values split per line). */
function valuesOf(a: NetAssignment, syntax: 'array' | 'string'): string[] {
  if (a.kind === syntax) return a.values;
  return syntax === 'array'
    ? a.values.flatMap((v) =>
        v
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean),
      )
    : [a.values.join('\n')];
}

function copyValue(a: NetAssignment, syntax: 'array' | 'string'): string {
  if (a.kind === syntax || a.dynamic) return a.raw;
  return renderValue(valuesOf(a, syntax), syntax);
}

/** /etc/conf.d/net (baselayout 1 arrays or netifrc strings), the net.xenbr0 links, and on xend the script. */
function planConfNetBridge(f: NetBridgeFacts): StepPlan {
  const conf = f.conf!;
  const legacy = f.initSystem === 'baselayout1';
  const syntax = legacy ? 'array' : 'string';
  const v = ifvar(f.iface);
  const edits: ConfNetEdit[] = [];
  const why: string[] = [];
  const warnings: string[] = [];
  const notes: string[] = [];

  // Ports of the bridge.
  const ports = lookup(conf, `bridge_${BRIDGE}`);
  const portList = ports ? ports.values.flatMap((p) => p.split(/\s+/)).filter(Boolean) : [];
  if (!portList.includes(f.iface)) {
    edits.push({
      name: `bridge_${BRIDGE}`,
      value: renderValue([[...portList, f.iface].join(' ')], 'string'),
    });
    why.push(`bridge_${BRIDGE}="${[...portList, f.iface].join(' ')}"`);
  }
  // The bridge's settings: brctl on baselayout 1 (the HOWTO's), sysfs knobs on netifrc.
  if (legacy) {
    if (!sameValue(lookup(conf, `brctl_${BRIDGE}`), 'array', LEGACY_BRCTL)) {
      edits.push({ name: `brctl_${BRIDGE}`, value: renderValue(LEGACY_BRCTL, 'array') });
      why.push(`brctl_${BRIDGE}=( ${LEGACY_BRCTL.map((s) => `"${s}"`).join(' ')} )`);
    }
  } else {
    if (lookup(conf, `brctl_${BRIDGE}`)) {
      edits.push({ name: `brctl_${BRIDGE}`, remove: true });
      why.push(`brctl_${BRIDGE} removed (netifrc sets the bridge through sysfs; brctl is deprecated)`);
    }
    for (const [knob, value] of SYSFS_KNOBS) {
      const name = `bridge_${knob}_${BRIDGE}`;
      if (!sameValue(lookup(conf, name), 'string', [value])) {
        edits.push({ name, value: renderValue([value], 'string') });
        why.push(`${name}="${value}"`);
      }
    }
  }
  // The address moves from the interface to the bridge.
  const ifConfig = lookup(conf, `config_${v}`);
  const brConfig = lookup(conf, `config_${BRIDGE}`);
  const isNull = (a: NetAssignment | undefined) =>
    a !== undefined &&
    a.values
      .flatMap((x) => x.split(/\s+/))
      .filter(Boolean)
      .join(' ') === 'null';
  let address: string;
  if (brConfig && !isNull(brConfig)) {
    address = `config_${BRIDGE} ${brConfig.values.join(' ')}`;
    if (brConfig.kind !== syntax && !brConfig.dynamic) {
      edits.push({ name: `config_${BRIDGE}`, value: copyValue(brConfig, syntax) });
      why.push(`config_${BRIDGE} written as ${legacy ? 'an array (baselayout 1)' : 'a string (netifrc)'}`);
    }
  } else if (ifConfig && !isNull(ifConfig)) {
    address = `${ifConfig.values.join(' ').replace(/\n/g, ' ')} (moved from config_${v})`;
    edits.push({ name: `config_${BRIDGE}`, value: copyValue(ifConfig, syntax) });
    why.push(
      `config_${BRIDGE} takes ${f.iface}'s address (${ifConfig.values.join(' ').replace(/\n/g, ' ')})`,
    );
    if (ifConfig.dynamic)
      warnings.push(
        `${CONF_NET}:${ifConfig.startLine + 1}: config_${v} uses $-expansions; copied as written`,
      );
  } else {
    address = 'dhcp';
    edits.push({ name: `config_${BRIDGE}`, value: renderValue(['dhcp'], syntax) });
    why.push(
      ifConfig
        ? `config_${BRIDGE}="dhcp" (config_${v} was "null": ${f.iface} had no address to move)`
        : `config_${BRIDGE}="dhcp" (config_${v} is unset, which the network scripts read as DHCP)`,
    );
    if (ifConfig)
      warnings.push(`config_${v} was "null": ${BRIDGE} gets DHCP; set config_${BRIDGE} for a static address`);
  }
  if (!sameValue(ifConfig, syntax, ['null'])) {
    edits.push({ name: `config_${v}`, value: renderValue(['null'], syntax) });
    why.push(`config_${v}=${renderValue(['null'], syntax)} (${f.iface} only carries the bridge)`);
  }
  for (const base of MOVED) {
    const from = lookup(conf, `${base}_${v}`);
    if (!from) continue;
    if (!lookup(conf, `${base}_${BRIDGE}`))
      edits.push({ name: `${base}_${BRIDGE}`, value: copyValue(from, syntax) });
    edits.push({ name: `${base}_${v}`, remove: true });
    why.push(`${base}_${v} moved to ${base}_${BRIDGE}`);
  }
  const changes: Change[] = [];
  if (edits.length) {
    const after = editConfNet(conf, edits, HEADER);
    if (after !== (conf.text ?? '')) changes.push({ kind: 'file', path: CONF_NET, before: conf.text, after });
  }

  // net.xenbr0 → net.lo, as for every interface of the network scripts.
  if (f.initBridgeIsFile) {
    return {
      status: 'blocked',
      reason: `/etc/init.d/net.${BRIDGE} is a file, not the net.lo link the network scripts expect; move it away`,
    };
  }
  if (f.initBridge === undefined) {
    changes.push({ kind: 'symlink', path: `/etc/init.d/net.${BRIDGE}`, target: 'net.lo', before: null });
    why.push(`ln -s net.lo /etc/init.d/net.${BRIDGE}`);
  } else if (f.initBridge !== 'net.lo' && f.initBridge !== '/etc/init.d/net.lo') {
    changes.push({
      kind: 'symlink',
      path: `/etc/init.d/net.${BRIDGE}`,
      target: 'net.lo',
      before: f.initBridge,
    });
    why.push(`/etc/init.d/net.${BRIDGE} repointed to net.lo (was ${f.initBridge})`);
  }
  if (!f.initLoExists)
    warnings.push('/etc/init.d/net.lo is missing: the network scripts (netifrc) must be installed');

  if (f.xend) {
    // xend starts the bridge through network-bridge; the HOWTO keeps net.* out of the runlevel.
    if (f.defaultBridge !== undefined) {
      changes.push({ kind: 'remove', path: `/etc/runlevels/default/net.${BRIDGE}`, before: f.defaultBridge });
      why.push(`rc-update del net.${BRIDGE} default (xend starts it through network-bridge)`);
    }
    if (f.defaultIface !== undefined) {
      changes.push({ kind: 'remove', path: `/etc/runlevels/default/net.${f.iface}`, before: f.defaultIface });
      why.push(`rc-update del net.${f.iface} default`);
    }
    const script = planNetworkBridgeScript(f, notes);
    if (script.blocked) return { status: 'blocked', reason: script.blocked };
    changes.push(...script.changes);
    why.push(...script.why);
  } else {
    // One change: the bridge enters the runlevel and the interface leaves it together, so a
    // remote machine comes back on the bridge's address at the next boot, never on neither.
    if (f.defaultBridge === undefined) {
      changes.push({
        kind: 'symlink',
        path: `/etc/runlevels/default/net.${BRIDGE}`,
        target: `/etc/init.d/net.${BRIDGE}`,
        before: null,
      });
      why.push(`rc-update add net.${BRIDGE} default`);
    }
    if (f.defaultIface !== undefined) {
      changes.push({ kind: 'remove', path: `/etc/runlevels/default/net.${f.iface}`, before: f.defaultIface });
      why.push(`rc-update del net.${f.iface} default (the bridge brings ${f.iface} up as its port)`);
    }
  }

  const era = legacy ? 'baselayout 1 arrays' : 'netifrc';
  if (changes.length === 0)
    return {
      status: 'done',
      reason: [
        `${BRIDGE} bridges ${f.iface} and holds the address (${address}) in ${CONF_NET} (${era})`,
        f.xend
          ? 'xend starts it through the replaced network-bridge'
          : `net.${BRIDGE} is in the default runlevel`,
      ].join('; '),
      warnings,
      notes,
    };
  warnings.push(
    `the new network set-up takes effect at the next boot; on a remote machine keep console access in case ${BRIDGE} does not come up`,
  );
  return { status: 'pending', reason: `${why.join('; ')} (${era})`, changes, warnings, notes };
}

/** The HOWTO's replacement network-bridge, with xen-tools' original kept as network-bridge.orig. */
function planNetworkBridgeScript(
  f: NetBridgeFacts,
  notes: string[],
): { changes: Change[]; why: string[]; blocked?: string } {
  const changes: Change[] = [];
  const why: string[] = [];
  const orig = `${NETWORK_BRIDGE}.orig`;
  const ours = f.script === NETWORK_BRIDGE_TEMPLATE;
  if (f.script !== undefined && !ours) {
    if (f.scriptOrig === undefined) {
      changes.push({ kind: 'file', path: orig, before: null, after: f.script, mode: 0o755 });
      why.push(`mv ${NETWORK_BRIDGE} ${orig}`);
    } else notes.push(`${orig} already holds an original; it is kept as it is`);
    changes.push({
      kind: 'file',
      path: NETWORK_BRIDGE,
      before: f.script,
      after: NETWORK_BRIDGE_TEMPLATE,
      mode: 0o755,
    });
    why.push(`${NETWORK_BRIDGE} replaced by the HOWTO's script (starts /etc/init.d/net.xenbr*)`);
  } else if (f.script === undefined) {
    if (!f.toolsPresent)
      return {
        changes,
        why,
        blocked: `${NETWORK_BRIDGE} comes with app-emulation/xen-tools, which is not installed (emerge-xen)`,
      };
    changes.push({
      kind: 'file',
      path: NETWORK_BRIDGE,
      before: null,
      after: NETWORK_BRIDGE_TEMPLATE,
      mode: 0o755,
    });
    why.push(`${NETWORK_BRIDGE}: the HOWTO's script`);
    notes.push(
      `xen-tools is not installed yet: Portage keeps its own network-bridge beside this one as ._cfg0000_network-bridge (CONFIG_PROTECT), and the next plan moves it to ${orig}`,
    );
  }
  if (f.protectedCopy && (ours || f.script === undefined)) {
    if (f.scriptOrig === undefined)
      changes.push({ kind: 'file', path: orig, before: null, after: f.protectedCopy.content, mode: 0o755 });
    changes.push({ kind: 'remove', path: f.protectedCopy.path, before: f.protectedCopy.content });
    why.push(`xen-tools' network-bridge (${f.protectedCopy.path}) kept as ${orig}`);
  }
  return { changes, why };
}
