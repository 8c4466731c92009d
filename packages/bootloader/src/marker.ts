import { BootFileSyntaxError } from './errors.js';
import { splitLines } from './text.js';

/**
 * Managed blocks: the lines the tool owns in a user's file sit between two comment lines,
 * `# BEGIN xen-gentoo <id>` and `# END xen-gentoo <id>`. Everything outside is the user's and
 * is never rewritten.
 */
export const MARKER_TAG = 'xen-gentoo';

export function beginMarker(id: string, comment = '#'): string {
  return `${comment} BEGIN ${MARKER_TAG} ${id} (managed by xen-gentoo; edits inside are replaced)`;
}

export function endMarker(id: string, comment = '#'): string {
  return `${comment} END ${MARKER_TAG} ${id}`;
}

export interface BlockRange {
  /** Index of the BEGIN line. */
  start: number;
  /** Index after the END line. */
  end: number;
}

function markerRe(kind: 'BEGIN' | 'END', id: string): RegExp {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\s*#+\\s*${kind} ${MARKER_TAG} ${escaped}(\\s|$)`);
}

/**
 * Find the managed block `id` in `text`; undefined when there is none. A broken block (an END
 * without BEGIN, a BEGIN without END, two BEGINs) throws BootFileSyntaxError naming `file` and the
 * line: which lines are the tool's is then unknown, so nothing may be replaced.
 */
export function findBlock(text: string, id: string, file?: string): BlockRange | undefined {
  const { lines } = splitLines(text);
  const begin = markerRe('BEGIN', id);
  const end = markerRe('END', id);
  const starts = lines.flatMap((l, i) => (begin.test(l) ? [i] : []));
  if (starts.length === 0) {
    const stray = lines.findIndex((l) => end.test(l));
    if (stray >= 0) {
      throw new BootFileSyntaxError(`END marker of block "${id}" without a BEGIN marker`, {
        expected: `a "# BEGIN ${MARKER_TAG} ${id}" line before it, or neither marker`,
        file: file ?? 'the file',
        line: stray + 1,
      });
    }
    return undefined;
  }
  const start = starts[0] ?? 0;
  if (starts.length > 1) {
    throw new BootFileSyntaxError(`block "${id}" appears more than once`, {
      expected: 'one managed block; remove the duplicate',
      file: file ?? 'the file',
      line: (starts[1] ?? 0) + 1,
    });
  }
  for (let i = start + 1; i < lines.length; i++) {
    if (end.test(lines[i] ?? '')) return { start, end: i + 1 };
  }
  throw new BootFileSyntaxError(`BEGIN marker of block "${id}" without an END marker`, {
    expected: `a "# END ${MARKER_TAG} ${id}" line after it`,
    file: file ?? 'the file',
    line: start + 1,
  });
}
