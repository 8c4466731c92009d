import { describe, expect, test } from 'vitest';
import { MakeConfParseError } from './errors.js';
import { parsePackageFile } from './package-file.js';
import { planPackageEntry, type PackageConfigFiles } from './plan-package-entry.js';

const KEYWORDS = '/etc/portage/package.keywords';
const ACCEPT = '/etc/portage/package.accept_keywords';

describe('parsePackageFile', () => {
  test('comments, blank lines and trailing comments', () => {
    const text =
      '# Xen\n\napp-emulation/xen ~x86 # testing\n  =sys-kernel/xen-sources-2.6.20*  \n-sys-apps/foo\n';
    expect(parsePackageFile(text, KEYWORDS)).toEqual([
      { atom: 'app-emulation/xen', tokens: ['~x86'], line: 3, file: KEYWORDS },
      { atom: '=sys-kernel/xen-sources-2.6.20*', tokens: [], line: 4, file: KEYWORDS },
      { atom: '-sys-apps/foo', tokens: [], line: 5, file: KEYWORDS },
    ]);
  });

  test('a line that is not an atom names file and line', () => {
    expect(() => parsePackageFile('app-emulation/xen\nxen ~x86\n', KEYWORDS)).toThrow(MakeConfParseError);
    try {
      parsePackageFile('app-emulation/xen\nxen ~x86\n', KEYWORDS);
    } catch (e) {
      expect((e as MakeConfParseError).line).toBe(2);
      expect((e as Error).message).toMatch(
        /^\/etc\/portage\/package\.keywords:2: "xen" is not a package atom.*; expected /,
      );
    }
  });
});

const file = (path: string, content: string): PackageConfigFiles => ({
  path,
  kind: 'file',
  files: [{ path, content }],
});

describe('planPackageEntry', () => {
  test('a missing file is created', () => {
    expect(
      planPackageEntry(
        { path: ACCEPT, kind: 'missing', files: [] },
        { atom: 'app-emulation/xen' },
        'xen-gentoo',
      ),
    ).toEqual({
      path: ACCEPT,
      before: null,
      after: 'app-emulation/xen\n',
    });
  });

  test('appends to a file, adding the missing final newline', () => {
    expect(
      planPackageEntry(file(KEYWORDS, 'sys-devel/dev86'), { atom: 'app-emulation/xen-tools' }, 'x'),
    ).toEqual({
      path: KEYWORDS,
      before: 'sys-devel/dev86',
      after: 'sys-devel/dev86\napp-emulation/xen-tools\n',
    });
  });

  test.each([
    'app-emulation/xen',
    'app-emulation/xen ~amd64',
    '=app-emulation/xen-4.19*',
    'app-emulation/xen **',
    'app-emulation/* ~*',
  ])('keywords: %j already covers app-emulation/xen', (line) => {
    expect(planPackageEntry(file(ACCEPT, `${line}\n`), { atom: 'app-emulation/xen' }, 'x')).toBeUndefined();
  });

  test('keywords: another arch or package does not count', () => {
    expect(
      planPackageEntry(file(ACCEPT, 'app-emulation/xen-tools\n'), { atom: 'app-emulation/xen' }, 'x'),
    ).toBeDefined();
    expect(
      planPackageEntry(
        file(ACCEPT, 'app-emulation/xen ~x86\n'),
        { atom: 'app-emulation/xen', tokens: ['~amd64'] },
        'x',
      ),
    ).toBeDefined();
  });

  test('a directory: existing files count, new lines go to <dir>/<newFileName>', () => {
    const dir: PackageConfigFiles = {
      path: ACCEPT,
      kind: 'directory',
      files: [{ path: `${ACCEPT}/xen`, content: 'app-emulation/xen ~amd64\n' }],
    };
    expect(planPackageEntry(dir, { atom: 'app-emulation/xen' }, 'xen-gentoo')).toBeUndefined();
    expect(planPackageEntry(dir, { atom: 'sys-devel/dev86' }, 'xen-gentoo')).toEqual({
      path: `${ACCEPT}/xen-gentoo`,
      before: null,
      after: 'sys-devel/dev86\n',
    });
    expect(() => planPackageEntry(dir, { atom: 'sys-devel/dev86' }, 'backup~')).toThrow(RangeError);
  });

  test('package.use: tokens read in order, -flag cancels', () => {
    const use = '/etc/portage/package.use';
    expect(
      planPackageEntry(
        file(use, 'app-emulation/xen-tools hvm\n'),
        { atom: 'app-emulation/xen-tools', tokens: ['hvm'] },
        'x',
      ),
    ).toBeUndefined();
    expect(
      planPackageEntry(
        file(use, 'app-emulation/xen-tools hvm\napp-emulation/xen-tools -hvm\n'),
        { atom: 'app-emulation/xen-tools', tokens: ['hvm'] },
        'x',
      )?.after,
    ).toBe('app-emulation/xen-tools hvm\napp-emulation/xen-tools -hvm\napp-emulation/xen-tools hvm\n');
  });

  test('rejects an invalid atom', () => {
    expect(() => planPackageEntry(file(ACCEPT, ''), { atom: 'xen' }, 'x')).toThrow(RangeError);
  });
});
