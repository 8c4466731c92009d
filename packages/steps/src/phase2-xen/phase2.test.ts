import { describe, expect, it } from 'vitest';
import { answers, legacyTarget, modernTarget, planOn } from '../testing/fixtures.js';
import { emergeXenStep } from './emerge-xen.js';
import { keywordsStep } from './keywords.js';
import { netHotplugStep } from './net-hotplug.js';
import { xenServicesStep } from './xen-services.js';

const x86Today = () =>
  modernTarget(
    { '/var/db/repos/gentoo/profiles/default/linux/x86/23.0/i686/eapi': '8\n' },
    { '/etc/portage/make.profile': '../../var/db/repos/gentoo/profiles/default/linux/x86/23.0/i686' },
  );

describe('keywords', () => {
  it('legacy: both Xen packages into the package.keywords file, in one change', async () => {
    const plan = await planOn(keywordsStep, legacyTarget());
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [
        {
          kind: 'file',
          path: '/etc/portage/package.keywords',
          after: 'app-emulation/xen ~x86\napp-emulation/xen-tools ~x86\n',
        },
      ],
    });
  });

  it('legacy with xen-sources in the tree: unmasked too', async () => {
    const plan = await planOn(
      keywordsStep,
      legacyTarget({
        '/usr/portage/sys-kernel/xen-sources/xen-sources-2.6.20-r6.ebuild': 'KEYWORDS="~x86"\n',
      }),
    );
    expect(plan.status === 'pending' && plan.changes[0]?.kind === 'file' && plan.changes[0].after).toContain(
      'sys-kernel/xen-sources ~x86',
    );
  });

  it('already unmasked: done', async () => {
    const plan = await planOn(
      keywordsStep,
      legacyTarget({ '/etc/portage/package.keywords': 'app-emulation/xen\napp-emulation/xen-tools ~x86\n' }),
    );
    expect(plan.status).toBe('done');
  });

  it('today on amd64: stable, nothing to unmask; keywords = yes writes package.accept_keywords/xen-gentoo', async () => {
    expect(await planOn(keywordsStep, modernTarget())).toMatchObject({
      status: 'done',
      reason: /stable on amd64/,
    });
    const plan = await planOn(keywordsStep, modernTarget(), answers({ xen: { keywords: 'yes' } }));
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [{ path: '/etc/portage/package.accept_keywords/xen-gentoo', before: null }],
    });
  });

  it('today with package.accept_keywords as a file: appended to it', async () => {
    const host = modernTarget({ '/etc/portage/package.accept_keywords': 'dev-vcs/git ~amd64\n' });
    const plan = await planOn(keywordsStep, host, answers({ xen: { keywords: 'yes' } }));
    expect(plan).toMatchObject({
      changes: [
        {
          path: '/etc/portage/package.accept_keywords',
          after: expect.stringMatching(/^dev-vcs\/git ~amd64\napp-emulation\/xen ~amd64\n/),
        },
      ],
    });
  });

  it('package.accept_keywords as a directory with subdirectories: read recursively, as Portage does', async () => {
    const host = modernTarget({
      '/etc/portage/package.accept_keywords/virt/xen': 'app-emulation/xen ~amd64\n',
      '/etc/portage/package.accept_keywords/virt/deeper/tools~': 'app-emulation/xen-tools ~amd64\n',
      '/etc/portage/package.accept_keywords/.hidden/tools': 'app-emulation/xen-tools ~amd64\n',
      '/etc/portage/package.accept_keywords/desktop': 'dev-vcs/git ~amd64\n',
    });
    const plan = await planOn(keywordsStep, host, answers({ xen: { keywords: 'yes' } }));
    // xen is accepted by the nested file; xen-tools only by skipped names, so it still needs a line,
    // which goes where the tool always writes it.
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [
        {
          path: '/etc/portage/package.accept_keywords/xen-gentoo',
          before: null,
          after: 'app-emulation/xen-tools ~amd64\n',
        },
      ],
    });
    host.files.set(
      '/etc/portage/package.accept_keywords/virt/deeper/tools',
      'app-emulation/xen-tools ~amd64\n',
    );
    expect(await planOn(keywordsStep, host, answers({ xen: { keywords: 'yes' } }))).toMatchObject({
      status: 'done',
    });
  });

  it('legacy package.keywords as a directory with a subdirectory', async () => {
    const host = legacyTarget({
      '/etc/portage/package.keywords': null,
      '/etc/portage/package.keywords/xen/hypervisor': 'app-emulation/xen ~x86\n',
    });
    const plan = await planOn(keywordsStep, host);
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [
        {
          path: '/etc/portage/package.keywords/xen-gentoo',
          before: null,
          after: 'app-emulation/xen-tools ~x86\n',
        },
      ],
    });
  });

  it('today on x86: blocked, Xen is -x86', async () => {
    expect(await planOn(keywordsStep, x86Today())).toMatchObject({ status: 'blocked', reason: /-x86/ });
    expect(await planOn(emergeXenStep, x86Today())).toMatchObject({ status: 'blocked' });
  });
});

describe('emerge-xen', () => {
  it('pending with the argv and what it installs; done once installed', async () => {
    const plan = await planOn(emergeXenStep, modernTarget());
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [
        { kind: 'command', installs: ['app-emulation/xen', 'app-emulation/xen-tools'], inRoot: true },
      ],
    });
    const installed = modernTarget({
      '/var/db/pkg/app-emulation/xen-4.19.2/CATEGORY': 'app-emulation',
      '/var/db/pkg/app-emulation/xen-tools-4.19.1/CATEGORY': 'app-emulation',
    });
    expect(await planOn(emergeXenStep, installed)).toMatchObject({ status: 'done', reason: /xen-4\.19\.2/ });
  });

  it('[boot] loader = xen-efi: Xen built with USE=uefi (package.use), rebuilt when installed without it', async () => {
    const a = answers({ boot: { loader: 'xen-efi' } });
    const fresh = await planOn(emergeXenStep, modernTarget(), a);
    expect(fresh).toMatchObject({
      status: 'pending',
      changes: [
        {
          kind: 'file',
          path: '/etc/portage/package.use/xen-gentoo',
          before: null,
          after: 'app-emulation/xen uefi\n',
        },
        { kind: 'command', installs: ['app-emulation/xen', 'app-emulation/xen-tools'] },
      ],
    });
    const installed = (use: string) =>
      modernTarget({
        '/etc/portage/package.use/xen-gentoo': 'app-emulation/xen uefi\n',
        '/var/db/pkg/app-emulation/xen-4.19.2/CATEGORY': 'app-emulation',
        '/var/db/pkg/app-emulation/xen-4.19.2/USE': use,
        '/var/db/pkg/app-emulation/xen-tools-4.19.1/CATEGORY': 'app-emulation',
      });
    const rebuild = await planOn(emergeXenStep, installed('boot-symlinks amd64\n'), a);
    expect(rebuild).toMatchObject({
      status: 'pending',
      changes: [{ kind: 'command', argv: ['emerge', '--verbose', '--oneshot', 'app-emulation/xen'] }],
    });
    expect(await planOn(emergeXenStep, installed('boot-symlinks uefi amd64\n'), a)).toMatchObject({
      status: 'done',
      reason: /USE=uefi/,
    });
    // Other loaders and the 2007 host: nothing about uefi.
    const legacy = await planOn(emergeXenStep, legacyTarget(), a);
    expect(legacy.status === 'pending' ? legacy.changes.map((c) => c.kind) : []).toEqual(['command']);
  });
});

describe('xen-services', () => {
  const withTools = (version: string, host = modernTarget()) => {
    host.files.set(`/var/db/pkg/app-emulation/xen-tools-${version}/CATEGORY`, 'app-emulation');
    return host;
  };

  it('xen-tools < 4.5: xend', async () => {
    const plan = await planOn(xenServicesStep, withTools('3.1.2', legacyTarget()));
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [{ kind: 'symlink', path: '/etc/runlevels/default/xend', target: '/etc/init.d/xend' }],
    });
  });

  it('OpenRC today: xencommons, xenstored, xenconsoled, xendomains (autostart) and xenqemudev (disk backend)', async () => {
    const host = withTools('4.19.1');
    host.files.set(
      '/etc/conf.d/xenqemudev',
      '# /etc/conf.d/xenqemudev\nXENQEMUDEV_FILE_BACKEND_ENABLE=""\nXENQEMUDEV_OPTS=""\n',
    );
    const plan = await planOn(xenServicesStep, host);
    expect(plan.status === 'pending' && plan.changes.map((c) => ('path' in c ? c.path : ''))).toEqual([
      '/etc/runlevels/default/xencommons',
      '/etc/runlevels/default/xenstored',
      '/etc/runlevels/default/xenconsoled',
      '/etc/runlevels/default/xendomains',
      '/etc/runlevels/default/xenqemudev',
      '/etc/conf.d/xenqemudev',
    ]);
    // Gentoo's xenqemudev starts only with the file backend enabled in its conf.d file.
    const conf = plan.status === 'pending' ? plan.changes.at(-1) : undefined;
    expect(conf?.kind === 'file' && conf.after).toBe(
      '# /etc/conf.d/xenqemudev\nXENQEMUDEV_FILE_BACKEND_ENABLE=yes\nXENQEMUDEV_OPTS=""\n',
    );
    expect(plan.reason).toMatch(/xenqemudev, the QEMU disk backend for guests on image files/);
  });

  it('systemd: systemctl enable with --root on a mounted target', async () => {
    const host = withTools(
      '4.19.1',
      modernTarget(
        { '/var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd/eapi': '8\n' },
        {
          '/etc/portage/make.profile': '../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd',
        },
      ),
    );
    const plan = await planOn(xenServicesStep, host);
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [
        {
          kind: 'command',
          argv: [
            'systemctl',
            'enable',
            'xenstored.service',
            'xenconsoled.service',
            'xen-init-dom0.service',
            'xen-qemu-dom0-disk-backend.service',
            'xendomains.service',
          ],
        },
      ],
    });
  });

  it('blocked when the tools are neither installed nor about to be', async () => {
    expect(await planOn(xenServicesStep, modernTarget())).toMatchObject({
      status: 'blocked',
      reason: /emerge-xen/,
    });
  });
});

describe('net-hotplug', () => {
  it('baselayout 1: RC_PLUG_SERVICES="!net.*" and net.eth0 out of the default runlevel', async () => {
    const plan = await planOn(netHotplugStep, legacyTarget());
    expect(plan).toMatchObject({
      status: 'pending',
      changes: [
        {
          kind: 'file',
          path: '/etc/conf.d/rc',
          after: 'RC_NET_STRICT_CHECKING="no"\nRC_PLUG_SERVICES="!net.*"\n',
        },
        { kind: 'remove', path: '/etc/runlevels/default/net.eth0', before: '/etc/init.d/net.eth0' },
      ],
    });
  });

  it('an existing pattern list keeps its entries after the exclusion (first match wins)', async () => {
    const plan = await planOn(
      netHotplugStep,
      legacyTarget(
        { '/etc/conf.d/rc': 'RC_PLUG_SERVICES="net.wlan0 *"\n' },
        { '/etc/runlevels/default/net.eth0': null },
      ),
    );
    expect(plan).toMatchObject({ changes: [{ after: 'RC_PLUG_SERVICES="!net.* net.wlan0 *"\n' }] });
  });

  it('OpenRC: nothing while rc_hotplug is unset; excluded when it allows everything', async () => {
    expect(await planOn(netHotplugStep, modernTarget())).toMatchObject({
      status: 'done',
      reason: /hotplugs no service/,
    });
    const plan = await planOn(netHotplugStep, modernTarget({ '/etc/rc.conf': 'rc_hotplug="*"\n' }));
    expect(plan).toMatchObject({ changes: [{ path: '/etc/rc.conf', after: 'rc_hotplug="!net.* *"\n' }] });
  });
});
