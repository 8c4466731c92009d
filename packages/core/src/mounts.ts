// What a program run inside a target root needs mounted, where exactly (resolved inside the root),
// and what of this machine is mounted under a root now. Synchronous on purpose: these are a few
// small reads of /proc and the root's top directories.
import { execFile } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { XenGentooError } from './errors.js';

const MAX_LINKS = 40;

/** One filesystem mounted into the target for a command, as the Gentoo handbook does. */
export interface MountSpec {
  /** Path inside the target as named ("/proc", "/etc/resolv.conf"). */
  target: string;
  /** Where on this machine it is mounted: inside the root, every symlink resolved inside it. */
  at: string;
  /** The `mount` arguments before the mount point. */
  how: string[];
}

const WANTED: { target: string; kind: 'directory' | 'file'; how: string[] }[] = [
  { target: '/proc', kind: 'directory', how: ['-t', 'proc', 'proc'] },
  { target: '/sys', kind: 'directory', how: ['--rbind', '/sys'] },
  { target: '/dev', kind: 'directory', how: ['--rbind', '/dev'] },
  { target: '/run', kind: 'directory', how: ['--bind', '/run'] },
  { target: '/etc/resolv.conf', kind: 'file', how: ['--bind', '/etc/resolv.conf'] },
];

export type Resolved = { at: string } | { escapes: string };

/**
 * Resolve a target path inside `root` component by component, as the chrooted program will see
 * it: an absolute link points into the root. A relative link that climbs above the root (where
 * chroot stops it at "/") is reported rather than followed: a mount must never land outside.
 * The last component is not followed (the caller checks what it is).
 */
export function resolveInRoot(root: string, path: string): Resolved {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let resolved: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (part === '..') {
      if (resolved.length === 0) return { escapes: path };
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, part];
    if (parts.length > 0) {
      const onDisk = posix.join(root, ...candidate);
      const stats = lstatSync(onDisk, { throwIfNoEntry: false });
      if (stats?.isSymbolicLink()) {
        if (++hops > MAX_LINKS) return { escapes: path };
        const link = readlinkSync(onDisk);
        if (link.startsWith('/')) resolved = [];
        parts.unshift(...link.split('/').filter((p) => p !== '' && p !== '.'));
        continue;
      }
    }
    resolved = candidate;
  }
  return { at: posix.join(root, ...resolved) };
}

/**
 * The mounts a command inside `root` gets: /proc, and /sys, /dev and /run bound from this machine,
 * and this machine's /etc/resolv.conf over the target's. Each only where the target has a
 * directory (a regular file for resolv.conf, and only when this machine has one) at the resolved
 * place; a path whose symlinks lead out of the root is skipped with a warning.
 */
export function chrootMounts(root: string, warn: (message: string) => void = () => undefined): MountSpec[] {
  const out: MountSpec[] = [];
  for (const { target, kind, how } of WANTED) {
    const r = resolveInRoot(root, target);
    if ('escapes' in r) {
      warn(`${target} is not mounted for the command: a symlink on the way leads out of the target root`);
      continue;
    }
    const stats = lstatSync(r.at, { throwIfNoEntry: false });
    if (!stats || (kind === 'directory' ? !stats.isDirectory() : !stats.isFile())) continue;
    if (kind === 'file') {
      const source = how.at(-1)!;
      try {
        if (!statSync(source).isFile()) continue;
      } catch {
        continue;
      }
    }
    out.push({ target, at: r.at, how });
  }
  return out;
}

/** One line of /proc/self/mountinfo. */
export interface MountInfo {
  id: number;
  parent: number;
  dev: string;
  /** Path inside its filesystem of what is mounted. */
  fsRoot: string;
  point: string;
  fstype: string;
  source: string;
}

/** Mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function readMountInfo(text = readFileSync('/proc/self/mountinfo', 'utf8')): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0 || fields.length < dash + 3) continue;
    out.push({
      id: Number(fields[0]),
      parent: Number(fields[1]),
      dev: fields[2]!,
      fsRoot: unescape(fields[3]!),
      point: unescape(fields[4]!),
      fstype: fields[dash + 1]!,
      source: unescape(fields[dash + 2]!),
    });
  }
  return out;
}

/** Kernel filesystems: mounted under a root, they are always this machine's. */
const KERNEL_FS = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'cgroup',
  'cgroup2',
  'securityfs',
  'debugfs',
  'tracefs',
  'bpf',
  'pstore',
  'mqueue',
  'hugetlbfs',
  'configfs',
  'fusectl',
  'efivarfs',
  'binfmt_misc',
  'autofs',
  'rpc_pipefs',
  'nsfs',
]);

function under(path: string, dir: string): boolean {
  return dir === '/' ? path.startsWith('/') : path === dir || path.startsWith(`${dir}/`);
}

/**
 * Mounts under `root` (not the root itself) that show this machine's files: a kernel filesystem
 * (/proc, /sys, /dev, …), or a bind of something mounted outside the root too (/run, a bound
 * resolv.conf). A filesystem mounted only inside the root (the target's own /boot partition, a
 * tmpfs of its own) or a bind within the root's own filesystem belongs to the target. Deepest
 * first, so they can be unmounted in that order.
 */
export function hostMountsUnder(root: string, mounts = readMountInfo()): MountInfo[] {
  if (root === '/') return [];
  const inside = mounts.filter((m) => m.point !== root && under(m.point, root));
  if (inside.length === 0) return [];
  // The mount holding the root itself, and the root's path inside that filesystem.
  const holder = mounts
    .filter((m) => under(root, m.point))
    .reduce<MountInfo | undefined>(
      (best, m) => (best && best.point.length >= m.point.length ? best : m),
      undefined,
    );
  const rootInFs = holder ? posix.join(holder.fsRoot, posix.relative(holder.point, root)) : undefined;
  const outsideDevs = new Set(mounts.filter((m) => !under(m.point, root)).map((m) => m.dev));
  const host = inside.filter((m) => {
    if (KERNEL_FS.has(m.fstype)) return true;
    if (holder && m.dev === holder.dev && rootInFs !== undefined && under(m.fsRoot, rootInFs)) return false;
    return outsideDevs.has(m.dev);
  });
  return host.sort((a, b) => b.point.split('/').length - a.point.split('/').length || b.id - a.id);
}

/** Something of this machine is mounted under the target root: no file is changed through it. */
export class HostMountError extends XenGentooError {
  readonly mounts: string[];
  constructor(root: string, mounts: string[]) {
    const top = mounts.filter((m) => !mounts.some((o) => o !== m && under(m, o)));
    super(
      'host-mounted',
      5,
      `${top.join(', ')} ${top.length === 1 ? 'is' : 'are'} mounted from this machine under the target root ${root}; ` +
        'no file is changed in the target while they are (a write could reach this machine through them). ' +
        `Unmount ${top.length === 1 ? 'it' : 'them'} (umount -R ${top.join(' ')}) and run again: ` +
        'xen-gentoo mounts what its commands need by itself, for each command only',
    );
    this.mounts = mounts;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), mounts: this.mounts };
  }
}

/** Throw HostMountError when a mount of this machine is live under `root`. */
export function assertNoHostMounts(root: string): void {
  const found = hostMountsUnder(root);
  if (found.length > 0)
    throw new HostMountError(
      root,
      found.map((m) => m.point),
    );
}

/** Start time of a process (clock ticks since boot), or undefined when there is no such process. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Field 22 of stat; fields[0] here is field 3.
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** Run a program quietly; its exit code (1 when it could not start). */
export function runQuiet(file: string, args: string[]): Promise<{ exitCode: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, (error, _stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ exitCode: code, stderr: String(stderr) });
    });
  });
}

/**
 * Unmount mount points (and what is mounted below them), deepest first; one that is busy is
 * detached lazily (the kernel finishes once it is no longer used), so none stays reachable.
 * Returns the mount points that could not be unmounted at all.
 */
export async function unmountAll(points: string[]): Promise<string[]> {
  const left: string[] = [];
  const ordered = [...points].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const at of ordered) {
    if ((await runQuiet('umount', ['-R', at])).exitCode === 0) continue;
    if ((await runQuiet('umount', ['-R', '-l', at])).exitCode !== 0) left.push(at);
  }
  return left;
}

/** Process group and root directory of a process, or undefined when it is gone. */
function processInfo(pid: number): { pgid: number; root: string | undefined } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let root: string | undefined;
    try {
      root = readlinkSync(`/proc/${pid}/root`);
    } catch {
      root = undefined;
    }
    return { pgid: Number(fields[2]), root };
  } catch {
    return undefined;
  }
}

/**
 * Stop what is left of a command a killed run started: the group's leader when it is still the
 * process the journal names (same start time), and any process of its group running inside
 * `root`. Waits (a few seconds at most) until they are gone. Returns how many were stopped.
 */
export async function stopLeftCommand(root: string, pid: number, start: number | undefined): Promise<number> {
  if (!Number.isSafeInteger(pid) || pid <= 1) return 0;
  const victims = new Set<number>();
  if (start !== undefined && processStartTime(pid) === start) victims.add(pid);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const other = Number(name);
    if (other === process.pid) continue;
    const info = processInfo(other);
    if (info?.pgid === pid && info.root === root) victims.add(other);
  }
  for (const victim of victims) {
    try {
      process.kill(victim, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  for (let i = 0; i < 100 && [...victims].some((v) => processInfo(v) !== undefined); i++)
    await new Promise((r) => setTimeout(r, 50));
  return victims.size;
}
