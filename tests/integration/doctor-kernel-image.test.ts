import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../e2e/helpers.js';
import { doctor } from '@xen-gentoo/steps';
import { haveTool, REPO } from './boot/parts.js';

/**
 * The ELF-note check on the real Debian kernel the boot tests start under Xen (an xz bzImage with
 * Xen's PV and PVH notes), read through `doctor --root` as on a mounted system. The kernel comes
 * from the integration set-up's cache (tests/integration/setup/boot.sh).
 */
const BOOT = join(REPO, '.cache/boot/root/boot');
const kernel = existsSync(BOOT) ? readdirSync(BOOT).find((n) => n.startsWith('vmlinuz-')) : undefined;
if (kernel === undefined)
  console.warn(
    `doctor kernel-image test skipped: no Debian kernel in ${BOOT} (run \`pnpm setup:integration\` to fetch it)`,
  );

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function rootWithKernel(name: string): string {
  const root = mkdtempSync(join(tmpdir(), 'xg-doctor-kernel-'));
  roots.push(root);
  mkdirSync(join(root, 'boot/grub'), { recursive: true });
  mkdirSync(join(root, 'etc/portage'), { recursive: true });
  writeFileSync(join(root, 'etc/portage/make.conf'), 'CFLAGS="-O2 -pipe"\n');
  copyFileSync(join(BOOT, kernel!), join(root, 'boot', name));
  writeFileSync(
    join(root, 'boot/grub/grub.cfg'),
    [
      "menuentry 'Gentoo GNU/Linux, with Xen hypervisor' {",
      '\tmultiboot2\t/boot/xen.gz dom0_mem=1024M,max:1024M',
      `\tmodule2\t/boot/${name} root=/dev/sda3 ro console=hvc0`,
      '}',
      '',
    ].join('\n'),
  );
  return root;
}

describe.skipIf(kernel === undefined)("doctor's ELF-note check on Debian's Xen-capable kernel", () => {
  it('finds the Xen PV and PVH notes inside the xz payload of the bzImage', async () => {
    const root = rootWithKernel(kernel!);
    const r = await cli(['doctor', '--root', root, '--only', 'kernel-elf-notes', '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const check = (JSON.parse(String(r.stdout)) as { checks: { status: string; details: string[] }[] })
      .checks[0]!;
    expect(check.status).toBe('ok');
    expect(check.details[0]).toMatch(
      /bzImage \(boot protocol 2\.\d+, xz payload\); Xen ELF notes for PV and PVH \(GUEST_OS=linux/,
    );
  });

  it.skipIf(!haveTool('readelf'))("agrees with binutils' readelf -n on the vmlinux it extracts", () => {
    const extracted = doctor.extractKernelElf(readFileSync(join(BOOT, kernel!)));
    expect(extracted).toMatchObject({ shape: 'bzimage', compression: 'xz' });
    const dir = mkdtempSync(join(tmpdir(), 'xg-vmlinux-'));
    roots.push(dir);
    writeFileSync(join(dir, 'vmlinux'), extracted.elf!);
    const notes = execFileSync('readelf', ['-n', join(dir, 'vmlinux')], { encoding: 'utf8' });
    // readelf names Xen's note types (NT_XEN_…) or prints their numbers; count the Xen notes either way.
    const readelfXen = notes.split('\n').filter((l) => /^\s+Xen\s+0x[0-9a-f]+\s/.test(l)).length;
    const ours = doctor.inspectKernelBytes(extracted.elf!, 'vmlinux').info!;
    expect(readelfXen).toBeGreaterThan(0);
    expect(Object.keys(ours.notes)).toHaveLength(readelfXen);
    // GUEST_OS (type 6) as readelf dumps it: "linux\0".
    expect(ours.notes.GUEST_OS).toBe('linux');
    expect(notes).toMatch(/Xen\s+0x00000006\s[^\n]*\n\s+description data: 6c 69 6e 75 78 00/);
  });
});
