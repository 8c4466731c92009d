import { describe, expect, it } from 'vitest';
import { answersSchema, defaultAnswers, isAnswersKey, isAnswersSection } from './index.js';

const valid = (raw: unknown): boolean => answersSchema.safeParse(raw).success;

describe('answers schema', () => {
  it("the defaults written out in defaults.ts are the schema's own for an empty file, a new copy each time", () => {
    expect(defaultAnswers()).toStrictEqual(answersSchema.parse({}));
    const first = defaultAnswers();
    first.kernel.split = 'no';
    first.boot.serial_speed = 9600;
    expect(defaultAnswers()).toStrictEqual(answersSchema.parse({}));
  });

  it('sections and keys are own names only, never Object.prototype members', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty'])
      expect(isAnswersSection(name)).toBe(false);
    expect(isAnswersSection('boot')).toBe(true);
    expect(isAnswersKey('portage', 'constructor')).toBe(false);
    expect(isAnswersKey('portage', 'hvm')).toBe(true);
  });

  it('[system] profile: a name under profiles/, no "..", ".", empty or absolute parts', () => {
    expect(valid({ system: { profile: 'default/linux/amd64/23.0/systemd' } })).toBe(true);
    for (const profile of ['../../../../../../etc', '/etc', 'a//b', 'a/./b', 'a/', 'a b', ''])
      expect(valid({ system: { profile } }), profile).toBe(false);
  });

  it('[boot] kernel: a version, or a file directly in /boot', () => {
    for (const kernel of ['6.12.58-gentoo', '2.6.20-xen-r6-xen0', '/boot/vmlinuz-6.1-xen0'])
      expect(valid({ boot: { kernel } }), kernel).toBe(true);
    for (const kernel of [
      '../etc/shadow',
      '/boot/../../../etc/shadow',
      '/vmlinuz',
      '/boot/a/b',
      '..',
      '6.1..2',
    ])
      expect(valid({ boot: { kernel } }), kernel).toBe(false);
  });

  it('[boot] initrd and the other paths have no "..", "." or empty parts', () => {
    expect(valid({ boot: { initrd: '/boot/initramfs-6.1-xen0.img', pxe_dir: '/srv/tftp' } })).toBe(true);
    expect(valid({ boot: { initrd: 'relative' } })).toBe(false);
    expect(valid({ boot: { initrd: '/boot/../x' } })).toBe(false);
    expect(valid({ boot: { pxe_dir: '/srv/../etc' } })).toBe(false);
    expect(valid({ kernel: { sources: '/usr/src/linux/..' } })).toBe(false);
  });

  it("no path points into the tool's own state directory", () => {
    expect(valid({ kernel: { user_home: '/var/lib/xen-gentoo-home' } })).toBe(true);
    expect(valid({ kernel: { user_home: '/var/lib' } })).toBe(true);
    for (const raw of [
      { kernel: { user_home: '/var/lib/xen-gentoo' } },
      { kernel: { user_home: '/var/lib/xen-gentoo/runs' } },
      { kernel: { sources: '/var/lib/xen-gentoo/linux' } },
      { boot: { pxe_dir: '/var/lib/xen-gentoo/runs/20261125-000000-dead/backups' } },
      { boot: { grub2_custom_file: '/var/lib/xen-gentoo/lock' } },
    ])
      expect(valid(raw), JSON.stringify(raw)).toBe(false);
  });
});
