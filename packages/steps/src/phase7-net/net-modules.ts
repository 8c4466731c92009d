import { defineStep, type StepPlan, type View } from '@xen-gentoo/core';
import { configValues, parseConfig } from '@xen-gentoo/kernel-config';
import type { Answers } from '../answers/index.js';
import { getSystem } from '../shared/system-cache.js';
import type { InitSystem } from '../system.js';

/** The HOWTO's "Required Modules": module name → the kernel option that builds it. */
export const REQUIRED_MODULES: [string, string][] = [
  ['loop', 'BLK_DEV_LOOP'],
  ['tun', 'TUN'],
];
export const AUTOLOAD_2007 = '/etc/modules.autoload.d/kernel-2.6';
export const MODULES_LOAD = '/etc/modules-load.d/xen.conf';

export interface Dom0Config {
  path: string;
  values: Map<string, string>;
}

export interface NetModulesFacts {
  initSystem: InitSystem;
  config: Dom0Config | undefined;
  /** The file the step writes, as it is now. */
  file: { path: string; text: string | undefined };
  /** Modules the host already loads at boot (any of its files), with where. */
  loaded: Map<string, string>;
}

/**
 * The dom0 kernel's configuration, where one exists: the installed `/boot/config-*-xen0`
 * (newest), else the dom0 build directory's `.config`, else the tree's own.
 */
export async function findDom0Config(view: View, sources: string): Promise<Dom0Config | undefined> {
  const boot = ((await view.list('/boot')) ?? [])
    .filter((n) => /^config-.*-xen0$/.test(n))
    .sort()
    .at(-1);
  for (const path of [boot ? `/boot/${boot}` : undefined, `${sources}/_dom0/.config`, `${sources}/.config`]) {
    if (!path) continue;
    const text = await view.readFile(path);
    if (text !== undefined) return { path, values: configValues(parseConfig(text)) };
  }
  return undefined;
}

/** Module names listed one per line (modules.autoload.d, modules-load.d), comments skipped. */
function listed(text: string | undefined): string[] {
  return (text ?? '')
    .split('\n')
    .map(
      (l) =>
        l
          .replace(/[#;].*$/, '')
          .trim()
          .split(/\s+/)[0] ?? '',
    )
    .filter(Boolean);
}

export const netModulesStep = defineStep<Answers, NetModulesFacts>({
  id: 'net-modules',
  title: 'Load loop and tun at boot',
  phase: 'Networking',
  howtoSection: 'Required Modules',
  after: ['kernel-dom0-config'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const legacy = sys.initSystem === 'baselayout1';
    const path = legacy ? AUTOLOAD_2007 : MODULES_LOAD;
    const loaded = new Map<string, string>();
    const note = (names: string[], where: string) => {
      for (const n of names) if (!loaded.has(n)) loaded.set(n, where);
    };
    if (legacy) note(listed(await view.readFile(AUTOLOAD_2007)), AUTOLOAD_2007);
    else {
      for (const dir of [
        '/etc/modules-load.d',
        '/run/modules-load.d',
        '/usr/lib/modules-load.d',
        '/lib/modules-load.d',
      ]) {
        for (const name of (await view.list(dir)) ?? []) {
          if (name.endsWith('.conf')) note(listed(await view.readFile(`${dir}/${name}`)), `${dir}/${name}`);
        }
      }
      if (sys.initSystem === 'openrc') {
        const confd = (await view.readFile('/etc/conf.d/modules')) ?? '';
        const m = /^\s*modules\s*=\s*["']?([^"'\n]*)/m.exec(confd);
        if (m?.[1]) note(m[1].split(/\s+/).filter(Boolean), '/etc/conf.d/modules');
      }
    }
    return {
      initSystem: sys.initSystem,
      config: await findDom0Config(view, answers.kernel.sources),
      file: { path, text: await view.readFile(path) },
      loaded,
    };
  },
  plan(f): StepPlan {
    const builtIn: string[] = [];
    const toLoad: string[] = [];
    const warnings: string[] = [];
    for (const [module, option] of REQUIRED_MODULES) {
      const value = f.config?.values.get(option);
      if (!f.config || value === 'y') builtIn.push(`${module} (CONFIG_${option}=y)`);
      else {
        toLoad.push(module);
        if (value !== 'm')
          warnings.push(
            `CONFIG_${option} is not set in ${f.config.path}: ${module} must be built for the dom0 kernel (kernel-dom0-config)`,
          );
      }
    }
    const where = f.config
      ? `the dom0 kernel's configuration ${f.config.path}`
      : 'the dom0 configuration kernel-dom0-config writes (the HOWTO: "or compile them into the kernel static")';
    if (toLoad.length === 0)
      return {
        status: 'not-applicable',
        reason: `built into the kernel, nothing to load: ${builtIn.join(', ')} in ${where}`,
      };
    const missing = toLoad.filter((m) => !f.loaded.has(m));
    const mechanism =
      f.initSystem === 'baselayout1'
        ? `${AUTOLOAD_2007} (baselayout 1)`
        : `${MODULES_LOAD} (read by ${f.initSystem === 'systemd' ? 'systemd-modules-load' : "OpenRC's modules service"})`;
    if (missing.length === 0)
      return {
        status: 'done',
        reason: `${toLoad.join(' and ')} load at boot (${toLoad.map((m) => f.loaded.get(m)).join(', ')})`,
        warnings,
      };
    const text =
      f.file.text ??
      (f.initSystem === 'baselayout1' ? '' : '# Modules the Xen host needs (xen-gentoo net-modules)\n');
    const after = `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${missing.join('\n')}\n`;
    return {
      status: 'pending',
      reason: `load ${missing.join(' and ')} at boot through ${mechanism}: they are modules in ${where}`,
      changes: [{ kind: 'file', path: f.file.path, before: f.file.text ?? null, after }],
      warnings,
    };
  },
});
