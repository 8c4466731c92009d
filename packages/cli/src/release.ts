// The entry of the release's single file (scripts/release.mjs bundles it with everything it
// imports): oclif is configured inline, as there is no package.json beside the installed file,
// and its explicit command target is this same file, so oclif and the commands share one copy.
//
// `plan` (the command run most, by people and by configuration management) runs without oclif's
// configuration and without evaluating the other commands' modules: its flags are parsed by
// oclif's own parser from the command's own definitions, and it prints its own errors, so the
// output and exit code are the ones oclif gives. It runs this way only where oclif would add
// nothing: no help or version flag, nothing turning debugging output or development mode on
// (XEN_GENTOO_NO_FAST_PLAN turns it off). The modules are loaded with require() so that the bundle
// evaluates each only when it is needed.
/* eslint-disable @typescript-eslint/no-require-imports */

declare const XEN_GENTOO_VERSION: string;

type Commands = typeof import('./commands.js');
type PlanModule = typeof import('./commands/plan.js');
type Oclif = typeof import('@oclif/core');

const NAME = 'xen-gentoo';

/** Every command, for oclif (set before oclif starts; read by scripts/release.mjs too). */
export let COMMANDS: Commands['COMMANDS'] | undefined;

/** Whether oclif would do anything for these arguments besides running `plan` with them. */
function plainPlan(argv: string[]): boolean {
  if (argv[0] !== 'plan' || process.env.XEN_GENTOO_NO_FAST_PLAN) return false;
  // `plan WORD` names a command `plan WORD` for oclif, as topics and commands are words.
  if (argv.length > 1 && !argv[1]!.startsWith('-')) return false;
  if (
    argv.some(
      (a) => a === '--' || a === '-h' || a === '-v' || a.startsWith('--help') || a.startsWith('--version'),
    )
  )
    return false;
  return !Object.entries(process.env).some(
    ([k, v]) =>
      k === 'DEBUG' ||
      k.startsWith('OCLIF_') ||
      k === 'XEN_GENTOO_DEBUG' ||
      (k === 'NODE_ENV' && (v === 'development' || v === 'test')),
  );
}

async function runPlan(argv: string[]): Promise<void> {
  const Plan = (require('./commands/plan.js') as PlanModule).default;
  const { flush } = require('@oclif/core/flush') as Oclif;
  const platform =
    process.arch === 'ia32' ? `${process.platform}-x86` : `${process.platform}-${process.arch}`;
  // What a command reads of oclif's configuration.
  const config = {
    name: NAME,
    bin: NAME,
    version: XEN_GENTOO_VERSION,
    userAgent: `${NAME}/${XEN_GENTOO_VERSION} ${platform} node-${process.version}`,
    runHook: async () => ({ successes: [], failures: [] }),
    scopedEnvVar: (k: string) => process.env[`XEN_GENTOO_${k}`],
    scopedEnvVarKey: (k: string) => `XEN_GENTOO_${k}`,
    scopedEnvVarKeys: (k: string) => [`XEN_GENTOO_${k}`],
  };
  Plan.id = 'plan';
  // What Command.run does once it has the configuration: init, run, catch, finally.
  const command = new Plan(argv, config as never) as unknown as { _run(): Promise<unknown> };
  await command._run();
  await flush();
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (plainPlan(argv)) void runPlan(argv.slice(1));
  else {
    const commands = require('./commands.js') as Commands;
    COMMANDS = commands.COMMANDS;
    const pjson = {
      name: NAME,
      version: XEN_GENTOO_VERSION,
      oclif: {
        bin: NAME,
        dirname: NAME,
        commands: { strategy: 'explicit', target: __filename, identifier: 'COMMANDS' },
        topicSeparator: ' ',
      },
    };
    void commands.execute({ loadOptions: { root: __dirname, pjson: pjson as never } });
  }
} else COMMANDS = (require('./commands.js') as Commands).COMMANDS;
