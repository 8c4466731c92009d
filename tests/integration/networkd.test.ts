import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, copyRoot, SAMPLES } from '../e2e/helpers.js';

/**
 * The systemd-networkd files net-bridge writes on a systemd host, judged by systemd-networkd
 * itself (Debian bookworm's, systemd 252; tests/integration/setup/networkd.sh installs it).
 * `systemd-analyze verify` reads units only, and networkctl has no offline check, so the judge is
 * the daemon: it runs alone in a network and mount namespace of its own
 * (tests/integration/networkd/in-netns.sh) with the planned files as its /etc/systemd/network
 * and a veth pair whose eth0 stands for the host's interface. Its parser reports every key,
 * section or value it cannot use as "<file>:<line>: …"; the bridge it then builds is read back
 * with `ip -d -j link`, the addresses with `ip -j addr`, and which file it applied to each link
 * from its own state files. A file with a typo must be reported, so the judge is known to read.
 */
const IN_NETNS = join(import.meta.dirname, 'networkd/in-netns.sh');
const NETWORK_DIR = '/etc/systemd/network';

interface Judged {
  log: string;
  /** networkd's complaints about a file of NETWORK_DIR: "<name>:<line>: <message>". */
  diagnostics: string[];
  links: {
    ifname: string;
    master?: string;
    mtu?: number;
    linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  }[];
  addresses: { ifname: string; addr_info: { family: string; local: string; prefixlen: number }[] }[];
  /** networkd's state of each link: ADMIN_STATE, NETWORK_FILE, … */
  state: Record<string, Record<string, string>>;
}

/** The current sample root made a systemd host, with the interface's own .network file if given. */
function systemdRoot(wired?: string): string {
  const root = copyRoot(SAMPLES.current);
  const profile = join(root, 'etc/portage/make.profile');
  unlinkSync(profile);
  symlinkSync('../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd', profile);
  if (wired !== undefined) {
    mkdirSync(join(root, NETWORK_DIR), { recursive: true });
    writeFileSync(join(root, NETWORK_DIR, '50-wired.network'), wired);
  }
  return root;
}

/** /etc/systemd/network as it is after net-bridge: the files there now, then the planned ones. */
async function networkDirAfterNetBridge(root: string): Promise<Record<string, string>> {
  const result = await cli(['plan', '--root', root, '--only', 'net-bridge', '--json']);
  expect(result.exitCode, String(result.stderr)).toBe(0);
  const plan = JSON.parse(String(result.stdout)) as {
    steps: { status: string; changes: { kind: string; path?: string; after?: string }[] }[];
  };
  expect(plan.steps[0]?.status).toBe('pending');
  const files: Record<string, string> = {};
  let existing: string[] = [];
  try {
    existing = readdirSync(join(root, NETWORK_DIR));
  } catch {
    // no such directory yet
  }
  for (const name of existing) files[name] = readFileSync(join(root, NETWORK_DIR, name), 'utf8');
  for (const change of plan.steps[0]!.changes)
    if (change.kind === 'file' && change.path!.startsWith(`${NETWORK_DIR}/`))
      files[basename(change.path!)] = change.after!;
  return files;
}

function judge(files: Record<string, string>): Judged {
  const work = mkdtempSync(join(tmpdir(), 'xg-networkd-'));
  const conf = join(work, 'network');
  const out = join(work, 'out');
  mkdirSync(conf);
  mkdirSync(out);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(conf, name), content);
  const run = spawnSync('unshare', ['-n', '-m', '--propagation', 'private', 'sh', IN_NETNS, conf, out], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status, `${run.stderr}\n${run.error ?? ''}`).toBe(0);
  const log = readFileSync(join(out, 'networkd.log'), 'utf8');
  const prefix = `${NETWORK_DIR}/`;
  const diagnostics = log
    .split('\n')
    .filter(
      (line) =>
        /^\/etc\/systemd\/network\/[^:\s]+:\d+: /.test(line) ||
        (line.includes(prefix) && /ignoring file/i.test(line)),
    )
    .map((line) => line.split(prefix).join(''));
  const state: Judged['state'] = {};
  for (const name of readdirSync(join(out, 'state'))) {
    state[name] = Object.fromEntries(
      readFileSync(join(out, 'state', name), 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z_0-9]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }
  return {
    log,
    diagnostics,
    links: JSON.parse(readFileSync(join(out, 'links.json'), 'utf8')) as Judged['links'],
    addresses: JSON.parse(readFileSync(join(out, 'addresses.json'), 'utf8')) as Judged['addresses'],
    state,
  };
}

const link = (j: Judged, name: string) => j.links.find((l) => l.ifname === name);
const ipv4 = (j: Judged, name: string) =>
  (j.addresses.find((a) => a.ifname === name)?.addr_info ?? [])
    .filter((a) => a.family === 'inet')
    .map((a) => `${a.local}/${a.prefixlen}`);

describe('net-bridge on a systemd host, judged by systemd-networkd (systemd 252) in a namespace of its own', () => {
  it('a static address: no complaint from the parser; xenbr0 is a bridge (STP off, no forward delay) with eth0 enslaved and holding the address', async () => {
    const wired =
      '[Match]\nName=eth0\n\n[Network]\nAddress=192.0.2.10/24\nGateway=192.0.2.1\nDNS=192.0.2.1\n';
    const files = await networkDirAfterNetBridge(systemdRoot(wired));
    expect(Object.keys(files).sort()).toEqual([
      '00-xenbr0-port-eth0.network',
      '00-xenbr0.network',
      '50-wired.network',
      'xenbr0.netdev',
    ]);
    const j = judge(files);
    expect(j.diagnostics, j.log).toEqual([]);
    expect(link(j, 'xenbr0')?.linkinfo?.info_kind, j.log).toBe('bridge');
    expect(link(j, 'xenbr0')?.linkinfo?.info_data).toMatchObject({ stp_state: 0, forward_delay: 0 });
    expect(link(j, 'eth0')?.master).toBe('xenbr0');
    expect(ipv4(j, 'xenbr0')).toEqual(['192.0.2.10/24']);
    expect(ipv4(j, 'eth0')).toEqual([]);
    // networkd applied our files, not the administrator's 50-wired.network, to both links.
    expect(j.state.eth0?.NETWORK_FILE).toBe(`${NETWORK_DIR}/00-xenbr0-port-eth0.network`);
    expect(j.state.xenbr0?.NETWORK_FILE).toBe(`${NETWORK_DIR}/00-xenbr0.network`);
    expect(j.state.eth0?.ADMIN_STATE).toBe('configured');
    expect(j.state.xenbr0?.ADMIN_STATE).toMatch(/^configur(ing|ed)$/);
  });

  it('no .network for the interface (DHCP on the bridge): no complaint; the bridge runs its DHCP client with eth0 enslaved', async () => {
    const files = await networkDirAfterNetBridge(systemdRoot());
    expect(files['00-xenbr0.network']).toMatch(/DHCP=yes/);
    const j = judge(files);
    expect(j.diagnostics, j.log).toEqual([]);
    expect(link(j, 'xenbr0')?.linkinfo?.info_kind, j.log).toBe('bridge');
    expect(link(j, 'eth0')?.master).toBe('xenbr0');
    expect(j.state.xenbr0?.NETWORK_FILE).toBe(`${NETWORK_DIR}/00-xenbr0.network`);
    expect(j.log).toMatch(/xenbr0: DHCPv4 client: /);
  });

  it('an interface on DHCP with [DHCPv4] and [Link] settings: the bridge takes the first, the port keeps the second (its MTU applied), and networkd reads it cleanly', async () => {
    const wired =
      '[Match]\nName=eth0\n\n[Link]\nMTUBytes=1400\n\n[Network]\nDHCP=ipv4\n\n[DHCPv4]\nUseDNS=no\nRouteMetric=100\n';
    const files = await networkDirAfterNetBridge(systemdRoot(wired));
    expect(files['00-xenbr0.network']).toMatch(
      /\[Network\]\nDHCP=ipv4\n\n\[DHCPv4\]\nUseDNS=no\nRouteMetric=100\n/,
    );
    expect(files['00-xenbr0.network']).not.toMatch(/\[Link\]/);
    expect(files['00-xenbr0-port-eth0.network']).toMatch(
      /\[Link\]\nMTUBytes=1400\n\n\[Network\]\nBridge=xenbr0\n/,
    );
    const j = judge(files);
    expect(j.diagnostics, j.log).toEqual([]);
    expect(link(j, 'eth0')?.master).toBe('xenbr0');
    expect(link(j, 'eth0')?.mtu).toBe(1400);
    expect(j.state.xenbr0?.NETWORK_FILE).toBe(`${NETWORK_DIR}/00-xenbr0.network`);
    expect(j.log).toMatch(/xenbr0: DHCPv4 client: /);
  });

  it('the judge reads: a misspelt key in each file is reported with its line, and eth0 is then no port', async () => {
    const files = await networkDirAfterNetBridge(systemdRoot());
    const typo: Record<string, string> = {
      ...files,
      'xenbr0.netdev': files['xenbr0.netdev']!.replace('ForwardDelaySec=', 'ForwardDelaySecs='),
      '00-xenbr0-port-eth0.network': files['00-xenbr0-port-eth0.network']!.replace('Bridge=', 'Brige='),
    };
    expect(typo).not.toEqual(files);
    const j = judge(typo);
    const line = (name: string, key: string) =>
      typo[name]!.split('\n').findIndex((l) => l.startsWith(key)) + 1;
    expect(j.diagnostics).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^xenbr0\\.netdev:${line('xenbr0.netdev', 'ForwardDelaySecs=')}: Unknown key 'ForwardDelaySecs'`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^00-xenbr0-port-eth0\\.network:${line('00-xenbr0-port-eth0.network', 'Brige=')}: Unknown key 'Brige'`,
          ),
        ),
      ]),
    );
    expect(link(j, 'xenbr0')?.linkinfo?.info_kind).toBe('bridge');
    expect(link(j, 'eth0')?.master).toBeUndefined();
  });
});
