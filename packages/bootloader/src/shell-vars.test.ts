import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
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
