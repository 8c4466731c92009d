import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkPortageCompat } from './check-portage-compat.js';
import type { Statement } from './document.js';
import { editMakeConf } from './edit-make-conf.js';
import { MakeConfParseError } from './errors.js';
import { parseMakeConf } from './parse-make-conf.js';
import { planMakeConfEdits, type MakeConfEdit } from './plan-make-conf-edits.js';
import { anyFile, commonFile, names } from './test-support/arbitraries.js';
import { renderMakeConf } from './render-make-conf.js';
import { bashView } from './test-support/bash.js';
import { LEGACY_2007, ODD_STYLES, STAGE3_AMD64 } from './test-support/samples.js';

const FILE = '/etc/portage/make.conf';
const plan = (text: string, edits: MakeConfEdit[]): string =>
  planMakeConfEdits(parseMakeConf(text, FILE), edits).text;
const TLS = '-mno-tls-direct-seg-refs';

function words(v: string | undefined): string[] {
  return (v ?? '').split(/\s+/).filter(Boolean);
}

function assignedNames(text: string): string[] {
  return parseMakeConf(text, FILE).statements.flatMap((s) =>
    s.kind === 'assignment' ? s.assignments.map((a) => a.name) : [],
  );
}

/** Replaces one line of a text, for expected results. */
function replaceLine(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

describe('add-cflag (the COMMON_FLAGS rule)', () => {
  test('stage3: goes into COMMON_FLAGS once, nothing else changes', () => {
    const out = plan(STAGE3_AMD64, [{ op: 'add-cflag', flag: TLS }]);
    expect(out).toBe(
      replaceLine(STAGE3_AMD64, 'COMMON_FLAGS="-O2 -pipe"', `COMMON_FLAGS="-O2 -pipe ${TLS}"`),
    );
  });

  test('2007: goes into CFLAGS, which CXXFLAGS expands', () => {
    const out = plan(LEGACY_2007, [{ op: 'add-cflag', flag: TLS }]);
    expect(out).toBe(
      replaceLine(LEGACY_2007, 'CFLAGS="-O2 -march=i686 -pipe"', `CFLAGS="-O2 -march=i686 -pipe ${TLS}"`),
    );
  });

  test('separate CFLAGS and CXXFLAGS: both get it', () => {
    const text = 'CFLAGS="-O2"\nCXXFLAGS=\'-O2 -g\'\n';
    expect(plan(text, [{ op: 'add-cflag', flag: TLS }])).toBe(
      `CFLAGS="-O2 ${TLS}"\nCXXFLAGS='-O2 -g ${TLS}'\n`,
    );
  });

  test('only the one that lacks it gets it', () => {
    const text = `CFLAGS="-O2 ${TLS}"\nCXXFLAGS="-O2"\n`;
    expect(plan(text, [{ op: 'add-cflag', flag: TLS }])).toBe(`CFLAGS="-O2 ${TLS}"\nCXXFLAGS="-O2 ${TLS}"\n`);
  });

  test('CFLAGS over a COMMON_FLAGS it expands when CXXFLAGS expands CFLAGS', () => {
    const text =
      'COMMON_FLAGS="-O2"\nCFLAGS="${COMMON_FLAGS} -march=native"\nCXXFLAGS="${CFLAGS}"\nFCFLAGS="${COMMON_FLAGS}"\n';
    expect(plan(text, [{ op: 'add-cflag', flag: TLS }])).toBe(
      replaceLine(
        text,
        'CFLAGS="${COMMON_FLAGS} -march=native"',
        `CFLAGS="\${COMMON_FLAGS} -march=native ${TLS}"`,
      ),
    );
  });

  test('no CFLAGS at all: new lines that keep the profile values', () => {
    expect(plan('USE="x"\n', [{ op: 'add-cflag', flag: TLS }])).toBe(
      `USE="x"\nCFLAGS="\${CFLAGS} ${TLS}"\nCXXFLAGS="\${CXXFLAGS} ${TLS}"\n`,
    );
  });

  test('CFLAGS unset but expanded by CXXFLAGS: the new line goes before it', () => {
    expect(plan('CXXFLAGS="${CFLAGS}"\n', [{ op: 'add-cflag', flag: TLS }])).toBe(
      `CFLAGS="\${CFLAGS} ${TLS}"\nCXXFLAGS="\${CFLAGS}"\n`,
    );
  });

  test('never touches FCFLAGS or FFLAGS directly', () => {
    const text = 'CFLAGS="-O2"\nCXXFLAGS="-O2"\nFCFLAGS="-O2"\nFFLAGS="-O2"\n';
    const out = plan(text, [{ op: 'add-cflag', flag: TLS }]);
    expect(out.split('\n').slice(2)).toEqual(['FCFLAGS="-O2"', 'FFLAGS="-O2"', '']);
  });
});

describe('replace-cflag', () => {
  test('-Os -> -O2 wherever the C flags get it', () => {
    const text = 'COMMON_FLAGS="-Os -pipe"\nCFLAGS="${COMMON_FLAGS}"\nCXXFLAGS="-Os"\nLDFLAGS="-Os"\n';
    expect(plan(text, [{ op: 'replace-cflag', from: '-Os', to: '-O2' }])).toBe(
      'COMMON_FLAGS="-O2 -pipe"\nCFLAGS="${COMMON_FLAGS}"\nCXXFLAGS="-O2"\nLDFLAGS="-Os"\n',
    );
  });

  test('drops -Os when -O2 is already there', () => {
    expect(plan('CFLAGS="-Os -pipe -O2"\n', [{ op: 'replace-cflag', from: '-Os', to: '-O2' }])).toBe(
      'CFLAGS="-pipe -O2"\n',
    );
  });

  test('an unquoted value', () => {
    expect(plan('CFLAGS=-Os\n', [{ op: 'replace-cflag', from: '-Os', to: '-O2' }])).toBe('CFLAGS=-O2\n');
  });

  test('an -Os the compiler never sees is left as written, so the edit does not depend on later lines', () => {
    const r = { op: 'replace-cflag', from: '-Os', to: '-O2' } as const;
    // COMMON_FLAGS is assigned after CXXFLAGS expands it: bash and Portage give CXXFLAGS "".
    const late = 'CXXFLAGS="${COMMON_FLAGS}"\nCOMMON_FLAGS="-Os"\n';
    expect(plan(late, [r])).toBe(late);
    const withCflags = `${late}CFLAGS="nptlonly"\n`;
    expect(plan(withCflags, [r])).toBe(withCflags);
    // An overridden CFLAGS line is not what the compiler gets either.
    expect(plan('CFLAGS="-Os"\nCFLAGS="-O2 -pipe"\n', [r])).toBe('CFLAGS="-Os"\nCFLAGS="-O2 -pipe"\n');
    // ... unless the later line expands it.
    expect(plan('CFLAGS="-Os"\nCFLAGS="${CFLAGS} -pipe"\n', [r])).toBe(
      'CFLAGS="-O2"\nCFLAGS="${CFLAGS} -pipe"\n',
    );
  });
});

describe('add-token / remove-token', () => {
  test('FEATURES: the HOWTO line when FEATURES is not set', () => {
    expect(plan(STAGE3_AMD64, [{ op: 'add-token', variable: 'FEATURES', token: 'buildpkg' }])).toBe(
      `${STAGE3_AMD64}FEATURES="\${FEATURES} buildpkg"\n`,
    );
  });

  test('a negated token is un-negated in place', () => {
    const out = plan(LEGACY_2007, [{ op: 'add-token', variable: 'FEATURES', token: 'buildpkg' }]);
    expect(out).toBe(
      replaceLine(
        LEGACY_2007,
        'FEATURES="parallel-fetch -buildpkg" # no binary',
        'FEATURES="parallel-fetch buildpkg" # no binary',
      ),
    );
  });

  test('USE over a continuation line: the word goes at the end of the value', () => {
    const out = plan(LEGACY_2007, [{ op: 'add-token', variable: 'USE', token: 'nptlonly' }]);
    expect(out).toBe(replaceLine(LEGACY_2007, '\tmmx sse sse2 unicode"', '\tmmx sse sse2 unicode nptlonly"'));
  });

  test('a closing quote on its own line stays there', () => {
    const out = plan(ODD_STYLES, [{ op: 'add-token', variable: 'USE', token: 'nptlonly' }]);
    expect(out).toBe(replaceLine(ODD_STYLES, '  -gtk\n"', '  -gtk nptlonly\n"'));
  });

  test('a bare value becomes quoted; no final newline is kept as is elsewhere', () => {
    expect(plan('VIDEO_CARDS=vesa', [{ op: 'add-token', variable: 'VIDEO_CARDS', token: 'fbdev' }])).toBe(
      'VIDEO_CARDS="vesa fbdev"',
    );
    expect(plan('A=1', [{ op: 'add-token', variable: 'USE', token: 'x' }])).toBe('A=1\nUSE="x"\n');
  });

  test('edits the last assignment', () => {
    expect(plan('USE="a"\nUSE="${USE} b"\n', [{ op: 'add-token', variable: 'USE', token: 'c' }])).toBe(
      'USE="a"\nUSE="${USE} b c"\n',
    );
  });

  test('no-op when the token is already there', () => {
    const r = planMakeConfEdits(parseMakeConf('USE="a nptlonly"\n', FILE), [
      { op: 'add-token', variable: 'USE', token: 'nptlonly' },
    ]);
    expect(r.text).toBe('USE="a nptlonly"\n');
    expect(r.notes.join('\n')).toMatch(/already has nptlonly/);
  });

  test('remove-token removes every occurrence and keeps the layout', () => {
    const text = 'USE="nptl a\n  nptl\n  b nptl"\nX="nptl"\n';
    expect(plan(text, [{ op: 'remove-token', variable: 'USE', token: 'nptl' }])).toBe(
      'USE="a\n  b"\nX="nptl"\n',
    );
    expect(plan('USE=nptl\n', [{ op: 'remove-token', variable: 'USE', token: 'nptl' }])).toBe('USE=""\n');
  });

  test('CRLF files get CRLF lines', () => {
    expect(plan('A="1"\r\n', [{ op: 'add-token', variable: 'USE', token: 'x' }])).toBe(
      'A="1"\r\nUSE="x"\r\n',
    );
  });

  test('a value that cannot be edited in place gets a line that appends', () => {
    expect(plan('USE=(a b)\n', [{ op: 'add-token', variable: 'USE', token: 'x' }])).toBe(
      'USE=(a b)\nUSE="${USE} x"\n',
    );
  });

  test('rejects tokens that would need quoting', () => {
    expect(() => plan('', [{ op: 'add-token', variable: 'USE', token: 'a b' }])).toThrow(RangeError);
    expect(() => plan('', [{ op: 'add-token', variable: 'USE', token: '$(x)' }])).toThrow(RangeError);
    expect(() => plan('', [{ op: 'add-token', variable: 'U SE', token: 'x' }])).toThrow(RangeError);
  });
});

describe('set', () => {
  test('the HOWTO lines KERNEL_DIR and KBUILD_OUTPUT', () => {
    const edits: MakeConfEdit[] = [
      { op: 'set', variable: 'KERNEL_DIR', value: '/usr/src/linux' },
      { op: 'set', variable: 'KBUILD_OUTPUT', value: '${KERNEL_DIR}/_dom0' },
    ];
    const out = plan(LEGACY_2007, edits);
    expect(out).toBe(`${LEGACY_2007}KERNEL_DIR=/usr/src/linux\nKBUILD_OUTPUT=\${KERNEL_DIR}/_dom0\n`);
    expect(plan(out, edits)).toBe(out);
    expect(bashView(out, ['KBUILD_OUTPUT']).get('KBUILD_OUTPUT')).toBe('/usr/src/linux/_dom0');
  });

  test('replaces the value of the last assignment, keeping export and comment', () => {
    expect(plan('export A="x" # keep\n', [{ op: 'set', variable: 'A', value: 'two words' }])).toBe(
      'export A="two words" # keep\n',
    );
  });

  test('an equivalent value is a no-op', () => {
    expect(plan('A="/usr/src/linux"\n', [{ op: 'set', variable: 'A', value: '/usr/src/linux' }])).toBe(
      'A="/usr/src/linux"\n',
    );
  });

  test('a sourced file that sets the variable again is not missed: the line goes after it', () => {
    const doc = parseMakeConf('KERNEL_DIR="/usr/src/linux"\nsource local.conf\n', FILE);
    const sources = new Map([['/etc/portage/local.conf', 'KERNEL_DIR="/usr/src/old"\n']]);
    const set = [{ op: 'set', variable: 'KERNEL_DIR', value: '/usr/src/linux' }] as const;
    const once = planMakeConfEdits(doc, [...set], { sources }).text;
    expect(once).toBe('KERNEL_DIR="/usr/src/linux"\nsource local.conf\nKERNEL_DIR=/usr/src/linux\n');
    expect(planMakeConfEdits(parseMakeConf(once, FILE), [...set], { sources }).text).toBe(once);
  });

  test('rejects values it cannot write safely', () => {
    expect(() => plan('', [{ op: 'set', variable: 'A', value: 'a"b' }])).toThrow(RangeError);
    expect(() => plan('', [{ op: 'set', variable: 'A', value: '$(uname)' }])).toThrow(RangeError);
  });
});

describe('editMakeConf', () => {
  test('refuses a file Portage cannot read, naming the line', () => {
    expect(() => editMakeConf('A=1\nCFLAGS+=" -O2"\n', FILE, [{ op: 'add-cflag', flag: TLS }])).toThrow(
      MakeConfParseError,
    );
    try {
      editMakeConf('A=1\nCFLAGS+=" -O2"\n', FILE, []);
    } catch (e) {
      expect((e as MakeConfParseError).line).toBe(2);
      expect((e as MakeConfParseError).message).toMatch(
        /^\/etc\/portage\/make\.conf:2: "CFLAGS\+=" is not understood/,
      );
    }
  });

  test('passes warnings on as notes', () => {
    const r = editMakeConf("A='$B'\n", FILE, [{ op: 'add-token', variable: 'USE', token: 'x' }]);
    expect(r.text).toBe('A=\'$B\'\nUSE="x"\n');
    expect(r.notes[0]).toMatch(/warning: Portage expands "\$" even inside single quotes/);
  });
});

const edit: fc.Arbitrary<MakeConfEdit> = fc.oneof(
  fc.record({
    op: fc.constant('add-token' as const),
    variable: names,
    token: fc.constantFrom('nptlonly', 'buildpkg', 'x86', 'new-word'),
  }),
  fc.record({
    op: fc.constant('remove-token' as const),
    variable: names,
    token: fc.constantFrom('nptl', 'buildpkg', '-O2', 'gtk'),
  }),
  fc.record({ op: fc.constant('add-cflag' as const), flag: fc.constant(TLS) }),
  fc.record({ op: fc.constant('replace-cflag' as const), from: fc.constant('-Os'), to: fc.constant('-O2') }),
  fc.record({
    op: fc.constant('set' as const),
    variable: names,
    value: fc.constantFrom('/usr/src/linux', '${KERNEL_DIR}/_dom0', 'two words'),
  }),
);

/** Variables an edit may change (for the "everything else is unchanged" checks). */
function touched(e: MakeConfEdit, text: string): Set<string> {
  const doc = parseMakeConf(text, FILE);
  const set = new Set(e.op === 'add-token' || e.op === 'remove-token' || e.op === 'set' ? [e.variable] : []);
  if (e.op === 'add-cflag' || e.op === 'replace-cflag') {
    set.add('CFLAGS').add('CXXFLAGS');
  }
  const refs = (value: string): string[] =>
    [...value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? '');
  if (e.op === 'add-cflag' || e.op === 'replace-cflag') {
    // What the C flags expand (COMMON_FLAGS ...) may be edited too.
    for (let grew = true; grew;) {
      grew = false;
      for (const st of doc.statements) {
        if (st.kind !== 'assignment') continue;
        for (const a of st.assignments) {
          if (!set.has(a.name)) continue;
          for (const r of refs(text.slice(a.value.start, a.value.end))) {
            if (!set.has(r)) {
              set.add(r);
              grew = true;
            }
          }
        }
      }
    }
  }
  // ... and so may every variable that expands an edited one.
  for (let grew = true; grew;) {
    grew = false;
    for (const st of doc.statements) {
      if (st.kind !== 'assignment') continue;
      for (const a of st.assignments) {
        if (!set.has(a.name) && refs(text.slice(a.value.start, a.value.end)).some((r) => set.has(r))) {
          set.add(a.name);
          grew = true;
        }
      }
    }
  }
  return set;
}

/** Edits that undo each other (set A=x then add a word to A, add then remove the same word). */
function conflicting(edits: MakeConfEdit[]): boolean {
  const vars = (e: MakeConfEdit): string[] =>
    e.op === 'add-cflag' || e.op === 'replace-cflag'
      ? ['CFLAGS', 'CXXFLAGS', 'COMMON_FLAGS', 'FCFLAGS']
      : [e.variable];
  return edits.some((a, i) =>
    edits.some((b, j) => {
      if (i === j) return false;
      if (a.op === 'set' && vars(b).includes(a.variable)) return true;
      // Removing from the C flags the word a C-flag edit puts there.
      const adds = a.op === 'add-cflag' ? a.flag : a.op === 'replace-cflag' ? a.to : undefined;
      if (adds !== undefined && b.op === 'remove-token' && b.token === adds && vars(a).includes(b.variable)) {
        return true;
      }
      return (
        a.op === 'add-token' && b.op === 'remove-token' && a.variable === b.variable && a.token === b.token
      );
    }),
  );
}

function keep(st: Statement, names: Set<string>): boolean {
  return st.kind !== 'assignment' || st.assignments.every((a) => !names.has(a.name));
}

describe('edit properties', () => {
  test('idempotent, no new Portage issues, untouched lines identical', () => {
    fc.assert(
      fc.property(commonFile, fc.array(edit, { minLength: 1, maxLength: 3 }), (text, edits) => {
        fc.pre(!conflicting(edits));
        const once = plan(text, edits);
        expect(plan(once, edits)).toBe(once);
        expect(checkPortageCompat(parseMakeConf(once, FILE))).toEqual([]);
        const names = new Set(edits.flatMap((e) => [...touched(e, text)]));
        // Every statement that assigns none of the touched variables is still there, in order.
        const after = parseMakeConf(once, FILE).statements.map((s) => s.raw.replace(/\r?\n$/, ''));
        let i = 0;
        for (const st of parseMakeConf(text, FILE).statements.filter((s) => keep(s, names))) {
          const raw = st.raw.replace(/\r?\n$/, '');
          while (i < after.length && after[i] !== raw) i++;
          expect(i, `statement ${JSON.stringify(raw)} lost`).toBeLessThan(after.length);
          i++;
        }
      }),
      { numRuns: 300 },
    );
  });

  test('bash sees the intended change and nothing else', () => {
    fc.assert(
      fc.property(commonFile, edit, (text, e) => {
        const out = plan(text, [e]);
        const vars = new Set([...assignedNames(text), ...assignedNames(out), 'CFLAGS', 'CXXFLAGS']);
        const before = bashView(text, vars);
        const after = bashView(out, vars);
        const changed = touched(e, text);
        for (const v of vars) if (!changed.has(v)) expect(after.get(v), v).toBe(before.get(v));
        switch (e.op) {
          case 'add-token':
            expect(words(after.get(e.variable))).toContain(e.token);
            break;
          case 'remove-token':
            if (
              !assignedNames(text).some((n) => n !== e.variable && words(before.get(n)).includes(e.token))
            ) {
              expect(words(after.get(e.variable))).not.toContain(e.token);
            }
            break;
          case 'add-cflag':
            expect(words(after.get('CFLAGS'))).toContain(TLS);
            expect(words(after.get('CXXFLAGS'))).toContain(TLS);
            expect(words(after.get('CFLAGS')).filter((w) => w === TLS)).toHaveLength(1);
            expect(words(after.get('CXXFLAGS')).filter((w) => w === TLS)).toHaveLength(1);
            break;
          case 'replace-cflag':
            expect(words(after.get('CFLAGS'))).not.toContain('-Os');
            expect(words(after.get('CXXFLAGS'))).not.toContain('-Os');
            break;
          case 'set':
            expect(after.get(e.variable)).toBe(
              e.value.replace('${KERNEL_DIR}', before.get('KERNEL_DIR') ?? ''),
            );
            break;
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe('files Portage cannot read', () => {
  test('planning never throws and keeps the text round-trippable', () => {
    fc.assert(
      fc.property(anyFile, fc.array(edit, { minLength: 1, maxLength: 3 }), (text, edits) => {
        const out = plan(text, edits);
        expect(renderMakeConf(parseMakeConf(out, FILE))).toBe(out);
      }),
      { numRuns: 300 },
    );
  });
});

describe('CRLF files stay CRLF', () => {
  const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');
  const onlyCrlf = (text: string): boolean => !/(^|[^\r])\n/.test(text);
  const FILES = {
    stage3: STAGE3_AMD64,
    legacy: LEGACY_2007,
    'one line each': 'CFLAGS="-Os -pipe"\nCXXFLAGS="${CFLAGS}"\nUSE="a b"\nFEATURES="x"\n',
    continued: 'CFLAGS="-Os \\\n  -pipe"\nUSE="a \\\n  b"\nFEATURES="x \\\n  y"\n',
    'continuation before the closing quote': 'USE="a \\\n  b \\\n"\nFEATURES="x \\\n"  # c\n',
    'nothing set': '# nothing\n',
  };
  const EDITS: MakeConfEdit[] = [
    { op: 'add-token', variable: 'USE', token: 'nptlonly' },
    { op: 'add-token', variable: 'FEATURES', token: 'buildpkg' },
    { op: 'add-token', variable: 'MAKEOPTS', token: '-j2' },
    { op: 'remove-token', variable: 'USE', token: 'b' },
    { op: 'add-cflag', flag: TLS },
    { op: 'replace-cflag', from: '-Os', to: '-O2' },
    { op: 'set', variable: 'USE', value: 'q r' },
    { op: 'set', variable: 'ACCEPT_LICENSE', value: '*' },
  ];
  test.each(
    Object.entries(FILES).flatMap(([name, text]) => EDITS.map((e) => [name, e.op, text, e] as const)),
  )('%s, %s', (_name, _op, text, e) => {
    const out = plan(crlf(text), [e]);
    expect(onlyCrlf(out), JSON.stringify(out)).toBe(true);
    // The same edit as on the LF file, line ending aside.
    expect(out).toBe(crlf(plan(text, [e])));
  });

  test('the word goes before a backslash-CRLF at the end of a quoted value', () => {
    expect(plan('USE="a \\\r\n  b \\\r\n"\r\n', [{ op: 'add-token', variable: 'USE', token: 'z' }])).toBe(
      'USE="a \\\r\n  b z \\\r\n"\r\n',
    );
  });

  test('property: any edits of a file whose lines all end in CRLF leave them all ending in CRLF', () => {
    fc.assert(
      fc.property(
        commonFile.filter((t) => t.endsWith('\n')),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        (text, edits) => {
          const out = plan(crlf(text), edits);
          expect(onlyCrlf(out), JSON.stringify(out)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('continuations at the end of a quoted value', () => {
  test('the word goes before the backslash-newline', () => {
    expect(plan('USE="a b \\\n"  # c\n', [{ op: 'add-token', variable: 'USE', token: 'z' }])).toBe(
      'USE="a b z \\\n"  # c\n',
    );
    expect(plan('USE="a\\\\\n"\n', [{ op: 'add-token', variable: 'USE', token: 'z' }])).toBe(
      'USE="a\\\\ z\n"\n',
    );
  });
});

test('removing neighbouring words shares the blank between them', () => {
  expect(plan("A='x x'\n", [{ op: 'remove-token', variable: 'A', token: 'x' }])).toBe("A=''\n");
  expect(plan('A="y x x z"\n', [{ op: 'remove-token', variable: 'A', token: 'x' }])).toBe('A="y z"\n');
});
