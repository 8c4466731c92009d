import { describe, expect, it } from 'vitest';
import { buildXenEntry } from './entry.js';
import { BootFileSyntaxError } from './errors.js';
import { mergePxelinuxConfig, pxelinuxTftpFiles, renderPxelinuxLine } from './pxelinux.js';

const howtoEntry = buildXenEntry({
  title: 'xen',
  xenPath: 'xen.gz',
  kernelPath: 'vmlinuz-2.6.12.5-xen0',
  initrdPath: 'initrd-2.6.12.5-xen0',
  dom0Mem: '252M',
  kernelArgs: ['ro', 'console=ttyS0', 'root=/dev/nfs'],
});

describe('PXELinux', () => {
  it("renders the HOWTO's line (dom0_mem=258048 KiB written as 252M)", () => {
    // howto: DEFAULT mboot.c32 xen.gz dom0_mem=258048 --- vmlinuz-2.6.12.5-xen0 ro console=ttyS0 root=/dev/nfs --- initrd-2.6.12.5-xen0
    expect(renderPxelinuxLine(howtoEntry)).toBe(
      'DEFAULT mboot.c32 xen.gz dom0_mem=252M --- vmlinuz-2.6.12.5-xen0 ro console=ttyS0 root=/dev/nfs --- initrd-2.6.12.5-xen0',
    );
  });

  it('omits the initrd part without one', () => {
    const e = buildXenEntry({
      title: 'x',
      xenPath: 'xen.gz',
      kernelPath: 'vmlinuz',
      dom0Mem: '1024M,max:1024M',
    });
    expect(renderPxelinuxLine(e)).toBe('DEFAULT mboot.c32 xen.gz dom0_mem=1024M,max:1024M --- vmlinuz');
  });

  it('wants TFTP-relative paths', () => {
    const e = buildXenEntry({ title: 'x', xenPath: '/boot/xen.gz', kernelPath: '/vmlinuz' });
    expect(() => renderPxelinuxLine(e)).toThrow(/relative to the TFTP root/);
  });

  it('creates, then keeps the config stable', () => {
    const r = mergePxelinuxConfig(null, howtoEntry);
    expect(r.action).toBe('created');
    expect(mergePxelinuxConfig(r.text, howtoEntry).action).toBe('unchanged');
  });

  it('takes the place of the active DEFAULT and leaves the labels alone', () => {
    const cfg =
      'PROMPT 1\nTIMEOUT 50\ndefault linux\n\nLABEL linux\n  KERNEL vmlinuz\n  APPEND root=/dev/nfs\n';
    const r = mergePxelinuxConfig(cfg, howtoEntry);
    expect(r.text).toBe(
      [
        'PROMPT 1',
        'TIMEOUT 50',
        '# disabled for the Xen entry (xen-gentoo): default linux',
        '# BEGIN xen-gentoo boot-pxelinux (managed by xen-gentoo; edits inside are replaced)',
        renderPxelinuxLine(howtoEntry),
        '# END xen-gentoo boot-pxelinux',
        '',
        'LABEL linux',
        '  KERNEL vmlinuz',
        '  APPEND root=/dev/nfs',
        '',
      ].join('\n'),
    );
    expect(mergePxelinuxConfig(r.text, howtoEntry).text).toBe(r.text);
    const e2 = buildXenEntry({ title: 'x', xenPath: 'xen.gz', kernelPath: 'vmlinuz-2', dom0Mem: '512M' });
    const r2 = mergePxelinuxConfig(r.text, e2);
    expect(r2.action).toBe('updated');
    expect(r2.text).toContain('DEFAULT mboot.c32 xen.gz dom0_mem=512M --- vmlinuz-2\n');
    expect(r2.text).toContain('# disabled for the Xen entry (xen-gentoo): default linux\n');
  });

  it('disables a DEFAULT added later outside the block', () => {
    const once = mergePxelinuxConfig('DEFAULT a\n', howtoEntry).text;
    const r = mergePxelinuxConfig(`${once}DEFAULT b\n`, howtoEntry);
    expect(r.text.endsWith('# disabled for the Xen entry (xen-gentoo): DEFAULT b\n')).toBe(true);
  });

  it("updates the user's own mboot.c32 DEFAULT line in place, keeping its options", () => {
    const cfg =
      'PROMPT 0\nDEFAULT mboot.c32 xen.gz dom0_mem=128M iommu=no-intremap --- vmlinuz-old root=/dev/nfs nfsroot=10.0.0.1:/srv quiet --- initrd-old\nDEFAULT other\n';
    const r = mergePxelinuxConfig(cfg, howtoEntry);
    expect(r.action).toBe('updated');
    expect(r.text).toBe(
      'PROMPT 0\nDEFAULT mboot.c32 xen.gz dom0_mem=252M iommu=no-intremap --- vmlinuz-2.6.12.5-xen0 root=/dev/nfs nfsroot=10.0.0.1:/srv quiet ro console=ttyS0 --- initrd-2.6.12.5-xen0\n# disabled for the Xen entry (xen-gentoo): DEFAULT other\n',
    );
    expect(mergePxelinuxConfig(r.text, howtoEntry)).toMatchObject({ text: r.text, action: 'unchanged' });
  });

  describe("the user's own Xen LABEL block (KERNEL mboot.c32)", () => {
    const entry = buildXenEntry({
      title: 'x',
      xenPath: 'xen.gz',
      kernelPath: 'vmlinuz-6.12.58-gentoo-xen0',
      dom0Mem: '1024M,max:1024M',
      rootDevice: '/dev/nfs',
    });
    const labelBlock = [
      'LABEL xen',
      '  KERNEL mboot.c32',
      '  APPEND xen.gz dom0_mem=512M loglvl=all --- vmlinuz-6.12.58-gentoo-xen0 root=/dev/nfs quiet',
    ];
    const updatedAppend =
      '  APPEND xen.gz dom0_mem=1024M,max:1024M loglvl=all --- vmlinuz-6.12.58-gentoo-xen0 root=/dev/nfs quiet';

    it('updates its APPEND in place and keeps a DEFAULT that names it', () => {
      const cfg = [
        'PROMPT 0',
        'DEFAULT xen',
        '',
        ...labelBlock,
        '',
        'LABEL linux',
        '  KERNEL vmlinuz',
        '',
      ].join('\n');
      const r = mergePxelinuxConfig(cfg, entry);
      expect(r).toMatchObject({ action: 'updated', label: 'xen', warnings: [] });
      expect(r.text).toBe(cfg.replace(labelBlock[2] ?? '', updatedAppend));
      expect(mergePxelinuxConfig(r.text, entry)).toMatchObject({ text: r.text, action: 'unchanged' });
    });

    it('reads keywords case-insensitively and keeps DEFAULT menu.c32, with a warning', () => {
      const cfg =
        'default menu.c32\nprompt 0\n\nlabel xen\n  kernel /boot/MBOOT.C32\n  append xen-4.19.2.gz loglvl=all --- vmlinuz-old quiet --- initrd.img\n';
      const r = mergePxelinuxConfig(cfg, entry, { file: '/srv/tftp/pxelinux.cfg/default' });
      expect(r.action).toBe('updated');
      expect(r.text).toBe(
        'default menu.c32\nprompt 0\n\nlabel xen\n  kernel /boot/MBOOT.C32\n  append xen.gz loglvl=all dom0_mem=1024M,max:1024M --- vmlinuz-6.12.58-gentoo-xen0 quiet root=/dev/nfs --- initrd.img\n',
      );
      expect(r.warnings.join()).toMatch(
        /^\/srv\/tftp\/pxelinux\.cfg\/default:1: "default menu\.c32" opens the menu.*check that it is LABEL xen/,
      );
      expect(mergePxelinuxConfig(r.text, entry).action).toBe('unchanged');
      // marked MENU DEFAULT: nothing to check
      const marked = cfg.replace('label xen\n', 'label xen\n  menu default\n');
      expect(mergePxelinuxConfig(marked, entry).warnings).toEqual([]);
    });

    it('points DEFAULT at it when DEFAULT names another entry or is missing', () => {
      const cfg = ['DEFAULT linux', '', 'LABEL linux', '  KERNEL vmlinuz', '', ...labelBlock, ''].join('\n');
      const r = mergePxelinuxConfig(cfg, entry);
      expect(r.text).toBe(
        [
          '# disabled for the Xen entry (xen-gentoo): DEFAULT linux',
          '# BEGIN xen-gentoo boot-pxelinux (managed by xen-gentoo; edits inside are replaced)',
          'DEFAULT xen',
          '# END xen-gentoo boot-pxelinux',
          '',
          'LABEL linux',
          '  KERNEL vmlinuz',
          '',
          labelBlock[0],
          labelBlock[1],
          updatedAppend,
          '',
        ].join('\n'),
      );
      expect(mergePxelinuxConfig(r.text, entry)).toMatchObject({ text: r.text, action: 'unchanged' });
      const none = mergePxelinuxConfig(['PROMPT 0', ...labelBlock, ''].join('\n'), entry);
      expect(
        none.text.endsWith(
          '\n\n# BEGIN xen-gentoo boot-pxelinux (managed by xen-gentoo; edits inside are replaced)\nDEFAULT xen\n# END xen-gentoo boot-pxelinux\n',
        ),
      ).toBe(true);
      expect(mergePxelinuxConfig(none.text, entry).action).toBe('unchanged');
    });

    it('warns about INCLUDE lines, which may set another DEFAULT', () => {
      const cfg = ['DEFAULT xen', 'INCLUDE local.cfg', ...labelBlock, ''].join('\n');
      const r = mergePxelinuxConfig(cfg, entry, { file: 'pxelinux.cfg/default' });
      expect(r.warnings).toEqual([
        'pxelinux.cfg/default:2: "INCLUDE local.cfg": an included file may set another DEFAULT or ONTIMEOUT (syslinux uses the last one it reads); check that the Xen entry stays the default',
      ]);
    });

    it('keeps CRLF line endings', () => {
      const cfg = ['DEFAULT linux', ...labelBlock, ''].join('\r\n');
      const r = mergePxelinuxConfig(cfg, entry);
      expect(r.text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
      expect(r.text).toContain(`${updatedAppend}\r\n`);
      expect(mergePxelinuxConfig(r.text, entry).action).toBe('unchanged');
    });

    it('is not another multiboot kernel (tboot) started by mboot.c32', () => {
      const cfg = 'DEFAULT tb\nLABEL tb\n  KERNEL mboot.c32\n  APPEND tboot.gz --- xen.gz --- vmlinuz\n';
      const r = mergePxelinuxConfig(cfg, entry);
      expect(r.label).toBeUndefined();
      expect(r.text).toContain('  APPEND tboot.gz --- xen.gz --- vmlinuz\n');
    });
  });

  describe('the DEFAULT that boots is the last one syslinux reads', () => {
    const entry = buildXenEntry({
      title: 'x',
      xenPath: 'xen.gz',
      kernelPath: 'vmlinuz',
      dom0Mem: '1024M,max:1024M',
      rootDevice: '/dev/nfs',
    });

    it("updates a last DEFAULT that is the user's mboot.c32 Xen line in place, keeping iommu=no-intremap", () => {
      const cfg = [
        'DEFAULT linux',
        'LABEL linux',
        'KERNEL vmlinuz-plain',
        'DEFAULT mboot.c32 xen.gz iommu=no-intremap --- vmlinuz root=/dev/nfs',
        '',
      ].join('\n');
      const r = mergePxelinuxConfig(cfg, entry);
      expect(r).toMatchObject({ action: 'updated', warnings: [] });
      expect(r.text).toBe(
        [
          '# disabled for the Xen entry (xen-gentoo): DEFAULT linux',
          'LABEL linux',
          'KERNEL vmlinuz-plain',
          'DEFAULT mboot.c32 xen.gz iommu=no-intremap dom0_mem=1024M,max:1024M --- vmlinuz root=/dev/nfs',
          '',
        ].join('\n'),
      );
      expect(mergePxelinuxConfig(r.text, entry)).toMatchObject({ text: r.text, action: 'unchanged' });
    });

    it('puts the managed line in the place of the last DEFAULT', () => {
      const r = mergePxelinuxConfig('DEFAULT a\nPROMPT 0\nDEFAULT b\n', entry);
      expect(r.text).toBe(
        [
          '# disabled for the Xen entry (xen-gentoo): DEFAULT a',
          'PROMPT 0',
          '# disabled for the Xen entry (xen-gentoo): DEFAULT b',
          '# BEGIN xen-gentoo boot-pxelinux (managed by xen-gentoo; edits inside are replaced)',
          renderPxelinuxLine(entry),
          '# END xen-gentoo boot-pxelinux',
          '',
        ].join('\n'),
      );
      expect(mergePxelinuxConfig(r.text, entry).action).toBe('unchanged');
    });

    it('decides which Xen LABEL is the entry', () => {
      const cfg = [
        'DEFAULT xenold',
        'DEFAULT xen',
        'LABEL xenold',
        '  KERNEL mboot.c32',
        '  APPEND xen.gz --- vmlinuz-old',
        'LABEL xen',
        '  KERNEL mboot.c32',
        '  APPEND xen.gz iommu=no-intremap --- vmlinuz root=/dev/nfs',
        '',
      ].join('\n');
      const r = mergePxelinuxConfig(cfg, entry);
      expect(r).toMatchObject({ action: 'updated', label: 'xen', warnings: [] });
      expect(r.text).toBe(
        cfg
          .replace('DEFAULT xenold', '# disabled for the Xen entry (xen-gentoo): DEFAULT xenold')
          .replace('iommu=no-intremap ---', 'iommu=no-intremap dom0_mem=1024M,max:1024M ---'),
      );
      expect(mergePxelinuxConfig(r.text, entry)).toMatchObject({ text: r.text, action: 'unchanged' });
    });
  });

  describe('ONTIMEOUT, what an unattended boot starts', () => {
    const entry = buildXenEntry({
      title: 'x',
      xenPath: 'xen.gz',
      kernelPath: 'vmlinuz',
      dom0Mem: '1024M,max:1024M',
      rootDevice: '/dev/nfs',
    });
    const xenLabel = [
      'LABEL xen',
      '  KERNEL mboot.c32',
      '  APPEND xen.gz dom0_mem=1024M,max:1024M --- vmlinuz root=/dev/nfs',
    ];
    const linuxLabel = ['LABEL linux', '  KERNEL vmlinuz-plain', '  APPEND root=/dev/nfs'];

    it('turns an ONTIMEOUT naming another label into a comment, with a warning naming file and line', () => {
      const cfg = [
        'DEFAULT xen',
        'ONTIMEOUT linux',
        'PROMPT 1',
        'TIMEOUT 50',
        ...xenLabel,
        ...linuxLabel,
        '',
      ].join('\n');
      const r = mergePxelinuxConfig(cfg, entry, { file: '/srv/tftp/pxelinux.cfg/default' });
      expect(r.action).toBe('updated');
      expect(r.text).toBe(
        cfg.replace('ONTIMEOUT linux', '# disabled for the Xen entry (xen-gentoo): ONTIMEOUT linux'),
      );
      expect(r.warnings).toEqual([
        expect.stringMatching(
          /^\/srv\/tftp\/pxelinux\.cfg\/default:2: "ONTIMEOUT linux" boots linux instead of the Xen entry when the timeout expires/,
        ),
      ]);
      expect(mergePxelinuxConfig(r.text, entry)).toMatchObject({
        text: r.text,
        action: 'unchanged',
        warnings: [],
      });
    });

    it('keeps an ONTIMEOUT naming the Xen label, and the last DEFAULT decides', () => {
      const cfg = ['ONTIMEOUT xen', 'TIMEOUT 50', 'DEFAULT xen', ...xenLabel, ...linuxLabel, ''].join('\n');
      expect(mergePxelinuxConfig(cfg, entry)).toMatchObject({ text: cfg, action: 'unchanged', warnings: [] });
    });

    it('disables an ONTIMEOUT next to the managed DEFAULT line, and updates an mboot.c32 Xen one in place', () => {
      const cfg = 'DEFAULT linux\nontimeout linux\nTIMEOUT 50\n';
      const r = mergePxelinuxConfig(cfg, entry);
      expect(r.text).toContain('# disabled for the Xen entry (xen-gentoo): ontimeout linux\n');
      expect(mergePxelinuxConfig(r.text, entry).action).toBe('unchanged');
      const xenTimeout =
        'DEFAULT xen\nONTIMEOUT mboot.c32 xen.gz iommu=no-intremap --- vmlinuz root=/dev/nfs\n' +
        [...xenLabel, ''].join('\n');
      const t = mergePxelinuxConfig(xenTimeout, entry);
      expect(t.text).toBe(
        xenTimeout.replace('iommu=no-intremap ---', 'iommu=no-intremap dom0_mem=1024M,max:1024M ---'),
      );
      expect(t.warnings).toEqual([]);
      expect(mergePxelinuxConfig(t.text, entry).action).toBe('unchanged');
    });
  });

  it('a broken marker block is a syntax error naming the file and line', () => {
    const cfg = 'PROMPT 0\n# BEGIN xen-gentoo boot-pxelinux\nDEFAULT x\n';
    const run = () => mergePxelinuxConfig(cfg, howtoEntry, { file: '/srv/tftp/pxelinux.cfg/default' });
    expect(run).toThrow(BootFileSyntaxError);
    expect(run).toThrow(/^\/srv\/tftp\/pxelinux\.cfg\/default:2: BEGIN marker/);
  });

  it('appends to a config without DEFAULT', () => {
    const r = mergePxelinuxConfig('PROMPT 0', howtoEntry);
    expect(r.text.startsWith('PROMPT 0\n\n# BEGIN')).toBe(true);
  });

  it('lists the files the TFTP root must hold', () => {
    expect(
      pxelinuxTftpFiles(howtoEntry, { syslinuxDir: '/usr/share/syslinux', syslinuxMajor: 6 }).map((f) => [
        f.name,
        f.source,
      ]),
    ).toEqual([
      ['pxelinux.0', '/usr/share/syslinux/pxelinux.0'],
      ['mboot.c32', '/usr/share/syslinux/mboot.c32'],
      ['ldlinux.c32', '/usr/share/syslinux/ldlinux.c32'],
      ['libcom32.c32', '/usr/share/syslinux/libcom32.c32'],
      ['xen.gz', undefined],
      ['vmlinuz-2.6.12.5-xen0', undefined],
      ['initrd-2.6.12.5-xen0', undefined],
    ]);
    expect(
      pxelinuxTftpFiles(howtoEntry, { syslinuxDir: '/usr/lib/syslinux', syslinuxMajor: 3 }).map(
        (f) => f.name,
      ),
    ).toEqual(['pxelinux.0', 'mboot.c32', 'xen.gz', 'vmlinuz-2.6.12.5-xen0', 'initrd-2.6.12.5-xen0']);
  });
});
