#!/usr/bin/env node
// Builds the release: xen-gentoo-VERSION.tar.gz (VERSION from packages/cli/package.json) with one
// JavaScript file that runs every command with nothing but Node.js, the man page, the bash and zsh
// completions, the README and the licence. The same sources give the same bytes: fixed times,
// owners and modes, entries in sorted order, gzip without a time stamp.
// Usage: node scripts/release.mjs [OUT_DIR]   (default: dist/release); prints the tarball's path.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import * as tar from 'tar';

const repo = resolve(import.meta.dirname, '..');
const cliDir = join(repo, 'packages/cli');
const version = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')).version;
const outDir = resolve(process.argv[2] ?? join(repo, 'dist/release'));
const name = `xen-gentoo-${version}`;
// 2000-01-01T00:00:00Z: any fixed time will do; the files' own times would differ per checkout.
const MTIME = new Date(946_684_800_000);

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  conditions: ['source'],
  write: false,
  logLevel: 'warning',
  // oclif only needs typescript to run .ts commands in development.
  external: ['typescript'],
};

async function bundle(entry, options = {}) {
  const result = await build({ ...common, entryPoints: [join(cliDir, 'src', entry)], ...options });
  return result.outputFiles[0].text;
}

const bundled = await bundle('release.ts', {
  define: { XEN_GENTOO_VERSION: JSON.stringify(version) },
  minify: true,
  keepNames: true,
  legalComments: 'eof',
});
// The program is carried as a string and compiled with a V8 code cache kept in the user's cache
// directory, so that only the first start compiles it (V8 rejects a cache that does not match
// the source or this Node.js, and a new one is written). Scanning a string literal costs little;
// parsing two megabytes of code on every start is most of the start-up time otherwise.
const key = `${version}-${createHash('sha256').update(bundled).digest('hex').slice(0, 16)}`;
const program = `#!/usr/bin/env node
'use strict';
// xen-gentoo ${version}: the bundled program (with the licences of the libraries it includes) is
// the string below; see scripts/release.mjs in the source repository.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const source = ${JSON.stringify(bundled)};
let cacheFile;
if (!process.env.XEN_GENTOO_NO_CODE_CACHE) {
  const base = process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache');
  cacheFile = path.join(base, 'xen-gentoo', ${JSON.stringify(`${key}.v8`)});
}
let cachedData;
try {
  if (cacheFile) cachedData = fs.readFileSync(cacheFile);
} catch {}
const script = new vm.Script('(function (exports, require, module, __filename, __dirname) {' + source + '\\n})', {
  filename: __filename,
  cachedData,
});
if (cacheFile && (cachedData === undefined || script.cachedDataRejected))
  process.once('exit', () => {
    try {
      fs.mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
      const temporary = cacheFile + '.' + process.pid;
      fs.writeFileSync(temporary, script.createCachedData());
      fs.renameSync(temporary, cacheFile);
    } catch {}
  });
script.runInThisContext().call(module.exports, module.exports, require, module, __filename, __dirname);
`;

// The man page and completions come from the same command definitions.
const work = mkdtempSync(join(tmpdir(), 'xen-gentoo-release-'));
try {
  const docsFile = join(work, 'docs.cjs');
  writeFileSync(docsFile, await bundle('release-docs.ts'));
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const docs = createRequire(docsFile)(docsFile).renderReleaseDocs(version, readme);

  const stage = join(work, name);
  const files = {
    'xen-gentoo.cjs': [program, 0o755],
    'xen-gentoo.8': [docs.man, 0o644],
    'completions/xen-gentoo.bash': [docs.bash, 0o644],
    'completions/_xen-gentoo': [docs.zsh, 0o644],
    'README.md': [readme, 0o644],
    LICENSE: [readFileSync(join(repo, 'LICENSE'), 'utf8'), 0o644],
  };
  mkdirSync(join(stage, 'completions'), { recursive: true });
  for (const [path, [text, mode]] of Object.entries(files)) {
    writeFileSync(join(stage, path), text);
    chmodSync(join(stage, path), mode);
  }
  for (const dir of [stage, join(stage, 'completions')]) chmodSync(dir, 0o755);
  const entries = [name, `${name}/completions`, ...Object.keys(files).map((f) => `${name}/${f}`)].sort();

  mkdirSync(outDir, { recursive: true });
  const tarball = join(outDir, `${name}.tar.gz`);
  await tar.create(
    {
      file: tarball,
      cwd: work,
      gzip: { level: 9 },
      portable: true,
      mtime: MTIME,
      noDirRecurse: true,
      noPax: true,
    },
    entries,
  );
  // The overlay's Manifest line for it (thin manifests: distfiles only).
  const bytes = readFileSync(tarball);
  const hash = (algorithm) => createHash(algorithm).update(bytes).digest('hex');
  writeFileSync(
    join(outDir, 'Manifest'),
    `DIST ${name}.tar.gz ${bytes.length} BLAKE2B ${hash('blake2b512')} SHA512 ${hash('sha512')}\n`,
  );
  console.log(tarball);
} finally {
  rmSync(work, { recursive: true, force: true });
}
