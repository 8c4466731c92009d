// Loads the CommonJS bundle through vm.Script with a V8 code cache kept beside it, and registers
// it as the module oclif will require for its explicit command target, so oclif and the commands
// share one copy. Falls back to a plain require when the cache cannot be used.
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import { dirname } from 'node:path';
import vm from 'node:vm';

const file = new URL('../dist/bundle/commands.cjs', import.meta.url).pathname;
const cacheFile = `${file}.cache`;

// A user with no passwd entry (a container run with an arbitrary --user): os.homedir() without
// HOME, and os.userInfo(), throw, and libraries call them (oclif for the shell's name when SHELL
// is not set): they answer with what is known instead. (The release file does the same.)
const { homedir, userInfo } = os;
os.homedir = () => {
  try {
    return homedir();
  } catch {
    return '';
  }
};
os.userInfo = (options) => {
  try {
    return userInfo(options);
  } catch {
    const uid = process.getuid?.() ?? -1;
    return {
      uid,
      gid: process.getgid?.() ?? -1,
      username: process.env.USER || String(uid),
      homedir: os.homedir(),
      shell: process.env.SHELL || null,
    };
  }
};

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
