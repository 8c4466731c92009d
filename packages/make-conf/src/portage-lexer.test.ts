import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PortageLexer, PortageLexError } from './portage-lexer.js';

/** Python's own shlex, configured the way Portage configures it for make.conf. */
const PYTHON_SHLEX = String.raw`
import json, shlex, string, sys
out = []
for content in json.load(sys.stdin):
    lex = shlex.shlex(instream=content, posix=True)
    lex.wordchars = string.digits + string.ascii_letters + r"~!@#$%*_\:;?,./-+{}"
    lex.quotes = "\"'"
    toks = []
    try:
        while True:
            t = lex.get_token()
            if t is None:
                break
            toks.append(t)
        out.append({"ok": toks})
    except ValueError as e:
        out.append({"err": str(e), "toks": toks})
print(json.dumps(out))
`;

function hasPython(): boolean {
  try {
    execFileSync('python3', ['-c', 'import shlex'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function tokenize(content: string): { ok: string[] } | { err: string; toks: string[] } {
  const lexer = new PortageLexer(content);
  const toks: string[] = [];
  try {
    for (;;) {
      const t = lexer.next();
      if (t.value === null) return { ok: toks };
      toks.push(t.value);
    }
  } catch (e) {
    if (e instanceof PortageLexError) return { err: e.message, toks };
    throw e;
  }
}

describe('PortageLexer', () => {
  test('splits assignments into key, =, value', () => {
    expect(tokenize('CFLAGS="-O2 -pipe"\nexport A=b # c\n')).toEqual({
      ok: ['CFLAGS', '=', '-O2 -pipe', 'export', 'A', '=', 'b'],
    });
  });

  test('keeps $ inside single quotes and ends words at #', () => {
    expect(tokenize("A='$B' C=d#e\n")).toEqual({ ok: ['A', '=', '$B', 'C', '=', 'd'] });
  });

  test('reports an unterminated quote', () => {
    expect(tokenize('A="b\n')).toEqual({ err: 'No closing quotation', toks: ['A', '='] });
  });

  test.skipIf(!hasPython())('agrees with Python shlex on random input', () => {
    const alphabet = fc.constantFrom(
      ...[
        'a',
        'B',
        '_',
        '=',
        ' ',
        '\t',
        '\n',
        '\r',
        '"',
        "'",
        '\\',
        '#',
        '$',
        '{',
        '}',
        '(',
        ')',
        '`',
        ';',
        '-',
        '+',
        '~',
        'é',
      ],
    );
    const samples = fc.sample(
      fc.array(alphabet, { maxLength: 30 }).map((a) => a.join('')),
      { numRuns: 2000, seed: 42 },
    );
    const python = JSON.parse(
      execFileSync('python3', ['-c', PYTHON_SHLEX], { input: JSON.stringify(samples) }).toString(),
    ) as unknown[];
    samples.forEach((s, i) => expect(tokenize(s), JSON.stringify(s)).toEqual(python[i]));
  });
});
