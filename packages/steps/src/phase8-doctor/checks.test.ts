import { dom0From } from '../shared/dom0.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { LocalHost, View } from '@xen-gentoo/core';
import { afterEach, describe, expect, it } from 'vitest';
import { answersSchema } from '../answers/index.js';
import { copySample, removeSampleCopies } from '../testing/samples.js';
import { grub2XenEntries, legacyXenEntries } from './boot-entries.js';
import { cpuVirtCheck } from './checks/cpu-virt.js';
import { dom0MemCheck } from './checks/dom0-mem.js';
import { dom0NetworkCheck, globalIpv6Interfaces, routedInterfaces } from './checks/dom0-network.js';
import { gccTlsCheck } from './checks/gcc-tls.js';
import { grub2XenEntryCheck } from './checks/grub2-xen-entry.js';
import { isFloodingDhcpcd } from './checks/dhcpcd.js';
import { mfpmathCheck } from './checks/mfpmath.js';
import { serialConsoleCheck } from './checks/serial-console.js';
import { configBeside, configVersion, findDom0KernelConfig } from './dom0-configs.js';

describe('boot entries', () => {
  it('GRUB 2: the multiboot2 line and the first module of each Xen menu entry, inside submenus too', () => {
    const cfg = [
      "menuentry 'Gentoo' {",
      '\tlinux /boot/vmlinuz-6.12 root=/dev/sda3',
      '}',
      "submenu 'Xen' {",
      "  menuentry 'Gentoo, with Xen 4.20 and Linux 6.12' --class xen {",
      '    if [ x$feature_all_video_module = xy ]; then',
      '      insmod all_video',
      '    fi',
      '    multiboot2 /boot/xen-4.20.gz placeholder dom0_mem=1024M,max:1024M \\',
      '      console=com1 com1=115200,8n1',
      '    module2 /boot/vmlinuz-6.12 placeholder root=/dev/sda3 ro console=hvc0',
      '    module2 --nounzip /boot/initramfs-6.12.img',
      '  }',
      '}',
    ].join('\n');
    expect(grub2XenEntries(cfg, '/boot/grub/grub.cfg')).toEqual([
      {
        loader: 'grub2',
        file: '/boot/grub/grub.cfg',
        line: 5,
        title: 'Gentoo, with Xen 4.20 and Linux 6.12',
        xen: '/boot/xen-4.20.gz',
        xenArgs: ['placeholder', 'dom0_mem=1024M,max:1024M', 'console=com1', 'com1=115200,8n1'],
        kernel: '/boot/vmlinuz-6.12',
        kernelArgs: ['placeholder', 'root=/dev/sda3', 'ro', 'console=hvc0'],
      },
    ]);
  });

  it("GRUB legacy: the HOWTO's serial stanza", () => {
    const text =
      'title Xen 2.0.8_pre20050826 / XenLinux 2.6.12.5\nroot (hd0,0)\nkernel /xen.gz dom0_mem=98304 noreboot com1=9600,8n1\nmodule /vmlinuz-2.6.12.5-xen root=/dev/md2 noreboot console=ttyS0 debug\n';
    expect(legacyXenEntries(text, '/boot/grub/grub.conf')[0]).toMatchObject({
      line: 1,
      xen: '/xen.gz',
      xenArgs: ['dom0_mem=98304', 'noreboot', 'com1=9600,8n1'],
      kernel: '/vmlinuz-2.6.12.5-xen',
      kernelArgs: ['root=/dev/md2', 'noreboot', 'console=ttyS0', 'debug'],
    });
  });

  it('kernel configuration names and headers', () => {
    expect(configBeside('/boot/vmlinuz-2.6.20-xen0')).toBe('/boot/config-2.6.20-xen0');
    expect(configBeside('/boot/xen.gz')).toBeUndefined();
    expect(configVersion('#\n# Linux kernel version: 2.6.18-gentoo\n')).toBe('2.6.18-gentoo');
    expect(configVersion('# Linux/x86 6.1.0 Kernel Configuration\n')).toBe('6.1.0');
  });
});

describe('check judgements', () => {
  const fix = expect.objectContaining({ howto: expect.any(String), today: expect.any(String) });

  it('mfpmath: a problem in 2007, harmless today', () => {
    const flags = [{ variable: 'CFLAGS', flag: '-mfpmath=sse,387' }];
    expect(mfpmathCheck.judge({ era: 'legacy', makeConf: '/etc/make.conf', flags })).toMatchObject({
      status: 'problem',
      fix,
    });
    expect(mfpmathCheck.judge({ era: 'modern', makeConf: '/etc/portage/make.conf', flags }).status).toBe(
      'not-applicable',
    );
    const sse = [{ variable: 'CFLAGS', flag: '-mfpmath=sse' }];
    expect(mfpmathCheck.judge({ era: 'legacy', makeConf: '/etc/make.conf', flags: sse }).status).toBe('ok');
  });

  it('gcc-tls: gcc 3.3 with the flag fails, without it on x86 2007 cannot add it, 3.4 is fine', () => {
    const base = { era: 'legacy' as const, arch: 'x86', makeConf: '/etc/make.conf' };
    const gcc = (version: string) => ({ version, from: '/etc/env.d/gcc/config' });
    expect(gccTlsCheck.judge({ ...base, gcc: gcc('3.3.6'), hasFlag: true }).found).toMatch(/invalid option/);
    expect(gccTlsCheck.judge({ ...base, gcc: gcc('3.3.6'), hasFlag: false }).status).toBe('problem');
    expect(gccTlsCheck.judge({ ...base, arch: 'amd64', gcc: gcc('3.3.6'), hasFlag: false }).status).toBe(
      'ok',
    );
    expect(gccTlsCheck.judge({ ...base, gcc: gcc('3.4.6'), hasFlag: true }).status).toBe('ok');
  });

  it('dhcpcd: 3.0.16 and 3.0.17 in every revision, nothing else', () => {
    expect(['3.0.16', '3.0.17-r1', '3.0.16_p1'].every(isFloodingDhcpcd)).toBe(true);
    expect(['3.0.15', '3.0.18', '3.0.160', '10.0.6'].some(isFloodingDhcpcd)).toBe(false);
  });

  it('dom0-network: the live bridge, read as dom0', () => {
    const dom0 = dom0From({ capabilities: 'control_d\n', hypervisorType: 'xen\n' });
    const base = {
      era: 'modern' as const,
      iface: 'eth0',
      config: { status: 'done', reason: 'configured' },
      dom0,
    };
    const good = { sysfs: true, bridgeExists: true, ifaceMaster: 'xenbr0', routed: ['xenbr0'] };
    expect(dom0NetworkCheck.judge({ ...base, live: good })).toMatchObject({ status: 'ok' });
    expect(
      dom0NetworkCheck.judge({
        ...base,
        live: { ...good, bridgeExists: false, ifaceMaster: undefined, routed: ['eth0'] },
      }).found,
    ).toBe(
      "this dom0's network: xenbr0 does not exist; eth0 still holds the address (routes in /proc/net/route or a global address in /proc/net/if_inet6)",
    );
    expect(dom0NetworkCheck.judge({ ...base, live: { ...good, routed: [] } }).found).toMatch(
      /xenbr0 has no route/,
    );
    // No /sys/class/net (sysfs not mounted in the root): the live bridge is unknown, not missing.
    const unread = { ...good, sysfs: false, bridgeExists: false, ifaceMaster: undefined, routed: [] };
    expect(dom0NetworkCheck.judge({ ...base, live: unread })).toMatchObject({
      status: 'unknown',
      found: expect.stringMatching(/cannot be read: no \/sys\/class\/net/),
    });
    expect(
      dom0NetworkCheck.judge({ ...base, live: unread, config: { status: 'pending', reason: 'to write' } }),
    ).toMatchObject({ status: 'problem' });
    const plain = dom0From({ capabilities: undefined, hypervisorType: undefined });
    const pending = {
      ...base,
      dom0: plain,
      live: undefined,
      config: { status: 'pending', reason: 'bridge_xenbr0="eth0"' },
    };
    expect(dom0NetworkCheck.judge(pending)).toMatchObject({ status: 'problem' });
    expect(
      globalIpv6Interfaces(
        'fe800000000000000000000000000001 02 40 20 80     eth0\n20010db8000000000000000000000001 03 40 00 00   xenbr0\n00000000000000000000000000000001 01 80 10 80       lo\n',
      ),
    ).toEqual(['xenbr0']);
    expect(routedInterfaces('Iface\tDestination\neth0\t00000000\nxenbr0\t0000A8C0\neth0\t0\n')).toEqual([
      'eth0',
      'xenbr0',
    ]);
  });

  it('serial-console: console=hvc0 on a 2007 XenLinux dom0 names ttyS0; today it names CONFIG_HVC_XEN', () => {
    const judge = (era: 'legacy' | 'modern') =>
      serialConsoleCheck.judge({
        era,
        entries: [{ where: 'grub.conf:4 "Xen"', xenArgs: ['com1=9600,8n1'], kernelArgs: ['console=hvc0'] }],
        config: { path: '/boot/config-2.6.20-xen0', serial8250Console: true, hvcXen: false },
      });
    expect(judge('legacy')).toMatchObject({
      status: 'problem',
      found: expect.stringMatching(
        /^grub\.conf:4 "Xen": dom0 console=hvc0, but .*\(a XenLinux 2\.6 dom0 has none.*use console=ttyS0$/,
      ),
    });
    expect(judge('modern').found).toMatch(/lacks CONFIG_HVC_XEN=y for console=hvc0/);
  });

  it('dom0-mem: too small for the Xen it is written for, unreadable, unset', () => {
    const judge = (syntax: 'xen3' | 'xen4', value: string | undefined) =>
      dom0MemCheck.judge({
        era: syntax === 'xen3' ? 'legacy' : 'modern',
        syntax,
        lines: [{ where: 'grub.conf:1', value }],
        memTotalBytes: 4 * 2 ** 30,
      });
    expect(judge('xen3', '98304').status).toBe('problem');
    expect(judge('xen3', '256M').status).toBe('ok');
    expect(judge('xen4', '256M,max:256M').found).toMatch(/below 512M/);
    expect(judge('xen4', '8G').found).toMatch(/leaves nothing for guests/);
    expect(judge('xen3', 'lots').status).toBe('problem');
    expect(judge('xen4', undefined).status).toBe('ok');
  });

  it('grub2-xen-entry: a dom0 config and Xen ready, but grub.cfg not made again', () => {
    const f = {
      era: 'modern' as const,
      grub2: true,
      configs: [{ name: 'config-6.12.58-gentoo', dom0: true, kernel: true }],
      xenImages: ['xen-4.20.1.gz'],
      grubCfgXenEntries: [],
    };
    expect(grub2XenEntryCheck.judge(f).found).toMatch(/grub-mkconfig has not run since/);
    expect(grub2XenEntryCheck.judge({ ...f, grub2: false }).status).toBe('not-applicable');
  });

  it("cpu-virt: under Xen the hypervisor's capabilities decide (dom0's cpuinfo hides vmx)", () => {
    const base = { era: 'modern' as const, cpuFlags: [], hvmWanted: ['/etc/xen/win is an HVM guest'] };
    expect(
      cpuVirtCheck.judge({ ...base, xenCapabilities: 'xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_64' }).status,
    ).toBe('ok');
    expect(cpuVirtCheck.judge({ ...base, xenCapabilities: 'xen-3.0-x86_64' }).status).toBe('problem');
    expect(cpuVirtCheck.judge({ ...base, xenCapabilities: undefined, cpuFlags: undefined }).status).toBe(
      'unknown',
    );
    expect(cpuVirtCheck.judge({ ...base, xenCapabilities: undefined, hvmWanted: [] }).status).toBe('ok');
  });
});

describe("the dom0 kernel's configuration", () => {
  afterEach(removeSampleCopies);
  it('is looked for in the tree [kernel] sources names, not only behind /usr/src/linux', async () => {
    const root = copySample('current-amd64', {
      '/usr/src/linux-6.12.58-gentoo/_dom0/.config':
        '# Linux/x86 6.12.58 Kernel Configuration\nCONFIG_XEN=y\nCONFIG_XEN_DOM0=y\n',
    });
    rmSync(join(root, 'usr/src/linux'));
    rmSync(join(root, 'boot/config-6.12.58-gentoo'));
    const answers = answersSchema.parse({ kernel: { sources: '/usr/src/linux-6.12.58-gentoo' } });
    const found = await findDom0KernelConfig(new View(new LocalHost(root)), answers.kernel);
    expect(found?.path).toBe('/usr/src/linux-6.12.58-gentoo/_dom0/.config');
  });

  it('on the genkernel road: the configuration genkernel saved for the kernel a Xen entry boots', async () => {
    const root = copySample('current-amd64', {
      '/boot/grub/grub.cfg':
        "menuentry 'Xen' {\n\tmultiboot2 /boot/xen.gz\n\tmodule2 /boot/vmlinuz-6.12.58-gentoo root=/dev/sda3\n}\n",
      '/boot/vmlinuz-6.12.58-gentoo': 'kernel',
      '/etc/kernels/kernel-config-6.12.58-gentoo': 'CONFIG_XEN=y\nCONFIG_XEN_DOM0=y\n',
    });
    rmSync(join(root, 'boot/config-6.12.58-gentoo'));
    const answers = answersSchema.parse({ kernel: { genkernel: 'yes' } });
    const found = await findDom0KernelConfig(new View(new LocalHost(root)), answers.kernel);
    expect(found?.path).toBe('/etc/kernels/kernel-config-6.12.58-gentoo');
  });
});
