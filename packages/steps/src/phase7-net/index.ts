import type { Step } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { netBridgeStep } from './net-bridge.js';
import { netModulesStep } from './net-modules.js';
import { netStrictStep } from './net-strict.js';

export { netBridgeStep, BRIDGE, CONF_NET, NETWORK_BRIDGE, LEGACY_BRCTL, SYSFS_KNOBS } from './net-bridge.js';
export { netModulesStep, findDom0Config, REQUIRED_MODULES } from './net-modules.js';
export { netStrictStep } from './net-strict.js';
export { parseConfNet, lookup, ifvar } from './conf-net.js';
export { detectToolstack } from './toolstack.js';

/** Phase 7, Networking. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const NET_STEPS: Step<Answers, any>[] = [netBridgeStep, netModulesStep, netStrictStep];
