import { describe, expect, it } from 'vitest';
import { buildXenEntry } from './entry.js';
import { BootFileSyntaxError } from './errors.js';
import { isXenStanza, mergeGrubLegacy, parseGrubLegacy, renderGrubLegacyStanza } from './grub-legacy.js';
import { appendBlock } from './text.js';

const GENTOO_2007 = `# Boot automatically after 10 secs.
default 0
timeout 10
splashimage=(hd0,0)/grub/splash.xpm.gz

title Gentoo Linux 2.6.18-gentoo-r6
root (hd0,0)
kernel /vmlinuz-2.6.18-gentoo-r6 root=/dev/sda3

# vim:ft=conf:
`;

const entry = buildXenEntry({
  title: 'Xen 3.0 / Linux 2.6.20-xen-r6',
  xenPath: '/xen.gz',
  kernelPath: '/vmlinuz-2.6.20-xen-r6-xen0',
  dom0Mem: '256M',
  rootDevice: '/dev/sda3',
});

describe('renderGrubLegacyStanza', () => {
  it("renders the HOWTO's first example", () => {
    const howto = buildXenEntry({
      title: 'Xen 3.0 / Linux 2.6.x.y',
      xenPath: '/xen.gz',
      kernelPath: '/vmlinuz-2.6.x.y-xen0',
      dom0Mem: '98M',
      rootDevice: '/dev/md2',
    });
    expect(renderGrubLegacyStanza(howto, { grubRoot: '(hd0,0)' }).join(' ')).toBe(
      'title Xen 3.0 / Linux 2.6.x.y root (hd0,0) kernel /xen.gz dom0_mem=98M module /vmlinuz-2.6.x.y-xen0 root=/dev/md2',
    );
  });

  it("renders the HOWTO's initrd example", () => {
    const howto = buildXenEntry({
      title: 'Xen 3.0 / Linux 2.6.12.6',
      xenPath: '/xen.gz',
      kernelPath: '/vmlinuz-x86-2.6.12.6-xen0',
      initrdPath: '/initramfs-genkernel-x86-2.6.12.6-xen.gz',
      dom0Mem: '98M',
      rootDevice: '/dev/ram0',
      kernelArgs: ['real_root=/dev/evms/sda5', 'udev', 'doevms2', 'selinux=1', 'enabled=0'],
    });
    expect(renderGrubLegacyStanza(howto, { grubRoot: '(hd0,0)' }).join(' ')).toBe(
      'title Xen 3.0 / Linux 2.6.12.6 root (hd0,0) kernel /xen.gz dom0_mem=98M module /vmlinuz-x86-2.6.12.6-xen0 root=/dev/ram0 real_root=/dev/evms/sda5 udev doevms2 selinux=1 enabled=0 module /initramfs-genkernel-x86-2.6.12.6-xen.gz',
    );
  });

  it("renders the HOWTO's serial-console example (with its dom0_mem normalised)", () => {
    const howto = buildXenEntry({
      title: 'Xen 2.0.8_pre20050826 / XenLinux 2.6.12.5',
      xenPath: '/xen.gz',
      kernelPath: '/vmlinuz-2.6.12.5-xen',
      dom0Mem: '96M',
      rootDevice: '/dev/md2',
      serial: { port: 'com1', speed: 9600, dom0Console: 'ttyS0' },
      noreboot: true,
      kernelArgs: ['debug'],
    });
    expect(renderGrubLegacyStanza(howto, { grubRoot: '(hd0,0)' })).toEqual([
      'title Xen 2.0.8_pre20050826 / XenLinux 2.6.12.5',
      'root (hd0,0)',
      'kernel /xen.gz dom0_mem=96M com1=9600,8n1 console=com1 noreboot',
      'module /vmlinuz-2.6.12.5-xen root=/dev/md2 console=ttyS0 debug',
    ]);
  });

  it('rejects a bad GRUB device', () => {
    expect(() => renderGrubLegacyStanza(entry, { grubRoot: 'hd0,0' })).toThrow(/GRUB legacy device/);
  });
});

describe('mergeGrubLegacy', () => {
  it('appends after the existing entries, leaving every other byte alone', () => {
    const r = mergeGrubLegacy(GENTOO_2007, entry, { grubRoot: '(hd0,0)' });
    expect(r.action).toBe('appended');
    expect(r.index).toBe(1);
    expect(r.text.startsWith(GENTOO_2007)).toBe(true);
    expect(r.text.slice(GENTOO_2007.length)).toBe(
      [
        '',
        '# BEGIN xen-gentoo boot-grub (managed by xen-gentoo; edits inside are replaced)',
        'title Xen 3.0 / Linux 2.6.20-xen-r6',
        'root (hd0,0)',
        'kernel /xen.gz dom0_mem=256M',
        'module /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3',
        '# END xen-gentoo boot-grub',
        '',
      ].join('\n'),
    );
    // default 0 still names the Gentoo entry
    const menu = parseGrubLegacy(r.text);
    expect(menu.globals.find((g) => g.name === 'default')?.args).toBe('0');
    expect(menu.stanzas[0]?.title).toBe('Gentoo Linux 2.6.18-gentoo-r6');
    expect(menu.stanzas[1]?.title).toBe(entry.title);
    expect(r.warnings.join()).toMatch(/default 0" still boots the previous entry/);
  });

  it('is idempotent', () => {
    const once = mergeGrubLegacy(GENTOO_2007, entry, { grubRoot: '(hd0,0)' }).text;
    const twice = mergeGrubLegacy(once, entry, { grubRoot: '(hd0,0)' });
    expect(twice.text).toBe(once);
    expect(twice.action).toBe('unchanged');
    expect(twice.index).toBe(1);
  });

  it('updates the managed entry in place when options change', () => {
    const once = mergeGrubLegacy(GENTOO_2007 + 'title Other\nroot (hd0,1)\nchainloader +1\n', entry, {
      grubRoot: '(hd0,0)',
    }).text;
    const changed = buildXenEntry({ ...entryOptions(), dom0Mem: '512M' });
    const r = mergeGrubLegacy(once, changed, { grubRoot: '(hd0,0)' });
    expect(r.action).toBe('updated');
    expect(r.text).toBe(once.replace('dom0_mem=256M', 'dom0_mem=512M'));
    expect(r.index).toBe(2);
  });

  it("takes over the user's hand-written Xen entry with the same title instead of duplicating it", () => {
    const handWritten = `default 1
timeout 5

title Gentoo
	root (hd0,0)
	kernel /vmlinuz root=/dev/sda3

title Xen 3.0 / Linux 2.6.20-xen-r6
	root (hd0,0)
	kernel /xen.gz dom0_mem=98M
	module /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3
# keep me

title Windows
	rootnoverify (hd0,1)
	chainloader +1
`;
    const r = mergeGrubLegacy(handWritten, entry, { grubRoot: '(hd0,0)' });
    expect(r.action).toBe('updated');
    expect(r.index).toBe(1);
    expect(r.text).toContain('\tkernel /xen.gz dom0_mem=256M\n');
    expect(r.text).toContain('# keep me\n\ntitle Windows');
    expect(parseGrubLegacy(r.text).stanzas.map((s) => s.title)).toEqual(['Gentoo', entry.title, 'Windows']);
    expect(r.warnings).toEqual([]);
    expect(mergeGrubLegacy(r.text, entry, { grubRoot: '(hd0,0)' }).text).toBe(r.text);
  });

  it("keeps every other line and option of the user's Xen entry it updates", () => {
    const handWritten = `default 0
title Xen 3.0 / Linux 2.6.20-xen-r6
\troot (hd0,0)
\tlock
\tkernel --type=multiboot (hd0,0)/xen-3.0.2.gz dom0_mem=98M loglvl=all iommu=no-intremap
\tmodule /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda1 console=tty0 acpi=off
\tsavedefault
`;
    const serial = buildXenEntry({
      ...entryOptions(),
      serial: { port: 'com1', speed: 115200, dom0Console: 'ttyS0' },
      noreboot: true,
      initrdPath: '/initrd-xen',
    });
    const r = mergeGrubLegacy(handWritten, serial, { grubRoot: '(hd0,0)' });
    expect(r.action).toBe('updated');
    expect(r.text).toBe(`default 0
title Xen 3.0 / Linux 2.6.20-xen-r6
\troot (hd0,0)
\tlock
\tkernel --type=multiboot (hd0,0)/xen.gz dom0_mem=256M loglvl=all iommu=no-intremap com1=115200,8n1 console=com1 noreboot
\tmodule /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3 console=tty0 acpi=off console=ttyS0
\tmodule /initrd-xen
\tsavedefault
`);
    expect(mergeGrubLegacy(r.text, serial, { grubRoot: '(hd0,0)' })).toMatchObject({
      text: r.text,
      action: 'unchanged',
    });
  });

  it.each([
    ['/xen-3.1.gz', entry],
    ['(hd0,0)/xen-3.0.4_1.gz', entry],
    [
      '/boot/xen-4.2.gz',
      buildXenEntry({
        ...entryOptions(),
        xenPath: '/boot/xen.gz',
        kernelPath: '/boot/vmlinuz-2.6.20-xen-r6-xen0',
      }),
    ],
    ['/xen-3.1', entry],
  ])("takes a stanza loading %s and the same dom0 kernel for the user's Xen entry", (xen, e) => {
    const kernel = e.kernel.path;
    const text = `default 1\ntimeout 5\n\ntitle Gentoo\n\troot (hd0,0)\n\tkernel /vmlinuz root=/dev/sda3\n\ntitle My Xen\n\troot (hd0,0)\n\tkernel ${xen} dom0_mem=98M loglvl=all\n\tmodule ${kernel} root=/dev/sda3 quiet\n`;
    const r = mergeGrubLegacy(text, e, { grubRoot: '(hd0,0)' });
    expect(r).toMatchObject({ action: 'updated', index: 1, title: 'My Xen', warnings: [] });
    const device = /^\([^)]*\)/.exec(xen)?.[0] ?? '';
    expect(r.text).toBe(
      text.replace(`${xen} dom0_mem=98M loglvl=all`, `${device}${e.xen.path} dom0_mem=256M loglvl=all`),
    );
    expect(parseGrubLegacy(r.text).stanzas).toHaveLength(2);
    expect(mergeGrubLegacy(r.text, e, { grubRoot: '(hd0,0)' })).toMatchObject({
      text: r.text,
      action: 'unchanged',
      title: 'My Xen',
    });
  });

  it('knows the Xen images GRUB legacy can boot, and only those', () => {
    const stanza = (file: string) =>
      parseGrubLegacy(`title X\nkernel ${file} dom0_mem=1G\nmodule /vmlinuz\n`).stanzas[0]!;
    for (const file of ['/xen', '/xen.gz', '/xen-3.1', '/boot/xen-4.2.gz', '(hd0,0)/xen-3.0.4_1.gz'])
      expect(isXenStanza(stanza(file)), file).toBe(true);
    for (const file of [
      '/xen.efi',
      '/xen-4.2.efi',
      '/xen-syms-4.2',
      '/xenial',
      '/xen-4.2.gz.old',
      '/tboot.gz',
    ])
      expect(isXenStanza(stanza(file)), file).toBe(false);
  });

  it("keeps CRLF line endings in the user's Xen entry it updates", () => {
    const text =
      'default 0\r\ntitle My Xen\r\nroot (hd0,0)\r\nkernel /xen-3.1.gz dom0_mem=98M\r\nmodule /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3\r\n';
    const r = mergeGrubLegacy(text, { ...entry, initrd: '/initrd-xen' }, { grubRoot: '(hd0,0)' });
    expect(r.text).toBe(
      'default 0\r\ntitle My Xen\r\nroot (hd0,0)\r\nkernel /xen.gz dom0_mem=256M\r\nmodule /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3\r\nmodule /initrd-xen\r\n',
    );
  });

  describe("a user's Xen stanza on another partition than the tool's root", () => {
    const GENTOO = 'default 0\ntimeout 5\n\ntitle Gentoo\n\troot (hd0,0)\n\tkernel /vmlinuz root=/dev/sda3\n';
    const theirs = `title ${entry.title}\n\troot (hd0,1)\n\tkernel /boot/xen.gz dom0_mem=98M iommu=no-intremap\n\tmodule /boot/vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3\n`;

    it('is not taken over by title: the entry is appended, with a warning naming file and line', () => {
      const text = `${GENTOO}\n${theirs}`;
      const r = mergeGrubLegacy(text, entry, { grubRoot: '(hd0,0)', file: '/boot/grub/grub.conf' });
      expect(r).toMatchObject({ action: 'appended', index: 2, title: entry.title });
      expect(r.text).toBe(
        appendBlock(text, [
          '# BEGIN xen-gentoo boot-grub (managed by xen-gentoo; edits inside are replaced)',
          ...renderGrubLegacyStanza(entry, { grubRoot: '(hd0,0)', indent: '\t' }),
          '# END xen-gentoo boot-grub',
        ]),
      );
      expect(r.warnings).toEqual([
        expect.stringMatching(
          /^\/boot\/grub\/grub\.conf:9: the Xen entry "Xen 3\.0 \/ Linux 2\.6\.20-xen-r6" loads its files from \(hd0,1\), not from \(hd0,0\)/,
        ),
        expect.stringMatching(/^"default 0" still boots/),
      ]);
      expect(mergeGrubLegacy(r.text, entry, { grubRoot: '(hd0,0)' })).toMatchObject({
        text: r.text,
        action: 'unchanged',
      });
      // the same root, written with a space: taken over
      const same = mergeGrubLegacy(text.replace('(hd0,1)', '(hd0, 0)'), entry, { grubRoot: '(hd0,0)' });
      expect(same).toMatchObject({ action: 'updated', index: 1 });
    });

    it('is not taken over when a file names another device, nor as the only stanza with the same files', () => {
      const prefixed = `${GENTOO}\ntitle Mine\n\troot (hd0,0)\n\tkernel (hd0,1)/xen.gz dom0_mem=98M\n\tmodule /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3\n`;
      const r = mergeGrubLegacy(prefixed, entry, { grubRoot: '(hd0,0)' });
      expect(r.action).toBe('appended');
      expect(r.text.startsWith(prefixed)).toBe(true);
      expect(r.warnings[0]).toMatch(/^grub\.conf:10: the Xen entry "Mine" loads its files from \(hd0,1\)/);
      const sameFiles = `${GENTOO}\ntitle Mine\n\troot (hd0,1)\n\tkernel /xen.gz\n\tmodule /vmlinuz-2.6.20-xen-r6-xen0\n`;
      expect(mergeGrubLegacy(sameFiles, entry, { grubRoot: '(hd0,0)' }).action).toBe('appended');
    });

    it('without a root line: taken over only when no other entry boots from another device', () => {
      const rootless = `title ${entry.title}\n\tkernel /xen.gz dom0_mem=98M\n\tmodule /vmlinuz-2.6.20-xen-r6-xen0 root=/dev/sda3\n`;
      const agrees = mergeGrubLegacy(`${GENTOO}\n${rootless}`, entry, { grubRoot: '(hd0,0)' });
      expect(agrees).toMatchObject({
        action: 'updated',
        index: 1,
        warnings: [expect.stringMatching(/^"default 0"/)],
      });
      const other = `${GENTOO}\ntitle Other\n\troot (hd1,0)\n\tkernel /vmlinuz\n\n${rootless}`;
      const r = mergeGrubLegacy(other, entry, { grubRoot: '(hd0,0)', file: 'menu.lst' });
      expect(r.action).toBe('appended');
      expect(r.text.startsWith(other)).toBe(true);
      expect(r.warnings[0]).toMatch(
        /^menu\.lst:12: the Xen entry "Xen 3\.0 \/ Linux 2\.6\.20-xen-r6" has no root line and other entries boot from \(hd1,0\)/,
      );
    });
  });

  it('leaves other Xen entries alone and says so', () => {
    const other = `title Xen old\nroot (hd0,0)\nkernel /xen-3.0.2.gz\nmodule /vmlinuz-old root=/dev/sda3\n`;
    const r = mergeGrubLegacy(other, entry, { grubRoot: '(hd0,0)' });
    expect(r.action).toBe('appended');
    expect(r.text.startsWith(other)).toBe(true);
    expect(r.warnings.join()).toMatch(/kept 1 other Xen entry/);
  });

  it('adds the missing final newline and copes with CRLF files', () => {
    const noEol = 'default 0\ntitle A\nkernel /a';
    expect(
      mergeGrubLegacy(noEol, entry, { grubRoot: '(hd0,0)' }).text.startsWith(noEol + '\n\n# BEGIN'),
    ).toBe(true);
    const crlf = 'default 0\r\ntitle A\r\nkernel /a\r\n';
    const r = mergeGrubLegacy(crlf, entry, { grubRoot: '(hd0,0)' }).text;
    expect(r.startsWith(crlf)).toBe(true);
    expect(r.split('\r\n').length).toBeGreaterThan(5);
    expect(mergeGrubLegacy(r, entry, { grubRoot: '(hd0,0)' }).text).toBe(r);
  });

  it('refuses a broken managed block', () => {
    const broken = '# BEGIN xen-gentoo boot-grub\ntitle X\nkernel /xen.gz\n';
    expect(() =>
      mergeGrubLegacy(broken, entry, { grubRoot: '(hd0,0)', file: '/boot/grub/grub.conf' }),
    ).toThrow(/grub.conf:1: BEGIN marker .* without an END marker/);
  });

  it.each([
    [
      'a BEGIN without END',
      '# BEGIN xen-gentoo boot-grub\ntitle X\nkernel /xen.gz\n',
      1,
      /without an END marker/,
      /# END xen-gentoo boot-grub/,
    ],
    [
      'two BEGINs',
      '# BEGIN xen-gentoo boot-grub\n# END xen-gentoo boot-grub\ntitle A\n# BEGIN xen-gentoo boot-grub\n# END xen-gentoo boot-grub\n',
      4,
      /appears more than once/,
      /one managed block/,
    ],
    [
      'an END without BEGIN',
      'title A\nkernel /a\n# END xen-gentoo boot-grub\n',
      3,
      /without a BEGIN marker/,
      /BEGIN/,
    ],
    [
      'a block with no entry',
      'title A\nkernel /a\n# BEGIN xen-gentoo boot-grub\n# END xen-gentoo boot-grub\n',
      3,
      /holds 0 entries/,
      /exactly one title stanza/,
    ],
  ])(
    'a broken marker block is a syntax error naming file and line: %s',
    (_name, text, line, problem, expected) => {
      const run = () => mergeGrubLegacy(text, entry, { grubRoot: '(hd0,0)', file: '/boot/grub/grub.conf' });
      expect(run).toThrow(BootFileSyntaxError);
      try {
        run();
      } catch (e) {
        const err = e as BootFileSyntaxError;
        expect(err.file).toBe('/boot/grub/grub.conf');
        expect(err.line).toBe(line);
        expect(err.problem).toMatch(problem);
        expect(err.expected).toMatch(expected);
      }
    },
  );

  it('works on an empty file', () => {
    const r = mergeGrubLegacy('', entry, { grubRoot: '(hd0,0)' });
    expect(r.index).toBe(0);
    expect(r.text.startsWith('# BEGIN')).toBe(true);
  });
});

function entryOptions() {
  return {
    title: 'Xen 3.0 / Linux 2.6.20-xen-r6',
    xenPath: '/xen.gz',
    kernelPath: '/vmlinuz-2.6.20-xen-r6-xen0',
    dom0Mem: '256M',
    rootDevice: '/dev/sda3',
  };
}

describe('buildXenEntry option precedence', () => {
  it('replaces single-valued extras, keeps extra consoles', () => {
    const e = buildXenEntry({
      title: 't',
      xenPath: '/xen.gz',
      kernelPath: '/vmlinuz',
      dom0Mem: '256M',
      rootDevice: '/dev/sda3',
      serial: { port: 'com1', speed: 115200, dom0Console: 'ttyS0' },
      xenArgs: ['dom0_mem=98M', 'loglvl=all'],
      kernelArgs: ['root=/dev/hda1', 'console=hvc0', 'quiet'],
    });
    expect(e.xen.args).toEqual(['dom0_mem=256M', 'com1=115200,8n1', 'console=com1', 'loglvl=all']);
    expect(e.kernel.args).toEqual(['root=/dev/sda3', 'console=ttyS0', 'console=hvc0', 'quiet']);
  });

  it('refuses quotes and loader separators in extra options', () => {
    const base = { title: 't', xenPath: '/xen.gz', kernelPath: '/vmlinuz' };
    expect(() => buildXenEntry({ ...base, kernelArgs: ['a="b c"'] })).toThrow(/plain word/);
    expect(() => buildXenEntry({ ...base, kernelArgs: ['---'] })).toThrow(/separators/);
    expect(() => buildXenEntry({ ...base, kernelPath: '/vm linuz' })).toThrow(/without spaces/);
  });
});
