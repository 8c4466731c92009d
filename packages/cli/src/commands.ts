import { execute as oclifExecute, flush, handle, run, type Interfaces } from '@oclif/core';
import AnswersCheck from './commands/answers/check.js';
import AnswersInit from './commands/answers/init.js';
import AnswersSchema from './commands/answers/schema.js';
import Apply from './commands/apply.js';
import BootRender from './commands/boot/render.js';
import Doctor from './commands/doctor.js';
import DomuAdd from './commands/domu/add.js';
import DomuList from './commands/domu/list.js';
import DomuRemove from './commands/domu/remove.js';
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
  doctor: Doctor,
  wizard: Wizard,
  'answers:init': AnswersInit,
  'answers:check': AnswersCheck,
  'answers:schema': AnswersSchema,
  'boot:render': BootRender,
  'kernel:config': KernelConfig,
  'kernel:check': KernelCheck,
  'domu:add': DomuAdd,
  'domu:list': DomuList,
  'domu:remove': DomuRemove,
};

/**
 * bin/run.js starts oclif from this module, so oclif and the commands share one copy of it.
 * The commands print their own errors (BaseCommand.catch); what fails before a command runs (an
 * unknown command) is printed by oclif, except under --json, where it is the documented JSON
 * error object on stdout too.
 */
export async function execute(options: {
  dir?: string;
  /** The release file configures oclif inline (no package.json beside it). */
  loadOptions?: Interfaces.LoadOptions;
  args?: string[];
}): Promise<unknown> {
  const argv = options.args ?? process.argv.slice(2);
  if (!argv.includes('--json')) return oclifExecute(options);
  try {
    const result = await run(argv, options.loadOptions ?? options.dir);
    await flush();
    return result;
  } catch (caught) {
    const error = caught as Error & { code?: string; oclif?: { exit?: number } };
    // this.exit() and oclif's own clean exits keep their meaning.
    if (error.code === 'EEXIT' || error.oclif?.exit === 0) return handle(error);
    const usage = error.oclif?.exit !== undefined;
    process.stdout.write(
      `${JSON.stringify({ error: usage ? 'usage' : 'internal', message: error.message }, null, 2)}\n`,
    );
    process.exitCode = usage ? 2 : 70;
    return undefined;
  }
}
