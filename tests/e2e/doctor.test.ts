import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bzImage, elf64, gzip, xenNotes } from '../../packages/steps/src/testing/kernel-images.js';
import { cli, copyRoot, dom0Root, SAMPLES, snapshot } from './helpers.js';

interface CheckJson {
  id: string;
  status: 'ok' | 'problem' | 'not-applicable' | 'unknown';
  found: string;
  era: { era: string; matters: boolean; why: string };
  details?: string[];
  fix: { howto: string; today: string };
}

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function put(root: string, path: string, content: string | Buffer): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

function pkg(root: string, cpv: string): void {
  const [category, pf] = cpv.split('/') as [string, string];
  put(root, `var/db/pkg/${category}/${pf}/PF`, `${pf}\n`);
  put(root, `var/db/pkg/${category}/${pf}/CATEGORY`, `${category}\n`);
}

async function doctorJson(
  root: string,
): Promise<{ exitCode: number; checks: Map<string, CheckJson>; era: string }> {
  const r = await cli(['doctor', '--root', root, '--json']);
  expect(r.stderr).toBe('');
  const out = JSON.parse(String(r.stdout)) as { ok: boolean; era: string; checks: CheckJson[] };
  expect(out.ok).toBe(r.exitCode === 0);
  return { exitCode: r.exitCode ?? -1, era: out.era, checks: new Map(out.checks.map((c) => [c.id, c])) };
}

/** The legacy sample with every problem of the HOWTO's Troubleshooting section planted. */
function plantedLegacyRoot(): string {
  const root = copyRoot(SAMPLES.legacy);
  roots.push(root);
  put(
    root,
    'etc/make.conf',
    'CFLAGS="-O2 -march=i686 -mfpmath=sse,387 -mno-tls-direct-seg-refs -pipe"\nCHOST="i686-pc-linux-gnu"\nCXXFLAGS="${CFLAGS}"\nUSE="hardened"\n',
  );
  rmSync(join(root, 'var/db/pkg/sys-devel/gcc-4.1.2'), { recursive: true });
  pkg(root, 'sys-devel/gcc-3.3.6');
  put(root, 'etc/env.d/gcc/config', 'CURRENT=i686-pc-linux-gnu-3.3.6\n');
  rmSync(join(root, 'etc/make.profile'));
  symlinkSync('../usr/portage/profiles/hardened/x86/2.6', join(root, 'etc/make.profile'));
  pkg(root, 'app-emulation/xen-3.0.2');
  rmSync(join(root, 'var/db/pkg/sys-libs/glibc-2.5-r4'), { recursive: true });
  pkg(root, 'sys-libs/glibc-2.3.6-r5');
  put(root, 'lib/tls/libc.so.6', '');
  pkg(root, 'net-misc/dhcpcd-3.0.16');
  put(
    root,
    'proc/cpuinfo',
    'processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 sep mmx fxsr sse sse2\n',
  );
  put(root, 'etc/xen/winxp', 'kernel = "/usr/lib/xen/boot/hvmloader"\nbuilder = "hvm"\nname = "winxp"\n');
  put(root, 'boot/vmlinuz-2.6.20-xen0', bzImage(gzip(elf64(Buffer.alloc(0)))));
  put(root, 'boot/xen-3.0.2.gz', gzip(Buffer.from('xen')));
  put(
    root,
    'boot/grub/grub.conf',
    [
      'default 0',
      'timeout 10',
      '',
      'title Xen 3.0.2 / Linux 2.6.20',
      'root (hd0,0)',
      'kernel /xen-3.0.2.gz dom0_mem=98304 noreboot com1=9600,8n1',
      'module /vmlinuz-2.6.20-xen0 root=/dev/sda3 noreboot console=ttyS0',
      '',
      // dom0 on the serial console, but Xen left without com1=: nothing reaches the port.
      'title Xen 3.0.2 / Linux 2.6.20 (serial)',
      'root (hd0,0)',
      'kernel /xen-3.0.2.gz dom0_mem=98304 noreboot',
      'module /vmlinuz-2.6.20-xen0 root=/dev/sda3 noreboot console=ttyS0',
      '',
    ].join('\n'),
  );
  put(
    root,
    'boot/config-2.6.20-xen0',
    '# Linux kernel version: 2.6.20-xen\nCONFIG_X86_32=y\nCONFIG_X86_XEN=y\nCONFIG_XEN=y\nCONFIG_XEN_PRIVILEGED_GUEST=y\n# CONFIG_SERIAL_8250_CONSOLE is not set\n',
  );
  // Running as dom0, with eth0 still holding the address beside an empty xenbr0.
  put(root, 'proc/xen/capabilities', 'control_d\n');
  put(root, 'sys/hypervisor/type', 'xen\n');
  mkdirSync(join(root, 'sys/class/net/xenbr0/bridge'), { recursive: true });
  mkdirSync(join(root, 'sys/class/net/eth0'), { recursive: true });
  put(
    root,
    'proc/net/route',
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n',
  );
  return root;
}

/** Today's sample with a dom0 kernel GRUB 2 cannot list under Xen, and a Xen entry whose serial settings are 2007's. */
function plantedCurrentRoots(): { grub: string; serial: string } {
  const grub = copyRoot(SAMPLES.current);
  const serial = copyRoot(SAMPLES.current);
  roots.push(grub, serial);
  for (const root of [grub, serial]) {
    put(root, 'boot/vmlinuz-6.12.58-gentoo', bzImage(gzip(elf64(xenNotes({ pvh: true })))));
    put(root, 'boot/xen-4.20.1.gz', gzip(Buffer.from('xen')));
  }
  put(
    serial,
    'boot/grub/grub.cfg',
    "menuentry 'Gentoo GNU/Linux, with Xen hypervisor' {\n\tmultiboot2\t/boot/xen-4.20.1.gz dom0_mem=1024M,max:1024M com1=115200,8n1\n\tmodule2\t/boot/vmlinuz-6.12.58-gentoo root=/dev/sda3 ro console=ttyS0\n}\n",
  );
  return { grub, serial };
}

describe('doctor', () => {
  it('the legacy sample: the problems it really has, and doctor writes nothing', async () => {
    const root = copyRoot(SAMPLES.legacy);
    roots.push(root);
    const before = snapshot(root);
    const { exitCode, checks, era } = await doctorJson(root);
    expect(era).toBe('legacy');
    // What this root really lacks: the HOWTO's strict-checking fix and a dom0 kernel configuration.
    expect([...checks.values()].filter((c) => c.status === 'problem').map((c) => c.id)).toEqual([
      'net-strict',
      'kernel-config',
    ]);
    expect(exitCode).toBe(1);
    expect(checks.get('kernel-config')?.found).toMatch(
      /^\/boot\/config-2\.6\.18-gentoo \(the only configuration there is: not built for Xen/,
    );
    expect(checks.get('mfpmath')?.status).toBe('ok');
    expect(checks.get('gcc-tls')?.status).toBe('ok');
    expect(checks.get('lib-tls')?.status).toBe('ok');
    expect(checks.get('dhcpcd')?.status).toBe('ok');
    expect(checks.get('cpu-virt')?.found).toMatch(/the CPU has vmx/);
    expect(checks.get('kernel-elf-notes')?.status).toBe('unknown');
    expect(snapshot(root)).toEqual(before);
  });

  it('a 2007 root with each Troubleshooting problem planted: each one found, exit 1', async () => {
    const root = plantedLegacyRoot();
    const { exitCode, checks } = await doctorJson(root);
    expect(exitCode).toBe(1);
    const problems = [...checks.values()].filter((c) => c.status === 'problem').map((c) => c.id);
    expect(problems).toEqual(
      expect.arrayContaining([
        'kernel-elf-notes',
        'mfpmath',
        'gcc-tls',
        'hardened-xen',
        'lib-tls',
        'dhcpcd',
        'cpu-virt',
        'dom0-network',
        'dom0-mem',
        'kernel-config',
        'serial-console',
      ]),
    );
    expect(checks.get('kernel-elf-notes')?.found).toMatch(
      /\/vmlinuz-2\.6\.20-xen0: without Xen notes; Xen says "not a Xen-compatible Elf image"/,
    );
    expect(checks.get('kernel-elf-notes')?.details?.[0]).toMatch(
      /bzImage \(boot protocol 2\.15, gzip payload\); 64-bit ELF without Xen notes/,
    );
    expect(checks.get('gcc-tls')?.found).toMatch(/gcc 3\.3\.6 .* invalid option/);
    expect(checks.get('hardened-xen')?.found).toMatch(/Xen 3\.0\.2 \(installed\)/);
    expect(checks.get('cpu-virt')?.found).toMatch(/\/etc\/xen\/winxp is an HVM guest/);
    expect(checks.get('dom0-network')?.found).toMatch(
      /eth0 is in no bridge, not in xenbr0; eth0 still holds the address/,
    );
    expect(checks.get('dom0-network')?.details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^running system \(dom0\): xenbr0 exists; eth0 master: none/),
      ]),
    );
    expect(checks.get('dom0-mem')?.found).toMatch(
      /grub\.conf:4 "Xen 3\.0\.2 \/ Linux 2\.6\.20": dom0_mem=98304 is below 128M/,
    );
    expect(checks.get('kernel-config')?.found).toMatch(
      /^\/boot\/config-2\.6\.20-xen0 \(beside \/boot\/vmlinuz-2\.6\.20-xen0, .*: \d+ of the \d+ options the HOWTO asks for are missing/,
    );
    expect(checks.get('kernel-config')?.details).toEqual(
      expect.arrayContaining(['CONFIG_XEN_NETDEV_BACKEND=y dropped ("<*> Network-device backend driver")']),
    );
    const serial = checks.get('serial-console')?.found;
    expect(serial).toMatch(
      /"Xen 3\.0\.2 \/ Linux 2\.6\.20 \(serial\)": dom0 writes to a serial console, but Xen has no com1=/,
    );
    expect(serial).toMatch(
      /\/boot\/config-2\.6\.20-xen0 lacks CONFIG_SERIAL_8250_CONSOLE=y for console=ttyS0/,
    );
    for (const id of ['dom0-network', 'dom0-mem', 'kernel-config', 'serial-console']) {
      expect(checks.get(id)?.era).toMatchObject({ era: 'legacy', matters: true });
      expect(checks.get(id)?.era.why).toMatch(/2007|Xen 3/);
    }
    for (const c of checks.values()) {
      expect(c.fix.howto).not.toBe('');
      expect(c.fix.today).not.toBe('');
    }
  });

  it("today's root: GRUB 2 without a dom0 config lists no Xen entry; 2007 serial settings under Xen 4", async () => {
    const { grub, serial } = plantedCurrentRoots();
    const g = await doctorJson(grub);
    expect(g.era).toBe('modern');
    expect(g.checks.get('grub2-xen-entry')).toMatchObject({ status: 'problem' });
    expect(g.checks.get('grub2-xen-entry')?.found).toMatch(
      /no \/boot\/config-\* with CONFIG_XEN_DOM0=y beside its kernel/,
    );
    expect(g.checks.get('kernel-elf-notes')).toMatchObject({ status: 'ok' });
    expect(g.checks.get('mfpmath')?.era.matters).toBe(false);
    const s = await doctorJson(serial);
    expect(s.exitCode).toBe(1);
    expect(s.checks.get('serial-console')?.found).toMatch(
      /com1= without console=com1: Xen 4 prints to VGA only/,
    );
    expect(s.checks.get('serial-console')?.found).toMatch(/use console=hvc0/);
    expect(s.checks.get('grub2-xen-entry')).toMatchObject({ status: 'ok' });
    expect(s.checks.get('dom0-mem')).toMatchObject({ status: 'ok' });
    expect(s.checks.get('kernel-elf-notes')?.details?.[0]).toMatch(/Xen ELF notes for PV and PVH/);
  });

  it('the sample after the reboot (dom0): the running bridge is read from /sys and /proc; without sysfs it cannot be told', async () => {
    const root = dom0Root();
    roots.push(join(root, '..'));
    const { checks } = await doctorJson(root);
    expect(checks.get('dom0-network')).toMatchObject({
      status: 'ok',
      found: 'xenbr0 exists with eth0 in it and holds the address',
    });
    expect(checks.get('dom0-network')?.details).toContain(
      'running system (dom0): xenbr0 exists; eth0 master: xenbr0; routes on xenbr0',
    );
    rmSync(join(root, 'sys/class'), { recursive: true });
    const unmounted = await doctorJson(root);
    expect(unmounted.checks.get('dom0-network')).toMatchObject({
      status: 'unknown',
      found: expect.stringMatching(/bridge cannot be read: no \/sys\/class\/net in this root/),
    });
  });

  it('human output: plain without a terminal, each problem with both fixes; --only runs one check', async () => {
    const root = plantedLegacyRoot();
    const r = await cli(['doctor', '--root', root, '--only', 'dhcpcd']);
    expect(r.exitCode).toBe(1);
    expect(String(r.stdout)).not.toContain('\u001b[');
    expect(r.stdout).toMatch(/^PROBLEM dhcpcd 3\.0\.16\/3\.0\.17 log flood \[dhcpcd\]$/m);
    expect(r.stdout).toMatch(/fix \(HOWTO\): emerge =net-misc\/dhcpcd-2\.0\.5-r1/);
    expect(r.stdout).toMatch(/fix \(today\): /);
    expect(r.stdout).toMatch(/doctor: 1 problem\(s\) to fix/);
    const coloured = await cli(['doctor', '--root', root, '--only', 'dhcpcd', '--color']);
    expect(String(coloured.stdout)).toContain('\u001b[31mPROBLEM\u001b[39m');
    const bad = await cli(['doctor', '--root', root, '--only', 'nope']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/unknown check "nope"/);
  });
});
