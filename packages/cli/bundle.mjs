// Bundles the CLI's own code (and its small pure dependencies) into one file, so start-up does
// not resolve and compile a few hundred modules. The heavy, rarely needed libraries stay
// external and are loaded only by the commands that use them.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('./src/commands.ts', import.meta.url).pathname],
  outfile: new URL('./dist/bundle/commands.js', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['source'],
  external: ['typescript', 'listr2', '@inquirer/prompts', 'execa'],
  sourcemap: true,
  minify: true,
  keepNames: true,
  legalComments: 'linked',
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __xgCreateRequire } from 'node:module'; const require = __xgCreateRequire(import.meta.url);",
  },
});
