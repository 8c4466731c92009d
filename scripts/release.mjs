#!/usr/bin/env node
// Builds the release: xen-gentoo-VERSION.tar.gz (VERSION from packages/cli/package.json) with one
// JavaScript file that runs every command with nothing but Node.js, the man page, the bash and zsh
// completions, the README and the licence. The same sources give the same bytes: fixed times,
// owners and modes, entries in sorted order, gzip without a time stamp.
// Usage: node scripts/release.mjs [OUT_DIR]   (default: dist/release); prints the tarball's path.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlibConstants } from 'node:zlib';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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

// A module that stands for `specifier` and requires it when one of its exports is first read:
// the names given are its own properties (for code that lists them), any other name is looked up
// in the module itself.
function lazyModuleSource(specifier, names = []) {
  return `let m;
const load = () => (m ??= require(${JSON.stringify(specifier)}));
const known = {};
for (const name of ${JSON.stringify(names)})
  Object.defineProperty(known, name, { get: () => load()[name], enumerable: true, configurable: true });
module.exports = new Proxy(known, {
  get: (target, name) => (Object.hasOwn(target, name) ? target[name] : load()[name]),
  has: (target, name) => Object.hasOwn(target, name) || name in load(),
});
`;
}

// Node.js's own modules that `plan` does not use, or uses late: each is loaded when the program
// first reads one of its exports instead of when a module that imports it is evaluated (loading
// them all costs `plan` a few milliseconds). The exports are the ones the building Node.js has;
// one the running Node.js adds is still there for code that asks for it by name.
const LAZY_BUILTINS = ['child_process', 'crypto', 'readline', 'readline/promises', 'zlib'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|').replace(/\//g, '\\/')})$`);
    build.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-builtin'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const names = Object.getOwnPropertyNames(createRequire(import.meta.url)(`node:${args.path}`)).sort();
      return { loader: 'js', contents: lazyModuleSource(`node:${args.path}`, names) };
    });
  },
};

// Modules of oclif that the commands run without oclif's configuration never use, yet that the
// modules they do use import at the top (configuration loading, help rendering): each is evaluated
// when the program first reads one of its exports instead.
const LAZY_MODULES = [
  [/[\\/]@oclif[\\/]core[\\/]lib[\\/]command\.js$/, './config'],
  [/[\\/]@oclif[\\/]core[\\/]lib[\\/]flags\.js$/, './help'],
  [/[\\/]@oclif[\\/]core[\\/]lib[\\/]errors[\\/]handle\.js$/, '../help/index'],
];
const lazyModules = {
  name: 'lazy-modules',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.namespace !== 'lazy-module' &&
      LAZY_MODULES.some(([importer, path]) => importer.test(args.importer) && path === args.path)
        ? {
            path: join(args.resolveDir, args.path),
            namespace: 'lazy-module',
            pluginData: { resolveDir: args.resolveDir, path: args.path },
          }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-module' }, (args) => ({
      loader: 'js',
      resolveDir: args.pluginData.resolveDir,
      contents: lazyModuleSource(args.pluginData.path),
    }));
  },
};

// oclif logs through debug, which prints only the namespaces DEBUG names, read when it loads.
// With DEBUG unset nothing is ever printed, yet debug sets up stderr at start-up to choose its
// colours (loading Node.js's tty and net): its module is then replaced by loggers that do nothing.
const debugOnDemand = {
  name: 'debug-on-demand',
  setup(build) {
    build.onResolve({ filter: /^debug$/ }, (args) =>
      args.namespace === 'debug-on-demand'
        ? undefined
        : { path: 'debug', namespace: 'debug-on-demand', pluginData: args.resolveDir },
    );
    build.onLoad({ filter: /.*/, namespace: 'debug-on-demand' }, (args) => ({
      loader: 'js',
      resolveDir: args.pluginData,
      contents: `const silent = (namespace) => {
  const log = () => {};
  return Object.assign(log, { namespace, enabled: false, extend: (name, delimiter = ':') => silent(namespace + delimiter + name) });
};
module.exports = process.env.DEBUG ? require('debug') : Object.assign(silent, { enabled: () => false, enable() {}, disable: () => '' });
`,
    }));
  },
};

// zod exports its messages in every language it has as `z.locales`; the tool speaks English only
// (zod's default, which its schemas import for themselves): the other languages, a sixth of the
// program, are left out.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core|mini)[\\/][^\\/]+$/.test(args.importer)
        ? { path: args.importer, namespace: 'zod-english-only' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      loader: 'js',
      resolveDir: dirname(args.path),
      contents: "export { default as en } from '../locales/en.js';\n",
    }));
  },
};

async function bundle(entry, options = {}) {
  const result = await build({ ...common, entryPoints: [join(cliDir, 'src', entry)], ...options });
  return result.outputFiles[0].text;
}

const bundled = await bundle('release.ts', {
  define: { XEN_GENTOO_VERSION: JSON.stringify(version) },
  minify: true,
  legalComments: 'eof',
  plugins: [lazyBuiltins, lazyModules, debugOnDemand, zodEnglishOnly],
});
// The program is carried in a comment at the end of the file, brotli-compressed and in base64, and
// is compiled with a V8 code cache, one for each command, so that only a command's first start
// compiles it (V8 rejects a cache that does not match the source or this Node.js, and a new one is
// written). The first run also keeps the program's text beside the code caches, so that later
// starts read it instead of decompressing it. Node.js reads and scans the whole file on every
// start, so the smaller the file, the sooner the program starts: the comment is under two fifths of
// the program's size, and skipping it costs Node.js a few times less than scanning the same text as
// a string literal. The file stays ASCII: one other character makes Node.js read the whole file as
// UTF-16.
// The program as the file compiles it: in the function Node.js wraps a module in, ready to compile
// as it is read (joining the wrapper to it at run time would copy it once more).
const wrapped = `(function (exports, require, module, __filename, __dirname) {${bundled}\n})`;
const key = `${version}-${createHash('sha256').update(wrapped).digest('hex').slice(0, 16)}`;
const ascii = (json) =>
  json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
// The program's text is kept and read back as Latin-1, one byte a character.
const wide = bundled.match(/[^\u0000-\u00ff]/);
if (wide)
  throw new Error(
    `the bundled program holds U+${wide[0].charCodeAt(0).toString(16)}: it cannot be kept as Latin-1`,
  );
const compressed = brotliCompressSync(Buffer.from(wrapped, 'latin1'), {
  params: {
    [zlibConstants.BROTLI_PARAM_QUALITY]: 11,
    [zlibConstants.BROTLI_PARAM_LGWIN]: 24,
    [zlibConstants.BROTLI_PARAM_SIZE_HINT]: wrapped.length,
  },
})
  .toString('base64')
  .replace(/.{1,76}/g, '$&\n');
// The licences of the libraries the program includes (esbuild gathers them at its end), readable.
const licences = bundled.slice(bundled.lastIndexOf('/*! Bundled license information:'));

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

  const osFallbacks = readFileSync(join(repo, 'packages/cli/bin/os-fallbacks.cjs'), 'utf8')
    .replace(/^'use strict';\n/, '')
    .trimEnd();
  const program = `#!/usr/bin/env node
'use strict';
// xen-gentoo ${version}: the bundled program is the comment at the end of this file, brotli-compressed
// and in base64, the licences of the libraries it includes just above it; see scripts/release.mjs
// in the source repository.
const helpTexts = ${ascii(JSON.stringify(helpTexts))};
const words = process.argv.slice(2);
const form = words.slice(0, -1).join(' ');
const agent = () =>
  (process.arch === 'ia32' ? process.platform + '-x86' : process.platform + '-' + process.arch) + ' node-' + process.version;
if (words.at(-1) === '--help' && words.every((w) => /^[a-z-]+$/.test(w)) && Object.hasOwn(helpTexts, form) && plainHelp()) {
  process.stdout.write(helpTexts[form].replace('\\0', agent()));
  return;
}
// oclif prints the version for --version as the first word, whatever follows it.
if (words[0] === '--version' && plainOclif()) {
  process.stdout.write(${JSON.stringify(`xen-gentoo/${version} `)} + agent() + '\\n');
  return;
}
${helpEnvAffects}
// oclif renders help as the texts above show it unless the output is a terminal, or something
// forces colours or a width or turns debugging output on, or this is WSL (oclif names it there).
function plainHelp() {
  return !process.stdout.isTTY && plainOclif();
}
function plainOclif() {
  if (Object.entries(process.env).some(helpEnvAffects)) return false;
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
const KEY = ${JSON.stringify(key)};
const LENGTH = ${wrapped.length};
${osFallbacks}
const home = require('node:os').homedir();
let dir;
if (!process.env.XEN_GENTOO_NO_CODE_CACHE) {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : home && path.join(home, '.cache');
  if (base) dir = path.join(base, 'xen-gentoo');
}
// What is kept there runs as this program, so it is used only from a directory of this user's
// that no one else can write to (not, say, another user's home that sudo left in HOME).
// (undefined: there is none yet.)
function ours() {
  let s;
  try {
    s = fs.lstatSync(dir);
  } catch (e) {
    return e.code === 'ENOENT' ? undefined : false;
  }
  return s.isDirectory() && (s.mode & 0o022) === 0 && (typeof process.geteuid !== 'function' || s.uid === process.geteuid());
}
if (dir && ours() === false) dir = undefined;
// Both kept files are read into one buffer, the program's text first (copied out as a string),
// then the code cache: memory a process touches for the first time costs more than reading.
let buffer;
function readCached(name) {
  if (!dir) return;
  let fd;
  try {
    fd = fs.openSync(path.join(dir, KEY + name), 'r');
    const size = fs.fstatSync(fd).size;
    if (buffer === undefined || buffer.length < size) buffer = Buffer.allocUnsafeSlow(Math.max(size, 2 * LENGTH));
    let read = 0;
    for (let n; read < size && (n = fs.readSync(fd, buffer, read, size - read, read)) > 0; ) read += n;
    return buffer.subarray(0, read);
  } catch {
  } finally {
    if (fd !== undefined)
      try {
        fs.closeSync(fd);
      } catch {}
  }
}
// The program: as a run kept it in the cache directory, or from the comment at the end of this
// file (from the line after its first line).
let source = readCached('.js')?.latin1Slice();
const sourceKept = source !== undefined && source.length === LENGTH;
if (!sourceKept) {
  const text = fs.readFileSync(__filename, 'latin1');
  const marker = '\\n/* xen-gentoo' + ' program */\\n/*\\n';
  const data = Buffer.from(text.slice(text.indexOf(marker) + marker.length, -'\\n*/\\n'.length), 'base64');
  source = require('node:zlib').brotliDecompressSync(data).latin1Slice();
}
// A code cache for each command (what a run compiles is mostly its command's code), so that
// whichever command ran first, each command's later starts find their own code compiled.
let command = 'main';
for (const n of [2, 1]) {
  const form = words.slice(0, n).join(' ');
  if (words.length >= n && /^[a-z][a-z -]*$/.test(form) && Object.hasOwn(helpTexts, form)) {
    command = form.replace(/ /g, '-');
    break;
  }
}
if (words.some((w) => w === '--help' || w === '-h')) command += '-help';
const CACHE = '.' + command + '.v8';
const cachedData = readCached(CACHE);
const script = new vm.Script(source, {
  filename: __filename,
  cachedData,
});
buffer = undefined;
const keep = [];
if (dir && !sourceKept) keep.push(['.js', () => Buffer.from(source, 'latin1')]);
if (dir && (cachedData === undefined || script.cachedDataRejected)) keep.push([CACHE, () => script.createCachedData()]);
// Written when the program is done (the code cache then holds what the run compiled), each under
// a temporary name first; a directory that cannot be written leaves the next run as this one.
if (keep.length > 0)
  process.once('exit', () => {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch {}
    if (ours() !== true) return;
    for (const [name, data] of keep) {
      const file = path.join(dir, KEY + name);
      const temporary = file + '.' + process.pid;
      try {
        fs.writeFileSync(temporary, data(), { flag: 'wx', mode: 0o600 });
        fs.renameSync(temporary, file);
      } catch {
        try {
          fs.rmSync(temporary, { force: true });
        } catch {}
      }
    }
    // The first run of another program (a new version): what the earlier ones kept goes.
    if (!sourceKept)
      try {
        for (const name of fs.readdirSync(dir))
          if (/^[0-9][\\w.+-]*-[0-9a-f]{16}\\.(js|[a-z-]+\\.v8|v8)(\\.[0-9]+)?$/.test(name) && !name.startsWith(KEY + '.'))
            fs.rmSync(path.join(dir, name), { force: true });
      } catch {}
  });
script.runInThisContext().call(module.exports, module.exports, require, module, __filename, __dirname);
${licences.trimEnd().replace(/^/gm, '// ').replace(/ +$/gm, '')}
/* xen-gentoo program */
/*
${compressed}*/
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
