// The release file as Gentoo installs it, for the benchmarks: built by scripts/release.mjs and
// unpacked into `dir`, where no node_modules is in reach, with its code cache in `dir`/cache
// (written by the caller's warm-up run, as a user's first run does).
import { execFileSync } from 'node:child_process';
import { basename, join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');

/** Build and unpack the release into `dir`: the single file to run, and its XDG_CACHE_HOME. */
export function unpackRelease(dir) {
  const tarball = execFileSync(process.execPath, [join(repo, 'scripts/release.mjs'), dir], {
    encoding: 'utf8',
  }).trim();
  execFileSync('tar', ['-xzf', tarball, '-C', dir]);
  return { file: join(dir, basename(tarball, '.tar.gz'), 'xen-gentoo.cjs'), cache: join(dir, 'cache') };
}
