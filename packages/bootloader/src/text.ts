/** Line handling that keeps a file's bytes: split keeps no terminators, join restores them. */

export interface Lines {
  lines: string[];
  /** The line terminator the file uses ("\n" unless it uses "\r\n"). */
  eol: string;
  /** Whether the text ended with a terminator (or was empty). */
  finalNewline: boolean;
}

export function splitLines(text: string): Lines {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  if (text === '') return { lines: [], eol, finalNewline: true };
  const finalNewline = text.endsWith('\n');
  const body = finalNewline ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
  return { lines: body.split(/\r?\n/), eol, finalNewline };
}

export function joinLines({ lines, eol, finalNewline }: Lines): string {
  if (lines.length === 0) return '';
  return lines.join(eol) + (finalNewline ? eol : '');
}

/**
 * Append a block of lines at the end of a file, separated from the previous content by one
 * blank line. A missing final newline of the existing text is added first.
 */
export function appendBlock(text: string, block: string[]): string {
  const parsed = splitLines(text);
  const lines = [...parsed.lines];
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  const trailingBlanks = parsed.lines.length - lines.length;
  const out = [...parsed.lines];
  if (lines.length > 0 && trailingBlanks === 0) out.push('');
  out.push(...block);
  return joinLines({ lines: out, eol: parsed.eol, finalNewline: true });
}

/** Replace lines [start, end) with `replacement`, keeping everything else byte for byte. */
export function replaceLines(text: string, start: number, end: number, replacement: string[]): string {
  const parsed = splitLines(text);
  const lines = [...parsed.lines.slice(0, start), ...replacement, ...parsed.lines.slice(end)];
  return joinLines({ ...parsed, lines, finalNewline: parsed.finalNewline || end >= parsed.lines.length });
}
