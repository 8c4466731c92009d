import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compareVersions, isValidPackageName, isValidVersion, splitPackageVersion } from './version.js';

/** Strictly increasing, by the PMS rules. */
const ORDERED = [
  '0.9',
  '1.0_alpha',
  '1.0_alpha1_beta2',
  '1.0_alpha1',
  '1.0_alpha1_p1',
  '1.0_alpha2',
  '1.0_beta',
  '1.0_beta1',
  '1.0_pre3',
  '1.0_rc1',
  '1.0',
  '1.0-r1',
  '1.0-r10',
  '1.0_p1',
  '1.0_p1_p1',
  '1.0a',
  '1.0z',
  '1.0.1',
  '1.01',
  '1.1',
  '1.2_p20070219',
  '1.2_p20070220',
  '1.10',
  '2.6.20-r8',
  '2.6.20-r9',
  '2.6.20.1',
  '4.1.2_p20070219',
  '4.1.2_p20070219-r1',
  '6.04_pre1-r5',
  '6.04_pre3',
  '6.04_pre3-r1',
  '6.04',
  '12345678901234567890',
  '12345678901234567891',
];

describe('compareVersions', () => {
  test('orders the PMS examples', () => {
    for (let i = 0; i < ORDERED.length; i++) {
      for (let j = 0; j < ORDERED.length; j++) {
        const a = ORDERED[i] ?? '';
        const b = ORDERED[j] ?? '';
        expect(Math.sign(compareVersions(a, b)), `${a} vs ${b}`).toBe(Math.sign(i - j));
      }
    }
  });

  test.each([
    ['1.0', '1.0-r0'],
    ['1.0', '1.00'],
    ['1.020', '1.02'],
    ['01.0', '1.0'],
    ['1.0_beta', '1.0_beta0'],
  ])('%s equals %s', (a, b) => {
    expect(compareVersions(a, b)).toBe(0);
  });

  test('rejects invalid versions', () => {
    expect(() => compareVersions('1.0-beta', '1')).toThrow(RangeError);
    expect(() => compareVersions('1', 'v1')).toThrow(RangeError);
  });

  const version = fc
    .tuple(
      fc.array(fc.constantFrom('0', '1', '2', '10', '01', '020'), { minLength: 1, maxLength: 3 }),
      fc.constantFrom('', 'a', 'b'),
      fc.array(fc.constantFrom('_alpha', '_beta1', '_pre', '_rc2', '_p', '_p3'), { maxLength: 2 }),
      fc.constantFrom('', '-r1', '-r2'),
    )
    .map(([n, l, s, r]) => `${n.join('.')}${l}${s.join('')}${r}`);

  test('is a total order: antisymmetric and transitive', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(isValidVersion(a)).toBe(true);
        expect(Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a))).toBe(0);
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0)
          expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('splitPackageVersion', () => {
  test.each([
    ['gcc-4.1.2-r3', { name: 'gcc', version: '4.1.2-r3', revision: 3 }],
    ['xen-tools-4.19.1', { name: 'xen-tools', version: '4.19.1', revision: 0 }],
    ['syslinux-6.04_pre3-r1', { name: 'syslinux', version: '6.04_pre3-r1', revision: 1 }],
    ['font-adobe-100dpi-1.0.3', { name: 'font-adobe-100dpi', version: '1.0.3', revision: 0 }],
    ['glibc', undefined],
    ['foo-1-2', undefined],
    ['-1.0', undefined],
  ])('%s', (pf, expected) => {
    expect(splitPackageVersion(pf)).toEqual(expected);
  });

  test('package names may not end in a version', () => {
    expect(isValidPackageName('xen-tools')).toBe(true);
    expect(isValidPackageName('foo-1')).toBe(false);
    expect(isValidPackageName('+foo')).toBe(false);
  });
});
