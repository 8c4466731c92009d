import { resolve } from 'node:path';
import { UsageError } from '@xen-gentoo/core';
import { describe, expect, it } from 'vitest';
import { kernelPathFlags } from './kernel-role.js';

describe('kernelPathFlags', () => {
  it('resolves relative --source and --out against the current directory', () => {
    expect(kernelPathFlags({ root: '/', source: '../../..', out: 'relative' })).toEqual({
      source: resolve('../../..'),
      out: resolve('relative'),
    });
    expect(kernelPathFlags({ root: '/', source: '/usr/src/linux/', out: undefined })).toEqual({
      source: '/usr/src/linux',
      out: undefined,
    });
  });

  it('an empty --out or --source is a usage error', () => {
    expect(() => kernelPathFlags({ root: '/', out: '' })).toThrow(
      new UsageError('--out needs a directory (it was given an empty one)'),
    );
    expect(() => kernelPathFlags({ root: '/', source: '' })).toThrow(UsageError);
  });

  it('with --root a relative path would be ambiguous: it must be absolute inside the target', () => {
    expect(() => kernelPathFlags({ root: '/mnt/gentoo', out: 'relative' })).toThrow(
      /--out must be an absolute path inside the target with --root/,
    );
    expect(kernelPathFlags({ root: '/mnt/gentoo', out: '/usr/src/linux/_dom0' }).out).toBe(
      '/usr/src/linux/_dom0',
    );
  });

  it('a path the [kernel] sources schema refuses is a usage error naming the flag', () => {
    expect(() => kernelPathFlags({ root: '/', source: '/usr/src/my linux' })).toThrow(
      /^bad value "\/usr\/src\/my linux" for --source; expected an absolute directory/,
    );
  });
});
