// The entry of the release's single file (scripts/release.mjs bundles it with everything it
// imports): oclif is configured inline, as there is no package.json beside the installed file,
// and its explicit command target is this same file, so oclif and the commands share one copy.
//
// The commands run unattended (plan, apply, verify, doctor, rollback and the domu commands: the
// ones people and configuration management run most) run without oclif's configuration and
// without evaluating the other commands' modules: their flags are parsed by oclif's own parser
// from the command's own definitions, and they print their own errors, so the output and exit
// code are the ones oclif gives. They run this way only where oclif would add nothing: no help or
// version flag, nothing turning debugging output or development mode on (XEN_GENTOO_NO_FAST_PLAN
// turns it off). The modules are loaded with require() so that the bundle evaluates each only
// when it is needed.
/* eslint-disable @typescript-eslint/no-require-imports */

declare const XEN_GENTOO_VERSION: string;

type Commands = typeof import('./commands.js');
type CommandModule = { default: Commands['COMMANDS'][keyof Commands['COMMANDS']] };
type Oclif = typeof import('@oclif/core');

const NAME = 'xen-gentoo';

/** Every command, for oclif (set before oclif starts; read by scripts/release.mjs too). */
export let COMMANDS: Commands['COMMANDS'] | undefined;

/** The commands run without oclif's configuration, each loaded only when it runs. */
const FAST: Record<string, () => CommandModule> = {
  plan: () => require('./commands/plan.js') as CommandModule,
  apply: () => require('./commands/apply.js') as CommandModule,
  verify: () => require('./commands/verify.js') as CommandModule,
  doctor: () => require('./commands/doctor.js') as CommandModule,
  rollback: () => require('./commands/rollback.js') as CommandModule,
  'domu:add': () => require('./commands/domu/add.js') as CommandModule,
  'domu:list': () => require('./commands/domu/list.js') as CommandModule,
  'domu:remove': () => require('./commands/domu/remove.js') as CommandModule,
};

/**
 * The command these arguments run when oclif would do nothing for them but run it, with the
 * arguments it gets; undefined otherwise.
 */
function plainCommand(argv: string[]): { id: string; argv: string[] } | undefined {
  if (process.env.XEN_GENTOO_NO_FAST_PLAN) return undefined;
  const words = argv[1] !== undefined && FAST[`${argv[0]}:${argv[1]}`] ? 2 : 1;
  const id = argv.slice(0, words).join(':');
  if (!FAST[id]) return undefined;
  if (
    argv.some(
      (a) => a === '--' || a === '-h' || a === '-v' || a.startsWith('--help') || a.startsWith('--version'),
    )
  )
    return undefined;
  if (
    Object.entries(process.env).some(
      ([k, v]) =>
        k === 'DEBUG' ||
        k.startsWith('OCLIF_') ||
        k === 'XEN_GENTOO_DEBUG' ||
        (k === 'NODE_ENV' && (v === 'development' || v === 'test')),
    )
  )
    return undefined;
  return { id, argv: argv.slice(words) };
}

async function runCommand(id: string, argv: string[]): Promise<void> {
  const Command = FAST[id]!().default;
  // `plan WORD` names a command `plan WORD` for oclif, as topics and commands are words: a word
  // where the command takes no argument is left to oclif (which says so).
  if (Object.keys(Command.args ?? {}).length === 0 && argv[0] !== undefined && !argv[0].startsWith('-')) {
    runOclif(process.argv.slice(2));
    return;
  }
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
  Command.id = id;
  // What Command.run does once it has the configuration: init, run, catch, finally.
  const command = new Command(argv, config as never) as unknown as { _run(): Promise<unknown> };
  await command._run();
  await flush();
  // The command has finished and awaited all it started: end now, as oclif's own run does not,
  // rather than let Node.js tear the heap down piece by piece on the way out (10-25 ms) - unless
  // output is still queued for a reader that is slow to take it.
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
}

/** Every command, through oclif. */
function runOclif(argv: string[]): void {
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
  void commands.execute({ args: argv, loadOptions: { root: __dirname, pjson: pjson as never } });
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const plain = plainCommand(argv);
  if (plain) void runCommand(plain.id, plain.argv);
  else runOclif(argv);
} else COMMANDS = (require('./commands.js') as Commands).COMMANDS;
