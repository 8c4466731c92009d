import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InputError,
  MemoryHost,
  planStep,
  View,
  type Change,
  type Step,
  type StepPlan,
} from '@xen-gentoo/core';
import { describe, expect, it } from 'vitest';
import type { Answers } from '../answers/index.js';
import { NETWORK_BRIDGE_TEMPLATE } from '../templates.generated.js';
import { bashVars } from '../testing/bash-vars.js';
import { answers, legacyTarget, modernTarget } from '../testing/fixtures.js';
import { editConfNet, parseConfNet } from './conf-net.js';
import { netBridgeStep } from './net-bridge.js';
import { netModulesStep } from './net-modules.js';
import { netStrictStep } from './net-strict.js';

/** Plan a step, lay its changes over the view, plan it again: the second must be done. */
async function planTwice(step: Step<Answers, unknown>, host: MemoryHost, a: Answers = answers()) {
  const view = new View(host);
  const first = await planStep(step, view, a);
  if (first.status === 'pending') await view.apply(first.changes);
  const fresh = new View(host);
  if (first.status === 'pending') await fresh.apply(first.changes);
  const second = await planStep(step, fresh, a);
  return { first, second, view };
}

const fileAfter = (plan: StepPlan, path: string): string | undefined =>
  plan.status === 'pending'
    ? (plan.changes.find((c) => c.kind === 'file' && c.path === path) as { after: string } | undefined)?.after
    : undefined;
const kinds = (plan: StepPlan): string[] =>
  plan.status === 'pending' ? plan.changes.map((c: Change) => `${c.kind} ${'path' in c ? c.path : ''}`) : [];

const withTools = (legacy: boolean): Record<string, string> =>
  legacy
    ? {
        '/var/db/pkg/app-emulation/xen-tools-3.1.2/CATEGORY': 'app-emulation',
        '/etc/xen/scripts/network-bridge': '#!/bin/sh\n# xen-tools network-bridge\n',
      }
    : { '/var/db/pkg/app-emulation/xen-tools-4.19.1/CATEGORY': 'app-emulation' };

describe('conf.d/net reader', () => {
  const cases: [string, string][] = [
    [
      '2007 arrays over several lines',
      'config_eth0=(\n  "192.168.0.2/24"\n  "192.168.0.3/24" # second\n)\nroutes_eth0=( "default via 192.168.0.1" )\n',
    ],
    [
      'netifrc strings, one per line',
      'config_eth0="192.168.0.2/24\n192.168.0.3/24"\nroutes_eth0=\'default via 192.168.0.1\'\n',
    ],
    [
      'functions and comments skipped',
      '# config_eth0="no"\npreup() {\n  if [ "${IFACE}" = "eth0" ]; then\n    echo "}"\n  fi\n  return 0\n}\nconfig_eth0="dhcp" # trailing\n',
    ],
    ['escapes', 'config_eth0="a \\"quoted\\" \\$word"\ndns_search_eth0=example\\ org\n'],
  ];
  for (const [name, text] of cases) {
    it(`reads what bash reads: ${name}`, () => {
      const conf = parseConfNet(text, '/etc/conf.d/net');
      const names = [...new Set(conf.assignments.map((a) => a.name))];
      const judged = bashVars(text, names);
      for (const a of conf.assignments) {
        expect(judged[a.name], a.name).toEqual(a.kind === 'array' ? a.values : a.values[0]);
      }
    });
  }

  it('an unterminated quote or array is bad input naming the line', () => {
    expect(() => parseConfNet('a=1\nconfig_eth0=( "dhcp"\n', '/etc/conf.d/net')).toThrow(InputError);
    expect(() => parseConfNet('a=1\nb="x\n', '/etc/conf.d/net')).toThrow(/\/etc\/conf\.d\/net:2/);
  });

  it('edits keep everything else and replace in place', () => {
    const text = '# mine\nconfig_eth0=(\n  "dhcp"\n)\nmtu_eth0="1500"\n';
    const out = editConfNet(parseConfNet(text, 'f'), [{ name: 'config_eth0', value: '( "null" )' }], '# h');
    expect(out).toBe('# mine\nconfig_eth0=( "null" )\nmtu_eth0="1500"\n');
  });
});

describe('net-bridge: netifrc (today)', () => {
  const vars = [
    'bridge_xenbr0',
    'config_eth0',
    'config_xenbr0',
    'routes_xenbr0',
    'routes_eth0',
    'brctl_xenbr0',
    'bridge_forward_delay_xenbr0',
    'bridge_stp_state_xenbr0',
  ];

  it('DHCP: the bridge takes it, eth0 becomes null; net.xenbr0 in and net.eth0 out of default in one change', async () => {
    const host = modernTarget(
      { '/etc/conf.d/net': 'config_eth0="dhcp"\n', '/etc/init.d/net.lo': '#!/sbin/openrc-run\n' },
      { '/etc/runlevels/default/net.eth0': '/etc/init.d/net.eth0' },
    );
    const { first, second } = await planTwice(netBridgeStep, host);
    expect(first.status).toBe('pending');
    expect(kinds(first)).toEqual([
      'file /etc/conf.d/net',
      'symlink /etc/init.d/net.xenbr0',
      'symlink /etc/runlevels/default/net.xenbr0',
      'remove /etc/runlevels/default/net.eth0',
    ]);
    const seen = bashVars(fileAfter(first, '/etc/conf.d/net')!, vars);
    expect(seen).toEqual({
      bridge_xenbr0: 'eth0',
      config_eth0: 'null',
      config_xenbr0: 'dhcp',
      routes_xenbr0: undefined,
      routes_eth0: undefined,
      brctl_xenbr0: undefined,
      bridge_forward_delay_xenbr0: '0',
      bridge_stp_state_xenbr0: '0',
    });
    expect(second.status).toBe('done');
  });

  it('static: addresses and routes move to the bridge; 2007 arrays and brctl are rewritten as strings', async () => {
    const text =
      '# static\nconfig_eth0=( "192.168.1.10/24" "192.168.1.11/24" )\nroutes_eth0=( "default via 192.168.1.1" )\nbrctl_xenbr0=( "stp off" )\n';
    const host = modernTarget({ '/etc/conf.d/net': text, '/etc/init.d/net.lo': '' });
    const { first, second } = await planTwice(netBridgeStep, host);
    const after = fileAfter(first, '/etc/conf.d/net')!;
    expect(after).not.toMatch(/=\s*\(/);
    expect(bashVars(after, vars)).toMatchObject({
      config_eth0: 'null',
      config_xenbr0: '192.168.1.10/24\n192.168.1.11/24',
      routes_xenbr0: 'default via 192.168.1.1',
      routes_eth0: undefined,
      brctl_xenbr0: undefined,
    });
    expect(second.status).toBe('done');
  });

  it("no /etc/conf.d/net at all: eth0 was on DHCP (netifrc's default), so the bridge is", async () => {
    const { first } = await planTwice(netBridgeStep, modernTarget({ '/etc/init.d/net.lo': '' }));
    expect(bashVars(fileAfter(first, '/etc/conf.d/net')!, ['config_xenbr0', 'config_eth0'])).toEqual({
      config_xenbr0: 'dhcp',
      config_eth0: 'null',
    });
    expect(first.status === 'pending' && first.reason).toMatch(
      /unset, which the network scripts read as DHCP/,
    );
  });

  it('another interface name: its netifrc variable suffix (eth0.5 → eth0_5)', async () => {
    const host = modernTarget({
      '/etc/conf.d/net': 'config_eth0_5="10.0.0.2/8"\n',
      '/etc/init.d/net.lo': '',
    });
    const { first } = await planTwice(netBridgeStep, host, answers({ xen: { interface: 'eth0.5' } }));
    expect(
      bashVars(fileAfter(first, '/etc/conf.d/net')!, ['config_xenbr0', 'config_eth0_5', 'bridge_xenbr0']),
    ).toEqual({
      config_xenbr0: '10.0.0.2/8',
      config_eth0_5: 'null',
      bridge_xenbr0: 'eth0.5',
    });
  });

  it('/etc/init.d/net.xenbr0 as a file blocks', async () => {
    const plan = await planStep(
      netBridgeStep,
      new View(modernTarget({ '/etc/init.d/net.xenbr0': 'x' })),
      answers(),
    );
    expect(plan.status).toBe('blocked');
  });
});

describe('net-bridge: baselayout 1 with xend (2007)', () => {
  it("arrays, the HOWTO's brctl settings, net.xenbr0 kept out of the runlevel, network-bridge replaced with .orig kept", async () => {
    const host = legacyTarget({
      '/etc/conf.d/net':
        'config_eth0=( "192.168.0.5 netmask 255.255.255.0" )\nroutes_eth0=( "default gw 192.168.0.1" )\n',
      '/etc/init.d/net.lo': '#!/sbin/runscript\n',
      ...withTools(true),
    });
    const { first, second } = await planTwice(netBridgeStep, host);
    expect(kinds(first)).toEqual([
      'file /etc/conf.d/net',
      'symlink /etc/init.d/net.xenbr0',
      'remove /etc/runlevels/default/net.eth0',
      'file /etc/xen/scripts/network-bridge.orig',
      'file /etc/xen/scripts/network-bridge',
    ]);
    expect(fileAfter(first, '/etc/xen/scripts/network-bridge.orig')).toBe(
      '#!/bin/sh\n# xen-tools network-bridge\n',
    );
    expect(fileAfter(first, '/etc/xen/scripts/network-bridge')).toBe(NETWORK_BRIDGE_TEMPLATE);
    const after = fileAfter(first, '/etc/conf.d/net')!;
    expect(
      bashVars(after, [
        'bridge_xenbr0',
        'brctl_xenbr0',
        'config_eth0',
        'config_xenbr0',
        'routes_xenbr0',
        'routes_eth0',
      ]),
    ).toEqual({
      bridge_xenbr0: 'eth0',
      brctl_xenbr0: ['setfd 0', 'sethello 0', 'stp off'],
      config_eth0: ['null'],
      config_xenbr0: ['192.168.0.5 netmask 255.255.255.0'],
      routes_xenbr0: ['default gw 192.168.0.1'],
      routes_eth0: undefined,
    });
    expect(second.status).toBe('done');
  });

  it("xen-tools not installed and not planned: blocked; planned: the script is written and Portage's protected copy becomes .orig later", async () => {
    expect(
      (await planStep(netBridgeStep, new View(legacyTarget({ '/etc/init.d/net.lo': '' })), answers())).status,
    ).toBe('blocked');
    const view = new View(legacyTarget({ '/etc/init.d/net.lo': '' }));
    await view.apply([
      { kind: 'command', argv: ['emerge', 'xen-tools'], why: '', installs: ['app-emulation/xen-tools'] },
    ]);
    const plan = await planStep(netBridgeStep, view, answers());
    expect(kinds(plan)).toContain('file /etc/xen/scripts/network-bridge');
    // After emerge: Portage kept the package's file as ._cfg0000_network-bridge.
    const host = legacyTarget({
      '/etc/init.d/net.lo': '',
      ...withTools(true),
      '/etc/xen/scripts/network-bridge': NETWORK_BRIDGE_TEMPLATE,
      '/etc/xen/scripts/._cfg0000_network-bridge': '#!/bin/sh\n# xen-tools network-bridge\n',
    });
    const { first, second } = await planTwice(netBridgeStep, host);
    expect(kinds(first)).toEqual(
      expect.arrayContaining([
        'file /etc/xen/scripts/network-bridge.orig',
        'remove /etc/xen/scripts/._cfg0000_network-bridge',
      ]),
    );
    expect(second.status).toBe('done');
  });

  it('the replacement script starts every net.xenbrN it finds, and says so when there is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xg-nb-'));
    mkdirSync(join(dir, 'init.d'));
    const script = NETWORK_BRIDGE_TEMPLATE.replace(
      "'/etc/init.d/net.xenbr[0-9]'",
      `'${dir}/init.d/net.xenbr[0-9]'`,
    );
    writeFileSync(join(dir, 'network-bridge'), script, { mode: 0o755 });
    let run = spawnSync('sh', [join(dir, 'network-bridge'), 'start'], { encoding: 'utf8' });
    expect(run.stdout).toBe('xen bridge: no bridge configuration found\n');
    writeFileSync(join(dir, 'init.d/net.xenbr0'), `#!/bin/sh\necho "net.xenbr0 $*" >> ${dir}/log\n`, {
      mode: 0o755,
    });
    run = spawnSync('sh', [join(dir, 'network-bridge'), 'start', 'bridge=xenbr0'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('net.xenbr0 start bridge=xenbr0\n');
    expect(NETWORK_BRIDGE_TEMPLATE).toBe(
      readFileSync(join(import.meta.dirname, '../../../../templates/network-bridge.sh'), 'utf8'),
    );
  });
});

describe('net-bridge: systemd-networkd', () => {
  const systemd = (files: Record<string, string> = {}) =>
    modernTarget(files, {
      '/etc/portage/make.profile': '../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd',
    });

  it("a .netdev, the port and the bridge .network taking the interface's own settings; networkd enabled", async () => {
    const host = systemd({
      '/etc/systemd/network/50-wired.network':
        '[Match]\nName=eth0\n\n[Network]\nAddress=192.168.1.10/24\nGateway=192.168.1.1\nDNS=192.168.1.1\n',
    });
    const { first, second } = await planTwice(netBridgeStep, host);
    expect(kinds(first)).toEqual([
      'file /etc/systemd/network/xenbr0.netdev',
      'file /etc/systemd/network/00-xenbr0-port-eth0.network',
      'file /etc/systemd/network/00-xenbr0.network',
      'command ',
    ]);
    expect(fileAfter(first, '/etc/systemd/network/00-xenbr0.network')).toMatch(
      /\[Match\]\nName=xenbr0\n\n\[Network\]\nAddress=192\.168\.1\.10\/24\nGateway=192\.168\.1\.1\nDNS=192\.168\.1\.1\n/,
    );
    expect(fileAfter(first, '/etc/systemd/network/00-xenbr0-port-eth0.network')).toMatch(/Bridge=xenbr0/);
    expect(second.status).toBe('pending'); // networkd still to enable: a command
    const enabled = systemd({
      '/etc/systemd/network/50-wired.network': '[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n',
    });
    enabled.links.set(
      '/etc/systemd/system/multi-user.target.wants/systemd-networkd.service',
      '/usr/lib/systemd/system/systemd-networkd.service',
    );
    const again = await planTwice(netBridgeStep, enabled);
    expect(again.second.status).toBe('done');
  });

  it('a file of the administrator that sorts first is named in a warning', async () => {
    const plan = await planStep(
      netBridgeStep,
      new View(
        systemd({ '/etc/systemd/network/00-eth.network': '[Match]\nName=eth*\n[Network]\nDHCP=yes\n' }),
      ),
      answers(),
    );
    expect(plan.warnings?.join('\n')).toMatch(/00-eth\.network sorts before/);
  });
});

describe('net-modules', () => {
  it('built in (the dom0 config says =y): not applicable, saying which', async () => {
    const host = modernTarget({
      '/boot/config-6.12.58-gentoo-xen0': 'CONFIG_BLK_DEV_LOOP=y\nCONFIG_TUN=y\n',
    });
    const plan = await planStep(netModulesStep, new View(host), answers());
    expect(plan).toMatchObject({
      status: 'not-applicable',
      reason: /CONFIG_TUN=y.*config-6\.12\.58-gentoo-xen0/,
    });
  });

  it('modules today: /etc/modules-load.d/xen.conf; listed in /etc/conf.d/modules counts as done', async () => {
    const host = modernTarget({ '/usr/src/linux/_dom0/.config': 'CONFIG_BLK_DEV_LOOP=m\nCONFIG_TUN=m\n' });
    const { first, second } = await planTwice(netModulesStep, host);
    expect(fileAfter(first, '/etc/modules-load.d/xen.conf')).toMatch(/^#.*\nloop\ntun\n$/);
    expect(second.status).toBe('done');
    const confd = modernTarget({
      '/usr/src/linux/_dom0/.config': 'CONFIG_BLK_DEV_LOOP=m\nCONFIG_TUN=m\n',
      '/etc/conf.d/modules': 'modules="loop tun"\n',
    });
    expect((await planStep(netModulesStep, new View(confd), answers())).status).toBe('done');
  });

  it('2007: appended to /etc/modules.autoload.d/kernel-2.6, only the missing one', async () => {
    const host = legacyTarget({
      '/usr/src/linux/_dom0/.config': 'CONFIG_BLK_DEV_LOOP=m\nCONFIG_TUN=m\n',
      '/etc/modules.autoload.d/kernel-2.6':
        '# /etc/modules.autoload.d/kernel-2.6:  kernel modules to load when system boots.\nloop\n',
    });
    const { first, second } = await planTwice(netModulesStep, host);
    expect(fileAfter(first, '/etc/modules.autoload.d/kernel-2.6')).toMatch(/\nloop\ntun\n$/);
    expect(second.status).toBe('done');
  });
});

describe('net-strict', () => {
  it('2007: RC_NET_STRICT_CHECKING="lo" in /etc/conf.d/rc, as bash reads it', async () => {
    const { first, second } = await planTwice(netStrictStep, legacyTarget());
    expect(bashVars(fileAfter(first, '/etc/conf.d/rc')!, ['RC_NET_STRICT_CHECKING'])).toEqual({
      RC_NET_STRICT_CHECKING: 'lo',
    });
    expect(second.status).toBe('done');
  });

  it('today with xl: not applicable, naming what replaced it and why', async () => {
    const plan = await planStep(netStrictStep, new View(modernTarget()), answers());
    expect(plan).toMatchObject({ status: 'not-applicable', reason: /rc_depend_strict/ });
  });

  it('OpenRC with xend (xen-tools 4.4): rc_depend_strict="NO"', async () => {
    const host = modernTarget({ '/var/db/pkg/app-emulation/xen-tools-4.4.4/CATEGORY': 'app-emulation' });
    const { first, second } = await planTwice(netStrictStep, host);
    expect(bashVars(fileAfter(first, '/etc/rc.conf')!, ['rc_depend_strict'])).toEqual({
      rc_depend_strict: 'NO',
    });
    expect(second.status).toBe('done');
  });
});
