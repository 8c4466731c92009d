import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkPortageCompat } from './check-portage-compat.js';
import { parseMakeConf } from './parse-make-conf.js';
import { anyFile, commonFile } from './test-support/arbitraries.js';
import { CRLF_SAMPLE, LEGACY_2007, ODD_STYLES, STAGE3_AMD64 } from './test-support/samples.js';

const check = (text: string): { line: number; severity: string; message: string }[] =>
  checkPortageCompat(parseMakeConf(text, '/etc/make.conf')).map(({ line, severity, message }) => ({
    line,
    severity,
    message,
  }));

describe('checkPortageCompat', () => {
  test('has nothing to say about the real-world samples', () => {
    expect(check(STAGE3_AMD64)).toEqual([]);
    expect(check(LEGACY_2007)).toEqual([]);
    expect(check(ODD_STYLES)).toEqual([]);
  });

  test.each([
    ['A="1"\nA+=" 2"\n', 2, /"A\+=" is not understood by Portage/],
    ['A=$(uname -m)\n', 1, /command substitution \$\(\.\.\.\)/],
    ['A="`uname -m`"\n', 1, /command substitution `\.\.\.`/],
    ['A="${B:-x}"\n', 1, /parameter expansion beyond \$\{VAR\}/],
    ['A="${#B}"\n', 1, /parameter expansion/],
    ['. /etc/other\n', 1, /"\. FILE" is not understood by Portage; write "source FILE"/],
    ['A=(a b)\n', 1, /bash arrays/],
    ['emerge --sync\n', 1, /"emerge" is a command/],
    ['A=1; B=2\n', 1, /shell operators/],
    ['A=\nB=1\n', 1, /"A=" with nothing after it/],
    ['export A\n', 1, /"export" without NAME=value/],
    ['A="$$"\n', 1, /special parameters/],
    ['A="cost $ 5"\n', 1, /Portage cannot expand this value \(\$: bad substitution\)/],
    ['A=1 \\\nB=2\n', 1, /backslash-newline between assignments/],
  ])('flags %j as an error', (text, line, message) => {
    const issues = check(text).filter((i) => i.severity === 'error');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.line).toBe(line);
    expect(issues[0]?.message).toMatch(message);
  });

  test('export NAME=value is fine', () => {
    expect(check('export A="1"\n')).toEqual([]);
  });

  test.each([
    ["A='$HOME/x'\n", /Portage expands "\$" even inside single quotes/],
    ['A=b#c\n', /"#" inside an unquoted word/],
    ['A=b\\\nc\n', /unquoted backslash-newline/],
    ['B=1\nA="it\'s $B"\n', /A: Portage reads "it's \$B" but bash reads "it's 1"/],
    [CRLF_SAMPLE, /DOS line endings/],
  ])('warns about %j', (text, message) => {
    const issues = check(text);
    expect(issues.some((i) => i.severity === 'warning' && message.test(i.message))).toBe(true);
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  test('a byte order mark is named, and no message carries an invisible character', () => {
    for (const text of ['\uFEFFCFLAGS="-O2"\n', '\uFEFF# comment\nCFLAGS="-O2"\n']) {
      const issues = check(text);
      expect(issues[0]).toMatchObject({ line: 1, severity: 'error' });
      expect(issues[0]?.message).toMatch(/byte order mark \(U\+FEFF\)/);
      expect(issues.some((i) => /\p{Cf}/u.test(i.message))).toBe(false);
    }
    const zeroWidth = check('A=1\n\u200Bemerge\n');
    expect(zeroWidth[0]?.message).toContain('"\\u200Bemerge" is a command');
  });

  test('time grows linearly with the size of the file (measured against parsing it)', () => {
    const text = Array.from({ length: 16000 }, (_, i) => `VAR_${i}="value ${i} -O2"\n# comment ${i}\n`).join(
      '',
    );
    // Parsing is linear; checking does a bounded amount of work per line on top of reading the
    // file the way Portage does, so the two stay within a small factor (about 1) at any size and any load
    // of the machine. A lookup that scans the file per line made it 9 times slower at half this size.
    const best = (run: () => void): number => {
      let min = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        run();
        min = Math.min(min, performance.now() - start);
      }
      return min;
    };
    const doc = parseMakeConf(text, '/etc/make.conf');
    const parse = best(() => parseMakeConf(text, '/etc/make.conf'));
    const check = best(() => checkPortageCompat(doc));
    expect(check / parse).toBeLessThan(5);
  });

  test('names the file on every issue', () => {
    const issues = checkPortageCompat(parseMakeConf('A+=1\n', '/etc/portage/make.conf'));
    expect(issues[0]?.file).toBe('/etc/portage/make.conf');
  });

  test('finds nothing in the common subset', () => {
    fc.assert(
      fc.property(commonFile, (text) => check(text).length === 0),
      { numRuns: 300 },
    );
  });

  test('never throws on files bash can read', () => {
    fc.assert(
      fc.property(anyFile, (text) => {
        check(text);
      }),
      { numRuns: 300 },
    );
  });
});
