import { defineStep, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { planShellConfEdits, readShellConf, type ShellConfFile } from '../shared/make-conf-file.js';
import { getSystem } from '../shared/system-cache.js';
import { rcConfPath, type InitSystem } from '../system.js';
import { detectToolstack } from './toolstack.js';

export interface NetStrictFacts {
  initSystem: InitSystem;
  xend: boolean;
  rc: ShellConfFile | undefined;
}

/**
 * "System Freezing on Reboot": xend's network-bridge renames the interface under the network
 * scripts, and a strict `net` dependency then waits for an interface that is gone. 2007:
 * `RC_NET_STRICT_CHECKING="lo"` in /etc/conf.d/rc. OpenRC replaced it with `rc_depend_strict`
 * in /etc/rc.conf ("NO": any started net.* satisfies `net`), which matters only where xend
 * still runs network-bridge.
 */
export const netStrictStep = defineStep<Answers, NetStrictFacts>({
  id: 'net-strict',
  title: 'Do not wait for every net.* service at shutdown',
  phase: 'Networking',
  howtoSection: 'System Freezing on Reboot',
  after: ['net-bridge'],
  async detect({ view, answers }) {
    const sys = await getSystem(view);
    const tools = await detectToolstack(view, answers, sys);
    const path = rcConfPath(sys.initSystem);
    return {
      initSystem: sys.initSystem,
      xend: tools.xend,
      rc:
        path && (sys.initSystem === 'baselayout1' || tools.xend)
          ? await readShellConf(view, path)
          : undefined,
    };
  },
  plan(f): StepPlan {
    if (f.initSystem === 'systemd')
      return {
        status: 'not-applicable',
        reason:
          'systemd has no RC_NET_STRICT_CHECKING or net.* services; systemd-networkd owns the bridge, nothing renames the interface under it',
      };
    const legacy = f.initSystem === 'baselayout1';
    if (!legacy && !f.xend)
      return {
        status: 'not-applicable',
        reason:
          "OpenRC replaced RC_NET_STRICT_CHECKING with rc_depend_strict (/etc/rc.conf); the freeze came from xend's network-bridge renaming the interface under the network scripts, and xl does no host networking (netifrc owns xenbr0), so the default stays",
      };
    const rc = f.rc!;
    const variable = legacy ? 'RC_NET_STRICT_CHECKING' : 'rc_depend_strict';
    const value = legacy ? 'lo' : 'NO';
    const current = rc.vars.get(variable);
    if (current === value) return { status: 'done', reason: `${variable}="${value}" in ${rc.path}` };
    const { change } = planShellConfEdits(rc, [{ op: 'set', variable, value }]);
    if (!change) return { status: 'done', reason: `${variable}="${value}" in ${rc.path}` };
    const was = current === undefined ? 'unset' : `"${current}"`;
    const upWith = legacy ? 'any interface, net.lo included,' : 'any interface';
    return {
      status: 'pending',
      reason: `${variable}="${value}" in ${rc.path} (was ${was}): the \`net\` service counts as up with ${upWith} so shutting down does not hang on the interface xend's network-bridge took over`,
      changes: [change],
    };
  },
});
