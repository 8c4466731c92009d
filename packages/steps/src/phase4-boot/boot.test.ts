import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, LocalHost, View, type Change, type StepPlan } from '@xen-gentoo/core';
import { afterAll, describe, expect, it } from 'vitest';
import { answersSchema, type Answers } from '../answers/index.js';
import { ALL_STEPS } from '../index.js';
import {
  applyChanges,
  applyThenPlan,
  copySample,
  planOne,
  put,
  removeSampleCopies,
  SAMPLES_DIR as SAMPLES,
} from '../testing/samples.js';
import {
  BOOT_STEPS,
  bootGrubStep,
  bootLiloStep,
  bootPxelinuxStep,
  bootSerialStep,
  dom0MemStep,
  LILO_TODAY_REASON,
} from './index.js';

afterAll(removeSampleCopies);

function answers(boot: Record<string, unknown> = {}): Answers {
  return answersSchema.parse({ boot });
}

type AnyStep = (typeof BOOT_STEPS)[number];

const planOn = (root: string, step: AnyStep, a: Answers): Promise<StepPlan> => planOne(root, step, a);

/** The changes applied on the copy, the boot steps' commands (grub-mkconfig, cp, LILO's) played. */
const applyOn = applyChanges;

function expectPlan(plan: StepPlan, status: StepPlan['status'], reason: RegExp): void {
  expect(plan.status, plan.reason).toBe(status);
  expect(plan.reason).toMatch(reason);
}

function changesOf(plan: StepPlan): Change[] {
  expect(plan.status, plan.reason).toBe('pending');
  return plan.status === 'pending' ? plan.changes : [];
}

function fileAfter(plan: StepPlan, path: string): string {
  const c = changesOf(plan).find((x) => x.kind === 'file' && x.path === path);
  if (c?.kind !== 'file') throw new Error(`no change of ${path}`);
  return c.after;
}

const LEGACY_KERNEL = {
  '/boot/vmlinuz-2.6.20-xen-r6-xen0': 'kernel',
  '/boot/xen-3.0.4_1.gz': 'xen',
  '/boot/xen.gz': { link: 'xen-3.0.4_1.gz' },
};

describe('BOOT_STEPS', () => {
  it('has the phase-4 ids in order', () => {
    expect(BOOT_STEPS.map((s) => s.id)).toEqual([
      'dom0-mem',
      'boot-grub',
      'boot-lilo',
      'boot-pxelinux',
      'boot-xen-efi',
      'boot-serial',
    ]);
    for (const s of BOOT_STEPS) expect(s.phase).toBe('Updating your boot loader');
  });
});

describe('legacy x86 host (GRUB legacy, Xen 3)', () => {
  it('dom0-mem: 256M by default, with the reason', async () => {
    const root = copySample('legacy-x86', LEGACY_KERNEL);
    const plan = await planOn(root, dom0MemStep, answers());
    expect(plan.status).toBe('done');
    expect(plan.reason).toMatch(/dom0_mem=256M \(256 MiB\).*98M is known to be too small/);
  });

  it("dom0-mem: the HOWTO's 98M is accepted with a warning; a Xen 4 list is refused", async () => {
    const root = copySample('legacy-x86', LEGACY_KERNEL);
    const p98 = await planOn(root, dom0MemStep, answers({ dom0_mem: '98304' }));
    expect(p98.reason).toMatch(/dom0_mem=96M .*written with explicit units/);
    expect(p98.warnings?.join()).toMatch(/insufficient memory/);
    const list = await planOn(root, dom0MemStep, answers({ dom0_mem: '1024M,max:1024M' }));
    expect(list.status).toBe('blocked');
    expect(list.reason).toMatch(/Xen 3 takes a single size/);
    expect((await planOn(root, bootGrubStep, answers({ dom0_mem: '1024M,max:1024M' }))).status).toBe(
      'blocked',
    );
  });

  it('boot-grub: appends the Xen stanza to grub.conf, then is done', async () => {
    const root = copySample('legacy-x86', LEGACY_KERNEL);
    const before = readFileSync(join(root, 'boot/grub/grub.conf'), 'utf8');
    const plan = await planOn(root, bootGrubStep, answers());
    const after = fileAfter(plan, '/boot/grub/grub.conf');
    expect(after.startsWith(before)).toBe(true);
    expect(after.slice(before.length)).toBe(
      [
        '',
        '# BEGIN xen-gentoo boot-grub (managed by xen-gentoo; edits inside are replaced)',
        'title Xen 3.0 / Linux 2.6.20-xen-r6',
        'root (hd0,0)',
        'kernel /xen.gz dom0_mem=256M',
        'module /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3',
        '# END xen-gentoo boot-grub',
        '',
      ].join('\n'),
    );
    expect(plan.reason).toMatch(/number 1/);
    expect(plan.warnings?.join()).toMatch(/default 0" still boots the previous entry/);
    await applyOn(root, changesOf(plan));
    const again = await planOn(root, bootGrubStep, answers());
    expect(again.status).toBe('done');
  });

  it('boot-grub: serial variant (howto: com1, console=ttyS0, noreboot)', async () => {
    const root = copySample('legacy-x86', LEGACY_KERNEL);
    const a = answers({ serial: 'yes', serial_speed: '9600', serial_vga: 'no' });
    const after = fileAfter(await planOn(root, bootGrubStep, a), '/boot/grub/grub.conf');
    expect(after).toContain('kernel /xen.gz dom0_mem=256M com1=9600,8n1 console=com1 noreboot\n');
    expect(after).toContain('module /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3 console=ttyS0\n');
  });

  it('boot-grub: a kernel not built yet gets the name kernel-build installs', async () => {
    // the sample's /usr/src/linux points at linux-2.6.20-xen-r6
    const root = copySample('legacy-x86', { '/boot/xen.gz': 'xen' });
    const plan = await planOn(root, bootGrubStep, answers());
    expect(fileAfter(plan, '/boot/grub/grub.conf')).toContain(
      'module /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3',
    );
    expect(plan.warnings?.join()).toMatch(/not built yet/);
  });

  it('boot-grub: blocked without Xen and without a kernel, saying which step provides them', async () => {
    const noXen = await planOn(
      copySample('legacy-x86', { '/boot/vmlinuz-2.6.20-xen-r6-xen0': 'k' }),
      bootGrubStep,
      answers(),
    );
    expectPlan(noXen, 'blocked', /emerge-xen/);
    const bare = copySample('legacy-x86', { '/boot/xen.gz': 'x' });
    execFileSync('rm', ['-rf', join(bare, 'usr/src/linux'), join(bare, 'var/db/pkg/sys-kernel')]);
    const noKernel = await planOn(bare, bootGrubStep, answers());
    expectPlan(noKernel, 'blocked', /kernel-build/);
  });

  it('boot-grub: an unmounted /boot (noauto in the 2007 fstab) blocks with the fix', async () => {
    const root = copySample('legacy-x86');
    execFileSync('rm', ['-rf', join(root, 'boot')]);
    mkdirSync(join(root, 'boot'));
    expectPlan(await planOn(root, bootGrubStep, answers()), 'blocked', /mount \/boot/);
  });

  it('boot-grub: refuses when menu.lst and grub.conf are two different files', async () => {
    const root = copySample('legacy-x86', LEGACY_KERNEL);
    execFileSync('rm', [join(root, 'boot/grub/menu.lst')]);
    put(root, '/boot/grub/menu.lst', 'default 0\n');
    expect((await planOn(root, bootGrubStep, answers())).reason).toMatch(/two different files/);
  });

  it('boot-lilo, boot-pxelinux and boot-serial do not apply to a GRUB host by default', async () => {
    const root = copySample('legacy-x86', LEGACY_KERNEL);
    expect((await planOn(root, bootLiloStep, answers())).status).toBe('not-applicable');
    expect((await planOn(root, bootPxelinuxStep, answers())).status).toBe('not-applicable');
    expect((await planOn(root, bootSerialStep, answers())).status).toBe('not-applicable');
  });

  it("boot-serial: dom0's ttyS0 is the Xen console, which needs the serial port drivers disabled", async () => {
    const root = copySample('legacy-x86', LEGACY_KERNEL);
    const a = answers({ serial: 'yes' });
    expect((await planOn(root, bootSerialStep, a)).status).toBe('blocked');
    put(root, '/boot/config-2.6.20-xen-r6-xen0', '# CONFIG_XEN_DISABLE_SERIAL is not set\n');
    expect((await planOn(root, bootSerialStep, a)).reason).toMatch(/lacks CONFIG_XEN_DISABLE_SERIAL=y/);
    // The 8250 console (serial_console = yes) cannot reach the UART Xen owns.
    put(
      root,
      '/boot/config-2.6.20-xen-r6-xen0',
      '# CONFIG_XEN_DISABLE_SERIAL is not set\nCONFIG_SERIAL_8250=y\nCONFIG_SERIAL_8250_CONSOLE=y\n',
    );
    const conflict = await planOn(root, bootSerialStep, a);
    expect(conflict.status).toBe('blocked');
    expect(conflict.reason).toMatch(/Xen owns the UART.*serial_console = auto/);
    put(root, '/boot/config-2.6.20-xen-r6-xen0', 'CONFIG_XEN_DISABLE_SERIAL=y\n');
    const done = await planOn(root, bootSerialStep, a);
    expect(done.status).toBe('done');
    expect(done.reason).toMatch(/console=ttyS0/);
    // noreboot is said for what Xen does with it, not what the HOWTO thought it did
    expect(done.reason).toMatch(/noreboot \(Xen does not reboot by itself after a crash or error/);
    const off = await planOn(root, bootSerialStep, answers({ serial: 'yes', noreboot: 'no' }));
    expect(off.reason).not.toMatch(/noreboot/);
  });

  it('boot-lilo: without mbootpack, says Xen 3.0.4 and later have none and where it can be had', async () => {
    const root = copySample('legacy-x86', {
      ...LEGACY_KERNEL,
      '/etc/lilo.conf': 'boot=/dev/sda\nimage=/boot/vmlinuz-2.6.18-gentoo-r6\n\tlabel=gentoo\n',
    });
    rmSync(join(root, 'usr/bin/mbootpack'));
    const plan = await planOn(root, bootLiloStep, answers({ loader: 'lilo' }));
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(
      /Xen 3\.0\.4 and later no longer ship it \(it left tools\/misc in October 2006\)/,
    );
    expect(plan.reason).toMatch(/github\.com\/timdeegan\/mbootpack.*Xen 3\.0\.3 source tarball/);
    expect(plan.reason).not.toMatch(/build it from Xen's source tree/);
  });

  it('boot-lilo: decompress, mbootpack, lilo.conf, lilo; then done', async () => {
    const root = copySample('legacy-x86', {
      ...LEGACY_KERNEL,
      '/etc/lilo.conf':
        'boot=/dev/sda\nprompt\ntimeout=50\ndefault=gentoo\n\nimage=/boot/vmlinuz-2.6.18-gentoo-r6\n\tlabel=gentoo\n\tread-only\n\troot=/dev/sda3\n',
      '/usr/bin/mbootpack': '',
    });
    const a = answers({ loader: 'lilo' });
    const plan = await planOn(root, bootLiloStep, a);
    const changes = changesOf(plan);
    const summary = (c: Change): string[] =>
      c.kind === 'command'
        ? c.argv.length > 1
          ? [c.argv[0] ?? '', ...c.argv.slice(-2)]
          : c.argv
        : [c.kind, 'path' in c ? c.path : ''];
    expect(changes.map(summary)).toEqual([
      ['sh', '/boot/xen.gz', '/boot/xen'],
      ['sh', '/boot/vmlinuz-2.6.20-xen-r6-xen0', '/boot/vmlinux-2.6.20-xen-r6-xen0'],
      ['mbootpack', '/boot/vmlinux-2.6.20-xen-r6-xen0', '/boot/xen'],
      ['file', '/etc/lilo.conf'],
      ['lilo'],
    ]);
    expect(fileAfter(plan, '/etc/lilo.conf')).toContain(
      'image=/boot/vmlinuz-2.6.20-xen-r6-xen0-mpack\n\tlabel=xen\n\troot=/dev/sda3\n\tappend="dom0_mem=256M -- root=/dev/sda3"\n',
    );
    const stamp = (p: string): void => put(root, p, 'x');
    await applyOn(root, changes, {
      sh: (argv) => stamp(argv[argv.length - 1] ?? ''),
      mbootpack: (argv) => stamp(argv[2] ?? ''),
      lilo: () => undefined,
    });
    // lilo writes the map last
    await new Promise((r) => setTimeout(r, 20));
    stamp('/boot/map');
    expect((await planOn(root, bootLiloStep, a)).status).toBe('done');
  });
});

const CURRENT_FILES = {
  '/boot/xen-4.19.2.gz': 'xen',
  '/boot/xen.gz': { link: 'xen-4.19.2.gz' },
  '/boot/vmlinuz-6.12.41-gentoo-xen0': 'kernel',
  '/boot/config-6.12.41-gentoo-xen0': 'CONFIG_XEN_DOM0=y\nCONFIG_HVC_XEN=y\n',
};

/** What grub-mkconfig's 20_linux_xen and 40_custom put into grub.cfg, for the replay. */
function fakeMkconfig(root: string): void {
  const def = readFileSync(join(root, 'etc/default/grub'), 'utf8');
  const xen = execFileSync(
    'sh',
    ['-c', `${def}\nprintf '%s' "$GRUB_CMDLINE_XEN $GRUB_CMDLINE_XEN_DEFAULT"`],
    { encoding: 'utf8' },
  );
  const dom0 = execFileSync('sh', ['-c', `${def}\nprintf '%s' "$GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT"`], {
    encoding: 'utf8',
  });
  const custom = readFileSync(join(root, 'etc/grub.d/40_custom'), 'utf8').split('\n').slice(2).join('\n');
  const cfg = readFileSync(join(root, 'boot/grub/grub.cfg'), 'utf8')
    .replace(
      '### END /etc/grub.d/20_linux_xen ###',
      `menuentry 'Gentoo GNU/Linux, with Xen hypervisor' {\n\tmultiboot2\t/boot/xen-4.19.2.gz placeholder ${xen} \${xen_rm_opts}\n\tmodule2\t/boot/vmlinuz-6.12.41-gentoo-xen0 placeholder root=PARTUUID=8a1c2e3f-03 ro  ${dom0}\n}\n### END /etc/grub.d/20_linux_xen ###`,
    )
    .replace(
      /### BEGIN \/etc\/grub.d\/40_custom ###\n[\s\S]*?### END/,
      `### BEGIN /etc/grub.d/40_custom ###\n${custom}### END`,
    );
  writeFileSync(join(root, 'boot/grub/grub.cfg'), cfg);
}

describe('current amd64 host (GRUB 2, Xen 4.19)', () => {
  it('dom0-mem: 1024M,max:1024M by default', async () => {
    const plan = await planOn(copySample('current-amd64', CURRENT_FILES), dom0MemStep, answers());
    expectPlan(plan, 'done', /^dom0_mem=1024M,max:1024M \(1024 MiB, max 1024 MiB\)/);
    // the tool's choice, and why: Xen's own default is all the memory but a reserve
    expect(plan.reason).toMatch(
      /the tool's default for a current \(Xen 4\) host, not Xen's \(without dom0_mem Xen gives dom0 all the memory but a reserve/,
    );
    expect(plan.reason).not.toMatch(/: the default for/);
    expect(plan.warnings).toBeUndefined();
    // The answers file refuses such a value with its line; the step still defends itself.
    expect(answersSchema.safeParse({ boot: { dom0_mem: 'lots' } }).success).toBe(false);
    const defaults = answers();
    const bad = await planOn(copySample('current-amd64', CURRENT_FILES), dom0MemStep, {
      ...defaults,
      boot: { ...defaults.boot, dom0_mem: 'lots' },
    });
    expectPlan(bad, 'blocked', /"lots" is not a size \(expected/);
  });

  it('boot-grub (default-grub): Xen variables in /etc/default/grub, grub-mkconfig, then done', async () => {
    const root = copySample('current-amd64', CURRENT_FILES);
    const before = readFileSync(join(root, 'etc/default/grub'), 'utf8');
    const a = answers({ serial: 'yes' });
    const plan = await planOn(root, bootGrubStep, a);
    const after = fileAfter(plan, '/etc/default/grub');
    expect(after.startsWith(before)).toBe(true);
    expect(after.slice(before.length)).toBe(
      '\n# Xen hypervisor and dom0 options (xen-gentoo)\n' +
        'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot"\n' +
        'GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT="console=hvc0"\n',
    );
    expect(changesOf(plan).at(-1)).toMatchObject({
      kind: 'command',
      argv: ['grub-mkconfig', '-o', '/boot/grub/grub.cfg'],
      inRoot: true,
    });
    const { again } = await applyThenPlan(root, [bootGrubStep], a, {
      play: { 'grub-mkconfig': () => fakeMkconfig(root) },
    });
    expect(again.steps[0]?.status).toBe('done');
    // a stale grub.cfg (someone ran grub-mkconfig before Xen was there) brings the command back alone
    const changed = answers({ serial: 'yes', dom0_mem: '2048M,max:2048M' });
    const p2 = await planOn(root, bootGrubStep, changed);
    expect(fileAfter(p2, '/etc/default/grub')).toContain(
      'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=2048M,max:2048M com1',
    );
  });

  it('boot-grub (custom-entry): a multiboot2 menuentry in 40_custom, grub-mkconfig, then done', async () => {
    const root = copySample('current-amd64', CURRENT_FILES);
    const a = answers({ grub2_mode: 'custom-entry', serial: 'yes', serial_vga: 'no' });
    const plan = await planOn(root, bootGrubStep, a);
    const after = fileAfter(plan, '/etc/grub.d/40_custom');
    expect(after).toContain(
      [
        "menuentry 'Xen 4.19 / Linux 6.12.41-gentoo' --class gentoo --class xen {",
        '\tinsmod gzio',
        "\techo 'Loading Xen ...'",
        '\tmultiboot2 /boot/xen.gz dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1 noreboot',
        "\techo 'Loading Linux ...'",
        '\tmodule2 /boot/vmlinuz-6.12.41-gentoo-xen0 root=PARTUUID=8a1c2e3f-03 console=hvc0',
        '}',
      ].join('\n'),
    );
    const { again } = await applyThenPlan(root, [bootGrubStep], a, {
      play: { 'grub-mkconfig': () => fakeMkconfig(root) },
    });
    expect(again.steps[0]?.status).toBe('done');
  });

  it("boot-grub (custom-entry): the administrator's own Xen entry in 40_custom is named in a warning", async () => {
    const own =
      "#!/bin/sh\nexec tail -n +3 $0\nmenuentry 'My Xen' {\n\tmultiboot2 /boot/xen.gz iommu=verbose\n\tmodule2 /boot/vmlinuz-6.12.41-gentoo-xen0 root=/dev/sda3\n}\n";
    const root = copySample('current-amd64', { ...CURRENT_FILES, '/etc/grub.d/40_custom': own });
    const plan = await planOn(root, bootGrubStep, answers({ grub2_mode: 'custom-entry' }));
    expect(plan.warnings?.join('\n')).toMatch(
      /\/etc\/grub\.d\/40_custom:4: another Xen entry \(not the tool's\) stays/,
    );
    await applyOn(root, changesOf(plan), { 'grub-mkconfig': () => fakeMkconfig(root) });
    const again = await planOn(root, bootGrubStep, answers({ grub2_mode: 'custom-entry' }));
    expect(again.status).toBe('done');
    expect(again.warnings?.filter((w) => w.includes('another Xen entry'))).toHaveLength(1);
  });

  it('boot-lilo: blocked today, with the alternative', async () => {
    const root = copySample('current-amd64', { ...CURRENT_FILES, '/etc/lilo.conf': 'boot=/dev/sda\n' });
    const plan = await planOn(root, bootLiloStep, answers({ loader: 'lilo' }));
    expect(plan).toEqual({ status: 'blocked', reason: LILO_TODAY_REASON });
    expect(plan.reason).toMatch(/GRUB 2.*xen\.efi/);
    expect(plan.reason).toMatch(/left Xen's source tree in October 2006.*not package it/);
  });

  it('boot-pxelinux: config, the files the TFTP root serves, then done', async () => {
    const root = copySample('current-amd64', {
      ...CURRENT_FILES,
      '/usr/share/syslinux/pxelinux.0': 'p',
      '/usr/share/syslinux/mboot.c32': 'm',
      '/usr/share/syslinux/ldlinux.c32': 'l',
      '/usr/share/syslinux/libcom32.c32': 'c',
    });
    const a = answers({ pxe_dir: '/srv/tftp', root_device: '/dev/nfs', serial: 'yes', serial_vga: 'no' });
    const plan = await planOn(root, bootPxelinuxStep, a);
    expect(fileAfter(plan, '/srv/tftp/pxelinux.cfg/default')).toContain(
      'DEFAULT mboot.c32 xen.gz dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1 noreboot --- vmlinuz-6.12.41-gentoo-xen0 root=/dev/nfs console=hvc0\n',
    );
    const copies = changesOf(plan).flatMap((c) => (c.kind === 'command' ? [c.argv.slice(-2)] : []));
    expect(copies).toEqual([
      ['/usr/share/syslinux/pxelinux.0', '/srv/tftp/pxelinux.0'],
      ['/usr/share/syslinux/mboot.c32', '/srv/tftp/mboot.c32'],
      ['/usr/share/syslinux/ldlinux.c32', '/srv/tftp/ldlinux.c32'],
      ['/usr/share/syslinux/libcom32.c32', '/srv/tftp/libcom32.c32'],
      ['/boot/xen.gz', '/srv/tftp/xen.gz'],
      ['/boot/vmlinuz-6.12.41-gentoo-xen0', '/srv/tftp/vmlinuz-6.12.41-gentoo-xen0'],
    ]);
    const { again } = await applyThenPlan(root, [bootPxelinuxStep], a, {
      play: { cp: (argv) => put(root, argv[argv.length - 1] ?? '', 'copy') },
    });
    expect(again.steps[0]?.status).toBe('done');
  });

  it('boot-pxelinux: blocked without syslinux', async () => {
    const root = copySample('current-amd64', CURRENT_FILES);
    rmSync(join(root, 'usr/share/syslinux'), { recursive: true });
    const plan = await planOn(root, bootPxelinuxStep, answers({ pxe_dir: '/srv/tftp' }));
    expectPlan(plan, 'blocked', /sys-boot\/syslinux/);
  });

  it('boot-serial: hvc0 needs CONFIG_HVC_XEN, and a getty on OpenRC', async () => {
    const root = copySample('current-amd64', {
      ...CURRENT_FILES,
      '/etc/inittab': 'id:3:initdefault:\nc1:12345:respawn:/sbin/agetty 38400 tty1 linux\n',
    });
    const a = answers({ serial: 'yes' });
    const plan = await planOn(root, bootSerialStep, a);
    expect(fileAfter(plan, '/etc/inittab')).toContain('h0:12345:respawn:/sbin/agetty -L 115200 hvc0 vt100\n');
    await applyOn(root, changesOf(plan));
    const done = await planOn(root, bootSerialStep, a);
    expectPlan(done, 'done', /console=hvc0.*CONFIG_HVC_XEN=y/);
  });

  it('the steps planned in order over one view see each other', async () => {
    const root = copySample('current-amd64', CURRENT_FILES);
    const a = answers({ grub2_mode: 'custom-entry' });
    const view = new View(new LocalHost(root));
    const statuses: string[] = [];
    for (const step of BOOT_STEPS) {
      const plan = step.plan(await step.detect({ view, answers: a }), a);
      statuses.push(`${step.id}:${plan.status}`);
      if (plan.status === 'pending') await view.apply(plan.changes);
    }
    expect(statuses).toEqual([
      'dom0-mem:done',
      'boot-grub:pending',
      'boot-lilo:not-applicable',
      'boot-pxelinux:not-applicable',
      'boot-xen-efi:not-applicable',
      'boot-serial:not-applicable',
    ]);
  });
});

describe("the HOWTO's single-kernel route (kernel-single)", () => {
  it('boots vmlinuz-<version>-xen with its initrd when there is no -xen0 kernel', async () => {
    const root = copySample('legacy-x86', {
      '/boot/xen.gz': 'x',
      '/boot/vmlinuz-2.6.20-xen-r6-xen': 'k',
      '/boot/initrd-xen-3.0.img': 'i',
    });
    const single = answersSchema.parse({ kernel: { split: 'no' } });
    const after = fileAfter(await planOn(root, bootGrubStep, single), '/boot/grub/grub.conf');
    expect(after).toContain('module /vmlinuz-2.6.20-xen-r6-xen root=/dev/sda3\nmodule /initrd-xen-3.0.img\n');
  });
});

describe('the entry follows the kernel road of the answers', () => {
  const road = (kernel: Record<string, unknown>, boot: Record<string, unknown> = {}): Answers =>
    answersSchema.parse({ kernel, boot });

  it('split = no, nothing built yet: the -xen kernel and the initrd kernel-single makes', async () => {
    const root = copySample('legacy-x86', { '/boot/xen.gz': 'x', '/usr/bin/mbootpack': '' });
    const after = fileAfter(await planOn(root, bootGrubStep, road({ split: 'no' })), '/boot/grub/grub.conf');
    expect(after).toContain('module /vmlinuz-2.6.20-xen-r6-xen root=/dev/sda3\nmodule /initrd-xen-3.0.img\n');
    const lilo = await planOn(root, bootLiloStep, road({ split: 'no' }, { loader: 'lilo' }));
    expect(JSON.stringify(lilo)).toContain('vmlinuz-2.6.20-xen-r6-xen');
    expect(JSON.stringify(lilo)).not.toContain('-xen0');
  });

  it("genkernel on a 2007 host: genkernel's names and the HOWTO's root=/dev/ram0 real_root=", async () => {
    const root = copySample('legacy-x86', {
      '/boot/xen.gz': 'x',
      '/usr/share/syslinux/mboot.c32': 'm',
    });
    const after = fileAfter(
      await planOn(root, bootGrubStep, road({ genkernel: 'yes' })),
      '/boot/grub/grub.conf',
    );
    expect(after).toContain(
      'module /kernel-genkernel-x86-2.6.20-xen-r6 root=/dev/ram0 real_root=/dev/sda3\nmodule /initramfs-genkernel-x86-2.6.20-xen-r6.gz\n',
    );
    // A kernel genkernel already installed is recognised, with its initrd.
    put(root, '/boot/kernel-genkernel-x86-2.6.20-xen-r6', 'k');
    put(root, '/boot/initramfs-genkernel-x86-2.6.20-xen-r6', 'i');
    put(root, '/boot/vmlinuz-2.6.20-xen-r6-xen0', 'k');
    const built = fileAfter(
      await planOn(root, bootGrubStep, road({ genkernel: 'yes' })),
      '/boot/grub/grub.conf',
    );
    expect(built).toContain(
      'module /kernel-genkernel-x86-2.6.20-xen-r6 root=/dev/ram0 real_root=/dev/sda3\nmodule /initramfs-genkernel-x86-2.6.20-xen-r6\n',
    );
    const pxe = await planOn(
      root,
      bootPxelinuxStep,
      road({ genkernel: 'yes' }, { loader: 'pxelinux', pxe_dir: '/diskless', root_device: '/dev/sda3' }),
    );
    expect(JSON.stringify(pxe)).toContain('kernel-genkernel-x86-2.6.20-xen-r6');
  });

  it("genkernel today: genkernel 4's vmlinuz-RELEASE and initramfs-RELEASE.img, with real_root=", async () => {
    const root = copySample('current-amd64', { '/boot/xen.gz': 'x' });
    const a = road({ genkernel: 'yes' }, { loader: 'grub2', grub2_mode: 'custom-entry' });
    const after = fileAfter(await planOn(root, bootGrubStep, a), '/etc/grub.d/40_custom');
    expect(after).toMatch(/module2 \/boot\/vmlinuz-6\.12\.58-gentoo root=(\S+) real_root=\1\n/);
    expect(after).toContain('module2 --nounzip /boot/initramfs-6.12.58-gentoo.img');
  });
});

describe('dom0_mem values Xen would misread', () => {
  it.each(['0', 'max:0', '1G,min:0', '0M,max:1G', 'min:512M,max:256M', '2G,max:1G', '-5G', '1G,min:-2G'])(
    'the answers file refuses %j (bad input naming the line, not a blocked step later)',
    (value) => {
      expect(answersSchema.safeParse({ boot: { dom0_mem: value } }).success).toBe(false);
    },
  );

  it('the step refuses them too when handed one directly', async () => {
    const defaults = answers();
    for (const [value, reason] of [
      ['1G,min:0', /"0" is zero/],
      ['min:512M,max:256M', /min:512M is more than max:256M/],
    ] as const) {
      const plan = await planOn(copySample('current-amd64', CURRENT_FILES), dom0MemStep, {
        ...defaults,
        boot: { ...defaults.boot, dom0_mem: value },
      });
      expectPlan(plan, 'blocked', reason);
    }
  });
});

describe("the user's boot options survive, broken boot files are bad input", () => {
  it("boot-grub (default-grub): only dom0_mem changes in the user's GRUB_CMDLINE_XEN_DEFAULT", async () => {
    const sample = readFileSync(join(SAMPLES, 'current-amd64/etc/default/grub'), 'utf8');
    const root = copySample('current-amd64', {
      ...CURRENT_FILES,
      '/etc/default/grub':
        sample +
        'GRUB_CMDLINE_LINUX_DEFAULT="quiet dolvm"\n' +
        'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=2G,max:2G loglvl=all iommu=no-intremap"\n',
    });
    const a = answers({ serial: 'yes', serial_vga: 'no', dom0_mem: '1024M,max:1024M' });
    const plan = await planOn(root, bootGrubStep, a);
    const after = fileAfter(plan, '/etc/default/grub');
    expect(after).toContain(
      'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1024M,max:1024M loglvl=all iommu=no-intremap com1=115200,8n1 console=com1 noreboot"\n',
    );
    // 20_linux_xen uses it instead of GRUB_CMDLINE_LINUX_DEFAULT: that one's options come along
    expect(after).toContain('GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT="quiet dolvm console=hvc0"\n');
    const { again } = await applyThenPlan(root, [bootGrubStep], a, {
      play: { 'grub-mkconfig': () => fakeMkconfig(root) },
    });
    expect(again.steps[0]?.status).toBe('done');
  });

  it('dom0_mem = auto keeps the value the boot files already give; files that disagree get the default', async () => {
    const sample = readFileSync(join(SAMPLES, 'current-amd64/etc/default/grub'), 'utf8');
    const root = copySample('current-amd64', {
      ...CURRENT_FILES,
      '/etc/default/grub': `${sample}GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=4096M,max:4096M iommu=no-intremap"\n`,
    });
    const kept = await planOn(root, dom0MemStep, answers());
    expect(kept.reason).toMatch(/^dom0_mem=4096M,max:4096M .*kept from \/etc\/default\/grub/);
    const plan = await planOn(root, bootGrubStep, answers());
    const changes = plan.status === 'pending' ? plan.changes : [];
    expect(changes.some((c) => c.kind === 'file' && c.path === '/etc/default/grub')).toBe(false);

    // A commented value does not count; two different values fall back to the default, with a warning.
    const two = copySample('current-amd64', {
      ...CURRENT_FILES,
      '/etc/default/grub': `${sample}#GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=64M"\nGRUB_CMDLINE_XEN_DEFAULT="dom0_mem=2G"\nGRUB_CMDLINE_XEN="dom0_mem=3G"\n`,
    });
    const fallback = await planOn(two, dom0MemStep, answers());
    expect(fallback.reason).toMatch(/^dom0_mem=1024M,max:1024M .*the tool's default/);
    expect(fallback.warnings?.join('\n')).toMatch(/disagree on dom0_mem: dom0_mem=2G .*dom0_mem=3G/);
  });

  it('boot-grub: an unterminated quote in /etc/default/grub is bad input naming the file and line', async () => {
    const sample = readFileSync(join(SAMPLES, 'current-amd64/etc/default/grub'), 'utf8');
    const line = sample.split('\n').length;
    const root = copySample('current-amd64', {
      ...CURRENT_FILES,
      '/etc/default/grub': sample + 'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=2G\n',
    });
    const planning = planOn(root, bootGrubStep, answers());
    await expect(planning).rejects.toBeInstanceOf(InputError);
    await expect(planOn(root, bootGrubStep, answers())).rejects.toMatchObject({
      exitCode: 2,
      file: '/etc/default/grub',
      line,
      message: expect.stringMatching(
        /^\/etc\/default\/grub:\d+: unterminated double quote; expected a closing "/,
      ),
    });
  });

  it.each([
    [
      'a BEGIN without END',
      '# BEGIN xen-gentoo boot-grub\ntitle X\n',
      0,
      /without an END marker; expected a "# END/,
    ],
    [
      'two BEGINs',
      '# BEGIN xen-gentoo boot-grub\n# END xen-gentoo boot-grub\n# BEGIN xen-gentoo boot-grub\n# END xen-gentoo boot-grub\n',
      2,
      /appears more than once; expected one managed block/,
    ],
  ])(
    'boot-grub: grub.conf with %s is bad input (exit 2) naming the file and line',
    async (_n, block, at, message) => {
      const sample = readFileSync(join(SAMPLES, 'legacy-x86/boot/grub/grub.conf'), 'utf8');
      const root = copySample('legacy-x86', { ...LEGACY_KERNEL, '/boot/grub/grub.conf': sample + block });
      await expect(planOn(root, bootGrubStep, answers())).rejects.toMatchObject({
        exitCode: 2,
        file: '/boot/grub/grub.conf',
        line: sample.split('\n').length + at,
        message: expect.stringMatching(message),
      });
    },
  );

  it('boot-pxelinux: a broken marker block in pxelinux.cfg/default is bad input', async () => {
    const root = copySample('current-amd64', {
      ...CURRENT_FILES,
      '/usr/share/syslinux/pxelinux.0': 'p',
      '/usr/share/syslinux/mboot.c32': 'm',
      '/srv/tftp/pxelinux.cfg/default': 'PROMPT 0\n# END xen-gentoo boot-pxelinux\n',
    });
    await expect(planOn(root, bootPxelinuxStep, answers({ pxe_dir: '/srv/tftp' }))).rejects.toMatchObject({
      exitCode: 2,
      file: '/srv/tftp/pxelinux.cfg/default',
      line: 2,
    });
  });

  it('boot-serial: a broken marker block in /etc/inittab is bad input', async () => {
    const root = copySample('current-amd64', {
      ...CURRENT_FILES,
      '/etc/inittab': 'id:3:initdefault:\n# BEGIN xen-gentoo boot-serial\n',
    });
    await expect(planOn(root, bootSerialStep, answers({ serial: 'yes' }))).rejects.toMatchObject({
      exitCode: 2,
      file: '/etc/inittab',
      line: 2,
    });
  });
});

describe("the user's own Xen entries are found and named", () => {
  it('boot-grub (legacy): a stanza loading /xen-3.1.gz is updated in place, under its own title', async () => {
    const sample = readFileSync(join(SAMPLES, 'legacy-x86/boot/grub/grub.conf'), 'utf8');
    const mine =
      'title My Xen\nroot (hd0,0)\nkernel /xen-3.1.gz dom0_mem=98M loglvl=all\nmodule /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3 quiet\n';
    const root = copySample('legacy-x86', { ...LEGACY_KERNEL, '/boot/grub/grub.conf': `${sample}\n${mine}` });
    const plan = await planOn(root, bootGrubStep, answers());
    expectPlan(plan, 'pending', /^update the Xen entry "My Xen" \(number 1\) in \/boot\/grub\/grub.conf$/);
    const after = fileAfter(plan, '/boot/grub/grub.conf');
    expect(after).toBe(`${sample}\n${mine.replace('/xen-3.1.gz dom0_mem=98M', '/xen.gz dom0_mem=256M')}`);
    await applyOn(root, changesOf(plan));
    expectPlan(
      await planOn(root, bootGrubStep, answers()),
      'done',
      /has the Xen entry "My Xen" \(number 1\)/,
    );
  });

  const LILO_BASE =
    'boot=/dev/sda\nprompt\ntimeout=50\ndefault=gentoo\n\nimage=/boot/vmlinuz-2.6.18-gentoo-r6\n\tlabel=gentoo\n\tread-only\n\troot=/dev/sda3\n';

  it('boot-lilo: an mbootpack image of its own under the label "xen" is updated, not refused', async () => {
    const root = copySample('legacy-x86', {
      ...LEGACY_KERNEL,
      '/etc/lilo.conf': `${LILO_BASE}\nimage=/boot/my-xen-mpack\n\tlabel=xen\n\tappend="dom0_mem=64M loglvl=all -- root=/dev/sda3 quiet"\n`,
      '/usr/bin/mbootpack': '',
    });
    const plan = await planOn(root, bootLiloStep, answers({ loader: 'lilo' }));
    expectPlan(plan, 'pending', /update the image "xen" in \/etc\/lilo.conf, run lilo$/);
    expect(fileAfter(plan, '/etc/lilo.conf')).toBe(
      `${LILO_BASE}\nimage=/boot/vmlinuz-2.6.20-xen-r6-xen0-mpack\n\tlabel=xen\n\tappend="dom0_mem=256M loglvl=all -- root=/dev/sda3 quiet"\n`,
    );
  });

  it('boot-lilo: a label used by another kind of image blocks, naming the file and line', async () => {
    const root = copySample('legacy-x86', {
      ...LEGACY_KERNEL,
      '/etc/lilo.conf': `${LILO_BASE}\nimage=/boot/vmlinuz-2.6.18-gentoo-r7\n\tread-only\n\tlabel=xen\n`,
      '/usr/bin/mbootpack': '',
    });
    expectPlan(
      await planOn(root, bootLiloStep, answers({ loader: 'lilo' })),
      'blocked',
      /^\/etc\/lilo\.conf:13: label "xen" \(line 13\) is already used by image=\/boot\/vmlinuz-2\.6\.18-gentoo-r7/,
    );
  });

  it('boot-pxelinux: a LABEL block with KERNEL mboot.c32 is the Xen entry, updated in place', async () => {
    const cfg =
      'DEFAULT xen\nPROMPT 0\n\nLABEL xen\n  KERNEL mboot.c32\n  APPEND xen.gz dom0_mem=512M loglvl=all --- vmlinuz-6.12.41-gentoo-xen0 root=/dev/nfs quiet\n';
    const root = copySample('current-amd64', {
      ...CURRENT_FILES,
      '/usr/share/syslinux/pxelinux.0': 'p',
      '/usr/share/syslinux/mboot.c32': 'm',
      '/srv/tftp/pxelinux.cfg/default': cfg,
    });
    const a = answers({ pxe_dir: '/srv/tftp', root_device: '/dev/nfs' });
    const plan = await planOn(root, bootPxelinuxStep, a);
    expectPlan(
      plan,
      'pending',
      /^update the Xen entry LABEL xen \(mboot\.c32\) in \/srv\/tftp\/pxelinux.cfg\/default; copy/,
    );
    expect(fileAfter(plan, '/srv/tftp/pxelinux.cfg/default')).toBe(
      cfg.replace('dom0_mem=512M', 'dom0_mem=1024M,max:1024M'),
    );
    await applyOn(root, changesOf(plan), { cp: (argv) => put(root, argv[argv.length - 1] ?? '', 'copy') });
    expectPlan(await planOn(root, bootPxelinuxStep, a), 'done', /boots Xen through mboot.c32 \(LABEL xen\)/);
  });

  it('boot-pxelinux: an ONTIMEOUT naming another label is not done: it is commented out, with a warning', async () => {
    const cfg =
      'DEFAULT xen\nONTIMEOUT linux\nPROMPT 1\nTIMEOUT 50\n\nLABEL xen\n  KERNEL mboot.c32\n  APPEND xen.gz dom0_mem=1024M,max:1024M --- vmlinuz-6.12.41-gentoo-xen0 root=/dev/nfs\n\nLABEL linux\n  KERNEL vmlinuz\n';
    const root = copySample('current-amd64', {
      ...CURRENT_FILES,
      '/usr/share/syslinux/pxelinux.0': 'p',
      '/usr/share/syslinux/mboot.c32': 'm',
      '/srv/tftp/pxelinux.cfg/default': cfg,
      '/srv/tftp/pxelinux.0': 'p',
      '/srv/tftp/mboot.c32': 'm',
      '/srv/tftp/ldlinux.c32': 'l',
      '/srv/tftp/libcom32.c32': 'c',
      '/srv/tftp/xen.gz': 'x',
      '/srv/tftp/vmlinuz-6.12.41-gentoo-xen0': 'k',
    });
    const a = answers({ pxe_dir: '/srv/tftp', root_device: '/dev/nfs' });
    const plan = await planOn(root, bootPxelinuxStep, a);
    expectPlan(
      plan,
      'pending',
      /^update the Xen entry LABEL xen \(mboot\.c32\) in \/srv\/tftp\/pxelinux.cfg\/default$/,
    );
    expect(fileAfter(plan, '/srv/tftp/pxelinux.cfg/default')).toBe(
      cfg.replace('ONTIMEOUT linux', '# disabled for the Xen entry (xen-gentoo): ONTIMEOUT linux'),
    );
    expect(plan.warnings?.join('\n')).toMatch(
      /\/srv\/tftp\/pxelinux\.cfg\/default:2: "ONTIMEOUT linux" boots linux instead of the Xen entry when the timeout expires/,
    );
    await applyOn(root, changesOf(plan));
    expectPlan(await planOn(root, bootPxelinuxStep, a), 'done', /boots Xen through mboot.c32 \(LABEL xen\)/);
  });

  it('boot-grub (GRUB 2): a multiboot2 line continued with a backslash is recognised', async () => {
    const root = copySample('current-amd64', CURRENT_FILES);
    const a = answers();
    await applyOn(root, changesOf(await planOn(root, bootGrubStep, a)), {
      'grub-mkconfig': () => fakeMkconfig(root),
    });
    const cfgPath = join(root, 'boot/grub/grub.cfg');
    const cfg = readFileSync(cfgPath, 'utf8');
    expect(cfg).toContain('\tmultiboot2\t/boot/xen-4.19.2.gz placeholder ');
    writeFileSync(
      cfgPath,
      cfg.replace(
        '\tmultiboot2\t/boot/xen-4.19.2.gz placeholder ',
        '\tmultiboot2\t/boot/xen-4.19.2.gz placeholder \\\n\t\t',
      ),
    );
    expectPlan(await planOn(root, bootGrubStep, a), 'done', /grub.cfg has the Xen entries/);
  });

  it('boot-grub (GRUB 2): GRUB_CMDLINE_XEN_DEFAULT inside if … fi is edited there, with a warning', async () => {
    const sample = readFileSync(join(SAMPLES, 'current-amd64/etc/default/grub'), 'utf8');
    const line = sample.split('\n').length + 1;
    const root = copySample('current-amd64', {
      ...CURRENT_FILES,
      '/etc/default/grub': `${sample}if [ -e /etc/xen ]; then\n\tGRUB_CMDLINE_XEN_DEFAULT="loglvl=all"\nfi\n`,
    });
    const plan = await planOn(root, bootGrubStep, answers());
    expect(fileAfter(plan, '/etc/default/grub')).toContain(
      'if [ -e /etc/xen ]; then\n\tGRUB_CMDLINE_XEN_DEFAULT="loglvl=all dom0_mem=1024M,max:1024M"\nfi\n',
    );
    expect(plan.warnings).toContain(
      `/etc/default/grub:${line}: GRUB_CMDLINE_XEN_DEFAULT is set inside a conditional; check the result (the Xen options are edited there and apply only when the condition holds)`,
    );
  });

  it('boot-grub (GRUB 2): a CRLF /etc/default/grub stays CRLF', async () => {
    const sample = readFileSync(join(SAMPLES, 'current-amd64/etc/default/grub'), 'utf8');
    const crlf = `${sample}GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M loglvl=all"\n`.replace(/\n/g, '\r\n');
    const root = copySample('current-amd64', { ...CURRENT_FILES, '/etc/default/grub': crlf });
    const after = fileAfter(await planOn(root, bootGrubStep, answers()), '/etc/default/grub');
    expect(after.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(after).toContain('GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1024M,max:1024M loglvl=all"\r\n');
  });
});

describe('boot-serial reads the dom0 configuration the kernel steps write', () => {
  const roots: [string, Record<string, string | { link: string }>][] = [
    ['no /usr/src/linux link', {}],
    ['a /usr/src/linux link to another tree', { '/usr/src/linux-6.6.1-gentoo/README': 'old' }],
  ];
  describe.each(roots)('[kernel] sources = /usr/src/linux-6.12.58-gentoo, %s', (_name, extra) => {
    it.each(['yes', 'no'] as const)(
      'split = %s: not blocked in the dry run, done after apply',
      async (split) => {
        const root = copySample('current-amd64', extra);
        rmSync(join(root, 'usr/src/linux'));
        if (Object.keys(extra).length > 0) put(root, '/usr/src/linux', { link: 'linux-6.6.1-gentoo' });
        const a = answersSchema.parse({
          kernel: { sources: '/usr/src/linux-6.12.58-gentoo', split },
          boot: { serial: 'yes' },
        });
        const { first, again } = await applyThenPlan(root, ALL_STEPS, a);
        const before = first.steps.find((s) => s.id === 'boot-serial');
        expect(before?.status, before?.reason).not.toBe('blocked');
        // the boot entry names the kernel of the tree [kernel] sources names, not the link's
        expect(JSON.stringify(first)).not.toContain('6.6.1');
        const after = again.steps.find((s) => s.id === 'boot-serial');
        expect(after?.status, after?.reason).toBe('done');
        expect(after?.reason).toContain(
          split === 'yes'
            ? '/usr/src/linux-6.12.58-gentoo/_dom0/.config'
            : '/usr/src/linux-6.12.58-gentoo/.config',
        );
      },
    );
  });
});

describe('boot-serial on the genkernel road', () => {
  it("reads the configuration genkernel saved in /etc/kernels for the tree's release", async () => {
    const root = copySample('current-amd64', {
      '/etc/kernels/kernel-config-6.12.58-gentoo': 'CONFIG_XEN=y\nCONFIG_HVC_XEN=y\n',
      '/usr/src/linux-6.12.58-gentoo/.config': 'CONFIG_XEN=y\n',
    });
    const a = answersSchema.parse({ kernel: { genkernel: 'yes' }, boot: { serial: 'yes' } });
    expectPlan(
      await planOn(root, bootSerialStep, a),
      'done',
      /\/etc\/kernels\/kernel-config-6\.12\.58-gentoo has CONFIG_HVC_XEN=y/,
    );
  });
});

describe('the genkernel road names the kernel as genkernel does', () => {
  it('by the release of the tree, whatever [kernel] version says (genkernel takes its names from the tree)', async () => {
    const root = copySample('current-amd64', {
      '/boot/xen-4.19.2.gz': 'xen',
      '/boot/xen.gz': { link: 'xen-4.19.2.gz' },
    });
    const a = answersSchema.parse({
      kernel: { genkernel: 'yes', version: '6.12.58-custom' },
      boot: { grub2_mode: 'custom-entry' },
    });
    const plan = await planOn(root, bootGrubStep, a);
    expect(fileAfter(plan, '/etc/grub.d/40_custom')).toMatch(/^\tmodule2 \/boot\/vmlinuz-6\.12\.58-gentoo /m);
  });
});
