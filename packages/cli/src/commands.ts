import Apply from './commands/apply.js';
import BootRender from './commands/boot/render.js';
import KernelCheck from './commands/kernel/check.js';
import KernelConfig from './commands/kernel/config.js';
import Plan from './commands/plan.js';
import Rollback from './commands/rollback.js';
import Verify from './commands/verify.js';
import Wizard from './commands/wizard.js';

/** Every command, registered explicitly (no directory scan at start-up). */
export const COMMANDS = {
  plan: Plan,
  apply: Apply,
  verify: Verify,
  rollback: Rollback,
  wizard: Wizard,
  'boot:render': BootRender,
  'kernel:config': KernelConfig,
  'kernel:check': KernelCheck,
};

// bin/run.js starts oclif from this module, so oclif and the commands share one copy of it.
export { execute } from '@oclif/core';
