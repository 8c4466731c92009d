/** Small busybox roots for commands run inside a target, and a clean-up that never reaches the host. */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');

/** Debian's static busybox from the integration set-up, or undefined when it is not there. */
export function busybox(): string | undefined {
  const cached = join(REPO, '.cache/boot/root/bin/busybox');
  if (existsSync(cached)) return cached;
  try {
    const out = execFileSync('bash', [join(REPO, 'tests/integration/setup/boot.sh'), '--print'], {
      encoding: 'utf8',
    });
    return existsSync(cached) ? cached : out.match(/^XG_BUSYBOX=(.*)$/m)?.[1];
  } catch {
    return undefined;
  }
}

/** Put busybox into `root` as /bin/busybox with the given applets, and the usual mount points. */
export function installBusybox(root: string, bb: string, applets: string[]): void {
  for (const d of ['bin', 'proc', 'sys', 'dev', 'run', 'etc', 'var/tmp'])
    mkdirSync(join(root, d), { recursive: true });
  copyFileSync(bb, join(root, 'bin/busybox'));
  for (const applet of applets)
    if (!existsSync(join(root, 'bin', applet))) symlinkSync('busybox', join(root, 'bin', applet));
}

/** Mount points at or under `dir`, as /proc/self/mountinfo shows them (or another process's). */
export function mountsUnder(dir: string, mountinfo = '/proc/self/mountinfo'): string[] {
  return readFileSync(mountinfo, 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)));
}

/** Processes whose root directory is `root` (commands running chrooted in it). */
export function processesIn(root: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/root`) === root) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/**
 * Remove a test root safely, even after a failed test: kill what runs in it, unmount everything
 * under it (deepest first, lazily if busy), then delete without crossing into another filesystem.
 */
export function removeRoot(root: string): void {
  for (const pid of processesIn(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (let i = 0; i < 5; i++) {
    const left = mountsUnder(root).sort((a, b) => b.split('/').length - a.split('/').length);
    if (left.length === 0) break;
    for (const at of left) {
      try {
        execFileSync('umount', ['-l', at], { stdio: 'ignore' });
      } catch {
        // already gone with its parent
      }
    }
  }
  if (mountsUnder(root).length > 0) throw new Error(`${root} still has mounts: not removed`);
  execFileSync('rm', ['-rf', '--one-file-system', root]);
}

/** Wait until `check` is true (polling), or throw after `ms`. */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
