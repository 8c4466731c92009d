import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildXenEntry } from './entry.js';
import { BootConfigError, BootFileSyntaxError } from './errors.js';
import {
  grubCfgHas,
  grubCfgLines,
  otherXenEntries,
  customFileOutput,
  grubDefaultDiff,
  grubDefaultSettings,
  grubDefaultValues,
  grubDefaultWarnings,
  grubQuote,
  mergeGrub2Custom,
  mergeGrubDefault,
  renderGrub2Entry,
} from './grub2.js';

/** sys-boot/grub's /etc/default/grub (grub.default-4), abridged. */
const GENTOO_DEFAULT_GRUB = `# If you change this file, run 'grub-mkconfig -o /boot/grub/grub.cfg' afterwards to update
# /boot/grub/grub.cfg.

# See the GRUB info page for documentation on possible variables and their
# associated values.

GRUB_DISTRIBUTOR="Gentoo"

# Default menu entry
#GRUB_DEFAULT=0

# Boot the default entry this many seconds after the menu is displayed
#GRUB_TIMEOUT=5

# Append parameters to the linux kernel command line
#GRUB_CMDLINE_LINUX=""
#
# Examples:
#
# Boot with network interface renaming disabled
# GRUB_CMDLINE_LINUX="net.ifnames=0"

# Append parameters to the linux kernel command line for non-recovery entries
#GRUB_CMDLINE_LINUX_DEFAULT=""
`;

const serialEntry = buildXenEntry({
  title: 'Gentoo GNU/Linux, with Xen hypervisor',
  xenPath: '/boot/xen.gz',
  kernelPath: '/boot/vmlinuz-6.12.41-gentoo-xen0',
  initrdPath: '/boot/initramfs-6.12.41-gentoo-xen0.img',
  dom0Mem: '1024M,max:1024M',
  rootDevice: '/dev/sda3',
  readOnly: true,
  serial: { port: 'com1', speed: 115200, dom0Console: 'hvc0' },
  noreboot: true,
});

function shValue(text: string, name: string): string {
  return execFileSync('sh', ['-c', `${text}\nprintf '%s' "\${${name}-}"`], { encoding: 'utf8' });
}

describe('/etc/default/grub', () => {
  it('puts Xen options in GRUB_CMDLINE_XEN_DEFAULT and the dom0 console in the XEN_REPLACE_DEFAULT', () => {
    expect(grubDefaultSettings(serialEntry)).toEqual({
      GRUB_CMDLINE_XEN_DEFAULT: 'dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1 noreboot',
      GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT: 'console=hvc0',
    });
  });

  it("edits Gentoo's template losslessly and sh reads the values back", () => {
    const settings = grubDefaultSettings(serialEntry);
    const out = mergeGrubDefault(GENTOO_DEFAULT_GRUB, settings);
    expect(out.startsWith(GENTOO_DEFAULT_GRUB)).toBe(true);
    expect(shValue(out, 'GRUB_CMDLINE_XEN_DEFAULT')).toBe(settings.GRUB_CMDLINE_XEN_DEFAULT);
    expect(shValue(out, 'GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT')).toBe('console=hvc0');
    expect(shValue(out, 'GRUB_DISTRIBUTOR')).toBe('Gentoo');
    expect(grubDefaultDiff(out, settings)).toEqual([]);
    expect(mergeGrubDefault(out, settings)).toBe(out);
  });

  it('replaces an existing value in place', () => {
    const text = 'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M" # mine\nGRUB_TIMEOUT=3\n';
    const out = mergeGrubDefault(text, { GRUB_CMDLINE_XEN_DEFAULT: 'dom0_mem=2048M,max:2048M' });
    expect(out).toBe('GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=2048M,max:2048M" # mine\nGRUB_TIMEOUT=3\n');
    expect(grubDefaultDiff(text, { GRUB_CMDLINE_XEN_DEFAULT: 'dom0_mem=2048M,max:2048M' })).toEqual([
      'GRUB_CMDLINE_XEN_DEFAULT',
    ]);
  });
});

describe('/etc/default/grub: line endings and conditionals', () => {
  it('keeps the CRLF of a CRLF file on the edited line and the added ones', () => {
    const text =
      'GRUB_DISTRIBUTOR="Gentoo"\r\nGRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M loglvl=all"\r\nGRUB_TIMEOUT=5\r\n';
    const settings = grubDefaultSettings(serialEntry);
    const out = mergeGrubDefault(text, settings);
    expect(out.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(out).toContain(
      '\r\nGRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1024M,max:1024M loglvl=all com1=115200,8n1 console=com1 noreboot"\r\nGRUB_TIMEOUT=5\r\n',
    );
    expect(out.endsWith('GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT="console=hvc0"\r\n')).toBe(true);
    expect(grubDefaultDiff(out, settings)).toEqual([]);
    expect(mergeGrubDefault(out, settings)).toBe(out);
  });

  it('warns, naming file and line, when the variable it edits is set inside a conditional', () => {
    const text =
      '# don\'t edit\nGRUB_TIMEOUT=5\nif [ -e /etc/xen-host ]; then\n  GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M loglvl=all"\nfi\n';
    const settings = { GRUB_CMDLINE_XEN_DEFAULT: 'dom0_mem=1G' };
    expect(grubDefaultWarnings(text, settings)).toEqual([
      '/etc/default/grub:4: GRUB_CMDLINE_XEN_DEFAULT is set inside a conditional; check the result (the Xen options are edited there and apply only when the condition holds)',
    ]);
    // edited there, keeping the conditional
    expect(mergeGrubDefault(text, settings)).toBe(text.replace('dom0_mem=512M', 'dom0_mem=1G'));
    // nothing to edit, nothing to say; a top-level assignment is not a conditional one
    expect(grubDefaultWarnings(mergeGrubDefault(text, settings), settings)).toEqual([]);
    expect(grubDefaultWarnings(`${text}GRUB_CMDLINE_XEN_DEFAULT="x"\n`, settings)).toEqual([]);
    // the Linux options the Xen entries start from
    const linux = 'if true; then\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nfi\n';
    expect(grubDefaultWarnings(linux, { GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT: 'console=hvc0' })).toEqual([
      '/etc/default/grub:2: GRUB_CMDLINE_LINUX_DEFAULT, whose options GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT starts from, is set inside a conditional; check the result',
    ]);
  });
});

describe('/etc/default/grub keeps the options the tool does not own', () => {
  const plain = buildXenEntry({
    title: 'x',
    xenPath: '/boot/xen.gz',
    kernelPath: '/boot/vmlinuz-6.12-xen0',
    dom0Mem: '1024M,max:1024M',
  });

  it("replaces only dom0_mem in the user's GRUB_CMDLINE_XEN_DEFAULT", () => {
    const text = 'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=2G,max:2G loglvl=all iommu=no-intremap"\n';
    const out = mergeGrubDefault(text, grubDefaultSettings(plain));
    expect(out).toBe('GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1024M,max:1024M loglvl=all iommu=no-intremap"\n');
    expect(grubDefaultDiff(out, grubDefaultSettings(plain))).toEqual([]);
    expect(mergeGrubDefault(out, grubDefaultSettings(plain))).toBe(out);
  });

  it('serial variant: replaces com1= and console=, adds noreboot, keeps the rest in place', () => {
    const text =
      "GRUB_CMDLINE_XEN_DEFAULT='loglvl=all console=vga dom0_mem=512M iommu=no-intremap dom0_mem=768M'\n";
    const out = mergeGrubDefault(text, grubDefaultSettings(serialEntry));
    expect(shValue(out, 'GRUB_CMDLINE_XEN_DEFAULT')).toBe(
      'loglvl=all console=com1 dom0_mem=1024M,max:1024M iommu=no-intremap com1=115200,8n1 noreboot',
    );
  });

  it('seeds GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT with GRUB_CMDLINE_LINUX_DEFAULT, which it replaces', () => {
    const text = 'GRUB_CMDLINE_LINUX_DEFAULT="quiet rd.luks.uuid=1234 console=tty0"\n';
    const settings = grubDefaultSettings(serialEntry);
    const out = mergeGrubDefault(text, settings);
    expect(shValue(out, 'GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT')).toBe(
      'quiet rd.luks.uuid=1234 console=tty0 console=hvc0',
    );
    expect(shValue(out, 'GRUB_CMDLINE_LINUX_DEFAULT')).toBe('quiet rd.luks.uuid=1234 console=tty0');
    expect(mergeGrubDefault(out, settings)).toBe(out);
  });

  it("merges into the user's own GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT", () => {
    const text =
      'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT="nomodeset console=hvc0"\n';
    const settings = grubDefaultSettings(serialEntry);
    expect(grubDefaultValues(text, settings).GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT).toBe(
      'nomodeset console=hvc0',
    );
    expect(grubDefaultDiff(text, settings)).toEqual(['GRUB_CMDLINE_XEN_DEFAULT']);
  });

  it('a value built with expansions is not overwritten: blocked with file and line', () => {
    const text = 'X=1\nGRUB_CMDLINE_XEN_DEFAULT="${XEN_OPTS} dom0_mem=2G"\n';
    expect(() => mergeGrubDefault(text, grubDefaultSettings(plain))).toThrow(
      /\/etc\/default\/grub:2: GRUB_CMDLINE_XEN_DEFAULT is built with shell expansions/,
    );
    try {
      mergeGrubDefault(text, grubDefaultSettings(plain));
    } catch (e) {
      expect(e).toBeInstanceOf(BootConfigError);
      expect(e).not.toBeInstanceOf(BootFileSyntaxError);
    }
  });

  it('an unterminated quote is a syntax error naming the file and line', () => {
    const text = 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_XEN_DEFAULT="dom0_mem=2G\nGRUB_DEFAULT=0\n';
    for (const f of [
      () => mergeGrubDefault(text, grubDefaultSettings(plain)),
      () => grubDefaultDiff(text, grubDefaultSettings(plain)),
    ]) {
      expect(f).toThrow(BootFileSyntaxError);
      expect(f).toThrow(/^\/etc\/default\/grub:2: unterminated double quote \(expected a closing "/);
    }
  });
});

describe('renderGrub2Entry', () => {
  it('renders multiboot2/module2 with --nounzip for the initrd', () => {
    expect(renderGrub2Entry(serialEntry)).toEqual([
      "menuentry 'Gentoo GNU/Linux, with Xen hypervisor' --class gentoo --class xen {",
      '\tinsmod gzio',
      "\techo 'Loading Xen ...'",
      '\tmultiboot2 /boot/xen.gz dom0_mem=1024M,max:1024M com1=115200,8n1 console=com1 noreboot',
      "\techo 'Loading Linux ...'",
      '\tmodule2 /boot/vmlinuz-6.12.41-gentoo-xen0 root=/dev/sda3 ro console=hvc0',
      "\techo 'Loading initial ramdisk ...'",
      '\tmodule2 --nounzip /boot/initramfs-6.12.41-gentoo-xen0.img',
      '}',
    ]);
  });

  it('quotes what GRUB would otherwise interpret', () => {
    expect(grubQuote('root=UUID=1234-abcd')).toBe('root=UUID=1234-abcd');
    expect(grubQuote('a;b')).toBe("'a;b'");
    expect(grubQuote("it's")).toBe("'it'\\''s'");
    expect(grubQuote('$x')).toBe("'$x'");
    const e = buildXenEntry({ ...baseOptions(), title: "Bob's Xen" });
    expect(renderGrub2Entry(e)[0]).toBe("menuentry 'Bob'\\''s Xen' --class gentoo --class xen {");
  });

  it('can search the boot filesystem by UUID and use multiboot (v1)', () => {
    const lines = renderGrub2Entry(serialEntry, { fsUuid: 'abcd-1234', multiboot: 'multiboot' });
    expect(lines).toContain('\tsearch --no-floppy --fs-uuid --set=root abcd-1234');
    expect(lines).toContain('\tmodule --nounzip /boot/initramfs-6.12.41-gentoo-xen0.img');
    expect(() => renderGrub2Entry(serialEntry, { fsUuid: 'x y' })).toThrow(/UUID/);
  });
});

const GENTOO_40_CUSTOM = `#!/bin/sh
exec tail -n +3 $0
# This file provides an easy way to add custom menu entries.  Simply type the
# menu entries you want to add after this comment.  Be careful not to change
# the 'exec tail' line above.
`;

describe('mergeGrub2Custom', () => {
  it('appends a managed block after the header; grub.cfg gets the entry verbatim', () => {
    const r = mergeGrub2Custom(GENTOO_40_CUSTOM, serialEntry);
    expect(r.action).toBe('appended');
    expect(r.text.startsWith(GENTOO_40_CUSTOM)).toBe(true);
    expect(customFileOutput(r.text)).toContain("menuentry 'Gentoo GNU/Linux, with Xen hypervisor'");
    // what `exec tail -n +3 $0` prints
    const file = join(mkdtempSync(join(tmpdir(), 'xg-grub-')), '40_custom');
    writeFileSync(file, r.text);
    const tail = execFileSync('sh', [file], { encoding: 'utf8' });
    expect(tail).toBe(customFileOutput(r.text));
  });

  it('is idempotent and updates in place', () => {
    const once = mergeGrub2Custom(GENTOO_40_CUSTOM + "menuentry 'Mine' {\n\tlinux /x\n}\n", serialEntry).text;
    expect(mergeGrub2Custom(once, serialEntry)).toEqual({ text: once, action: 'unchanged', warnings: [] });
    const other = buildXenEntry({ ...baseOptions(), title: serialEntry.title, dom0Mem: '2048M,max:2048M' });
    const r = mergeGrub2Custom(once, other);
    expect(r.action).toBe('updated');
    expect(r.text).toContain("menuentry 'Mine' {\n\tlinux /x\n}\n");
    expect(r.text).toContain('dom0_mem=2048M,max:2048M');
    expect(r.text.match(/menuentry/g)?.length).toBe(2);
  });

  it('creates the file with the tail header', () => {
    const r = mergeGrub2Custom(null, serialEntry);
    expect(r.action).toBe('created');
    expect(r.text.startsWith(GENTOO_40_CUSTOM)).toBe(true);
  });

  it('refuses a custom file that is not in the tail form', () => {
    expect(() => mergeGrub2Custom('#!/bin/sh\ncat <<EOF\nmenuentry x {\n}\nEOF\n', serialEntry)).toThrow(
      /exec tail -n \+3 \$0/,
    );
  });

  it('warns about an unmanaged entry with the same title', () => {
    const r = mergeGrub2Custom(`${GENTOO_40_CUSTOM}menuentry '${serialEntry.title}' {\n}\n`, serialEntry);
    expect(r.warnings.join()).toMatch(/already has a menu entry/);
  });
});

function baseOptions() {
  return {
    title: 'X',
    xenPath: '/boot/xen.gz',
    kernelPath: '/boot/vmlinuz-6.12.41-gentoo-xen0',
    dom0Mem: '1024M,max:1024M',
  };
}

describe('grub.cfg as GRUB reads it', () => {
  it('joins backslash-continued lines, but not comments or an escaped backslash', () => {
    expect(grubCfgLines('multiboot2 /xen.gz \\\r\n  dom0_mem=1G\n# a \\\nnext \\\\\nlast')).toEqual([
      'multiboot2 /xen.gz   dom0_mem=1G',
      '# a \\',
      'next \\\\',
      'last',
    ]);
  });

  it('finds a Xen entry with the options, across a continued line', () => {
    const cfg = 'multiboot2 /boot/xen.gz \\\n dom0_mem=1G\nmodule2 /boot/vmlinuz-6.1-xen0 root=/dev/sda1\n';
    expect(grubCfgHas(cfg, 'dom0_mem=1G', 'root=/dev/sda1')).toBe(true);
    expect(grubCfgHas(cfg, 'dom0_mem=2G', undefined)).toBe(false);
  });

  it("names the administrator's own Xen entries outside the tool's block", () => {
    const text = [
      '# BEGIN xen-gentoo boot',
      'multiboot2 /xen.gz',
      '# END xen-gentoo boot',
      'multiboot2 /xen-4.17.gz',
    ].join('\n');
    expect(otherXenEntries(text, '/etc/grub.d/40_custom', 'Xen')).toEqual([
      '/etc/grub.d/40_custom:4: another Xen entry (not the tool\'s) stays beside "Xen"; remove one of them',
    ]);
  });
});
