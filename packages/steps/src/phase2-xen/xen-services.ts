import { defineStep, type Change, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { getSystem } from '../shared/system-cache.js';
import { newestStable, newestTesting, versionBelow } from '../shared/versions.js';
import type { InitSystem } from '../system.js';
import { planShellConfEdits, readShellConf, type ShellConfFile } from '../shared/make-conf-file.js';
import { systemctlEnable } from '../shared/systemctl.js';

/**
 * OpenRC services of today's xen-tools, as its ebuild installs them (xenstored needs xencommons,
 * xenconsoled needs xenstored): xendomains starts the guests in /etc/xen/auto at boot (the
 * HOWTO's autostart), xenqemudev runs QEMU as dom0's disk backend, which guests on disk-image
 * files need.
 */
export const OPENRC_XEN_SERVICES = ['xencommons', 'xenstored', 'xenconsoled', 'xendomains', 'xenqemudev'];
/** systemd units of today's xen-tools (USE=systemd; Xen's own units). */
export const SYSTEMD_XEN_UNITS = [
  'xenstored.service',
  'xenconsoled.service',
  'xen-init-dom0.service',
  'xen-qemu-dom0-disk-backend.service',
  'xendomains.service',
];
/**
 * Gentoo's xenqemudev refuses to start unless its conf.d file enables the file backend
 * (XENQEMUDEV_FILE_BACKEND_ENABLE, empty as installed).
 */
export const XENQEMUDEV_CONF = '/etc/conf.d/xenqemudev';
const XENQEMUDEV_ENABLE = 'XENQEMUDEV_FILE_BACKEND_ENABLE';
const WANTS = '/etc/systemd/system/multi-user.target.wants';

export interface XenServicesFacts {
  initSystem: InitSystem;
  root: string;
  toolsVersion: string | undefined;
  toolsPresent: boolean;
  toolsInstalled: boolean;
  /** Service name → current link target in the default runlevel (or systemd wants), if any. */
  enabled: Record<string, string | undefined>;
  /** /etc/conf.d/xenqemudev, where xenqemudev is one of the services. */
  qemudevConf?: ShellConfFile;
}

export function xenServiceNames(initSystem: InitSystem, toolsVersion: string | undefined): string[] {
  if (versionBelow(toolsVersion, '4.5')) return ['xend'];
  return initSystem === 'systemd' ? SYSTEMD_XEN_UNITS : OPENRC_XEN_SERVICES;
}

export const xenServicesStep = defineStep<Answers, XenServicesFacts>({
  id: 'xen-services',
  title: 'Start the Xen daemons at boot',
  phase: 'Building the hypervisor and applications',
  howtoSection: 'Building the hypervisor and applications',
  after: ['emerge-xen'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const ebuilds = await sys.available('app-emulation/xen-tools');
    const installed = sys.installedVersion('app-emulation/xen-tools');
    const candidate =
      answers.xen.keywords === 'yes'
        ? newestTesting(ebuilds, sys.arch)
        : (newestStable(ebuilds, sys.arch) ?? newestTesting(ebuilds, sys.arch));
    const toolsVersion = installed ?? candidate?.version;
    const enabled: Record<string, string | undefined> = {};
    for (const name of xenServiceNames(sys.initSystem, toolsVersion)) {
      enabled[name] = await view.readlink(
        sys.initSystem === 'systemd' ? `${WANTS}/${name}` : `/etc/runlevels/default/${name}`,
      );
    }
    const names = xenServiceNames(sys.initSystem, toolsVersion);
    return {
      ...(names.includes('xenqemudev') ? { qemudevConf: await readShellConf(view, XENQEMUDEV_CONF) } : {}),
      initSystem: sys.initSystem,
      root: view.root,
      toolsVersion,
      toolsPresent: sys.hasPackage('app-emulation/xen-tools'),
      toolsInstalled: installed !== undefined,
      enabled,
    };
  },
  plan(f): StepPlan {
    const names = xenServiceNames(f.initSystem, f.toolsVersion);
    const missing = names.filter((n) => f.enabled[n] === undefined);
    const era =
      names[0] === 'xend'
        ? `xen-tools ${f.toolsVersion} uses xend (removed in 4.5)`
        : `xen-tools ${f.toolsVersion ?? ''}`.trim();
    const backend = f.qemudevConf
      ? planShellConfEdits(f.qemudevConf, [{ op: 'set', variable: XENQEMUDEV_ENABLE, value: 'yes' }]).change
      : undefined;
    const warnings = f.qemudevConf?.warnings.length ? { warnings: f.qemudevConf.warnings } : {};
    const backendWhy = `${XENQEMUDEV_ENABLE}=yes in ${XENQEMUDEV_CONF} (xenqemudev, the QEMU disk backend for guests on image files, starts only with it)`;
    if (missing.length === 0 && !backend) {
      const clauses = [`${names.join(', ')} enabled at boot (${era})`];
      if (f.qemudevConf) clauses.push(`${XENQEMUDEV_ENABLE}=yes`);
      return { status: 'done', reason: clauses.join('; '), ...warnings };
    }
    if (!f.toolsPresent)
      return { status: 'blocked', reason: 'app-emulation/xen-tools is not installed (emerge-xen)' };
    const after = f.toolsInstalled ? '' : ' (their scripts arrive with emerge-xen)';
    if (missing.length === 0 && backend)
      return { status: 'pending', reason: backendWhy, changes: [backend], ...warnings };
    if (f.initSystem === 'systemd') {
      return {
        status: 'pending',
        reason: `systemctl enable ${missing.join(' ')}${after}`,
        changes: [
          {
            kind: 'command',
            argv: systemctlEnable(f.root, missing),
            why: 'starts the Xen store, console daemon, dom0 set-up, the QEMU disk backend and the autostarted guests at boot',
            touches: ['/etc/systemd/system'],
          },
        ],
      };
    }
    const changes: Change[] = missing.map((name) => ({
      kind: 'symlink',
      path: `/etc/runlevels/default/${name}`,
      target: `/etc/init.d/${name}`,
      before: null,
    }));
    const clauses = [`rc-update add ${missing.join(', ')} default (${era})${after}`];
    if (backend) {
      changes.push(backend);
      clauses.push(backendWhy);
    }
    return {
      status: 'pending',
      reason: clauses.join('; '),
      changes,
      ...warnings,
    };
  },
});
