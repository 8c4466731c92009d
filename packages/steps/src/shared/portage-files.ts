import { InputError, resolveLinkTarget, type FileInfo, type TargetReader } from '@xen-gentoo/core';

/** Directories Portage never descends into (portage.const.VCS_DIRS). */
const VCS_DIRS = new Set(['CVS', 'RCS', 'SCCS', '.bzr', '.git', '.hg', '.svn']);

/**
 * Where `path` leads after its symlinks (relative ones from their directory, inside the target),
 * and what is there (no kind: nothing). `loop` when 40 links did not end.
 */
export async function walkLinks(
  view: TargetReader,
  path: string,
): Promise<{ path: string; kind?: FileInfo['kind']; loop: boolean }> {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    const info = await view.stat(current);
    if (info?.kind !== 'symlink') return { path: current, kind: info?.kind, loop: false };
    const target = await view.readlink(current);
    if (target === undefined) return { path: current, loop: false };
    current = resolveLinkTarget(current, target);
  }
  return { path: current, kind: 'symlink', loop: true };
}

/** walkLinks for a path that must resolve: a symlink loop is bad input naming it. */
export async function follow(
  view: TargetReader,
  path: string,
): Promise<{ path: string; kind?: FileInfo['kind'] }> {
  const { loop, ...end } = await walkLinks(view, path);
  if (loop)
    throw new InputError(path, undefined, 'too many levels of symbolic links', 'a file or a directory');
  return end;
}

/**
 * The files under a configuration directory in the order Portage reads them
 * (`_recursive_file_list`): depth first, each directory's entries sorted, skipping names that start
 * with "." or end with "~" and version-control directories, following symlinks. Anything that is
 * neither a file nor a directory (a dangling link, a socket) is skipped, as Portage skips it.
 * Paths are given under `dir` as named, not where their links lead.
 */
export async function portageFileList(view: TargetReader, dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const name of (await view.list(at)) ?? []) {
      if (name.startsWith('.') || name.endsWith('~')) continue;
      const path = `${at}/${name}`;
      const { kind } = await follow(view, path);
      if (kind === 'file') files.push(path);
      else if (kind === 'directory' && !VCS_DIRS.has(name)) await walk(path);
    }
  };
  await walk(dir);
  return files;
}
