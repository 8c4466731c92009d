import type { ImageChange, MemoryHost } from '@xen-gentoo/core';
import { describe, expect, it } from 'vitest';
import { answersSchema, type Answers } from '../answers/index.js';
import { legacyTarget, modernTarget, planOn } from '../testing/fixtures.js';
import { domuAutostartStep } from './domu-autostart.js';
import { domuCflagsStep } from './domu-cflags.js';
import { domuConfigStep, renderGuestConfig } from './domu-config.js';
import { domuDomiStep } from './domu-domi.js';
import { domuImageStep } from './domu-image.js';
import { domuPrebuiltStep } from './domu-prebuilt.js';
import { quickpkgStep } from './quickpkg.js';

const STAGE = '/root/stage3.tar.xz';
const withGuests = (...guests: Record<string, string>[]): Answers =>
  answersSchema.parse({ guests: guests.map((g) => ({ ...g })) });
const web1 = withGuests({
  name: 'web1',
  stage: STAGE,
  root_password_file: '/root/web1.pw',
  autostart: 'yes',
});

describe('phase 6 without guests', () => {
  it.each([
    quickpkgStep,
    domuImageStep,
    domuCflagsStep,
    domuDomiStep,
    domuPrebuiltStep,
    domuConfigStep,
    domuAutostartStep,
  ])('$id is not applicable, with the reason', async (step) => {
    const plan = await planOn(step as never, modernTarget());
    expect(plan.status).toBe('not-applicable');
    expect(plan.reason).toMatch(/guest/);
  });
});

describe('quickpkg', () => {
  it('today, no binary package at all: quickpkg --include-config=y @installed', async () => {
    expect(await planOn(quickpkgStep, modernTarget(), web1)).toMatchObject({
      status: 'pending',
      changes: [{ kind: 'command', argv: ['quickpkg', '--include-config=y', '@installed'], inRoot: true }],
    });
  });

  it('2007: the missing packages one by one (the HOWTO loop); done when PKGDIR has them all', async () => {
    const host = legacyTarget({ '/usr/portage/packages/sys-devel/gcc-4.1.2.tbz2': 'x' });
    const plan = await planOn(quickpkgStep, host, web1);
    expect(plan.status === 'pending' && plan.changes[0]).toMatchObject({
      argv: [
        'quickpkg',
        '--include-config=y',
        '=sys-apps/baselayout-1.12.9-r2',
        '=sys-apps/portage-2.1.2.12',
        '=sys-libs/glibc-2.5-r4',
      ],
    });
    for (const pf of ['sys-apps/baselayout-1.12.9-r2', 'sys-apps/portage-2.1.2.12', 'sys-libs/glibc-2.5-r4'])
      host.files.set(`/usr/portage/packages/${pf}.tbz2`, 'x');
    expect((await planOn(quickpkgStep, host, web1)).status).toBe('done');
  });

  it('today, the multi-instance layout (PKGDIR/cat/pn/pf-1.gpkg.tar) counts', async () => {
    const host = modernTarget();
    for (const pf of [
      'sys-devel/gcc-14.3.1_p20250801',
      'sys-libs/glibc-2.41-r5',
      'sys-apps/baselayout-2.17-r1',
      'sys-apps/portage-3.0.69.3-r1',
    ]) {
      const [cat, name] = pf.split('/') as [string, string];
      const pn = name.replace(/-\d.*$/, '');
      host.files.set(`/var/cache/binpkgs/${cat}/${pn}/${name}-1.gpkg.tar`, 'x');
    }
    expect((await planOn(quickpkgStep, host, web1)).status).toBe('done');
  });
});

/** The machine the tool runs on, as the loop-mount check reads it (the live target's own files). */
interface Machine {
  loopControl: boolean;
  uid: number;
  filesystems: string[];
  modules: string[];
}
const fullMachine: Machine = { loopControl: true, uid: 0, filesystems: ['ext4', 'reiserfs'], modules: [] };

function onMachine(host: MemoryHost, machine: Machine): MemoryHost {
  if (machine.loopControl) host.files.set('/dev/loop-control', '');
  host.files.set(
    '/proc/self/status',
    `Name:\tnode\nUid:\t${machine.uid}\t${machine.uid}\t${machine.uid}\t${machine.uid}\n`,
  );
  host.files.set('/proc/filesystems', machine.filesystems.map((fs) => `nodev\tproc\n\t${fs}\n`).join(''));
  host.files.set('/proc/sys/kernel/osrelease', '6.18.0\n');
  for (const fs of machine.modules) host.files.set(`/lib/modules/6.18.0/kernel/fs/${fs}/${fs}.ko.xz`, '');
  return host;
}

describe('domu-image', () => {
  it('blocked without a stage tarball, or when it is missing', async () => {
    expect(await planOn(domuImageStep, modernTarget(), withGuests({ name: 'a' }))).toMatchObject({
      status: 'blocked',
      reason: expect.stringContaining('set stage in [guest.a]'),
    });
    expect((await planOn(domuImageStep, modernTarget(), web1)).reason).toContain(`${STAGE} is not there`);
  });

  it('today: an ext4 image without mounting, the HOWTO steps in order, the password by reference', async () => {
    const plan = await planOn(
      domuImageStep,
      modernTarget({ [STAGE]: 'x', '/etc/resolv.conf': 'nameserver 10.0.0.1\n' }),
      web1,
    );
    expect(plan.status).toBe('pending');
    const image = (plan.status === 'pending' ? plan.changes[0] : undefined) as ImageChange;
    expect(image).toMatchObject({
      kind: 'image',
      path: '/var/xen/web1.img',
      bytes: 4 * 1024 ** 3,
      filesystem: 'ext4',
      mount: false,
      archive: STAGE,
      stage: '/var/xen/web1.img.xen-gentoo-stage',
    });
    const kinds = image.parts.map((p) =>
      p.kind === 'command' ? p.argv.slice(0, 3).join(' ') : `${p.kind} ${p.path}`,
    );
    expect(kinds).toEqual([
      'swap /swap',
      'copy /etc/portage',
      'copy /etc/resolv.conf',
      'symlink /etc/portage/make.profile',
      'emerge --usepkg --emptytree',
      'chroot /var/xen/web1.img.xen-gentoo-stage env-update',
      'emerge --usepkg net-misc/dhcpcd',
      'file /etc/conf.d/hostname',
      'file /etc/hostname',
      'symlink /etc/localtime',
      'file /etc/timezone',
      'symlink /etc/init.d/agetty.hvc0',
      'symlink /etc/runlevels/default/agetty.hvc0',
      'file /etc/conf.d/net',
      'symlink /etc/init.d/net.eth0',
      'symlink /etc/runlevels/default/net.eth0',
      'file /etc/fstab',
      'secret /etc/shadow',
    ]);
    const emerge = image.parts.find((p) => p.kind === 'command');
    expect(emerge).toMatchObject({
      argv: ['emerge', '--usepkg', '--emptytree', '@system'],
      env: {
        ROOT: '/var/xen/web1.img.xen-gentoo-stage/',
        CONFIG_PROTECT: '-/etc',
        FEATURES: '-collision-protect',
      },
      inRoot: true,
    });
    expect(image.parts.find((p) => p.kind === 'secret')).toEqual({
      kind: 'secret',
      path: '/etc/shadow',
      user: 'root',
      source: { file: '/root/web1.pw' },
    });
    const fstab = image.parts.find((p) => p.kind === 'file' && p.path === '/etc/fstab');
    expect(fstab).toMatchObject({
      content: expect.stringMatching(/\/dev\/xvda\t\/\t\text4\t\tnoatime\t\t0 1\n\/swap\t\tnone\t\tswap/),
    });
  });

  it('2007: reiserfs with reiserfsprogs (loop mount, said so), the tree copied, the chroot fix-ups', async () => {
    const host = onMachine(legacyTarget({ [STAGE]: 'x', '/sbin/mkreiserfs': '' }), fullMachine);
    const plan = await planOn(domuImageStep, host, web1);
    const image = (plan.status === 'pending' ? plan.changes[0] : undefined) as ImageChange;
    expect(image).toMatchObject({ filesystem: 'reiserfs', mount: true });
    expect(plan.reason).toContain('(loop mount)');
    const argvs = image.parts.flatMap((p) => (p.kind === 'command' ? [p.argv.join(' ')] : []));
    expect(argvs).toEqual([
      'emerge --usepkg --emptytree system',
      'chroot /var/xen/web1.img.xen-gentoo-stage gcc-config 1',
      'chroot /var/xen/web1.img.xen-gentoo-stage env-update',
      'emerge --usepkg app-portage/gentoolkit',
      'chroot /var/xen/web1.img.xen-gentoo-stage revdep-rebuild -- --usepkg',
      'chroot /var/xen/web1.img.xen-gentoo-stage perl-cleaner all --usepkg',
      'chroot /var/xen/web1.img.xen-gentoo-stage python-updater',
      'emerge --usepkg net-misc/dhcp sys-fs/reiserfsprogs',
    ]);
    expect(image.parts).toContainEqual({ kind: 'copy', from: '/usr/portage', path: '/usr/portage' });
    expect(image.parts).toContainEqual({
      kind: 'symlink',
      path: '/etc/make.profile',
      target: '../usr/portage/profiles/default-linux/x86/2007.0',
    });
    // Without reiserfsprogs: ext3, made without mounting.
    host.files.delete('/sbin/mkreiserfs');
    const ext3 = await planOn(domuImageStep, host, web1);
    expect(ext3.status === 'pending' && ext3.changes[0]).toMatchObject({ filesystem: 'ext3', mount: false });
  });

  it('2007 reiserfs: blocked, naming what is missing, when this machine cannot loop-mount it', async () => {
    const reiserfs = async (machine: Machine) =>
      planOn(domuImageStep, onMachine(legacyTarget({ [STAGE]: 'x', '/sbin/mkreiserfs': '' }), machine), web1);
    // A container: no loop devices.
    const container = await reiserfs({ ...fullMachine, loopControl: false });
    expect(container.status).toBe('blocked');
    expect(container.reason).toContain('/dev/loop-control is missing');
    expect(container.reason).not.toMatch(/has no reiserfs|not running as root/);
    // A kernel without reiserfs (6.13 and later), not root either.
    const noFs = await reiserfs({ loopControl: true, uid: 1000, filesystems: ['ext4'], modules: [] });
    expect(noFs).toMatchObject({ status: 'blocked', warnings: [] });
    expect(noFs.reason).toContain(
      'this kernel has no reiserfs (not in /proc/filesystems, no module): Linux removed reiserfs in 6.13; choose ext4 with [guest.web1] filesystem = ext4, or build the image on a host whose kernel has it',
    );
    expect(noFs.reason).toContain('not running as root (uid 1000)');
    expect(noFs.reason).toContain("reiserfs (the HOWTO's; reiserfsprogs is installed), needs a loop mount");
    expect(noFs.reason).not.toContain('loop-control');
    // Everything there, reiserfs as a module: pending.
    const module = await reiserfs({ ...fullMachine, filesystems: ['ext4'], modules: ['reiserfs'] });
    expect(module.status).toBe('pending');
    expect(module.status === 'pending' && module.changes[0]).toMatchObject({
      filesystem: 'reiserfs',
      mount: true,
      why: expect.stringContaining('needs a loop mount'),
    });
    // ext4 today needs no mount: nothing of the machine is read.
    expect((await planOn(domuImageStep, modernTarget({ [STAGE]: 'x' }), web1)).status).toBe('pending');
  });

  it('done when the image exists; no password: a warning', async () => {
    const host = modernTarget({ [STAGE]: 'x', '/var/xen/web1.img': '' });
    expect((await planOn(domuImageStep, host, web1)).status).toBe('done');
    const nopw = await planOn(
      domuImageStep,
      modernTarget({ [STAGE]: 'x' }),
      withGuests({ name: 'a', stage: STAGE }),
    );
    expect(nopw.warnings?.[0]).toMatch(/no root password/);
  });
});

describe('domu-cflags', () => {
  it('today: not applicable, with the reason; 2007 x86: done once dom0 has the flag', async () => {
    expect((await planOn(domuCflagsStep, modernTarget(), web1)).reason).toMatch(/no 32-bit PV/);
    expect((await planOn(domuCflagsStep, legacyTarget(), web1)).status).toBe('blocked');
    const withFlag = legacyTarget({ '/etc/make.conf': 'CFLAGS="-O2 -mno-tls-direct-seg-refs"\n' });
    expect((await planOn(domuCflagsStep, withFlag, web1)).status).toBe('done');
  });
});

describe('domu-config', () => {
  const kernel = { '/boot/vmlinuz-6.12.58-gentoo-xenU': 'k' };
  it('today: xl.cfg(5) syntax from the template; done when it is there', async () => {
    const host = modernTarget(kernel);
    const plan = await planOn(domuConfigStep, host, web1);
    expect(plan.status).toBe('pending');
    const change = plan.status === 'pending' ? plan.changes[0] : undefined;
    expect(change).toMatchObject({ kind: 'file', path: '/etc/xen/web1', before: null });
    const text = change?.kind === 'file' ? change.after : '';
    expect(text).toContain('type = "pv"\n');
    expect(text).toContain('kernel = "/boot/vmlinuz-6.12.58-gentoo-xenU"\n');
    expect(text).toContain("disk = [ 'format=raw, vdev=xvda, access=rw, target=/var/xen/web1.img' ]\n");
    expect(text).toContain("vif = [ 'bridge=xenbr0' ]\n");
    expect(text).toContain('cmdline = "root=/dev/xvda ro console=hvc0"\n');
    host.files.set('/etc/xen/web1', text);
    expect((await planOn(domuConfigStep, host, web1)).status).toBe('done');
  });

  it("2007: the HOWTO's xm example", () => {
    const [guest] = withGuests({ name: 'gentoo' }).guests;
    const text = renderGuestConfig('xm', guest!, '/boot/xen-domU');
    expect(text).toContain('name = "gentoo";\nmemory = 256;\n');
    expect(text).toContain('disk = [ "file:/var/xen/gentoo.img,xvda,w" ];\nroot = "/dev/xvda ro";\n');
    expect(text).toContain('vif = [ "bridge=xenbr0" ];\ndhcp = "dhcp";\n');
  });

  it('names the domU kernel after the tree [kernel] sources names, not the /usr/src/linux link', async () => {
    const host = modernTarget(
      {
        '/usr/src/linux-6.12.58-gentoo/Makefile':
          'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 58\nEXTRAVERSION = -gentoo\n',
        '/usr/src/linux-6.6.1-gentoo/Makefile':
          'VERSION = 6\nPATCHLEVEL = 6\nSUBLEVEL = 1\nEXTRAVERSION = -gentoo\n',
      },
      { '/usr/src/linux': 'linux-6.6.1-gentoo' },
    );
    const a = answersSchema.parse({
      kernel: { sources: '/usr/src/linux-6.12.58-gentoo' },
      guests: [{ name: 'web1', stage: STAGE }],
    });
    const plan = await planOn(domuConfigStep, host, a);
    const change = plan.status === 'pending' ? plan.changes[0] : undefined;
    expect(change?.kind === 'file' ? change.after : '').toContain(
      'kernel = "/boot/vmlinuz-6.12.58-gentoo-xenU"\n',
    );
  });

  it('no domU kernel and nothing to name it after: blocked', async () => {
    expect((await planOn(domuConfigStep, modernTarget(), web1)).status).toBe('blocked');
  });
});

describe('domu-autostart', () => {
  it('the /etc/xen/auto link and xendomains in the default runlevel; done afterwards', async () => {
    const host = modernTarget();
    const plan = await planOn(domuAutostartStep, host, web1);
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [
        { kind: 'symlink', path: '/etc/xen/auto/web1', target: '/etc/xen/web1' },
        { kind: 'symlink', path: '/etc/runlevels/default/xendomains', target: '/etc/init.d/xendomains' },
      ],
    });
    host.links.set('/etc/xen/auto/web1', '/etc/xen/web1');
    host.links.set('/etc/runlevels/default/xendomains', '/etc/init.d/xendomains');
    expect((await planOn(domuAutostartStep, host, web1)).status).toBe('done');
  });
});

describe('domu-domi and domu-prebuilt', () => {
  const domiGuest = withGuests({ name: 'deb', route: 'domi', kernel: '/boot/xen-domU' });
  it('domi: not applicable when the tree has no app-emulation/domi', async () => {
    expect((await planOn(domuDomiStep, modernTarget(), domiGuest)).reason).toMatch(/not in the package tree/);
  });

  it('domi on a tree that has it: keywords, emerge, its configuration file, domi', async () => {
    const host = legacyTarget({
      '/usr/portage/app-emulation/domi/domi-20060804.ebuild': 'KEYWORDS="~x86"\n',
    });
    const plan = await planOn(domuDomiStep, host, domiGuest);
    expect(plan.status).toBe('pending');
    const changes = plan.status === 'pending' ? plan.changes : [];
    expect(
      changes.map((c) =>
        c.kind === 'command' ? c.argv.join(' ') : `${c.kind} ${'path' in c ? c.path : ''}`,
      ),
    ).toEqual([
      'file /etc/portage/package.keywords',
      'emerge app-emulation/domi',
      'file /etc/xen/domi/deb.cfg',
      'domi /etc/xen/domi/deb.cfg',
    ]);
    expect(changes[2]).toMatchObject({
      after: expect.stringContaining('DOMI_XEN_KERNEL="/boot/xen-domU"\n'),
    });
  });

  it('prebuilt: blocked until the image is there (the download site is gone), then done', async () => {
    const answers = withGuests({ name: 'pre', route: 'prebuilt', image: '/srv/pre.img' });
    const host = modernTarget();
    expect((await planOn(domuPrebuiltStep, host, answers)).reason).toMatch(
      /no image at \/srv\/pre.img; .*jailtime.org\) is gone/,
    );
    host.files.set('/srv/pre.img', '');
    expect((await planOn(domuPrebuiltStep, host, answers)).status).toBe('done');
  });
});
