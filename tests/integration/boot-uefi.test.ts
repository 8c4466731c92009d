import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { StepPlan } from '@xen-gentoo/core';
import { efibootmgrCreateArgv, readXenEfiSection } from '@xen-gentoo/bootloader';
import { describe, expect, it } from 'vitest';
import { buildInitramfs } from './boot/initramfs.js';
import { customEntryIso } from './boot/iso.js';
import { bootParts, REPO, type BootParts } from './boot/parts.js';
import { bootXenDom0 } from './boot/qemu.js';
import { bootAnswers, bootTarget, planBootStep, plannedFile } from './boot/target.js';

/**
 * UEFI boots under OVMF (Debian's `ovmf`, firmware only, `-bios`), software emulation: GRUB 2's
 * x86_64-efi platform from a hybrid rescue image, and Xen's own EFI loader from a FAT image as
 * the removable-media path EFI/BOOT/BOOTX64.EFI. Each boots Debian's Xen 4.17 and Linux 6.1
 * with what the tool writes, until dom0's userspace prints its marker.
 */

const ESP_FSTAB = 'UUID=1A2B-3C4D\t/boot/efi\tvfat\tumask=0077\t0 2\n';

/** bootTarget with the real dom0 kernel and test initramfs in /boot instead of placeholders. */
function realBootTarget(parts: BootParts, initramfs: Buffer): string {
  const root = bootTarget('current-amd64', parts, true);
  const kv = parts.kernelVersion;
  copyFileSync(parts.vmlinuz, join(root, `boot/vmlinuz-${kv}-xen0`));
  writeFileSync(join(root, `boot/initramfs-${kv}-xen0.img`), initramfs);
  return root;
}

/** What the apply engine does with a plan's changes on a mounted root (cp runs inside it). */
function applyInRoot(root: string, plan: StepPlan): void {
  if (plan.status !== 'pending') throw new Error(`expected pending, got ${plan.status}: ${plan.reason}`);
  for (const c of plan.changes) {
    if (c.kind === 'directory') mkdirSync(join(root, c.path), { recursive: true });
    else if (c.kind === 'file') {
      mkdirSync(dirname(join(root, c.path)), { recursive: true });
      writeFileSync(join(root, c.path), c.after);
    } else if (c.kind === 'command' && c.argv[0] === 'cp' && c.argv[1] === '--') {
      copyFileSync(join(root, c.argv[2] ?? ''), join(root, c.argv[3] ?? ''));
    } else if (c.kind !== 'manual') throw new Error(`unexpected change ${JSON.stringify(c)}`);
  }
}

/** A FAT image (mkfs.vfat, then mtools) holding `files` at their paths. */
function fatImage(path: string, files: Record<string, string>): string {
  execFileSync('mkfs.vfat', ['-F', '32', '-n', 'ESP', '-C', path, String(64 * 1024)], { stdio: 'ignore' });
  const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
  const dirs = new Set<string>();
  for (const p of Object.keys(files)) {
    const parts = p.split('/').slice(0, -1);
    parts.forEach((_, i) => dirs.add(parts.slice(0, i + 1).join('/')));
  }
  for (const d of [...dirs].sort()) execFileSync('mmd', ['-i', path, `::/${d}`], { env });
  for (const [p, from] of Object.entries(files))
    execFileSync('mcopy', ['-i', path, from, `::/${p}`], { env });
  return path;
}

/** What `xen-gentoo boot render xen-efi` prints (the built CLI) for the test's dom0. */
function renderXenEfi(kv: string, espDevice: string): string {
  return execFileSync(
    process.execPath,
    [
      join(REPO, 'packages/cli/bin/run.js'),
      'boot',
      'render',
      'xen-efi',
      '--kernel',
      kv,
      '--root-device',
      'PARTUUID=8a1c2e3f-03',
      '--initrd',
      `/boot/initramfs-${kv}-xen0.img`,
      '--serial',
      '--esp-device',
      espDevice,
    ],
    { encoding: 'utf8' },
  );
}

/** The argv bash reads from a command line. */
function shellWords(command: string): string[] {
  return execFileSync('bash', ['-c', `set -- ${command}; printf '%s\\0' "$@"`], { encoding: 'utf8' })
    .split('\0')
    .slice(0, -1);
}

/** The long options efibootmgr --help documents, with whether each takes a value. */
function efibootmgrOptions(): Map<string, boolean> {
  const r = spawnSync('efibootmgr', ['--help'], { encoding: 'utf8' });
  const help = `${r.stdout}${r.stderr}`;
  const options = new Map<string, boolean>();
  for (const line of help.split('\n')) {
    // "	-d | --disk disk       (defaults to /dev/sda) containing loader"
    const m = /^\s*-\S \| ((?:--[\w-]+(?: \| )?)+)(?: (\S+))?(?:\s{2,}|\t|$)/.exec(line);
    if (!m?.[1]) continue;
    for (const name of m[1].split(' | ')) options.set(name.trim(), m[2] !== undefined);
  }
  return options;
}

describe('UEFI boots under OVMF (QEMU, software emulation)', () => {
  it('GRUB 2 for x86_64-efi (hybrid rescue image) boots Xen and dom0 from the entry boot-grub writes on a root marked [boot] firmware = uefi', async () => {
    const parts = bootParts();
    const work = mkdtempSync(join(tmpdir(), 'xg-ovmf-grub-'));
    const root = bootTarget('current-amd64', parts, true);
    const answers = bootAnswers({ firmware: 'uefi', grub2_mode: 'custom-entry', serial: 'yes' });
    const plan = await planBootStep(root, 'boot-grub', answers);
    expect(plan.reason).toMatch(
      /UEFI host \(\[boot\] firmware = uefi\).*GRUB's EFI image \(grub-install --target=x86_64-efi --efi-directory=\/boot\/efi\) reads \/boot\/grub\/grub\.cfg and starts Xen with multiboot2/,
    );
    const custom = plannedFile(plan, '/etc/grub.d/40_custom');
    expect(custom).toContain(
      `\tmultiboot2 /boot/xen.gz dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot\n`,
    );

    // what grub-mkconfig copies into grub.cfg, and the grub.cfg the image boots
    expect(existsSync('/usr/lib/grub/x86_64-efi/multiboot2.mod')).toBe(true);
    const iso = customEntryIso(work, parts, custom);
    // the image carries GRUB's EFI loader for the firmware (El Torito EFI)
    const listing = execFileSync('xorriso', ['-indev', iso, '-report_el_torito', 'plain'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(listing).toMatch(/UEFI/);

    const r = await bootXenDom0('OVMF + GRUB 2 (x86_64-efi)', work, ['-bios', parts.ovmf, '-cdrom', iso]);
    // Xen was handed over by GRUB on EFI: multiboot2 with the firmware's memory map
    expect(r.log).toMatch(/\(XEN\) Bootloader: GRUB 2/);
    expect(r.log).toMatch(/\(XEN\) EFI RAM map/);
    expect(r.log).toContain(
      '(XEN) Command line: dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot',
    );
    expect(r.marker).toMatch(
      /hypervisor=xen caps=control_d cmdline=\[root=PARTUUID=8a1c2e3f-03 console=hvc0\]/,
    );
  });

  it("xen.efi as EFI/BOOT/BOOTX64.EFI on a FAT image with the xen.cfg, kernel and initramfs boot-xen-efi put on the ESP reaches dom0's userspace", async () => {
    const parts = bootParts();
    const kv = parts.kernelVersion;
    const work = mkdtempSync(join(tmpdir(), 'xg-ovmf-xenefi-'));
    const root = realBootTarget(parts, buildInitramfs(parts));
    // a current host with its ESP at /boot/efi (mounted: it holds GRUB already) and Xen built with
    // USE=uefi: Debian's real xen.efi where app-emulation/xen installs it
    appendFileSync(join(root, 'etc/fstab'), ESP_FSTAB);
    mkdirSync(join(root, 'boot/efi/EFI/gentoo'), { recursive: true });
    writeFileSync(join(root, 'boot/efi/EFI/gentoo/grubx64.efi'), 'grub');
    mkdirSync(join(root, 'usr/lib64/efi'), { recursive: true });
    copyFileSync(parts.xenEfi, join(root, 'usr/lib64/efi/xen-4.17.efi'));
    symlinkSync('xen-4.17.efi', join(root, 'usr/lib64/efi/xen.efi'));

    const answers = bootAnswers({ loader: 'xen-efi', serial: 'yes', esp_device: '/dev/sda1' });
    const plan = await planBootStep(root, 'boot-xen-efi', answers);
    expect(plan.status, plan.reason).toBe('pending');
    applyInRoot(root, plan);
    const again = await planBootStep(root, 'boot-xen-efi', answers);
    expect(again.status, again.reason).toBe('done');

    const espDir = join(root, 'boot/efi/EFI/xen');
    expect(readdirSync(espDir).sort()).toEqual(
      ['xen.cfg', 'xen.efi', `initramfs-${kv}-xen0.img`, `vmlinuz-${kv}-xen0`].sort(),
    );
    const xenCfg = readFileSync(join(espDir, 'xen.cfg'), 'utf8');
    const section = readXenEfiSection(xenCfg);
    expect(section).toEqual({
      section: 'xen',
      options: 'dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot',
      kernel: `vmlinuz-${kv}-xen0 root=PARTUUID=8a1c2e3f-03 console=hvc0`,
      ramdisk: `initramfs-${kv}-xen0.img`,
    });
    // `boot render xen-efi` (the built CLI) prints the same section for the same answers
    const rendered = renderXenEfi(kv, '/dev/sda1');
    expect({ ...readXenEfiSection(rendered), section: 'xen' }).toEqual(section);

    // the removable-media path: xen.efi reads the .cfg of its own base name beside it
    const img = fatImage(join(work, 'esp.img'), {
      'EFI/BOOT/BOOTX64.EFI': join(espDir, 'xen.efi'),
      'EFI/BOOT/BOOTX64.cfg': join(espDir, 'xen.cfg'),
      [`EFI/BOOT/vmlinuz-${kv}-xen0`]: join(espDir, `vmlinuz-${kv}-xen0`),
      [`EFI/BOOT/initramfs-${kv}-xen0.img`]: join(espDir, `initramfs-${kv}-xen0.img`),
    });
    const r = await bootXenDom0('OVMF + xen.efi (EFI/BOOT/BOOTX64.EFI)', work, [
      '-bios',
      parts.ovmf,
      '-drive',
      `file=${img},format=raw,if=ide`,
    ]);
    expect(r.log).toMatch(/\(XEN\) Bootloader: EFI/);
    expect(r.log).toContain(
      '(XEN) Command line: dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot',
    );
    expect(r.marker).toMatch(
      /hypervisor=xen caps=control_d cmdline=\[.*root=PARTUUID=8a1c2e3f-03 console=hvc0\]/,
    );
  });
});

describe('efibootmgr (cannot run against real firmware here: its argv is checked against its documented options)', () => {
  it("the command boot-xen-efi asks for (and boot render xen-efi prints) parses as efibootmgr's --help documents, creates one entry and touches no other", async () => {
    const options = efibootmgrOptions();
    // the parser reads the documented table, not nothing
    expect(options.get('--create')).toBe(false);
    expect(options.get('--bootorder')).toBe(true);

    const parts = bootParts();
    const root = bootTarget('current-amd64', parts, true);
    appendFileSync(join(root, 'etc/fstab'), ESP_FSTAB);
    mkdirSync(join(root, 'boot/efi/EFI/gentoo'), { recursive: true });
    writeFileSync(join(root, 'boot/efi/EFI/gentoo/grubx64.efi'), 'grub');
    mkdirSync(join(root, 'usr/lib64/efi'), { recursive: true });
    writeFileSync(join(root, 'usr/lib64/efi/xen.efi'), 'MZ');
    const plan = await planBootStep(
      root,
      'boot-xen-efi',
      bootAnswers({ loader: 'xen-efi', esp_device: '/dev/nvme0n1p1' }),
    );
    const manual = plan.status === 'pending' ? plan.changes.find((c) => c.kind === 'manual') : undefined;
    const command = /add the firmware boot entry: (.*)$/.exec(
      manual?.kind === 'manual' ? manual.text : '',
    )?.[1];
    expect(command, plan.reason).toBeDefined();
    // the shell's reading of the command the user is given is the argv the step plans on the machine
    const argv = shellWords(command ?? '');
    const title = `Xen 4.17 / Linux ${parts.kernelVersion}`;
    expect(argv).toEqual(efibootmgrCreateArgv({ disk: '/dev/nvme0n1', part: 1, label: title }));
    // and `boot render xen-efi` prints the same command, with its own title
    const renderedLine = /^# then: (efibootmgr .*)$/m.exec(
      renderXenEfi(parts.kernelVersion, '/dev/nvme0n1p1'),
    );
    expect(shellWords(renderedLine?.[1] ?? '')).toEqual(
      efibootmgrCreateArgv({ disk: '/dev/nvme0n1', part: 1, label: `Xen / Linux ${parts.kernelVersion}` }),
    );

    // every option is documented, each value-taking one has its value, and nothing else is there
    const args = argv.slice(1);
    for (let i = 0; i < args.length; i++) {
      const opt = args[i] ?? '';
      expect(options.has(opt), `${opt} in efibootmgr --help`).toBe(true);
      if (options.get(opt)) {
        expect(args[i + 1], `${opt} takes a value`).toBeDefined();
        expect(args[i + 1]?.startsWith('-')).toBe(false);
        i++;
      }
    }
    expect(args.filter((a) => a.startsWith('--'))).toEqual([
      '--create',
      '--disk',
      '--part',
      '--loader',
      '--label',
    ]);
    // --create adds to BootOrder; nothing rewrites or deletes the others' entries or the order
    expect(args).not.toEqual(expect.arrayContaining(['--bootorder']));
    expect(
      args.some((a) =>
        /^(-[oOBbCD]|--(bootorder|delete-bootorder|delete-bootnum|bootnum|create-only|remove-dups))$/.test(a),
      ),
    ).toBe(false);
    expect(args[args.indexOf('--loader') + 1]).toBe('\\EFI\\xen\\xen.efi');
    expect(args[args.indexOf('--label') + 1]).toBe(title);

    // The real efibootmgr parses the argv and stops at the firmware (only where this machine has no
    // EFI variables: nothing can be written then).
    if (!existsSync('/sys/firmware/efi')) {
      const run = spawnSync('efibootmgr', args, { encoding: 'utf8' });
      expect(run.stderr + run.stdout).not.toMatch(/unrecognized|invalid option|usage:/);
      expect(run.stderr).toMatch(/EFI variables are not supported on this system/);
    }
  });
});
