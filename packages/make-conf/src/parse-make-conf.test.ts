import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { AssignmentStatement } from './document.js';
import { MakeConfParseError } from './errors.js';
import { parseMakeConf } from './parse-make-conf.js';
import { renderMakeConf } from './render-make-conf.js';
import { anyFile, commonFile } from './test-support/arbitraries.js';
import { CRLF_SAMPLE, LEGACY_2007, ODD_STYLES, STAGE3_AMD64 } from './test-support/samples.js';

const roundTrip = (text: string): string => renderMakeConf(parseMakeConf(text, '/etc/portage/make.conf'));

describe('parseMakeConf', () => {
  test.each([
    ['stage3', STAGE3_AMD64],
    ['2007', LEGACY_2007],
    ['odd styles', ODD_STYLES],
    ['CRLF', CRLF_SAMPLE],
    ['empty', ''],
    ['only a newline', '\n'],
  ])('renders the %s sample byte for byte', (_name, text) => {
    expect(roundTrip(text)).toBe(text);
  });

  test('classifies statements and keeps line numbers', () => {
    const doc = parseMakeConf(LEGACY_2007, 'make.conf');
    const kinds = doc.statements.map((s) => `${s.line}:${s.kind}`);
    expect(kinds.slice(0, 7)).toEqual([
      '1:comment',
      '2:comment',
      '3:assignment',
      '4:assignment',
      '5:assignment',
      '6:assignment',
      '7:assignment',
    ]);
    const use = doc.statements[6] as AssignmentStatement;
    expect(use.endLine).toBe(8);
    expect(use.assignments[0]?.name).toBe('USE');
    const features = doc.statements.find(
      (s): s is AssignmentStatement => s.kind === 'assignment' && s.assignments[0]?.name === 'FEATURES',
    );
    expect(features?.comment && LEGACY_2007.slice(features.comment.start, features.comment.end)).toBe(
      '# no binary packages for now',
    );
  });

  test('recognises source, export, commands and multiple assignments', () => {
    const doc = parseMakeConf('source a\n. b\nexport A=1 B=2\necho hi\nC=(x y)\n', 'f');
    expect(doc.statements.map((s) => s.kind)).toEqual([
      'source',
      'source',
      'assignment',
      'command',
      'assignment',
    ]);
    const exp = doc.statements[2] as AssignmentStatement;
    expect(exp.exported).toBe(true);
    expect(exp.assignments.map((a) => a.name)).toEqual(['A', 'B']);
    expect((doc.statements[4] as AssignmentStatement).assignments[0]?.value.parts[0]?.kind).toBe('array');
  });

  test('splits a value into quoted parts and references', () => {
    const doc = parseMakeConf(`A="x \${B} $C"'$D'e\\ f$(g)\n`, 'f');
    const parts = (doc.statements[0] as AssignmentStatement).assignments[0]?.value.parts ?? [];
    expect(parts.map((p) => p.kind)).toEqual(['double', 'single', 'literal', 'expansion']);
    const dq = parts[0];
    expect(
      dq?.kind === 'double' && dq.parts.map((p) => (p.kind === 'param' ? `$${p.name}` : p.kind)),
    ).toEqual(['literal', '$B', 'literal', '$C']);
    expect(parts[2]?.kind === 'literal' && parts[2].text).toBe('e f');
  });

  test.each([
    ['A="abc\nB=1\n', 1, 'unterminated double quote'],
    ["\n\nA='abc\n", 3, 'unterminated single quote'],
    ['A=1\nB=${C\n', 2, 'unterminated "${"'],
    ['A=$(ls\n', 1, 'unterminated "$("'],
    ['A=`ls\n', 1, 'unterminated backtick'],
    ['A=(a b\n', 1, 'unterminated array'],
  ])('rejects %j with file, line and expectation', (text, line, problem) => {
    let error: unknown;
    try {
      parseMakeConf(text, '/etc/make.conf');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MakeConfParseError);
    const e = error as MakeConfParseError;
    expect(e.file).toBe('/etc/make.conf');
    expect(e.line).toBe(line);
    expect(e.message).toMatch(
      new RegExp(`^/etc/make\\.conf:${line}: ${problem.replace(/[$()[\]{}"]/g, '\\$&')}.*; expected `),
    );
  });

  test('round-trips generated files', () => {
    fc.assert(
      fc.property(fc.oneof(commonFile, anyFile), (text) => roundTrip(text) === text),
      { numRuns: 500 },
    );
  });

  test('statements cover the text exactly and never throw on random printable input without quotes', () => {
    const chars = fc.constantFrom(
      'A',
      '=',
      ' ',
      '\n',
      '\\',
      '#',
      '$',
      '{',
      '}',
      'x',
      '\t',
      '\r',
      ';',
      '(',
      ')',
    );
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 40 }).map((a) => a.join('')),
        (text) => {
          let doc;
          try {
            doc = parseMakeConf(text, 'f');
          } catch (e) {
            return e instanceof MakeConfParseError;
          }
          let pos = 0;
          for (const s of doc.statements) {
            if (s.start !== pos || text.slice(s.start, s.end) !== s.raw) return false;
            pos = s.end;
          }
          return pos === text.length;
        },
      ),
      { numRuns: 1000 },
    );
  });
});
