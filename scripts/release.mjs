#!/usr/bin/env node
// Builds the release: xen-gentoo-VERSION.tar.gz (VERSION from packages/cli/package.json) with one
// JavaScript file that runs every command with nothing but Node.js, the man page, the bash and zsh
// completions, the README and the licence. The same sources give the same bytes: fixed times,
// owners and modes, entries in sorted order, gzip without a time stamp.
// Usage: node scripts/release.mjs [OUT_DIR]   (default: dist/release); prints the tarball's path.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import * as tar from 'tar';

const repo = resolve(import.meta.dirname, '..');
const cliDir = join(repo, 'packages/cli');
const version = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')).version;
const outDir = resolve(process.argv[2] ?? join(repo, 'dist/release'));
const name = `xen-gentoo-${version}`;
// 2000-01-01T00:00:00Z: any fixed time will do; the files' own times would differ per checkout.
const MTIME = new Date(946_684_800_000);

const execFileAsync = promisify(execFile);
// Environment variables that change how oclif renders help (colours, width, debugging output,
// development mode's warnings).
function helpEnvAffects([k, v]) {
  return (
    k === 'FORCE_COLOR' ||
    k === 'DEBUG' ||
    k.startsWith('OCLIF_') ||
    k === 'XEN_GENTOO_DEBUG' ||
    (k === 'NODE_ENV' && (v === 'development' || v === 'test'))
  );
}

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
// The program is carried in a comment at the end of the file, which the file reads back, and is
// compiled with a V8 code cache kept in the user's cache directory, so that only the first start
// compiles it (V8 rejects a cache that does not match the source or this Node.js, and a new one
// is written). Parsing two megabytes of code on every start is most of the start-up time
// otherwise, and skipping a comment costs Node.js a few times less than scanning the same text
// as a string literal. In the comment a NUL starts an escape: "\0/" is "*\/" (which would end
// the comment) and "\0u" with four hex digits any character outside ASCII, so the file stays
// ASCII: one other character makes Node.js read the whole file as UTF-16, which doubles what
// every start reads.
const key = `${version}-${createHash('sha256').update(bundled).digest('hex').slice(0, 16)}`;
const ascii = (json) =>
  json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
if (bundled.includes('\0')) throw new Error('the bundled program holds a NUL: it cannot go in the comment');
const inComment = bundled.replace(/\*\/|[\u007f-\uffff]/g, (c) =>
  c === '*/' ? '\0/' : `\0u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
);

const work = mkdtempSync(join(tmpdir(), 'xen-gentoo-release-'));
try {
  // `--help` of the program, of each topic and of each command, as oclif renders it from the
  // commands' definitions where it renders plain text 80 columns wide (output that is not a
  // terminal, nothing forcing colours or a width): the file prints these without starting oclif
  // when it runs in those conditions. The VERSION line's platform and Node.js are filled in when
  // it runs.
  const programFile = join(work, 'program.cjs');
  writeFileSync(programFile, bundled);
  const ids = Object.keys(createRequire(programFile)(programFile).COMMANDS).map((id) => id.split(':'));
  const topics = ids.flatMap((words) => words.slice(0, -1).map((_, i) => words.slice(0, i + 1).join(' ')));
  const forms = ['', ...new Set(topics), ...ids.map((words) => words.join(' '))];
  const helpEnv = Object.fromEntries(Object.entries(process.env).filter((e) => !helpEnvAffects(e)));
  const helpTexts = {};
  const rendered = [];
  // A few at a time: each is a Node.js process starting oclif.
  for (let i = 0; i < forms.length; i += 4)
    rendered.push(
      ...(await Promise.all(
        forms.slice(i, i + 4).map(async (form) => {
          const words = form === '' ? [] : form.split(' ');
          const { stdout, stderr } = await execFileAsync(
            process.execPath,
            [programFile, ...words, '--help'],
            {
              env: helpEnv,
              encoding: 'utf8',
            },
          );
          if (stderr !== '') throw new Error(`${form} --help wrote to stderr: ${stderr}`);
          return [form, stdout];
        }),
      )),
    );
  for (const [form, text] of rendered) {
    const agent = new RegExp(
      `(?<=xen-gentoo/${version.replace(/\./g, '\\.')} )\\S+ node-${process.version.replace(/\./g, '\\.')}(?=\\n)`,
      'g',
    );
    const found = text.match(agent)?.length ?? 0;
    if (found !== (form === '' ? 1 : 0)) throw new Error(`${form} --help: ${found} VERSION lines`);
    helpTexts[form] = text.replace(agent, '\0');
  }

  const program = `#!/usr/bin/env node
'use strict';
// xen-gentoo ${version}: the bundled program (with the licences of the libraries it includes) is
// the comment at the end of this file; see scripts/release.mjs in the source repository.
const helpTexts = ${ascii(JSON.stringify(helpTexts))};
const words = process.argv.slice(2);
const form = words.slice(0, -1).join(' ');
if (words.at(-1) === '--help' && words.every((w) => /^[a-z-]+$/.test(w)) && Object.hasOwn(helpTexts, form) && plainHelp()) {
  const platform = process.arch === 'ia32' ? process.platform + '-x86' : process.platform + '-' + process.arch;
  process.stdout.write(helpTexts[form].replace('\\0', platform + ' node-' + process.version));
  return;
}
${helpEnvAffects}
// oclif renders help as the texts above show it unless the output is a terminal, or something
// forces colours or a width or turns debugging output on, or this is WSL (oclif names it there).
function plainHelp() {
  if (Object.entries(process.env).some(helpEnvAffects)) return false;
  if (process.stdout.isTTY) return false;
  if (process.platform !== 'linux') return true;
  const { existsSync, readFileSync } = require('node:fs');
  let version = '';
  try {
    version = readFileSync('/proc/version', 'utf8');
  } catch {}
  return !(
    /microsoft/i.test(require('node:os').release() + version) ||
    existsSync('/proc/sys/fs/binfmt_misc/WSLInterop') ||
    existsSync('/run/WSL')
  );
}
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
// The program: the comment at the end of this file, from the line after its first line.
const text = fs.readFileSync(__filename, 'latin1');
const marker = '\\n/* xen-gentoo' + ' program */\\n/*\\n';
const source = text
  .slice(text.indexOf(marker) + marker.length, -'\\n*/\\n'.length)
  .replace(/\\0(?:\\/|u([0-9a-f]{4}))/g, (_, hex) => (hex === undefined ? '*/' : String.fromCharCode(parseInt(hex, 16))));
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
/* xen-gentoo program */
/*
${inComment}
*/
`;

  // The man page and completions come from the same command definitions.
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
