import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkPortageCompat } from './check-portage-compat.js';
import { evaluateMakeConf, listSources } from './evaluate-make-conf.js';
import { parseMakeConf } from './parse-make-conf.js';
import type { SourcedFiles } from './portage-reader.js';
import { commonFile } from './test-support/arbitraries.js';
import { bashView } from './test-support/bash.js';
import { LEGACY_2007, ODD_STYLES, STAGE3_AMD64 } from './test-support/samples.js';

const evaluate = (text: string, initial?: Record<string, string>): Map<string, string> =>
  evaluateMakeConf(parseMakeConf(text, '/etc/portage/make.conf'), initial);

describe('evaluateMakeConf', () => {
  test('expands the stage3 COMMON_FLAGS layout', () => {
    const vars = evaluate(STAGE3_AMD64);
    expect(Object.fromEntries(vars)).toEqual({
      COMMON_FLAGS: '-O2 -pipe',
      CFLAGS: '-O2 -pipe',
      CXXFLAGS: '-O2 -pipe',
      FCFLAGS: '-O2 -pipe',
      FFLAGS: '-O2 -pipe',
      LC_MESSAGES: 'C.utf8',
    });
  });

  test('reads the 2007 file: continuation, ${CFLAGS}, trailing comment', () => {
    const vars = evaluate(LEGACY_2007);
    expect(vars.get('CXXFLAGS')).toBe('-O2 -march=i686 -pipe');
    expect(vars.get('USE')).toBe('X alsa gtk -kde -qt3 -qt4 nptl \tmmx sse sse2 unicode');
    expect(vars.get('FEATURES')).toBe('parallel-fetch -buildpkg');
  });

  test('later assignments win and expand earlier ones; initial values fill references', () => {
    const vars = evaluate('FEATURES="${FEATURES} buildpkg"\nA=1\nA="$A 2"\n', { FEATURES: 'sandbox' });
    expect(vars.get('FEATURES')).toBe('sandbox buildpkg');
    expect(vars.get('A')).toBe('1 2');
    expect(vars.has('PATH')).toBe(false);
  });

  test('expands $ inside single quotes, as Portage does', () => {
    expect(evaluate("A=x\nB='$A y'\n").get('B')).toBe('x y');
  });

  test('export is skipped, comments end words', () => {
    const vars = evaluate('export A="1" # c\nB=x#y\n');
    expect(vars.get('A')).toBe('1');
    expect(vars.get('B')).toBe('x');
  });

  test('a value Portage cannot expand becomes empty', () => {
    expect(evaluate('A="${B:-c}"\n').get('A')).toBe('');
  });

  test('lists source lines without following them', () => {
    const doc = parseMakeConf(ODD_STYLES, '/etc/portage/make.conf');
    expect(listSources(doc)).toEqual([
      {
        from: '/etc/portage/make.conf',
        line: 1,
        written: '/var/lib/layman/make.conf',
        path: '/var/lib/layman/make.conf',
      },
      {
        from: '/etc/portage/make.conf',
        line: 13,
        written: '${PORTDIR_OVERLAY}/make.conf.local',
        path: '/make.conf.local',
      },
    ]);
    expect(evaluateMakeConf(doc).get('GRUB_PLATFORMS')).toBe('pc');
    const relative = parseMakeConf('D=conf.d\nsource "${D}/local"\n', '/etc/portage/make.conf');
    expect(listSources(relative)).toEqual([
      { from: '/etc/portage/make.conf', line: 2, written: '${D}/local', path: '/etc/portage/conf.d/local' },
    ]);
  });

  test('follows source lines into the files it is given, as Portage does', () => {
    const doc = parseMakeConf('S=1\nsource flags.conf\nA="${C} $S"\n', '/etc/portage/make.conf');
    const sources = new Map([
      ['/etc/portage/flags.conf', 'C="-O2"\nS=2\nsource ../deeper\n'],
      ['/etc/deeper', 'D=deep'],
    ]);
    const vars = evaluateMakeConf(doc, {}, sources);
    expect(vars.get('A')).toBe('-O2 2');
    expect(vars.get('D')).toBe('deep');
    expect(listSources(doc, { sources }).map((x) => [x.from, x.path])).toEqual([
      ['/etc/portage/make.conf', '/etc/portage/flags.conf'],
      ['/etc/portage/flags.conf', '/etc/deeper'],
    ]);
  });

  test('a source line Portage cannot follow is an error on that line', () => {
    const doc = (t: string): ReturnType<typeof parseMakeConf> => parseMakeConf(t, '/etc/portage/make.conf');
    const errors = (t: string, sources: SourcedFiles): string[] =>
      checkPortageCompat(doc(t), { sources }).map((i) => `${i.file}:${i.line}: ${i.message}`);
    expect(
      errors('A=1\nsource gone\n', new Map([['/etc/portage/gone', { problem: 'no such file' as const }]])),
    ).toEqual([
      '/etc/portage/make.conf:2: Portage cannot read this line (source /etc/portage/gone: no such file) and stops reading the file',
    ]);
    expect(errors('source /etc\n', new Map([['/etc', { problem: 'is a directory' as const }]]))[0]).toMatch(
      /:1: .*is a directory/,
    );
    expect(errors("source ''\n", new Map())[0]).toMatch(/:1: .*empty file name/);
  });

  test('carriage returns are newlines to Portage', () => {
    expect(evaluate('A=x\\\r\ny\r\nB="1\r\n2"\r\n').get('A')).toBe('x y');
    expect(evaluate('A=1\r# it is\rB=2\r').get('B')).toBe('2');
  });

  test('agrees with bash on the real-world samples', () => {
    for (const text of [STAGE3_AMD64, LEGACY_2007]) {
      const ours = evaluate(text);
      const bash = bashView(text, ours.keys());
      for (const [k, v] of ours) expect(bash.get(k)?.replace(/\n/g, ' '), k).toBe(v);
    }
  });

  test('agrees with bash on generated files in the common subset', () => {
    fc.assert(
      fc.property(commonFile, (text) => {
        const ours = evaluate(text);
        const names = [...parseMakeConf(text, 'f').statements].flatMap((s) =>
          s.kind === 'assignment' ? s.assignments.map((a) => a.name) : [],
        );
        const bash = bashView(text, names);
        for (const n of names) {
          // Portage reads a newline inside quotes as a space.
          expect(ours.get(n), `${n} in\n${text}`).toBe(bash.get(n)?.replace(/\n/g, ' '));
        }
      }),
      { numRuns: 150 },
    );
  });
});
