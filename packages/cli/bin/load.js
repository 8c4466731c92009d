// Loads the CommonJS bundle through vm.Script with a V8 code cache kept beside it, and registers
// it as the module oclif will require for its explicit command target, so oclif and the commands
// share one copy. Falls back to a plain require when the cache cannot be used.
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';
import './os-fallbacks.cjs';

const file = new URL('../dist/bundle/commands.cjs', import.meta.url).pathname;
const cacheFile = `${file}.cache`;

// The bundle's on-demand imports come through here (see importOnDemand in @xen-gentoo/core).
globalThis.__xenGentooImport = (specifier) => import(specifier);

export function load() {
  const require = createRequire(file);
  let source;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return require(file);
  }
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    cachedData,
  });
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  script.runInThisContext()(mod.exports, require, mod, file, dirname(file));
  mod.loaded = true;
  Module._cache[file] = mod;
  if (cachedData === undefined || script.cachedDataRejected) {
    try {
      writeFileSync(cacheFile, script.createCachedData());
    } catch {
      // A read-only install runs without the cache.
    }
  }
  return mod.exports;
}
