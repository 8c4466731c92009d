import { createTwoFilesPatch } from 'diff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addedFilePatch, renderDiff } from './render.js';

// What renderDiff printed before new and emptied files had their own path: jsdiff's patch.
function jsdiff(path: string, before: string | null, after: string): string {
  return createTwoFilesPatch(
    before === null ? '/dev/null' : `a${path}`,
    `b${path}`,
    before ?? '',
    after,
    undefined,
    undefined,
    {
      context: 3,
    },
  )
    .split('\n')
    .slice(1)
    .filter((line) => line !== '')
    .join('\n');
}

describe('the diff of a new or empty file', () => {
  // Lines of a few characters, line ends of every kind, empty lines and no final newline.
  const text = fc
    .array(
      fc.constantFrom(
        'a',
        'CONFIG_XEN=y',
        '',
        ' ',
        '\t#',
        '\r',
        '\\',
        '+',
        '-',
        '@@',
        '\n',
        '\n',
        '\r\n',
        'é',
      ),
      {
        maxLength: 40,
      },
    )
    .map((parts) => parts.join(''));

  it('is the patch jsdiff gives, line for line, for any text', () => {
    fc.assert(
      fc.property(text, fc.boolean(), (after, isNew) => {
        const before = isNew ? null : '';
        expect(renderDiff('/etc/x', before, after, false)).toBe(jsdiff('/etc/x', before, after));
      }),
      { numRuns: 2000 },
    );
  });

  it('counts the lines and marks a missing final newline', () => {
    expect(addedFilePatch('/dev/null', 'b/etc/x', 'a\nb')).toEqual([
      '--- /dev/null',
      '+++ b/etc/x',
      '@@ -0,0 +1,2 @@',
      '+a',
      '+b',
      '\\ No newline at end of file',
    ]);
    expect(addedFilePatch('/dev/null', 'b/etc/x', '')).toEqual(['--- /dev/null', '+++ b/etc/x']);
  });

  it('a new shadow file shows its hashes redacted', () => {
    const diff = renderDiff('/etc/shadow', null, 'root:$6$salt$hash:19000:0:99999:7:::\n', false);
    expect(diff).toContain('+root:<redacted>:19000');
    expect(diff).not.toContain('$6$');
  });
});
