import { describe, expect, test } from 'vitest';
import { atomMatches, InvalidAtomError, parseAtom } from './atom.js';

describe('parseAtom', () => {
  test('a full atom', () => {
    expect(parseAtom('>=app-emulation/xen-4.19.2-r1:0/4.19=::gentoo[efi,-flask]')).toEqual({
      operator: '>=',
      category: 'app-emulation',
      name: 'xen',
      version: '4.19.2-r1',
      slot: '0',
      subSlot: '4.19',
      slotOperator: '=',
      repo: 'gentoo',
      useDeps: ['efi', '-flask'],
      wildcard: false,
    });
  });

  test('plain, glob, blocker and wildcard atoms', () => {
    expect(parseAtom('app-emulation/xen')).toEqual({
      category: 'app-emulation',
      name: 'xen',
      wildcard: false,
    });
    expect(parseAtom('=app-emulation/xen-4.19*')).toMatchObject({
      operator: '=',
      version: '4.19',
      versionGlob: true,
    });
    expect(parseAtom('!!sys-boot/grub:0')).toMatchObject({ blocker: '!!', name: 'grub', slot: '0' });
    expect(parseAtom('*/*')).toMatchObject({ category: '*', name: '*', wildcard: true });
    expect(parseAtom('sys-kernel/xen-sources')).toMatchObject({ name: 'xen-sources' });
  });

  test.each(['xen', 'app-emulation/xen-4.19', '>=app-emulation/xen', 'a/b/c', 'app-emulation/xen[', 'a/b:'])(
    'rejects %j',
    (atom) => {
      expect(() => parseAtom(atom)).toThrow(InvalidAtomError);
    },
  );
});

describe('atomMatches', () => {
  test.each([
    ['app-emulation/xen', '4.19.2', true],
    ['=app-emulation/xen-4.19*', '4.19.2', true],
    ['=app-emulation/xen-4.19*', '4.19', true],
    ['=app-emulation/xen-4.19*', '4.190', false],
    ['=app-emulation/xen-4.19*', '4.1', false],
    ['~app-emulation/xen-4.19.2', '4.19.2-r5', true],
    ['=app-emulation/xen-4.19.2', '4.19.2-r5', false],
    ['>=app-emulation/xen-4.19.2', '4.19.2', true],
    ['>app-emulation/xen-4.19.2', '4.19.2', false],
    ['<app-emulation/xen-4.19.2', '4.19.2_rc1', true],
    ['<=app-emulation/xen-4.19.2', '4.19.2-r1', false],
    ['app-emulation/*', '1', true],
    ['app-emulation/xen-tools', '4.19.2', false],
  ])('%s matches app-emulation/xen-%s: %s', (atom, version, expected) => {
    expect(atomMatches(atom, 'app-emulation', 'xen', version)).toBe(expected);
  });
});
