import { detectDom0, describeDom0, type Dom0Facts } from '../../shared/dom0.js';
import { BRIDGE, netBridgeStep } from '../../phase7-net/net-bridge.js';
import { getSystem } from '../../shared/system-cache.js';
import type { Era } from '../../system.js';
import { defineCheck, mattersOnEveryEra, type Finding } from '../check.js';
import { stepState, statusOfStep } from '../step-state.js';

export interface Dom0NetworkFacts {
  era: Era;
  iface: string;
  /** The net-bridge step's verdict on the configuration files (/etc/conf.d/net or networkd). */
  config: { status: string; reason: string };
  dom0: Dom0Facts;
  /** What the running system shows (read only when it runs as dom0). */
  live:
    | {
        /** /sys/class/net is there: without it (sysfs not mounted in this root) the rest says nothing. */
        sysfs: boolean;
        bridgeExists: boolean;
        /** The bridge the interface is enslaved to (/sys/class/net/IF/master), if any. */
        ifaceMaster: string | undefined;
        /**
         * Interfaces holding an address: IPv4 routes in /proc/net/route, global IPv6 addresses in
         * /proc/net/if_inet6.
         */
        routed: string[];
      }
    | undefined;
}

const FIX = {
  howto:
    'the "Dom0 network configuration (alternative solution)": bridge_xenbr0="eth0", brctl_xenbr0=( "setfd 0" "sethello 0" "stp off" ), config_xenbr0=( "dhcp" ) in /etc/conf.d/net, `ln -sf net.lo /etc/init.d/net.xenbr0`, and the wrapper in place of /etc/xen/scripts/network-bridge (original kept as network-bridge.orig); or, by hand after xend started, `ifconfig eth0 down; ifconfig eth0 ADDRESS netmask MASK; route add default gw GATEWAY`',
  today:
    '`xen-gentoo apply --only net-bridge`: netifrc\'s bridge_xenbr0="eth0", config_eth0="null", config_xenbr0 with the address, net.xenbr0 in the default runlevel (or systemd-networkd .netdev/.network files); then `rc-service net.xenbr0 start` or `networkctl reload`',
};

/** Interfaces that have a route in /proc/net/route (header skipped). */
export function routedInterfaces(procNetRoute: string | undefined): string[] {
  const names = (procNetRoute ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/)[0] ?? '')
    .filter(Boolean);
  return [...new Set(names)];
}

/** Interfaces with a global-scope IPv6 address in /proc/net/if_inet6 (address, index, prefix, scope, flags, name). */
export function globalIpv6Interfaces(ifInet6: string | undefined): string[] {
  const names = (ifInet6 ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 6 && f[3] === '00')
    .map((f) => f[5] ?? '');
  return [...new Set(names.filter(Boolean))];
}

export const dom0NetworkCheck = defineCheck<Dom0NetworkFacts>({
  id: 'dom0-network',
  title: `Dom0 networking: the ${BRIDGE} bridge exists and holds the address`,
  howtoSection: 'Host (dom0) networking fails to start',
  async detect(ctx) {
    const { view, answers } = ctx;
    const sys = await getSystem(view);
    const iface = answers.xen.interface;
    const plan = await stepState(netBridgeStep, ctx);
    const dom0 = await detectDom0(view);
    const live = dom0.dom0
      ? {
          sysfs: (await view.stat('/sys/class/net')) !== undefined,
          bridgeExists: (await view.stat(`/sys/class/net/${BRIDGE}/bridge`)) !== undefined,
          ifaceMaster: (await view.readlink(`/sys/class/net/${iface}/master`))?.split('/').pop(),
          routed: [
            ...new Set([
              ...routedInterfaces(await view.readFile('/proc/net/route')),
              ...globalIpv6Interfaces(await view.readFile('/proc/net/if_inet6')),
            ]),
          ],
        }
      : undefined;
    return { era: sys.era, iface, config: { status: plan.status, reason: plan.reason }, dom0, live };
  },
  judge(f): Finding {
    const era = mattersOnEveryEra(f.era, {
      legacy:
        "2007: xend's network-bridge script moves the address itself and often fails; the HOWTO's alternative lets Gentoo's scripts build the bridge",
      today:
        "today: nothing builds the bridge but the host's own network configuration (netifrc or networkd)",
    });
    const configStatus = statusOfStep(
      f.config as { status: 'done' | 'pending' | 'not-applicable' | 'blocked' },
    );
    const details = [`configuration (net-bridge): ${f.config.status}: ${f.config.reason}`];
    if (f.live === undefined) {
      details.push(`running system: not checked, ${describeDom0(f.dom0)}`);
      return {
        status: configStatus,
        found:
          configStatus === 'ok'
            ? `the configuration builds ${BRIDGE} from ${f.iface} with the address`
            : configStatus === 'problem'
              ? `the configuration does not yet build ${BRIDGE} holding ${f.iface}'s address`
              : `the configuration could not be judged (${f.config.status})`,
        era,
        details,
        fix: FIX,
      };
    }
    if (!f.live.sysfs) {
      details.push(
        `running system (dom0): no /sys/class/net in this root (sysfs not mounted), so the live bridge cannot be read`,
      );
      return {
        status: configStatus === 'problem' ? 'problem' : 'unknown',
        found:
          configStatus === 'problem'
            ? `the configuration does not yet build ${BRIDGE} holding ${f.iface}'s address; the running bridge cannot be read (no /sys/class/net)`
            : `this dom0's bridge cannot be read: no /sys/class/net in this root (the configuration: ${f.config.status})`,
        era,
        details,
        fix: FIX,
      };
    }
    const live: string[] = [];
    if (!f.live.bridgeExists) live.push(`${BRIDGE} does not exist`);
    else if (f.live.ifaceMaster !== BRIDGE)
      live.push(
        `${f.iface} is ${f.live.ifaceMaster ? `in ${f.live.ifaceMaster}` : 'in no bridge'}, not in ${BRIDGE}`,
      );
    if (f.live.routed.includes(f.iface))
      live.push(
        `${f.iface} still holds the address (routes in /proc/net/route or a global address in /proc/net/if_inet6)`,
      );
    else if (f.live.bridgeExists && !f.live.routed.includes(BRIDGE))
      live.push(`${BRIDGE} has no route and no global address`);
    details.push(
      `running system (dom0): ${BRIDGE} ${f.live.bridgeExists ? 'exists' : 'missing'}; ${f.iface} master: ${f.live.ifaceMaster ?? 'none'}; routes on ${f.live.routed.join(', ') || 'no interface'}`,
    );
    if (live.length > 0)
      return { status: 'problem', found: `this dom0's network: ${live.join('; ')}`, era, details, fix: FIX };
    return {
      status: configStatus === 'problem' ? 'problem' : 'ok',
      found:
        configStatus === 'problem'
          ? `${BRIDGE} holds the address now, but the configuration would not build it at the next boot`
          : `${BRIDGE} exists with ${f.iface} in it and holds the address`,
      era,
      details,
      fix: FIX,
    };
  },
});
