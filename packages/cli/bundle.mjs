// Bundles the CLI's own code, oclif and the small pure dependencies into one CommonJS file, so
// start-up neither resolves a few hundred modules nor, with the V8 code cache that bin/run.js
// keeps beside it, compiles them again. The heavy, rarely needed libraries stay external and
// are loaded only by the commands that use them.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outfile = new URL('./dist/bundle/commands.cjs', import.meta.url).pathname;
rmSync(`${outfile}.cache`, { force: true });
await build({
  entryPoints: [new URL('./src/commands.ts', import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  conditions: ['source'],
  // oclif only needs typescript for running .ts commands in development.
  external: [
    'typescript',
    'listr2',
    '@inquirer/prompts',
    '@inquirer/confirm',
    '@inquirer/input',
    '@inquirer/select',
    'execa',
  ],
  sourcemap: true,
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
// Produce the code cache once now (the first run would otherwise do it).
const { load } = await import('./bin/load.js');
load();
