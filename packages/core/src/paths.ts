import { posix } from 'node:path';

/** An empty, `.` or `..` component, or a final `/`: what normalising changes in an absolute path. */
const NOT_NORMAL = /\/\/|\/\.\.?(?:\/|$)|.\/$/;

/** Normalise an absolute path inside the target ("/etc//portage/" → "/etc/portage"). */
export function normalizeTargetPath(path: string): string {
  if (!path.startsWith('/')) throw new Error(`target path must be absolute: ${path}`);
  // Most paths are normal already (planning resolves thousands): they are returned as they are.
  if (!NOT_NORMAL.test(path)) return path;
  const p = posix.normalize(path);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

export function parentOf(path: string): string {
  return posix.dirname(path);
}

/** Resolve a symlink target found at `linkPath` to an absolute path inside the target. */
export function resolveLinkTarget(linkPath: string, target: string): string {
  return normalizeTargetPath(target.startsWith('/') ? target : posix.join(posix.dirname(linkPath), target));
}
