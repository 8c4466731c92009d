export * from './target.js';
export * from './quickpkg.js';
export * from './domu-image.js';
export * from './domu-cflags.js';
export * from './domu-domi.js';
export * from './domu-prebuilt.js';
export * from './domu-config.js';
export * from './domu-autostart.js';
import { domuAutostartStep } from './domu-autostart.js';
import { domuCflagsStep } from './domu-cflags.js';
import { domuConfigStep } from './domu-config.js';
import { domuDomiStep } from './domu-domi.js';
import { domuImageStep } from './domu-image.js';
import { domuPrebuiltStep } from './domu-prebuilt.js';
import { quickpkgStep } from './quickpkg.js';

/** Phase 6, in the HOWTO's order. */
export const DOMU_STEPS = [
  quickpkgStep,
  domuImageStep,
  domuCflagsStep,
  domuDomiStep,
  domuPrebuiltStep,
  domuConfigStep,
  domuAutostartStep,
] as const;
