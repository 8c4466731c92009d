import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildXenEntry } from './entry.js';
import { BootConfigError, BootFileSyntaxError } from './errors.js';
import { decompressArgv, liloFiles, liloPackCommands, mergeLiloConf, renderLiloStanza } from './lilo.js';

/** The HOWTO's LILO example: image=/boot/vmlinuz-2.6.x.y-xen0-mpack, label=xen, dom0_mem=96M. */
const howtoEntry = buildXenEntry({
  title: 'xen',
  xenPath: '/boot/xen-3.0',
  kernelPath: '/boot/vmlinuz-2.6.x.y-xen0-mpack',
  dom0Mem: '96M',
  rootDevice: '/dev/ram0',
});

describe('LILO + mbootpack', () => {
  it("gives the HOWTO's decompress and mbootpack commands", () => {
    const cmds = liloPackCommands({
      xenGz: '/boot/xen-3.0.gz',
      vmlinuz: '/boot/vmlinuz-2.6.x.y-xen0',
      initrd: '/boot/initrd-2.6.x.y-xen.img',
    });
    expect(cmds.map((c) => c.argv)).toEqual([
      [
        'sh',
        '-c',
        'gzip -dc -- "$1" > "$2.tmp" && mv -f -- "$2.tmp" "$2"',
        'gunzip-to',
        '/boot/xen-3.0.gz',
        '/boot/xen-3.0',
      ],
      [
        'sh',
        '-c',
        'gzip -dc -- "$1" > "$2.tmp" && mv -f -- "$2.tmp" "$2"',
        'gunzip-to',
        '/boot/vmlinuz-2.6.x.y-xen0',
        '/boot/vmlinux-2.6.x.y-xen0',
      ],
      // howto: mbootpack -o vmlinuz-2.6.x.y-xen0-mpack -m vmlinux-2.6.x.y-xen0 -m initrd-2.6.x.y-xen.img xen-3.0
      [
        'mbootpack',
        '-o',
        '/boot/vmlinuz-2.6.x.y-xen0-mpack',
        '-m',
        '/boot/vmlinux-2.6.x.y-xen0',
        '-m',
        '/boot/initrd-2.6.x.y-xen.img',
        '/boot/xen-3.0',
      ],
    ]);
  });

  it('decompresses through the argv form, with paths that would break a shell string', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xg-lilo-'));
    const src = join(dir, "we'ird $(name).gz");
    const dst = join(dir, "we'ird $(name)");
    writeFileSync(src, gzipSync('payload'));
    const [cmd, ...args] = decompressArgv(src, dst);
    execFileSync(cmd ?? 'sh', args);
    expect(readFileSync(dst, 'utf8')).toBe('payload');
    expect(existsSync(`${dst}.tmp`)).toBe(false);
    expect(readFileSync(src).length).toBeGreaterThan(0);
  });

  it('rejects names it cannot map', () => {
    expect(() => liloFiles({ xenGz: '/boot/xen', vmlinuz: '/boot/vmlinuz-x' })).toThrow(/\*\.gz/);
    expect(() => liloFiles({ xenGz: '/boot/xen.gz', vmlinuz: '/boot/bzImage' })).toThrow(/vmlinuz/);
  });

  it("maps genkernel's kernel name (kernel-genkernel-ARCH-VERSION) as it maps vmlinuz-*", () => {
    expect(liloFiles({ xenGz: '/boot/xen.gz', vmlinuz: '/boot/kernel-genkernel-x86-2.6.20-xen-r6' })).toEqual(
      {
        xen: '/boot/xen',
        vmlinux: '/boot/vmlinux-genkernel-x86-2.6.20-xen-r6',
        packed: '/boot/kernel-genkernel-x86-2.6.20-xen-r6-mpack',
      },
    );
  });

  it("renders the HOWTO's image stanza, with dom0's options after mbootpack's --", () => {
    // howto: image=/boot/vmlinuz-2.6.x.y-xen0-mpack label=xen root=/dev/ram0 append="dom0_mem=96M"
    expect(renderLiloStanza(howtoEntry)).toEqual([
      'image=/boot/vmlinuz-2.6.x.y-xen0-mpack',
      '\tlabel=xen',
      '\troot=/dev/ram0',
      '\tappend="dom0_mem=96M -- root=/dev/ram0"',
    ]);
  });

  it('serial variant', () => {
    const e = buildXenEntry({
      title: 'xen',
      xenPath: '/boot/xen.gz',
      kernelPath: '/boot/vmlinuz-2.6.20-xen-r6-xen0-mpack',
      dom0Mem: '256M',
      rootDevice: '/dev/sda3',
      serial: { port: 'com1', speed: 115200, dom0Console: 'ttyS0' },
      noreboot: true,
    });
    expect(renderLiloStanza(e)[3]).toBe(
      '\tappend="dom0_mem=256M com1=115200,8n1 console=com1 noreboot -- root=/dev/sda3 console=ttyS0"',
    );
  });

  const LILO_CONF = `boot=/dev/sda
prompt
timeout=50
default=gentoo

image=/boot/vmlinuz-2.6.18-gentoo-r6
	label=gentoo
	read-only
	root=/dev/sda3
`;

  it('merges idempotently and keeps default= on the old entry', () => {
    const once = mergeLiloConf(LILO_CONF, howtoEntry);
    expect(once.action).toBe('appended');
    expect(once.text.startsWith(LILO_CONF)).toBe(true);
    expect(once.text).toContain('default=gentoo');
    expect(mergeLiloConf(once.text, howtoEntry)).toEqual({
      text: once.text,
      action: 'unchanged',
      label: 'xen',
      warnings: [],
    });
    const changed = buildXenEntry({ ...howtoOptions(), dom0Mem: '128M' });
    const r = mergeLiloConf(once.text, changed);
    expect(r.action).toBe('updated');
    expect(r.text).toBe(once.text.replace('dom0_mem=96M', 'dom0_mem=128M'));
  });

  it('takes over an unmarked stanza of the same image', () => {
    const text = `${LILO_CONF}\nimage=/boot/vmlinuz-2.6.x.y-xen0-mpack\n\tlabel=xen\n\tappend="dom0_mem=64M"\n`;
    const r = mergeLiloConf(text, howtoEntry);
    expect(r.action).toBe('updated');
    expect(r.text.match(/image=\/boot\/vmlinuz-2.6.x.y-xen0-mpack/g)?.length).toBe(1);
  });

  it("keeps every other line and option of the user's unmarked stanza it updates", () => {
    const text = `${LILO_CONF}\nimage=/boot/vmlinuz-2.6.x.y-xen0-mpack\n\tlabel=myxen\n\tread-only\n\tappend="dom0_mem=64M loglvl=all -- root=/dev/sda3 acpi=off"\n`;
    const r = mergeLiloConf(text, howtoEntry);
    expect(r.action).toBe('updated');
    expect(r.text).toBe(
      `${LILO_CONF}\nimage=/boot/vmlinuz-2.6.x.y-xen0-mpack\n\tlabel=myxen\n\tread-only\n\tappend="dom0_mem=96M loglvl=all -- root=/dev/ram0 acpi=off"\n`,
    );
    expect(r.warnings.join()).toMatch(/kept the label "myxen"/);
    expect(mergeLiloConf(r.text, howtoEntry).action).toBe('unchanged');
    // no append= yet: one is added to the stanza
    const bare = `${LILO_CONF}\nimage=/boot/vmlinuz-2.6.x.y-xen0-mpack\n\tlabel=xen\n\tvga=791\n\nimage=/boot/other\n\tlabel=other\n`;
    expect(mergeLiloConf(bare, howtoEntry).text).toBe(
      `${LILO_CONF}\nimage=/boot/vmlinuz-2.6.x.y-xen0-mpack\n\tlabel=xen\n\tvga=791\n\tappend="dom0_mem=96M -- root=/dev/ram0"\n\nimage=/boot/other\n\tlabel=other\n`,
    );
  });

  it('a broken marker block is a syntax error naming /etc/lilo.conf and the line', () => {
    const text = `${LILO_CONF}# BEGIN xen-gentoo boot-lilo\nimage=/boot/x\n`;
    expect(() => mergeLiloConf(text, howtoEntry)).toThrow(BootFileSyntaxError);
    expect(() => mergeLiloConf(text, howtoEntry)).toThrow(/^\/etc\/lilo\.conf:10: BEGIN marker/);
  });

  it('refuses a label another image uses', () => {
    const text = `${LILO_CONF}\nimage=/boot/other\n\tlabel=xen\n`;
    expect(() => mergeLiloConf(text, howtoEntry)).toThrow(
      /label "xen" \(line 12\) is already used by image=\/boot\/other/,
    );
  });

  it('names the file and the line of the conflicting label when the image is not an mbootpack one', () => {
    // a plain Linux kernel, even one built for Xen, boots Linux: its append= is not Xen's
    const text = `${LILO_CONF}\nimage=/boot/vmlinuz-2.6.20-xen-r6-xen0\n\tread-only\n\tlabel=xen\n`;
    try {
      mergeLiloConf(text, howtoEntry);
      expect.unreachable();
    } catch (e) {
      const err = e as BootConfigError;
      expect(err).toBeInstanceOf(BootConfigError);
      expect(err).not.toBeInstanceOf(BootFileSyntaxError);
      expect(err.file).toBe('/etc/lilo.conf');
      expect(err.line).toBe(13);
      expect(err.message).toMatch(
        /^\/etc\/lilo\.conf:13: label "xen" \(line 13\) is already used by image=\/boot\/vmlinuz-2\.6\.20-xen-r6-xen0, which is not an mbootpack image/,
      );
    }
  });

  it("updates the user's own mbootpack image under the tool's label in place", () => {
    const text = `${LILO_CONF}\nimage=/boot/my-xen-mpack\n\tlabel=xen\n\tread-only\n\tappend="dom0_mem=64M loglvl=all -- root=/dev/sda3 acpi=off"\n`;
    const r = mergeLiloConf(text, howtoEntry);
    expect(r).toMatchObject({ action: 'updated', label: 'xen' });
    expect(r.text).toBe(
      `${LILO_CONF}\nimage=/boot/vmlinuz-2.6.x.y-xen0-mpack\n\tlabel=xen\n\tread-only\n\tappend="dom0_mem=96M loglvl=all -- root=/dev/ram0 acpi=off"\n`,
    );
    expect(r.warnings.join()).toMatch(
      /now boots \/boot\/vmlinuz-2\.6\.x\.y-xen0-mpack.*instead of \/boot\/my-xen-mpack/,
    );
    expect(mergeLiloConf(r.text, howtoEntry)).toEqual({
      text: r.text,
      action: 'unchanged',
      label: 'xen',
      warnings: [],
    });
    // a name with "xen" but no "mpack" is taken too
    const named = mergeLiloConf(text.replace('my-xen-mpack', 'xen-packed'), howtoEntry);
    expect(named.action).toBe('updated');
  });

  describe('a global append= (which an image append= overrides, lilo.conf(5))', () => {
    const GLOBAL = `boot=/dev/sda
prompt
timeout=50
default=gentoo
read-only
append="iommu=no-intremap -- root=/dev/sda3"

image=/boot/vmlinuz-2.6.18-gentoo-r6
	label=gentoo
	root=/dev/sda3
`;

    it("the tool's new stanza starts from it, so Xen keeps iommu=no-intremap", () => {
      const r = mergeLiloConf(GLOBAL, howtoEntry);
      expect(r.action).toBe('appended');
      expect(r.text).toBe(
        `${GLOBAL}\n# BEGIN xen-gentoo boot-lilo (managed by xen-gentoo; edits inside are replaced)\nimage=/boot/vmlinuz-2.6.x.y-xen0-mpack\n\tlabel=xen\n\troot=/dev/ram0\n\tappend="iommu=no-intremap dom0_mem=96M -- root=/dev/ram0"\n# END xen-gentoo boot-lilo\n`,
      );
      expect(mergeLiloConf(r.text, howtoEntry)).toMatchObject({ text: r.text, action: 'unchanged' });
      // a global append= without mbootpack's -- is all Xen's
      const xenOnly = GLOBAL.replace('iommu=no-intremap -- root=/dev/sda3', 'iommu=no-intremap loglvl=all');
      expect(mergeLiloConf(xenOnly, howtoEntry).text).toContain(
        '\tappend="iommu=no-intremap loglvl=all dom0_mem=96M -- root=/dev/ram0"\n',
      );
    });

    it("the user's image without an append= of its own gets one built on it", () => {
      const text = `${GLOBAL}\nimage=/boot/my-xen-mpack\n\tlabel=xen\n\tvga=791\n`;
      const r = mergeLiloConf(text, howtoEntry);
      expect(r.text).toBe(
        `${GLOBAL}\nimage=/boot/vmlinuz-2.6.x.y-xen0-mpack\n\tlabel=xen\n\tvga=791\n\tappend="iommu=no-intremap dom0_mem=96M -- root=/dev/ram0"\n`,
      );
      expect(mergeLiloConf(r.text, howtoEntry)).toMatchObject({ text: r.text, action: 'unchanged' });
      // an append= of the image's own already replaces the global one: only it is merged
      const own = text.replace('\tvga=791\n', '\tappend="dom0_mem=64M -- root=/dev/sda3"\n');
      expect(mergeLiloConf(own, howtoEntry).text).toContain('\tappend="dom0_mem=96M -- root=/dev/ram0"\n');
    });
  });

  it('keeps CRLF line endings in the stanza it updates', () => {
    const text =
      'boot=/dev/sda\r\n\r\nimage=/boot/vmlinuz-2.6.x.y-xen0-mpack\r\n\tlabel=xen\r\n\tvga=791\r\n';
    const r = mergeLiloConf(text, howtoEntry);
    expect(r.text).toBe(
      'boot=/dev/sda\r\n\r\nimage=/boot/vmlinuz-2.6.x.y-xen0-mpack\r\n\tlabel=xen\r\n\tvga=791\r\n\tappend="dom0_mem=96M -- root=/dev/ram0"\r\n',
    );
    const appended = mergeLiloConf('boot=/dev/sda\r\n', howtoEntry).text;
    expect(appended.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  function howtoOptions() {
    return {
      title: 'xen',
      xenPath: '/boot/xen-3.0',
      kernelPath: '/boot/vmlinuz-2.6.x.y-xen0-mpack',
      rootDevice: '/dev/ram0',
    };
  }
});

describe('a lilo.conf lilo itself would refuse', () => {
  it('an unterminated quote is bad input naming its line; a quote in a comment is fine', () => {
    const broken = 'boot=/dev/sda\nappend="iommu=1\nimage=/boot/vmlinuz\n  label=linux\n';
    expect(() => mergeLiloConf(broken, howtoEntry)).toThrow(BootFileSyntaxError);
    try {
      mergeLiloConf(broken, howtoEntry, { file: '/etc/lilo.conf' });
    } catch (error) {
      expect((error as BootFileSyntaxError).line).toBe(2);
      expect((error as BootFileSyntaxError).message).toMatch(
        /^\/etc\/lilo\.conf:2: unterminated double quote/,
      );
    }
    // A quote in a comment does not count.
    const commented = 'boot=/dev/sda\nappend="iommu=1" # a "comment\nimage=/boot/vmlinuz\n  label=linux\n';
    expect(mergeLiloConf(commented, howtoEntry).action).toBe('appended');
  });
});
