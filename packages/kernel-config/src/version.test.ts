import { describe, expect, it } from 'vitest';
import { compareKernelVersions } from './version.js';

describe('compareKernelVersions', () => {
  it.each([
    ['2.6.9', '2.6.20'],
    ['2.6.20-xen-r6', '2.6.21'],
    ['6.1', '6.1.1'],
    ['6.12.58-gentoo', '6.12.58-gentoo-r1'],
    ['6.12.58-gentoo-r9', '6.12.58-gentoo-r10'],
    ['4.9', '4.17.3'],
    ['3.1.2', '4'],
    ['6.6.1-gentoo-dist', '6.12'],
  ])('%s < %s', (a, b) => {
    expect(compareKernelVersions(a, b)).toBe(-1);
    expect(compareKernelVersions(b, a)).toBe(1);
    expect(compareKernelVersions(a, a)).toBe(0);
  });

  it('sorts a /boot listing newest last', () => {
    expect(['6.12.9', '6.12.10-gentoo', '6.1.0', '6.12.10'].sort(compareKernelVersions)).toEqual([
      '6.1.0',
      '6.12.9',
      '6.12.10',
      '6.12.10-gentoo',
    ]);
  });
});
