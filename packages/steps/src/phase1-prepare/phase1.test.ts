import { describe, expect, it } from 'vitest';
import { answers, legacyTarget, modernTarget, planOn } from '../testing/fixtures.js';
import { buildpkgStep } from './buildpkg.js';
import { cflagsTlsStep } from './cflags-tls.js';
import { hvmStep } from './hvm.js';
import { nptlonlyStep } from './nptlonly.js';
import { profileStep } from './profile.js';
import { rebuildWorldStep } from './rebuild-world.js';

const fileAfter = (plan: Awaited<ReturnType<typeof planOn>>, path: string): string | undefined =>
  plan.status === 'pending'
    ? plan.changes.find((c): c is Extract<typeof c, { kind: 'file' }> => c.kind === 'file' && c.path === path)
        ?.after
    : undefined;

describe('profile', () => {
  it.each([
    ['2007.0 is supported', legacyTarget(), 'done', /supported/],
    [
      '2006.0 is too old',
      legacyTarget({}, { '/etc/make.profile': '../usr/portage/profiles/default-linux/x86/2006.0' }),
      'blocked',
      /older than 2006\.1/,
    ],
    [
      'no-nptl is refused',
      legacyTarget({}, { '/etc/make.profile': '../usr/portage/profiles/default-linux/x86/no-nptl' }),
      'blocked',
      /NPTL/,
    ],
    [
      'a profile missing from the tree asks for a sync',
      legacyTarget({}, { '/etc/make.profile': '../usr/portage/profiles/default-linux/x86/2008.0' }),
      'blocked',
      /emerge --sync/,
    ],
    ['23.0 is supported', modernTarget(), 'done', /supported/],
    [
      '17.1 is deprecated',
      modernTarget(
        {},
        { '/etc/portage/make.profile': '../../var/db/repos/gentoo/profiles/default/linux/amd64/17.1' },
      ),
      'blocked',
      /deprecated/,
    ],
    [
      'no profile at all',
      modernTarget({}, { '/etc/portage/make.profile': null }),
      'blocked',
      /no profile selected/,
    ],
    [
      'a profile link that points at itself is a symlink loop, not a missing tree',
      modernTarget({}, { '/etc/portage/make.profile': 'make.profile' }),
      'blocked',
      /\/etc\/portage\/make\.profile is a symlink loop \(\/etc\/portage\/make\.profile -> \/etc\/portage\/make\.profile\)/,
    ],
    [
      'a loop through two links',
      legacyTarget(
        {},
        { '/etc/make.profile': 'portage/make.profile', '/etc/portage/make.profile': '../make.profile' },
      ),
      'blocked',
      /symlink loop/,
    ],
  ])('%s', async (_name, host, status, reason) => {
    const plan = await planOn(profileStep, host);
    expect(plan.status).toBe(status);
    expect(plan.reason).toMatch(reason);
  });

  it('selects the answered profile with a relative symlink, as eselect does', async () => {
    const host = modernTarget(
      {},
      { '/etc/portage/make.profile': '../../var/db/repos/gentoo/profiles/default/linux/amd64/17.1' },
    );
    const plan = await planOn(
      profileStep,
      host,
      answers({ system: { profile: 'default/linux/amd64/23.0' } }),
    );
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [
        {
          kind: 'symlink',
          path: '/etc/portage/make.profile',
          target: '../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0',
        },
      ],
    });
  });
});

describe('cflags-tls', () => {
  it('legacy x86: adds the flag to CFLAGS only (CXXFLAGS expands it)', async () => {
    const plan = await planOn(cflagsTlsStep, legacyTarget());
    expect(plan.status).toBe('pending');
    expect(fileAfter(plan, '/etc/make.conf')).toContain(
      'CFLAGS="-O2 -march=i686 -pipe -mno-tls-direct-seg-refs"\n',
    );
    expect(fileAfter(plan, '/etc/make.conf')).toContain('CXXFLAGS="${CFLAGS}"\n');
  });

  it('gcc < 4 with -Os: -Os becomes -O2', async () => {
    const host = legacyTarget({
      '/etc/make.conf': 'CFLAGS="-Os -march=i686"\nCXXFLAGS="${CFLAGS}"\n',
      '/var/db/pkg/sys-devel/gcc-4.1.2/CFLAGS': null,
      '/var/db/pkg/sys-devel/gcc-4.1.2/CATEGORY': null,
      '/var/db/pkg/sys-devel/gcc-3.4.6-r2/CATEGORY': 'sys-devel',
    });
    const plan = await planOn(cflagsTlsStep, host);
    expect(plan.reason).toMatch(/-Os → -O2/);
    expect(fileAfter(plan, '/etc/make.conf')).toMatch(/^CFLAGS="-O2 -march=i686 -mno-tls-direct-seg-refs"$/m);
  });

  it('gcc 4 keeps -Os', async () => {
    const host = legacyTarget({ '/etc/make.conf': 'CFLAGS="-Os -march=i686"\nCXXFLAGS="${CFLAGS}"\n' });
    const plan = await planOn(cflagsTlsStep, host);
    expect(fileAfter(plan, '/etc/make.conf')).toMatch(/^CFLAGS="-Os -march=i686 -mno-tls-direct-seg-refs"$/m);
  });

  it("gcc < 3.4 is blocked with the HOWTO's advice", async () => {
    const host = legacyTarget({
      '/var/db/pkg/sys-devel/gcc-4.1.2/CFLAGS': null,
      '/var/db/pkg/sys-devel/gcc-4.1.2/CATEGORY': null,
      '/var/db/pkg/sys-devel/gcc-3.3.6/CATEGORY': 'sys-devel',
    });
    const plan = await planOn(cflagsTlsStep, host);
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(/gcc 3\.3\.6 is too old.*3\.4/);
  });

  it('amd64 today: not applicable, unless the answers force it (then into COMMON_FLAGS once)', async () => {
    expect((await planOn(cflagsTlsStep, modernTarget())).status).toBe('not-applicable');
    const plan = await planOn(cflagsTlsStep, modernTarget(), answers({ portage: { tls_flag: 'yes' } }));
    expect(fileAfter(plan, '/etc/portage/make.conf')).toContain(
      'COMMON_FLAGS="-O2 -pipe -mno-tls-direct-seg-refs"',
    );
  });

  it('is done once the flag is there', async () => {
    const host = legacyTarget({
      '/etc/make.conf': 'CFLAGS="-O2 -mno-tls-direct-seg-refs"\nCXXFLAGS="${CFLAGS}"\n',
    });
    expect((await planOn(cflagsTlsStep, host)).status).toBe('done');
  });
});

describe('nptlonly, buildpkg', () => {
  it('nptlonly: pending where the tree knows the flag, not applicable where glibc lost it', async () => {
    expect((await planOn(nptlonlyStep, legacyTarget())).status).toBe('pending');
    const modern = await planOn(nptlonlyStep, modernTarget());
    expect(modern).toMatchObject({
      status: 'not-applicable',
      reason: 'USE=nptlonly no longer exists; glibc is always NPTL',
    });
  });

  it('buildpkg: the HOWTO\'s FEATURES="${FEATURES} buildpkg" where FEATURES is unset', async () => {
    const plan = await planOn(buildpkgStep, modernTarget());
    expect(fileAfter(plan, '/etc/portage/make.conf')).toMatch(/\nFEATURES="\$\{FEATURES\} buildpkg"\n$/);
    const off = await planOn(buildpkgStep, modernTarget(), answers({ portage: { buildpkg: 'no' } }));
    expect(off.status).toBe('not-applicable');
  });

  it('buildpkg: a negated -buildpkg is turned around', async () => {
    const host = modernTarget({ '/etc/portage/make.conf': 'FEATURES="-buildpkg sandbox"\n' });
    const plan = await planOn(buildpkgStep, host);
    expect(fileAfter(plan, '/etc/portage/make.conf')).not.toContain('-buildpkg');
  });
});

describe('nptlonly reads USE as Portage stacks it', () => {
  const profile = '/usr/portage/profiles/default-linux/x86/2007.0';
  it('the 2007.0 profile (make.defaults along the parents) already sets it: done, naming the file', async () => {
    const host = legacyTarget({
      [`${profile}/parent`]: '..\n',
      [`${profile}/make.defaults`]: 'USE="nptl nptlonly"\n',
      '/usr/portage/profiles/default-linux/x86/make.defaults': 'USE="x86"\n',
    });
    expect(await planOn(nptlonlyStep, host)).toMatchObject({
      status: 'done',
      reason: expect.stringMatching(/USE has nptlonly \(.*2007\.0\/make\.defaults\)/),
    });
  });

  it('a parent profile that sets it counts too; make.conf -nptlonly wins over the profile', async () => {
    const parent = {
      [`${profile}/parent`]: '..\n',
      [`${profile}/make.defaults`]: 'USE="nptl"\n',
      '/usr/portage/profiles/default-linux/x86/make.defaults': 'USE="nptlonly"\n',
    };
    expect((await planOn(nptlonlyStep, legacyTarget(parent))).status).toBe('done');
    const off = legacyTarget({ ...parent, '/etc/make.conf': 'USE="-nptlonly"\n' });
    expect((await planOn(nptlonlyStep, off)).status).toBe('pending');
  });

  it('package.use for glibc wins over make.conf: -nptlonly there blocks, naming the file', async () => {
    const host = legacyTarget({
      '/etc/make.conf': 'USE="nptlonly"\n',
      '/etc/portage/package.use': 'sys-libs/glibc -nptlonly\n',
    });
    expect(await planOn(nptlonlyStep, host)).toMatchObject({
      status: 'blocked',
      reason: expect.stringMatching(/\/etc\/portage\/package\.use turns nptlonly off/),
    });
  });
});

describe('rebuild-world', () => {
  it('done when every package has the current CFLAGS; pending (long) otherwise', async () => {
    expect((await planOn(rebuildWorldStep, modernTarget())).status).toBe('done');
    const plan = await planOn(
      rebuildWorldStep,
      modernTarget({ '/var/db/pkg/sys-libs/glibc-2.41-r5/CFLAGS': '-O3' }),
    );
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [{ kind: 'command', argv: ['emerge', '--emptytree', '--verbose', '@world'], long: true }],
    });
  });

  it.each([
    ['/var/db/pkg is a regular file', /\/var\/db\/pkg is a regular file, not a directory/, 'file'],
    ['/var/db/pkg is missing', /\/var\/db\/pkg does not exist/, 'missing'],
    ['/var/db/pkg is empty', /\/var\/db\/pkg holds no installed packages/, 'empty'],
  ] as const)('no installed packages found at all is not "done": %s', async (_name, reason, layout) => {
    const host = modernTarget();
    for (const path of [...host.files.keys()]) if (path.startsWith('/var/db/pkg/')) host.files.delete(path);
    if (layout === 'file') host.files.set('/var/db/pkg', 'garbage\n');
    if (layout === 'empty') host.files.set('/var/db/pkg/.keep', '');
    const plan = await planOn(rebuildWorldStep, host);
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(reason);
    expect(plan.reason).not.toMatch(/all 0/);
    const no = await planOn(rebuildWorldStep, host, answers({ portage: { rebuild_world: 'no' } }));
    expect(no.status).toBe('not-applicable');
  });

  it('2007: a USE flag the profile stacks on (nptlonly) that the installed glibc was built without calls for emerge -e world', async () => {
    const host = legacyTarget({
      '/usr/portage/profiles/default-linux/x86/2007.0/make.defaults': 'USE="nptl nptlonly"\n',
      '/var/db/pkg/sys-libs/glibc-2.5-r4/IUSE': 'build nls hardened nptl nptlonly profile selinux\n',
    });
    const plan = await planOn(rebuildWorldStep, host);
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [{ kind: 'command', argv: ['emerge', '--emptytree', '--verbose', 'world'], long: true }],
    });
    expect(plan.reason).toMatch(
      /sys-libs\/glibc-2\.5-r4 \(\+nptlonly from \/usr\/portage\/profiles\/default-linux\/x86\/2007\.0\/make\.defaults\)/,
    );
    expect(plan.reason).toMatch(/emerge -e world/);
  });

  it('2007: USE that make.conf sets (nptlonly, hvm) against what installed packages were built with', async () => {
    const host = legacyTarget({
      '/var/db/pkg/sys-libs/glibc-2.5-r4/IUSE': 'nls nptl nptlonly\n',
      ...{
        '/var/db/pkg/app-emulation/xen-tools-3.1.2/CATEGORY': 'app-emulation\n',
        '/var/db/pkg/app-emulation/xen-tools-3.1.2/CFLAGS': '-O2 -march=i686 -pipe\n',
        '/var/db/pkg/app-emulation/xen-tools-3.1.2/IUSE': 'debug doc hvm pygrub screen\n',
        '/var/db/pkg/app-emulation/xen-tools-3.1.2/USE': 'pygrub x86\n',
      },
    });
    // Nothing in make.conf asks for nptlonly or hvm yet: nothing to rebuild.
    expect((await planOn(rebuildWorldStep, host)).status).toBe('done');
    host.files.set(
      '/etc/make.conf',
      'CFLAGS="-O2 -march=i686 -pipe"\nCHOST="i686-pc-linux-gnu"\nCXXFLAGS="${CFLAGS}"\nUSE="X nptl nptlonly hvm"\n',
    );
    const plan = await planOn(rebuildWorldStep, host);
    expect(plan.status).toBe('pending');
    expect(plan.reason).toMatch(/2 of 5 packages/);
    expect(plan.reason).toMatch(/app-emulation\/xen-tools-3\.1\.2 \(\+hvm from \/etc\/make\.conf\)/);
    expect(plan.reason).toMatch(/sys-libs\/glibc-2\.5-r4 \(\+nptlonly from \/etc\/make\.conf\)/);
  });

  it('today: a USE-only change asks for emerge --update --deep --newuse @world, not a full rebuild', async () => {
    const host = modernTarget({
      '/etc/portage/make.conf': 'COMMON_FLAGS="-O2 -pipe"\nCFLAGS="${COMMON_FLAGS}"\nUSE="-hvm"\n',
      '/var/db/pkg/app-emulation/xen-tools-4.19.1/CATEGORY': 'app-emulation\n',
      '/var/db/pkg/app-emulation/xen-tools-4.19.1/CFLAGS': '-O2 -pipe\n',
      '/var/db/pkg/app-emulation/xen-tools-4.19.1/IUSE': '+hvm +qemu systemd\n',
      '/var/db/pkg/app-emulation/xen-tools-4.19.1/USE': 'amd64 hvm qemu\n',
    });
    const plan = await planOn(rebuildWorldStep, host);
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [
        { kind: 'command', argv: ['emerge', '--update', '--deep', '--newuse', '--verbose', '@world'] },
      ],
    });
    expect(plan.reason).toMatch(/app-emulation\/xen-tools-4\.19\.1 \(-hvm from \/etc\/portage\/make\.conf\)/);
    expect(plan.reason).toMatch(/--newuse/);
    // package.use stacks over make.conf: hvm back on for xen-tools matches what was built.
    host.files.set('/etc/portage/package.use/xen', 'app-emulation/xen-tools hvm\n');
    expect((await planOn(rebuildWorldStep, host)).status).toBe('done');
    // Other CFLAGS as well: the full rebuild.
    host.files.set('/var/db/pkg/sys-libs/glibc-2.41-r5/CFLAGS', '-O3\n');
    host.files.delete('/etc/portage/package.use/xen');
    expect(await planOn(rebuildWorldStep, host)).toMatchObject({
      status: 'pending',
      changes: [{ argv: ['emerge', '--emptytree', '--verbose', '@world'] }],
    });
  });

  it('a flag only the IUSE default decides, or not in IUSE at all, is not judged (use.force, USE_EXPAND and arch flags are not modelled)', async () => {
    const host = modernTarget({
      '/etc/portage/make.conf': 'COMMON_FLAGS="-O2 -pipe"\nCFLAGS="${COMMON_FLAGS}"\nUSE="-X"\n',
      '/var/db/pkg/sys-libs/glibc-2.41-r5/IUSE': '+multiarch +ssp static-libs python_targets_python3_12\n',
      '/var/db/pkg/sys-libs/glibc-2.41-r5/USE':
        'abi_x86_64 amd64 multiarch ssp static-libs python_targets_python3_12\n',
    });
    expect((await planOn(rebuildWorldStep, host)).status).toBe('done');
  });

  it("the profile's own package.use, use.mask and use.force for a package are not mistaken for a USE change", async () => {
    const profile = '/var/db/repos/gentoo/profiles/default/linux/amd64/23.0';
    const pkg = (pf: string, iuse: string, use: string) => ({
      [`/var/db/pkg/app-misc/${pf}/CATEGORY`]: 'app-misc\n',
      [`/var/db/pkg/app-misc/${pf}/CFLAGS`]: '-O2 -pipe\n',
      [`/var/db/pkg/app-misc/${pf}/IUSE`]: `${iuse}\n`,
      [`/var/db/pkg/app-misc/${pf}/USE`]: `${use}\n`,
    });
    const host = modernTarget({
      [`${profile}/make.defaults`]: 'USE="gpm ldap"\n',
      [`${profile}/package.use`]: 'app-misc/one -gpm\n',
      [`${profile}/package.use.mask`]: 'app-misc/two ldap\n',
      [`${profile}/use.force`]: 'split-usr\n',
      ...pkg('one-1.0', 'gpm', ''),
      ...pkg('two-2.0-r1', 'ldap', ''),
      '/etc/portage/make.conf': 'COMMON_FLAGS="-O2 -pipe"\nCFLAGS="${COMMON_FLAGS}"\nUSE="-split-usr"\n',
      '/var/db/pkg/sys-apps/baselayout-2.17-r1/IUSE': 'build split-usr\n',
      '/var/db/pkg/sys-apps/baselayout-2.17-r1/USE': 'split-usr\n',
    });
    expect(await planOn(rebuildWorldStep, host)).toMatchObject({ status: 'done' });
    // Without the profile's package.use, make.defaults' gpm would hold for app-misc/one.
    host.files.delete(`${profile}/package.use`);
    const plan = await planOn(rebuildWorldStep, host);
    expect(plan.status).toBe('pending');
    expect(plan.reason).toMatch(/app-misc\/one-1\.0 \(\+gpm from .*23\.0\/make\.defaults\)/);
  });

  it('resumes an interrupted rebuild', async () => {
    const host = modernTarget({
      '/var/db/pkg/sys-libs/glibc-2.41-r5/CFLAGS': '-O3',
      '/var/cache/edb/mtimedb':
        '{"resume": {"mergelist": [["ebuild", "/", "sys-libs/glibc-2.41-r5", "merge"]], "myopts": {"--emptytree": true}}}',
    });
    const plan = await planOn(rebuildWorldStep, host);
    expect(plan).toMatchObject({ status: 'pending', changes: [{ argv: ['emerge', '--resume'] }] });
  });
});

describe('hvm', () => {
  it('legacy x86 with vmx: USE=hvm, no dev86 (x86 only needs it on amd64)', async () => {
    const plan = await planOn(hvmStep, legacyTarget());
    expect(plan.status).toBe('pending');
    expect(fileAfter(plan, '/etc/make.conf')).toMatch(/USE="X nptl hvm"/);
    expect(
      plan.status === 'pending' && plan.changes.some((c) => c.kind === 'file' && c.path.includes('keywords')),
    ).toBe(false);
  });

  it('legacy amd64 with svm: USE=hvm and dev86 unmasked', async () => {
    const host = legacyTarget(
      {
        '/proc/cpuinfo': 'flags : fpu lm svm\n',
        '/usr/portage/profiles/default-linux/amd64/2007.0/parent': '..\n',
      },
      { '/etc/make.profile': '../usr/portage/profiles/default-linux/amd64/2007.0' },
    );
    const plan = await planOn(hvmStep, host);
    expect(fileAfter(plan, '/etc/portage/package.keywords')).toBe('sys-devel/dev86 ~amd64\n');
  });

  it('a 2007 xen-tools without an hvm flag: done, without claiming USE has hvm', async () => {
    const host = legacyTarget({
      '/usr/portage/app-emulation/xen-tools/xen-tools-3.1.2.ebuild':
        'KEYWORDS="~amd64 ~x86"\nIUSE="pygrub"\n',
    });
    const plan = await planOn(hvmStep, host);
    expect(plan.status).toBe('done');
    expect(plan.reason).toMatch(/xen-tools has no hvm USE flag/);
    expect(plan.reason).not.toMatch(/USE has hvm/);
  });

  it('today: USE="-hvm" in make.conf wins over IUSE +hvm: pending, the -hvm token removed', async () => {
    const host = modernTarget({
      '/etc/portage/make.conf': 'COMMON_FLAGS="-O2 -pipe"\nCFLAGS="${COMMON_FLAGS}"\nUSE="X -hvm"\n',
    });
    const plan = await planOn(hvmStep, host);
    expect(plan).toMatchObject({ status: 'pending', reason: expect.stringMatching(/-hvm/) });
    expect(fileAfter(plan, '/etc/portage/make.conf')).toMatch(/^USE="X"$/m);
  });

  it('today: package.use -hvm for xen-tools blocks, naming the file; for another package it does not count', async () => {
    const blocked = await planOn(
      hvmStep,
      modernTarget({ '/etc/portage/package.use/xen': 'app-emulation/xen-tools -hvm\n' }),
    );
    expect(blocked).toMatchObject({
      status: 'blocked',
      reason: expect.stringMatching(
        /\/etc\/portage\/package\.use\/xen turns hvm off for app-emulation\/xen-tools/,
      ),
    });
    const other = await planOn(
      hvmStep,
      modernTarget({ '/etc/portage/package.use/xen': 'app-emulation/qemu -hvm\n' }),
    );
    expect(other.status).toBe('done');
  });

  it('2007: a profile that turns hvm on counts; package.use -hvm blocks', async () => {
    const profile = '/usr/portage/profiles/default-linux/x86/2007.0';
    const on = legacyTarget({ [`${profile}/make.defaults`]: 'USE="hvm"\n' });
    expect(await planOn(hvmStep, on)).toMatchObject({
      status: 'done',
      reason: expect.stringMatching(/USE has hvm \(.*make\.defaults\)/),
    });
    const off = legacyTarget({
      '/etc/make.conf': 'USE="hvm"\n',
      '/etc/portage/package.use': 'app-emulation/xen-tools -hvm\n',
    });
    expect((await planOn(hvmStep, off)).status).toBe('blocked');
  });

  it('no vmx/svm: not applicable; today: done because xen-tools has +hvm', async () => {
    expect((await planOn(hvmStep, legacyTarget({ '/proc/cpuinfo': 'flags : fpu pae\n' }))).status).toBe(
      'not-applicable',
    );
    expect(await planOn(hvmStep, modernTarget())).toMatchObject({ status: 'done', reason: /\+hvm/ });
  });
});
