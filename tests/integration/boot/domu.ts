import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpioNewc } from './initramfs.js';
import { REPO, type BootParts } from './parts.js';
import { runQemu } from './qemu.js';

/** What dom0 prints once its toolstack runs, and what the domU's own init prints. */
export const DOM0_TOOLS_MARKER = 'XG-DOM0-TOOLSTACK';
export const DOM0_DONE_MARKER = 'XG-DOM0-XL-DONE';

const SETUP = join(REPO, 'tests', 'integration', 'setup', 'domu.sh');

/** Debian's Xen toolstack and the libraries it needs, extracted by tests/integration/setup/domu.sh. */
export function xenToolsRoot(): string {
  const args = process.env.XG_BOOT_NO_SETUP ? ['--print'] : [];
  const out = execFileSync(SETUP, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const root = /^XG_DOMU_ROOT=(.+)$/m.exec(out)?.[1];
  if (!root || !existsSync(join(root, 'usr/lib/xen-4.17/bin/xl')))
    throw new Error(`${SETUP} gave no toolstack`);
  return root;
}

type CpioEntry = Parameters<typeof cpioNewc>[0][number];

/** The files of a directory tree as cpio entries under `prefix` (directories, files, links). */
function treeEntries(dir: string, prefix: string, skip: (rel: string) => boolean): CpioEntry[] {
  const out: CpioEntry[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r) || name.startsWith('.done-')) continue;
      const path = join(dir, r);
      const st = lstatSync(path);
      const name2 = `${prefix}${r}`;
      if (st.isSymbolicLink()) out.push({ name: name2, mode: 0o120777, target: readlinkSync(path) });
      else if (st.isDirectory()) {
        out.push({ name: name2, mode: 0o040755 });
        walk(r);
      } else if (st.isFile())
        out.push({ name: name2, mode: 0o100000 | (st.mode & 0o7777), data: readFileSync(path) });
    }
  };
  walk('');
  return out;
}

/**
 * Kernel modules with everything they depend on (read from each module's .modinfo `depends=`),
 * dependencies first: Debian's kernel package ships no modules.dep.
 */
export function moduleClosure(modulesDir: string, names: string[]): { name: string; data: Buffer }[] {
  const byName = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ko')) byName.set(e.name.slice(0, -3).replaceAll('-', '_'), p);
    }
  };
  walk(join(modulesDir, 'kernel'));
  const order: { name: string; data: Buffer }[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const key = name.replaceAll('-', '_');
    if (seen.has(key)) return;
    seen.add(key);
    const path = byName.get(key);
    if (!path) throw new Error(`no module ${name} in ${modulesDir}`);
    const data = readFileSync(path);
    const deps = /depends=([^\0]*)\0/.exec(data.toString('latin1'))?.[1] ?? '';
    for (const dep of deps.split(',').filter(Boolean)) visit(dep);
    order.push({ name: `${key}.ko`, data });
  };
  for (const n of names) visit(n);
  return order;
}

const dir = (name: string): CpioEntry => ({ name, mode: 0o040755 });

/** An uncompressed cpio appended to another must start on a 4-byte boundary. */
function concatArchives(parts: Buffer[]): Buffer {
  const out: Buffer[] = [];
  let length = 0;
  for (const p of parts) {
    const pad = (4 - (length % 4)) % 4;
    if (pad) out.push(Buffer.alloc(pad));
    out.push(p);
    length += pad + p.length;
  }
  return Buffer.concat(out);
}

/**
 * The domU's initramfs: busybox, xen-blkfront and ext4 (with crc32c_generic: the default QEMU
 * CPU has no SSE4.2), and an /init that mounts /dev/xvda (the root= of the configuration the
 * tool wrote) and hands over to the image's own /sbin/init.
 */
export function buildDomuInitramfs(parts: BootParts): Buffer {
  const modules = moduleClosure(parts.modules, ['xen-blkfront', 'crc32c_generic', 'ext4']);
  const init = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
${modules.map((m) => `/bin/busybox insmod /lib/modules/${m.name}`).join('\n')}
root=$(/bin/busybox sed -n 's/.*root=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
i=0
while [ ! -b "$root" ] && [ $i -lt 60 ]; do /bin/busybox sleep 0.5; i=$((i+1)); done
/bin/busybox mount -o ro -t ext4 "$root" /newroot || { echo "XG-DOMU-INITRAMFS cannot mount $root"; /bin/busybox poweroff -f; }
/bin/busybox umount /proc /sys
/bin/busybox mount --move /dev /newroot/dev 2>/dev/null || /bin/busybox umount /dev
exec /bin/busybox switch_root /newroot /sbin/init
`;
  return gzipSync(
    cpioNewc([
      dir('bin'),
      dir('dev'),
      dir('lib'),
      dir('lib/modules'),
      dir('newroot'),
      dir('proc'),
      dir('sys'),
      { name: 'bin/busybox', mode: 0o100755, data: readFileSync(parts.busybox) },
      { name: 'init', mode: 0o100755, data: Buffer.from(init) },
      ...modules.map((m) => ({ name: `lib/modules/${m.name}`, mode: 0o100644, data: m.data })),
      { name: 'dev/console', mode: 0o020600, rdev: [5, 1] as [number, number] },
    ]),
    { level: 1 },
  );
}

/**
 * A dom0 initramfs that runs Xen's real toolstack: Debian's xen-utils and its libraries
 * (extracted), busybox for everything else, the backend modules; its /init starts xenstored,
 * xen-init-dom0 and xenconsoled, makes the bridge the configuration names, and runs
 * `xl create -c CONFIG` so the domU's console reaches dom0's, and the serial log. `files` are
 * placed at their dom0 paths (the configuration, the image, the domU kernel and initramfs).
 */
export function buildDom0Initramfs(
  parts: BootParts,
  toolsRoot: string,
  files: Record<string, Buffer | string>,
  config: string,
  bridge: string | undefined,
): Buffer {
  const modules = moduleClosure(parts.modules, [
    'xen-evtchn',
    'xen-gntdev',
    'xen-gntalloc',
    'xen-privcmd',
    'xenfs',
    'xen-blkback',
    'loop',
    ...(bridge ? ['bridge', 'xen-netback'] : []),
  ]);
  const xl = '/usr/lib/xen-4.17/bin';
  const init = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mkdir -p /xg/bin /dev/pts /dev/shm /run/xen /run/xenstored /var/lib/xen /var/log/xen/console /var/lock /tmp
/bin/busybox --install -s /xg/bin
export PATH=${xl}:/usr/sbin:/usr/bin:/sbin:/bin:/xg/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu
mount -t devpts devpts /dev/pts
# devtmpfs has no /dev/fd and /dev/std*: the hotplug scripts need them
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
${modules.map((m) => `insmod /lib/modules/xg/${m.name}`).join('\n')}
mount -t xenfs xenfs /proc/xen
${bridge ? `brctl addbr ${bridge} && ip link set ${bridge} up\n` : ''}xenstored --pid-file /run/xenstored.pid
i=0
while [ ! -S /run/xenstored/socket ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i+1)); done
xen-init-dom0
xenconsoled --pid-file=/run/xenconsoled.pid
echo "${DOM0_TOOLS_MARKER} $(xl info 2>/dev/null | grep -E '^(xen_version|total_memory)' | tr -s ' ' | tr '\\n' ' ')"
# Software emulation is slow the first time a program runs, and libxl gives a hotplug script
# 40 s: run what the block script runs once before, and try a second time when it timed out.
bash -c 'source /etc/xen/scripts/xen-hotplug-common.sh; true' >/dev/null 2>&1
xenstore-read domid >/dev/null 2>&1; flock -V >/dev/null 2>&1; losetup -a >/dev/null 2>&1
for attempt in 1 2; do
  xl create -c ${config} </dev/console >/dev/console 2>&1
  rc=$?
  [ $rc = 0 ] && break
  echo "XG-DOM0-XL-RETRY rc=$rc"
  xl destroy ${config.split('/').pop() ?? ''} >/dev/null 2>&1
done
echo "${DOM0_DONE_MARKER} rc=$rc"
tail -n 40 /var/log/xen/*.log 2>/dev/null
sleep 1
poweroff -f
`;
  // Only what the toolstack runs: no documentation, python (pygrub) or firmware.
  const toolsSkip = (rel: string): boolean =>
    /^usr\/share(\/|$)/.test(rel) ||
    /^lib\/systemd(\/|$)/.test(rel) ||
    /^usr\/lib\/python3(\/|$)/.test(rel) ||
    /^usr\/lib\/xen-4\.17\/(boot|lib\/python)(\/|$)/.test(rel);
  const extra: CpioEntry[] = [];
  const dirs = new Set<string>();
  for (const [path, content] of Object.entries(files)) {
    const rel = path.replace(/^\//, '');
    const segs = rel.split('/');
    for (let i = 1; i < segs.length; i++) {
      const d = segs.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        extra.push(dir(d));
      }
    }
    extra.push({
      name: rel,
      mode: 0o100644,
      data: typeof content === 'string' ? readFileSync(content) : content,
    });
  }
  const base = cpioNewc([
    ...treeEntries(toolsRoot, '', toolsSkip),
    dir('dev'),
    dir('proc'),
    dir('sys'),
    dir('run'),
    dir('var'),
    { name: 'var/run', mode: 0o120777, target: '../run' },
    dir('lib/modules'),
    dir('lib/modules/xg'),
    { name: 'bin/busybox', mode: 0o100755, data: readFileSync(parts.busybox) },
    { name: 'init', mode: 0o100755, data: Buffer.from(init) },
    ...modules.map((m) => ({ name: `lib/modules/xg/${m.name}`, mode: 0o100644, data: m.data })),
    { name: 'dev/console', mode: 0o020600, rdev: [5, 1] as [number, number] },
  ]);
  // The domU's files (its disk image included) in a second, compressed archive of their own.
  return concatArchives([gzipSync(base), gzipSync(cpioNewc(extra))]);
}

export interface DomuBootResult {
  log: string;
  outcome: 'done' | 'panic' | 'exited' | 'timeout';
  seconds: number;
}

/** Boot QEMU (software emulation, 3 GiB: dom0 has 1 GiB and the domU its own) until dom0's xl returns. */
export async function bootDomuQemu(
  args: string[],
  logFile: string,
  timeoutSeconds = 900,
): Promise<DomuBootResult> {
  const r = await runQemu(args, logFile, {
    memoryMiB: 3072,
    timeoutSeconds,
    finished: (log) => log.includes(DOM0_DONE_MARKER),
    settleMs: 2000,
  });
  return { ...r, outcome: r.outcome === 'finished' ? 'done' : r.outcome };
}
