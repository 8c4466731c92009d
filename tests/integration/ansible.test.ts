import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, SAMPLES, copyRoot, snapshot } from '../e2e/helpers.js';

// The role under the real ansible-playbook (ansible-core, tests/integration/setup/release.sh),
// with a local connection, against copies of the sample root as inventory hosts.
const ONLY = ['profile', 'cflags-tls', 'nptlonly', 'buildpkg', 'hvm', 'keywords', 'net-hotplug'];
const work = mkdtempSync(join(tmpdir(), 'xg-ansible-'));
let tarball = '';

function inventory(name: string, hosts: Record<string, string>): string {
  const file = join(work, `${name}.ini`);
  const lines = ['[xen_hosts]'];
  for (const [host, root] of Object.entries(hosts))
    lines.push(
      `${host} xen_gentoo_root=${root} xen_gentoo_install_dir=${work}/install-${host} xen_gentoo_junit=${work}/${host}.xml`,
    );
  lines.push(
    '',
    '[xen_hosts:vars]',
    'ansible_connection=local',
    'ansible_become=false',
    'ansible_python_interpreter=/usr/bin/python3',
    `xen_gentoo_release=${tarball}`,
    `xen_gentoo_node=${process.execPath}`,
    `xen_gentoo_only=${JSON.stringify(ONLY)}`,
    'xen_gentoo_apply_flags=["--skip-commands"]',
    `xen_gentoo_junit_fetch_dir=${work}/reports`,
  );
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function playbook(inv: string, ...flags: string[]) {
  const r = await execa('ansible-playbook', ['-i', inv, 'site.yml', ...flags], {
    cwd: join(REPO, 'contrib/ansible'),
    reject: false,
    env: {
      ANSIBLE_ROLES_PATH: 'roles',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_HOME: join(work, 'ansible-home'),
      ANSIBLE_LOCAL_TEMP: join(work, 'ansible-tmp'),
      ANSIBLE_RETRY_FILES_ENABLED: '0',
    },
  });
  const recap = Object.fromEntries(
    [...r.stdout.matchAll(/^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/gm)].map(
      (m) => [m[1]!, { ok: Number(m[2]), changed: Number(m[3]), failed: Number(m[4]) }],
    ),
  );
  return { exitCode: r.exitCode, stdout: r.stdout, recap };
}

beforeAll(async () => {
  tarball = (await execa('node', [join(REPO, 'scripts/release.mjs'), join(work, 'release')])).stdout.trim();
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the Ansible role (real ansible-playbook, local connection)', () => {
  it('check mode reports changed and changes nothing; a real run applies; a second run reports changed=0', async () => {
    const roots = { web1: copyRoot(SAMPLES.current), web2: copyRoot(SAMPLES.current) };
    const inv = inventory('fleet', roots);
    const before = snapshot(roots.web1);

    const check = await playbook(inv, '--check');
    expect(check.exitCode, check.stdout).toBe(0);
    for (const host of ['web1', 'web2']) expect(check.recap[host]!.changed).toBeGreaterThan(0);
    expect(snapshot(roots.web1)).toEqual(before);

    const real = await playbook(inv);
    expect(real.exitCode, real.stdout).toBe(0);
    for (const [host, root] of Object.entries(roots)) {
      expect(real.recap[host]).toMatchObject({ failed: 0 });
      expect(real.recap[host]!.changed).toBeGreaterThan(0);
      expect(readFileSync(join(root, 'etc/portage/make.conf'), 'utf8')).toMatch(/buildpkg/);
      // verify --junit, fetched back to the controller.
      const junit = readFileSync(join(work, 'reports', `${host}.xml`), 'utf8');
      expect(junit).toMatch(/<testsuites [^>]*tests="7" failures="0" errors="0"/);
    }

    const again = await playbook(inv);
    expect(again.exitCode, again.stdout).toBe(0);
    for (const host of ['web1', 'web2']) expect(again.recap[host]).toMatchObject({ changed: 0, failed: 0 });
    const recheck = await playbook(inv, '--check');
    for (const host of ['web1', 'web2']) expect(recheck.recap[host]).toMatchObject({ changed: 0, failed: 0 });
    for (const root of Object.values(roots)) rmSync(root, { recursive: true, force: true });
  });

  it('a host with a blocked step fails, naming the step and the reason', async () => {
    const root = copyRoot(SAMPLES.current);
    unlinkSync(join(root, 'etc/portage/make.profile'));
    const inv = inventory('blocked', { broken: root });
    for (const flags of [['--check'], []]) {
      const r = await playbook(inv, ...flags);
      expect(r.exitCode, r.stdout).not.toBe(0);
      expect(r.recap.broken).toMatchObject({ failed: 1 });
      expect(r.stdout).toContain('blocked steps: profile: no profile selected');
    }
    rmSync(root, { recursive: true, force: true });
  });
});
