import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalHost, View, type Change, type Host, type StepPlan } from '@xen-gentoo/core';
import { EFI_GLOBAL_GUID, readXenEfiSection } from '@xen-gentoo/bootloader';
import { afterAll, describe, expect, it } from 'vitest';
import { answersSchema, type Answers } from '../answers/index.js';
import {
  applyChanges,
  copySample,
  planOne,
  put,
  removeSampleCopies,
  type SampleContent as Content,
} from '../testing/samples.js';
import { bootGrubStep, bootXenEfiStep } from './index.js';
import { uefiCheck } from '../phase8-doctor/checks/uefi.js';

afterAll(removeSampleCopies);

const KV = '6.12.58-gentoo';

const FSTAB_ESP = 'UUID=1A2B-3C4D\t/boot/efi\tvfat\tumask=0077\t0 2\n';

/** A current host after emerge-xen (USE=uefi) and kernel-build, with its ESP mounted at /boot/efi. */
function uefiRoot(extra: Record<string, Content> = {}): string {
  const root = copySample('current-amd64', {
    '/boot/xen-4.19.2.gz': 'xen',
    '/boot/xen.gz': { link: 'xen-4.19.2.gz' },
    [`/boot/vmlinuz-${KV}-xen0`]: 'kernel image',
    [`/boot/initramfs-${KV}-xen0.img`]: 'initramfs',
    [`/boot/config-${KV}-xen0`]: 'CONFIG_XEN_DOM0=y\nCONFIG_HVC_XEN=y\n',
    '/usr/lib64/efi/xen-4.19.2.efi': 'MZ not really a PE',
    '/usr/lib64/efi/xen.efi': { link: 'xen-4.19.2.efi' },
    '/boot/efi/EFI/gentoo/grubx64.efi': 'grub',
    ...extra,
  });
  writeFileSync(join(root, 'etc/fstab'), readFileSync(join(root, 'etc/fstab'), 'utf8') + FSTAB_ESP);
  return root;
}

function answers(boot: Record<string, unknown> = {}): Answers {
  return answersSchema.parse({ boot });
}

const planOn = (host: Host, a: Answers, step = bootXenEfiStep): Promise<StepPlan> => planOne(host, step, a);

/** The changes applied on the copy: cp copies inside the root; efibootmgr goes to `efibootmgr`. */
const applyOn = (
  root: string,
  changes: Change[],
  efibootmgr?: (argv: string[]) => void,
): Promise<string[][]> =>
  applyChanges(root, changes, {
    cp: (argv) => put(root, argv[3] ?? '', readFileSync(join(root, argv[2] ?? ''))),
    ...(efibootmgr ? { efibootmgr } : {}),
  });

const u16 = (s: string): number[] => [...s].flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8]);

/** An efivarfs Boot#### file, as the firmware (or efibootmgr) leaves it. */
function bootVar(label: string, loader: string): Uint8Array {
  const path = [...u16(loader), 0, 0];
  const list = [0x04, 0x04, (path.length + 4) & 0xff, (path.length + 4) >> 8, ...path, 0x7f, 0xff, 4, 0];
  return Uint8Array.from([
    7,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    list.length & 0xff,
    list.length >> 8,
    ...u16(label),
    0,
    0,
    ...list,
  ]);
}

const efivar = (name: string): string => `/sys/firmware/efi/efivars/${name}-${EFI_GLOBAL_GUID}`;

/**
 * The copy seen as the running system (root "/"), as on the machine itself: its /sys and /proc
 * are the copy's. Commands go to `run`.
 */
function asLive(root: string, run: Host['run'] = () => Promise.reject(new Error('no commands'))): Host {
  const inner = new LocalHost(root);
  return {
    root: '/',
    readFile: (p) => inner.readFile(p),
    readBytes: (p, n) => inner.readBytes(p, n),
    stat: (p) => inner.stat(p),
    readlink: (p) => inner.readlink(p),
    list: (p) => inner.list(p),
    run,
  };
}

function liveRoot(secureBoot: 0 | 1, extra: Record<string, Content> = {}): string {
  return uefiRoot({
    '/proc/mounts': '/dev/nvme0n1p2 / ext4 rw 0 0\n/dev/nvme0n1p1 /boot/efi vfat rw,umask=0077 0 0\n',
    [efivar('SecureBoot')]: Uint8Array.from([6, 0, 0, 0, secureBoot]),
    [efivar('BootOrder')]: Uint8Array.from([7, 0, 0, 0, 1, 0]),
    [efivar('Boot0001')]: bootVar('gentoo', '\\EFI\\gentoo\\grubx64.efi'),
    ...extra,
  });
}

describe('boot-xen-efi: which hosts it is for', () => {
  it('a 2007 host: not applicable (no UEFI then)', async () => {
    const plan = await planOn(new LocalHost(copySample('legacy-x86')), answers({ loader: 'xen-efi' }));
    expect(plan.status).toBe('not-applicable');
    expect(plan.reason).toMatch(/2007 host starts through BIOS/);
  });

  it('a current BIOS host: not applicable, and says why it is taken for BIOS', async () => {
    const plan = await planOn(new LocalHost(copySample('current-amd64')), answers());
    expect(plan.status).toBe('not-applicable');
    expect(plan.reason).toMatch(
      /^BIOS host \(\/etc\/fstab mounts no EFI system partition: no vfat at \/boot\/efi, \/efi or \/boot\): xen\.efi needs UEFI/,
    );
  });

  it('a UEFI host booting GRUB 2: not applicable, with the UEFI facts and the road it offers', async () => {
    const plan = await planOn(new LocalHost(uefiRoot()), answers());
    expect(plan.status).toBe('not-applicable');
    expect(plan.reason).toBe(
      'UEFI host (/etc/fstab mounts an EFI system partition (vfat) at /boot/efi); ESP /boot/efi (vfat, UUID=1A2B-3C4D); Secure Boot not visible from a mounted root; the host boots with GRUB 2; [boot] loader = xen-efi starts Xen from the firmware directly',
    );
  });

  it('[boot] loader = xen-efi on a machine taken for BIOS is blocked, naming [boot] firmware', async () => {
    const plan = await planOn(new LocalHost(uefiRoot()), answers({ loader: 'xen-efi', firmware: 'bios' }));
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(
      /needs a UEFI machine: BIOS host \(\[boot\] firmware = bios\); set \[boot\] firmware = uefi/,
    );
  });

  it('without xen.efi: blocked, naming USE=uefi', async () => {
    const root = uefiRoot();
    execFileSync('rm', ['-r', join(root, 'usr/lib64/efi')]);
    const plan = await planOn(new LocalHost(root), answers({ loader: 'xen-efi' }));
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(/no xen\.efi .*app-emulation\/xen uefi.*USE=uefi builds xen\.efi/);
  });

  it('Xen installed without USE=uefi: planned with the xen.efi the rebuild of emerge-xen installs', async () => {
    const root = uefiRoot({
      '/var/db/pkg/app-emulation/xen-4.19.2/CATEGORY': 'app-emulation\n',
      '/var/db/pkg/app-emulation/xen-4.19.2/USE': 'amd64 boot-symlinks\n',
    });
    execFileSync('rm', ['-r', join(root, 'usr/lib64/efi')]);
    const plan = await planOn(new LocalHost(root), answers({ loader: 'xen-efi' }));
    expect(plan.status, plan.reason).toBe('pending');
    const changes = plan.status === 'pending' ? plan.changes : [];
    expect(changes.some((c) => c.kind === 'command' && c.argv.includes('/usr/lib64/efi/xen.efi'))).toBe(true);
    expect(plan.warnings?.join('\n')).toMatch(
      /xen\.efi is not there yet: emerge-xen builds Xen with USE=uefi/,
    );
  });

  it('an ESP mount point with nothing in it on a mounted root: blocked, mount it first', async () => {
    const root = uefiRoot();
    execFileSync('rm', ['-r', join(root, 'boot/efi/EFI')]);
    const plan = await planOn(new LocalHost(root), answers({ loader: 'xen-efi' }));
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(/looks unmounted \(\/boot\/efi is empty\)/);
  });

  it('GRUB 2 on the UEFI host: the plan says what differs (grub-install --target=x86_64-efi, multiboot2)', async () => {
    const root = uefiRoot({
      '/var/db/pkg/sys-boot/grub-2.12-r8/USE': 'amd64 elibc_glibc grub_platforms_pc\n',
    });
    const plan = await planOn(new LocalHost(root), answers({ grub2_mode: 'custom-entry' }), bootGrubStep);
    expect(plan.status).toBe('pending');
    expect(plan.reason).toMatch(
      /; UEFI host \(.*\); ESP \/boot\/efi .*: GRUB's EFI image \(grub-install --target=x86_64-efi --efi-directory=\/boot\/efi\) reads \/boot\/grub\/grub\.cfg and starts Xen with multiboot2$/,
    );
    const custom = plan.status === 'pending' ? plan.changes.find((c) => c.kind === 'file') : undefined;
    expect(custom?.kind === 'file' ? custom.after : '').toContain('\tmultiboot2 /boot/xen.gz');
    expect(plan.warnings?.join('\n')).toMatch(/built without GRUB_PLATFORMS="efi-64"/);
  });

  it('GRUB legacy on a UEFI host is blocked: it cannot start there', async () => {
    const plan = await planOn(new LocalHost(uefiRoot()), answers({ loader: 'grub-legacy' }), bootGrubStep);
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(/GRUB legacy \(0\.97\) cannot start on UEFI/);
  });
});

describe('boot-xen-efi on a mounted root', () => {
  it('copies xen.efi and the dom0 files to the ESP, writes xen.cfg, asks for the boot entry; then done', async () => {
    const root = uefiRoot();
    const a = answers({ loader: 'xen-efi', serial: 'yes', xen_args: 'iommu=no-intremap' });
    const plan = await planOn(new LocalHost(root), a);
    expect(plan.status, plan.reason).toBe('pending');
    if (plan.status !== 'pending') return;
    expect(
      plan.changes.map((c) =>
        c.kind === 'command' ? c.argv.join(' ') : `${c.kind} ${'path' in c ? c.path : ''}`,
      ),
    ).toEqual([
      'directory /boot/efi/EFI/xen',
      'cp -- /usr/lib64/efi/xen.efi /boot/efi/EFI/xen/xen.efi',
      `cp -- /boot/vmlinuz-${KV}-xen0 /boot/efi/EFI/xen/vmlinuz-${KV}-xen0`,
      `cp -- /boot/initramfs-${KV}-xen0.img /boot/efi/EFI/xen/initramfs-${KV}-xen0.img`,
      'file /boot/efi/EFI/xen/xen.cfg',
      'manual ',
    ]);
    const cfg = plan.changes.find((c) => c.kind === 'file');
    expect(readXenEfiSection(cfg?.kind === 'file' ? cfg.after : '')).toEqual({
      section: 'xen',
      options: 'dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot iommu=no-intremap',
      kernel: `vmlinuz-${KV}-xen0 root=PARTUUID=8a1c2e3f-03 console=hvc0`,
      ramdisk: `initramfs-${KV}-xen0.img`,
    });
    const manual = plan.changes.find((c) => c.kind === 'manual');
    expect(manual?.kind === 'manual' ? manual.text : '').toMatch(
      /efibootmgr --create --disk DISK --part N --loader '\\EFI\\xen\\xen\.efi' --label 'Xen 4\.19/,
    );
    await applyOn(root, plan.changes);
    const again = await planOn(new LocalHost(root), a);
    expect(again.status, again.reason).toBe('done');
    expect(again.warnings?.join('\n')).toMatch(/cannot be seen from a mounted root/);
  });

  it('with [boot] esp_device, the efibootmgr command it asks for survives the shell: bash gives back the exact argv', async () => {
    const root = uefiRoot();
    const plan = await planOn(new LocalHost(root), answers({ loader: 'xen-efi', esp_device: '/dev/sda1' }));
    const manual = plan.status === 'pending' ? plan.changes.find((c) => c.kind === 'manual') : undefined;
    const command = /add the firmware boot entry: (.*)$/.exec(
      manual?.kind === 'manual' ? manual.text : '',
    )?.[1];
    expect(command).toBeDefined();
    const argv = execFileSync('bash', ['-c', `set -- ${command ?? ''}; printf '%s\\0' "$@"`], {
      encoding: 'utf8',
    })
      .split('\0')
      .slice(0, -1);
    expect(argv).toEqual([
      'efibootmgr',
      '--create',
      '--disk',
      '/dev/sda',
      '--part',
      '1',
      '--loader',
      '\\EFI\\xen\\xen.efi',
      '--label',
      `Xen 4.19 / Linux ${KV}`,
    ]);
    expect(plan.warnings?.join('\n')).toContain(
      `(the entry for \\EFI\\xen\\xen.efi is made with: ${command})`,
    );
  });

  it('a newer kernel in /boot makes the ESP copy stale: copied again, xen.cfg kept', async () => {
    const root = uefiRoot();
    const a = answers({ loader: 'xen-efi' });
    const first = await planOn(new LocalHost(root), a);
    await applyOn(root, first.status === 'pending' ? first.changes : []);
    writeFileSync(join(root, `boot/vmlinuz-${KV}-xen0`), 'a rebuilt kernel image');
    const plan = await planOn(new LocalHost(root), a);
    expect(plan.status).toBe('pending');
    expect(plan.reason).toMatch(new RegExp(`copy vmlinuz-${KV}-xen0 to /boot/efi/EFI/xen$`));
  });

  it("keeps the administrator's xen.cfg: their options, keys and other sections", async () => {
    const mine =
      '[global]\ndefault=mine\n\n[mine]\noptions=loglvl=all\nkernel=vmlinuz-old root=/dev/sda3 quiet\nucode=ucode.bin\n\n[old]\nkernel=vmlinuz-old\n';
    const root = uefiRoot({ '/boot/efi/EFI/xen/xen.cfg': mine });
    const plan = await planOn(new LocalHost(root), answers({ loader: 'xen-efi' }));
    expect(plan.reason).toMatch(/update \[mine\] in \/boot\/efi\/EFI\/xen\/xen\.cfg/);
    const cfg = plan.status === 'pending' ? plan.changes.find((c) => c.kind === 'file') : undefined;
    const after = cfg?.kind === 'file' ? cfg.after : '';
    expect(after).toContain('options=loglvl=all dom0_mem=1024M,max:1024M\n');
    expect(after).toContain(`kernel=vmlinuz-${KV}-xen0 root=PARTUUID=8a1c2e3f-03 quiet\n`);
    expect(after).toContain('ucode=ucode.bin\n');
    expect(after).toContain('[old]\nkernel=vmlinuz-old\n');
  });
});

describe('boot-xen-efi on the running system (efivars)', () => {
  it('Secure Boot on with an unsigned xen.efi: blocked, with the reason and what to do', async () => {
    const plan = await planOn(asLive(liveRoot(1)), answers({ loader: 'xen-efi' }));
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(
      /Secure Boot is on and \/usr\/lib64\/efi\/xen\.efi is not signed.*sbsign.*turn Secure Boot off/,
    );
  });

  it('efibootmgr (needs real UEFI firmware; recorded runner that creates the entry as efibootmgr does): the plan then converges, other entries kept', async () => {
    const root = liveRoot(0);
    const calls: string[][] = [];
    const host = asLive(root, (argv) => {
      calls.push(argv);
      return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' });
    });
    const a = answers({ loader: 'xen-efi' });
    const plan = await planOn(host, a);
    expect(plan.status, plan.reason).toBe('pending');
    expect(plan.reason).toMatch(
      /^UEFI host \(\/sys\/firmware\/efi exists\); ESP \/boot\/efi \(vfat, \/dev\/nvme0n1p1\); Secure Boot off: /,
    );
    const changes = plan.status === 'pending' ? plan.changes : [];
    const efi = changes.find((c) => c.kind === 'command' && c.argv[0] === 'efibootmgr');
    expect(efi?.kind === 'command' ? efi.argv : []).toEqual([
      'efibootmgr',
      '--create',
      '--disk',
      '/dev/nvme0n1',
      '--part',
      '1',
      '--loader',
      '\\EFI\\xen\\xen.efi',
      '--label',
      `Xen 4.19 / Linux ${KV}`,
    ]);
    await applyOn(root, changes, (argv) => {
      // efibootmgr --create: a new Boot#### for the loader, first in BootOrder
      const label = argv[argv.indexOf('--label') + 1] ?? '';
      const loader = argv[argv.indexOf('--loader') + 1] ?? '';
      put(root, efivar('Boot0002'), bootVar(label, loader));
      put(root, efivar('BootOrder'), Uint8Array.from([7, 0, 0, 0, 2, 0, 1, 0]));
      calls.push(argv);
    });
    const again = await planOn(host, a);
    expect(again.status, again.reason).toBe('done');
    expect(again.reason).toMatch(
      /the firmware entry Boot0002 "Xen 4\.19 \/ Linux 6\.12\.58-gentoo" starts it$/,
    );
    expect(calls.map((c) => c[0])).toEqual(['efibootmgr']);
  });

  it('an ESP device efibootmgr cannot split: blocked, naming [boot] esp_device', async () => {
    const root = liveRoot(0, { '/proc/mounts': 'systemd-1 /boot/efi vfat rw 0 0\n' });
    const plan = await planOn(asLive(root), answers({ loader: 'xen-efi' }));
    expect(plan.status).toBe('blocked');
    expect(plan.reason).toMatch(/set \[boot\] esp_device/);
    const fixed = await planOn(asLive(root), answers({ loader: 'xen-efi', esp_device: '/dev/sda1' }));
    expect(fixed.status).toBe('pending');
  });
});

describe('doctor: the uefi check', () => {
  async function check(host: Host, a: Answers) {
    const facts = await uefiCheck.detect({ view: new View(host), answers: a });
    return uefiCheck.judge(facts);
  }

  it('a BIOS host and the 2007 root: not applicable', async () => {
    expect((await check(new LocalHost(copySample('current-amd64')), answers())).status).toBe(
      'not-applicable',
    );
    expect((await check(new LocalHost(copySample('legacy-x86')), answers())).status).toBe('not-applicable');
  });

  it('xen-efi before and after boot-xen-efi on the running system: missing files and entry, then ok', async () => {
    const root = liveRoot(0);
    const a = answers({ loader: 'xen-efi' });
    const before = await check(asLive(root), a);
    expect(before.status).toBe('problem');
    expect(before.found).toMatch(/xen\.cfg is missing/);
    expect(before.found).toMatch(/no boot entry for \\EFI\\xen\\xen\.efi/);
    const plan = await planOn(asLive(root), a);
    await applyOn(root, plan.status === 'pending' ? plan.changes : [], (argv) =>
      put(
        root,
        efivar('Boot0002'),
        bootVar(argv[argv.indexOf('--label') + 1] ?? '', argv[argv.indexOf('--loader') + 1] ?? ''),
      ),
    );
    const after = await check(asLive(root), a);
    expect(after.status, after.found).toBe('ok');
    expect(after.details?.join('\n')).toMatch(
      /Boot0002 "Xen 4\.19 \/ Linux 6\.12\.58-gentoo" starts \\EFI\\xen\\xen\.efi/,
    );
    // a file gone from the ESP is found
    execFileSync('rm', [join(root, `boot/efi/EFI/xen/initramfs-${KV}-xen0.img`)]);
    expect((await check(asLive(root), a)).found).toMatch(new RegExp(`lacks initramfs-${KV}-xen0\\.img`));
  });

  it('an ESP in /etc/fstab that is not mounted on the running system: a problem', async () => {
    const root = liveRoot(0, { '/proc/mounts': '/dev/nvme0n1p2 / ext4 rw 0 0\n' });
    const r = await check(asLive(root), answers());
    expect(r.status).toBe('problem');
    expect(r.found).toMatch(/not mounted at \/boot\/efi/);
  });
});
