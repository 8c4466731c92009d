import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customFileOutput, readShellVariable } from '@xen-gentoo/bootloader';
import { describe, expect, it } from 'vitest';
import { customEntryIso, grubScriptCheck } from './boot/iso.js';
import { bootParts } from './boot/parts.js';
import { bootXenDom0 } from './boot/qemu.js';
import { bootAnswers, bootTarget, planBootStep, plannedFile } from './boot/target.js';

describe('GRUB 2: the entry boot-grub writes', () => {
  it('custom-entry mode: passes grub-script-check and boots Xen and a dom0 in QEMU', async () => {
    const parts = bootParts();
    const kv = parts.kernelVersion;
    const work = mkdtempSync(join(tmpdir(), 'xg-grub2-'));
    const root = bootTarget('current-amd64', parts, true);
    // the serial variant, as a user would ask for it
    const answers = bootAnswers({ grub2_mode: 'custom-entry', serial: 'yes' });
    const plan = await planBootStep(root, 'boot-grub', answers);
    const custom = plannedFile(plan, '/etc/grub.d/40_custom');
    expect(custom).toContain(
      `\tmultiboot2 /boot/xen.gz dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot\n`,
    );
    expect(custom).toContain(`\tmodule2 /boot/vmlinuz-${kv}-xen0 root=PARTUUID=8a1c2e3f-03 console=hvc0\n`);
    expect(custom).toContain(`\tmodule2 --nounzip /boot/initramfs-${kv}-xen0.img\n`);

    // what grub-mkconfig copies into grub.cfg, and the grub.cfg the ISO boots
    grubScriptCheck(work, '40_custom.out', customFileOutput(custom));
    const iso = customEntryIso(work, parts, custom);
    const r = await bootXenDom0('GRUB 2', work, ['-cdrom', iso, '-boot', 'd']);
    expect(r.log).toContain(
      '(XEN) Command line: dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot',
    );
    expect(r.marker).toMatch(
      /hypervisor=xen caps=control_d cmdline=\[root=PARTUUID=8a1c2e3f-03 console=hvc0\]/,
    );
  });

  it('default-grub mode: /etc/default/grub stays a valid shell file with the Xen variables', async () => {
    const parts = bootParts();
    const root = bootTarget('current-amd64', parts, false);
    const plan = await planBootStep(root, 'boot-grub', bootAnswers({ serial: 'yes' }));
    const text = plannedFile(plan, '/etc/default/grub');
    execFileSync('sh', ['-n', '-c', text]);
    const sh = (name: string): string =>
      execFileSync('sh', ['-c', `${text}\nprintf '%s' "$${name}"`], { encoding: 'utf8' });
    expect(sh('GRUB_CMDLINE_XEN_DEFAULT')).toBe(
      'dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1,vga noreboot',
    );
    expect(sh('GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT')).toBe('console=hvc0');
    expect(sh('GRUB_DISTRIBUTOR')).toBe('Gentoo');
    expect(readShellVariable(text, 'GRUB_CMDLINE_XEN_DEFAULT')?.value).toBe(sh('GRUB_CMDLINE_XEN_DEFAULT'));
    writeFileSync(join(root, 'etc/default/grub'), text);
  });
});
