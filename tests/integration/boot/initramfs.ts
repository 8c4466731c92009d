import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BootParts } from './parts.js';

/** The line the test initramfs prints once dom0 reaches userspace. */
export const MARKER = 'XG-DOM0-USERSPACE';

/** The files whose bytes the test initramfs prints (hex) before the marker, one XG-FILE line each. */
export const DOM0_FILES = [
  '/proc/xen/capabilities',
  '/sys/hypervisor/type',
  '/proc/version',
  '/proc/cmdline',
];

/** The files printed into a serial log by the test initramfs (a missing file is left out). */
export function dom0Files(log: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const m of log.matchAll(/^XG-FILE (\S+) (present|missing) ?([0-9a-f]*)\r?$/gm)) {
    if (m[2] === 'present') files[m[1] ?? ''] = Buffer.from(m[3] ?? '', 'hex').toString('latin1');
  }
  return files;
}

interface CpioEntry {
  name: string;
  mode: number;
  data?: Buffer;
  target?: string;
  /** Device number of a character or block special file. */
  rdev?: [major: number, minor: number];
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** A "newc" cpio archive (what the kernel unpacks as initramfs). */
export function cpioNewc(entries: CpioEntry[]): Buffer {
  const chunks: Buffer[] = [];
  let ino = 1;
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  const push = (e: CpioEntry): void => {
    const body = e.target !== undefined ? Buffer.from(e.target) : (e.data ?? Buffer.alloc(0));
    const name = Buffer.from(`${e.name}\0`);
    const header =
      '070701' +
      [ino++, e.mode, 0, 0, 1, 0, body.length, 0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, name.length, 0]
        .map(hex)
        .join('');
    const head = Buffer.concat([Buffer.from(header), name]);
    chunks.push(head, Buffer.alloc(pad4(head.length)), body, Buffer.alloc(pad4(body.length)));
  };
  for (const e of entries) push(e);
  push({ name: 'TRAILER!!!', mode: 0 });
  return Buffer.concat(chunks);
}

/**
 * A tiny dom0 initramfs: busybox, Xen's xenfs and privcmd modules, and an /init that mounts
 * proc, sys, devtmpfs and xenfs, prints the marker with /sys/hypervisor/type and
 * /proc/xen/capabilities (and the kernel command line), then powers off.
 */
export function buildInitramfs(parts: BootParts): Buffer {
  const mod = (rel: string): Buffer => readFileSync(join(parts.modules, 'kernel', rel));
  const init = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox insmod /lib/xen-privcmd.ko
/bin/busybox insmod /lib/xenfs.ko
/bin/busybox mount -t xenfs xenfs /proc/xen
type=$(/bin/busybox cat /sys/hypervisor/type 2>/dev/null)
caps=$(/bin/busybox cat /proc/xen/capabilities 2>/dev/null)
for f in ${DOM0_FILES.join(' ')}; do
  if [ -r $f ]; then echo "XG-FILE $f present $(/bin/busybox od -An -v -tx1 $f | /bin/busybox tr -d ' \\n')"; else echo "XG-FILE $f missing"; fi
done
echo "${MARKER} hypervisor=\${type:-none} caps=\${caps:-none} cmdline=[$(/bin/busybox cat /proc/cmdline)]"
/bin/busybox sleep 1
/bin/busybox poweroff -f
`;
  const dir = (name: string): CpioEntry => ({ name, mode: 0o040755 });
  return gzipSync(
    cpioNewc([
      dir('bin'),
      dir('dev'),
      dir('lib'),
      dir('proc'),
      dir('sys'),
      { name: 'bin/busybox', mode: 0o100755, data: readFileSync(parts.busybox) },
      { name: 'bin/sh', mode: 0o120777, target: 'busybox' },
      { name: 'init', mode: 0o100755, data: Buffer.from(init) },
      { name: 'lib/xen-privcmd.ko', mode: 0o100644, data: mod('drivers/xen/xen-privcmd.ko') },
      { name: 'lib/xenfs.ko', mode: 0o100644, data: mod('drivers/xen/xenfs/xenfs.ko') },
      // devtmpfs is mounted over /dev, but the kernel needs /dev/console before /init runs
      { name: 'dev/console', mode: 0o020600, rdev: [5, 1] },
    ]),
  );
}
