import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  inConditional,
  parseShellAssignments,
  readShellVariable,
  setShellVariable,
  setShellVariables,
} from './shell-vars.js';

/** What /bin/sh makes of the file: the judge of meaning. */
function shValue(text: string, name: string): string {
  return execFileSync('sh', ['-c', `${text}\nprintf '%s' "\${${name}-<unset>}"`], { encoding: 'utf8' });
}

const SAMPLE = `# comment
GRUB_DISTRIBUTOR="Gentoo"
#GRUB_CMDLINE_XEN_DEFAULT=""
GRUB_TIMEOUT=5   # trailing comment
export GRUB_A='single $quoted'
GRUB_B="multi
line"
GRUB_C=bare\\ word
`;

describe('parseShellAssignments', () => {
  it('reads values as sh does', () => {
    for (const name of ['GRUB_DISTRIBUTOR', 'GRUB_TIMEOUT', 'GRUB_A', 'GRUB_B', 'GRUB_C']) {
      expect(readShellVariable(SAMPLE, name)?.value, name).toBe(shValue(SAMPLE, name));
    }
    expect(readShellVariable(SAMPLE, 'GRUB_CMDLINE_XEN_DEFAULT')).toBeUndefined();
  });

  it('marks values with expansions as unknown', () => {
    expect(parseShellAssignments('A="$B c"\n')[0]?.value).toBeUndefined();
  });

  it('does not see assignments inside a multi-line value', () => {
    expect(parseShellAssignments('A="x\nB=y"\n').map((a) => a.name)).toEqual(['A']);
  });
});

describe('setShellVariable', () => {
  it('replaces only the assignment, keeping the trailing comment', () => {
    const out = setShellVariable(SAMPLE, 'GRUB_TIMEOUT', '10');
    expect(out).toBe(SAMPLE.replace('GRUB_TIMEOUT=5', 'GRUB_TIMEOUT="10"'));
    expect(shValue(out, 'GRUB_TIMEOUT')).toBe('10');
  });

  it('replaces a multi-line value and keeps export', () => {
    const out = setShellVariable(SAMPLE, 'GRUB_B', 'one');
    expect(out).toContain('GRUB_B="one"\nGRUB_C');
    const out2 = setShellVariable(SAMPLE, 'GRUB_A', 'two');
    expect(out2).toContain('export GRUB_A="two"\n');
  });

  it('appends a missing variable with a comment; second run changes nothing', () => {
    const out = setShellVariable(SAMPLE, 'GRUB_CMDLINE_XEN_DEFAULT', 'dom0_mem=1024M,max:1024M', {
      comment: 'Xen',
    });
    expect(out).toBe(`${SAMPLE}\n# Xen\nGRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1024M,max:1024M"\n`);
    expect(setShellVariable(out, 'GRUB_CMDLINE_XEN_DEFAULT', 'dom0_mem=1024M,max:1024M')).toBe(out);
  });

  it('removes a variable', () => {
    expect(setShellVariable('A=1\nB=2 # x\nC=3\n', 'B', undefined)).toBe('A=1\nC=3\n');
  });

  it('quotes any value so that sh reads it back exactly', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[\r\n\0]/.test(s)),
        (value) => {
          const out = setShellVariable(SAMPLE, 'GRUB_X', value);
          expect(shValue(out, 'GRUB_X')).toBe(value);
          expect(readShellVariable(out, 'GRUB_X')?.value).toBe(value);
          expect(setShellVariable(out, 'GRUB_X', value)).toBe(out);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('setShellVariables', () => {
  it('appends all missing ones as one block', () => {
    const out = setShellVariables(
      'A=1',
      [
        ['A', '2'],
        ['B', 'x y'],
        ['C', 'z'],
      ],
      { comment: 'added' },
    );
    expect(out).toBe('A="2"\n\n# added\nB="x y"\nC="z"\n');
  });
});

describe('CRLF files', () => {
  const crlf =
    'GRUB_DISTRIBUTOR="Gentoo"\r\nGRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M loglvl=all"\r\nGRUB_TIMEOUT=5\r\n';

  it('reads values without the CR of the line ending', () => {
    expect(readShellVariable(crlf, 'GRUB_CMDLINE_XEN_DEFAULT')?.value).toBe('dom0_mem=512M loglvl=all');
    expect(readShellVariable('A=bare\r\n', 'A')?.value).toBe('bare');
  });

  it('keeps CRLF on the edited line and on the added ones', () => {
    const out = setShellVariables(
      crlf,
      [
        ['GRUB_CMDLINE_XEN_DEFAULT', 'dom0_mem=1G loglvl=all'],
        ['GRUB_NEW', 'x'],
      ],
      { comment: 'added' },
    );
    expect(out).toBe(
      'GRUB_DISTRIBUTOR="Gentoo"\r\nGRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1G loglvl=all"\r\nGRUB_TIMEOUT=5\r\n\r\n# added\r\nGRUB_NEW="x"\r\n',
    );
    expect(
      setShellVariable(crlf, 'B', 'y', { comment: 'c' }).endsWith('GRUB_TIMEOUT=5\r\n\r\n# c\r\nB="y"\r\n'),
    ).toBe(true);
    expect(setShellVariables(out, [['GRUB_CMDLINE_XEN_DEFAULT', 'dom0_mem=1G loglvl=all']])).toBe(out);
  });
});

describe('inConditional', () => {
  const at = (text: string, name: string): boolean =>
    inConditional(text, readShellVariable(text, name)?.start ?? -1);

  it('sees assignments inside if, case, loops and groups', () => {
    expect(at('if [ -e /x ]; then\n  A=1\nfi\n', 'A')).toBe(true);
    expect(at('if [ -e /x ]; then\n  B=0\nelse\nA=1\nfi\n', 'A')).toBe(true);
    expect(at('case $x in\n y)\nA=1 ;;\nesac\n', 'A')).toBe(true);
    expect(at('f() {\nA=1\n}\n', 'A')).toBe(true);
    expect(at('for i in 1; do\nA=1\ndone\n', 'A')).toBe(true);
  });

  it('not at top level, after a closed block, or for keywords in quotes and comments', () => {
    expect(at('if true; then B=1; fi\nA=1\n', 'A')).toBe(false);
    expect(at('if a; then if b; then B=1; fi; fi\nA=1\n', 'A')).toBe(false);
    expect(at("# don't run 'grub-mkconfig' if you\nB=\"if while\"\nC='case'\nA=1\n", 'A')).toBe(false);
    expect(at('# if\nA=1\n', 'A')).toBe(false);
  });
});

describe('here-documents', () => {
  const TEXT = `GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1G"
cat >/dev/null <<EOF
GRUB_CMDLINE_XEN_DEFAULT="inside a here-document"
if true; then
EOF
cat >/dev/null <<-'END'
\tGRUB_TIMEOUT=99
\tEND
GRUB_TIMEOUT=5
`;

  it('an assignment inside a here-document is text, not an assignment (sh agrees)', () => {
    expect(readShellVariable(TEXT, 'GRUB_CMDLINE_XEN_DEFAULT')?.value).toBe(
      shValue(TEXT, 'GRUB_CMDLINE_XEN_DEFAULT'),
    );
    expect(readShellVariable(TEXT, 'GRUB_TIMEOUT')?.value).toBe(shValue(TEXT, 'GRUB_TIMEOUT'));
    expect(parseShellAssignments(TEXT).map((a) => a.name)).toEqual([
      'GRUB_CMDLINE_XEN_DEFAULT',
      'GRUB_TIMEOUT',
    ]);
  });

  it('the edit goes to the real assignment; the here-document stays as it is', () => {
    const after = setShellVariable(TEXT, 'GRUB_CMDLINE_XEN_DEFAULT', 'dom0_mem=2G');
    expect(after).toBe(TEXT.replace('"dom0_mem=1G"', '"dom0_mem=2G"'));
    expect(shValue(after, 'GRUB_CMDLINE_XEN_DEFAULT')).toBe('dom0_mem=2G');
    const only = 'cat >/dev/null <<EOF\nGRUB_CMDLINE_XEN_DEFAULT="x"\nEOF\n';
    const appended = setShellVariable(only, 'GRUB_CMDLINE_XEN_DEFAULT', 'dom0_mem=2G');
    expect(appended.startsWith(only)).toBe(true);
    expect(shValue(appended, 'GRUB_CMDLINE_XEN_DEFAULT')).toBe('dom0_mem=2G');
  });

  it('an "if" inside a here-document does not make what follows conditional', () => {
    expect(inConditional(TEXT, TEXT.indexOf('GRUB_TIMEOUT=5'))).toBe(false);
  });
});
