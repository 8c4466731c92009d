import { parseDom0Mem, BootFileSyntaxError } from '@xen-gentoo/bootloader';
import { InputError } from '@xen-gentoo/core';
import { FormatInputError } from '@xen-gentoo/format-errors';
import { parseConfig } from '@xen-gentoo/kernel-config';
import { parseAtom, parseMakeConf, parsePackageFile } from '@xen-gentoo/make-conf';
import { describe, expect, it } from 'vitest';
import { asKnownError } from '../../packages/cli/src/lib/base-command.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

/** The format packages' shared contract for bad input (packages/format-errors). */
describe('the format packages throw FormatInputError for bad input, and the CLI makes it exit 2', () => {
  it.each([
    [
      'make.conf with an unterminated quote',
      () => parseMakeConf('CFLAGS="-O2\n', '/etc/make.conf'),
      '/etc/make.conf',
      1,
    ],
    [
      'a package.* line that is not an atom',
      () => parsePackageFile('xen ~x86\n', '/etc/portage/package.keywords'),
      '/etc/portage/package.keywords',
      1,
    ],
    ['a string that is not an atom', () => parseAtom('=app-emulation/xen'), undefined, undefined],
    ['a dom0_mem that is not a size', () => parseDom0Mem('avg:1G'), undefined, undefined],
    [
      'a broken boot file',
      () => {
        throw new BootFileSyntaxError('BEGIN without END', {
          expected: 'an END marker',
          file: '/boot/grub/grub.conf',
          line: 3,
        });
      },
      '/boot/grub/grub.conf',
      3,
    ],
  ] as const)('%s', (_what, fn, file, line) => {
    const error = thrown(fn);
    expect(error).toBeInstanceOf(FormatInputError);
    const e = error as FormatInputError;
    expect(e.problem.length).toBeGreaterThan(0);
    expect(e.expected.length).toBeGreaterThan(0);
    expect(e.file).toBe(file);
    expect(e.line).toBe(line);
    expect(e.name).toBe(e.constructor.name);
    const known = asKnownError(e);
    expect(known).toBeInstanceOf(InputError);
    expect((known as InputError).exitCode).toBe(2);
    if (file !== undefined) expect(known.message).toMatch(new RegExp(`^${file}:${line}: `));
    expect(known.message).toContain(e.problem);
  });

  it('kernel-config reads any .config text without throwing (no bad input of its own)', () => {
    expect(() => parseConfig('garbage\n\0CONFIG_=\n# CONFIG_X is\n"')).not.toThrow();
  });

  it('other errors are not bad input', () => {
    const error = new Error('a bug');
    expect(asKnownError(error)).toBe(error);
    const shaped = Object.assign(new Error('looks like input'), { expected: 'x', file: 'f', problem: 'p' });
    expect(asKnownError(shaped)).toBe(shaped);
  });
});
