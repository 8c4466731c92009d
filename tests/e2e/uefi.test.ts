import { appendFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answersFile, cli, copyRoot, SAMPLES, snapshot, STATE_DIR } from './helpers.js';

interface JsonPlan {
  steps: {
    id: string;
    status: string;
    reason: string;
    changes: { kind: string; path?: string; argv?: string[]; text?: string }[];
  }[];
}

/** A copy of the current sample with an EFI system partition at /boot/efi and Xen's xen.efi installed. */
function uefiRoot(): string {
  const root = copyRoot(SAMPLES.current);
  appendFileSync(join(root, 'etc/fstab'), 'UUID=1A2B-3C4D\t/boot/efi\tvfat\tumask=0077\t0 2\n');
  mkdirSync(join(root, 'boot/efi/EFI/gentoo'), { recursive: true });
  writeFileSync(join(root, 'boot/efi/EFI/gentoo/grubx64.efi'), 'grub');
  mkdirSync(join(root, 'usr/lib64/efi'), { recursive: true });
  writeFileSync(join(root, 'usr/lib64/efi/xen-4.19.2.efi'), 'MZ');
  symlinkSync('xen-4.19.2.efi', join(root, 'usr/lib64/efi/xen.efi'));
  return root;
}

async function plan(root: string, answers: string): Promise<JsonPlan> {
  const r = await cli(['plan', '--root', root, '--answers', answers, '--json']);
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return JSON.parse(String(r.stdout)) as JsonPlan;
}

describe('UEFI hosts (efibootmgr and cp are left to the machine: --skip-commands, said so)', () => {
  it('plan on a current root marked as UEFI shows the UEFI facts and the xen.efi road; apply then plan converges', async () => {
    const root = uefiRoot();
    const answers = answersFile('[boot]\nloader = xen-efi\nserial = yes\n');
    const first = await plan(root, answers);
    const step = first.steps.find((s) => s.id === 'boot-xen-efi');
    expect(step?.status).toBe('pending');
    expect(step?.reason).toMatch(
      /^UEFI host \(\/etc\/fstab mounts an EFI system partition \(vfat\) at \/boot\/efi\); ESP \/boot\/efi \(vfat, UUID=1A2B-3C4D\); Secure Boot not visible from a mounted root: copy xen\.efi, vmlinuz-6\.12\.58-gentoo-xen0 to \/boot\/efi\/EFI\/xen, write \/boot\/efi\/EFI\/xen\/xen\.cfg \(\[xen\]\)$/,
    );
    expect(first.steps.find((s) => s.id === 'boot-grub')?.reason).toMatch(/loader = xen-efi/);
    expect(step?.changes.find((c) => c.kind === 'manual')?.text).toMatch(/efibootmgr --create/);

    const applied = await cli(['apply', '--root', root, '--answers', answers, '--yes', '--skip-commands']);
    expect(applied.exitCode, String(applied.stderr) + String(applied.stdout)).toBe(0);
    const cfg = readFileSync(join(root, 'boot/efi/EFI/xen/xen.cfg'), 'utf8');
    expect(cfg).toContain('options=dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot\n');
    expect(cfg).toContain('kernel=vmlinuz-6.12.58-gentoo-xen0 root=PARTUUID=8a1c2e3f-03 console=hvc0\n');

    // the copies are commands (skipped here); no file change is left, a second apply writes nothing
    const after = await plan(root, answers);
    const left = after.steps.find((s) => s.id === 'boot-xen-efi')?.changes ?? [];
    expect(left.filter((c) => c.kind !== 'command' && c.kind !== 'manual')).toEqual([]);
    const before = snapshot(root, [STATE_DIR]);
    expect(
      (await cli(['apply', '--root', root, '--answers', answers, '--yes', '--skip-commands'])).exitCode,
    ).toBe(0);
    expect(snapshot(root, [STATE_DIR])).toEqual(before);
  });

  it('the 2007 root: not applicable, whatever the answers say', async () => {
    const root = copyRoot(SAMPLES.legacy);
    const r = await plan(root, answersFile('[boot]\nfirmware = uefi\n'));
    const step = r.steps.find((s) => s.id === 'boot-xen-efi');
    expect(step?.status).toBe('not-applicable');
    expect(step?.reason).toMatch(/2007 host starts through BIOS/);
  });
});
