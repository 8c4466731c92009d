import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeTargetPath } from './paths.js';

describe('normalizeTargetPath', () => {
  it('gives what posix.normalize gives, without a final /, for any absolute path', () => {
    const reference = (path: string): string => {
      const p = posix.normalize(path);
      return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
    };
    for (const path of [
      '/',
      '//',
      '/.',
      '/..',
      '/a/',
      '/a//b',
      '/a/./b',
      '/a/../b',
      '/a/.b',
      '/a/...',
      '/a/b..',
    ])
      expect(normalizeTargetPath(path), path).toBe(reference(path));
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '.', '/', '-'), { maxLength: 24 }), (chars) => {
        const path = `/${chars.join('')}`;
        expect(normalizeTargetPath(path)).toBe(reference(path));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a relative path', () => {
    expect(() => normalizeTargetPath('etc/portage')).toThrow('target path must be absolute');
  });
});
