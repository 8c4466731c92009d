import type { Assignment, AssignmentStatement, MakeConfDocument, WordPart } from './document.js';

/** A whitespace-separated word inside an assignment value, with the offsets of its source text. */
export interface ValueWord {
  raw: string;
  start: number;
  end: number;
  /** The quote content (or unquoted text) holding the word. */
  region: { start: number; end: number };
  quoted: boolean;
}

/** A text replacement at absolute offsets of the document text. */
export interface Splice {
  start: number;
  end: number;
  text: string;
}

const BLANK = new Set([' ', '\t', '\n']);

/** Every assignment of `name`, in file order. */
export function assignmentsOf(
  doc: MakeConfDocument,
  name: string,
): { statement: AssignmentStatement; assignment: Assignment }[] {
  const out: { statement: AssignmentStatement; assignment: Assignment }[] = [];
  for (const statement of doc.statements) {
    if (statement.kind !== 'assignment') continue;
    for (const assignment of statement.assignments) {
      if (assignment.name === name) out.push({ statement, assignment });
    }
  }
  return out;
}

/**
 * The words of a value that can be edited safely: inside quotes or unquoted, and not glued to a
 * neighbouring part (in `"a b"c` the `b` belongs to the word `bc`). A backslash-newline inside a
 * run of characters joins it, so `a\`+newline+`b` is one word (`ab`), not two.
 */
export function valueWords(doc: MakeConfDocument, assignment: Assignment): ValueWord[] {
  const parts = assignment.value.parts;
  const words: ValueWord[] = [];
  parts.forEach((part, index) => {
    const region = contentRegion(part);
    if (!region) return;
    const first = index === 0;
    const last = index === parts.length - 1;
    let i = region.start;
    while (i < region.end) {
      const c = doc.text.charAt(i);
      if (BLANK.has(c)) {
        i++;
        continue;
      }
      const start = i;
      while (i < region.end && !BLANK.has(doc.text.charAt(i))) i += doc.text.charAt(i) === '\\' ? 2 : 1;
      const end = Math.min(i, region.end);
      const gluedLeft = start === region.start && !first;
      const gluedRight = end === region.end && !last;
      if (!gluedLeft && !gluedRight) {
        words.push({
          raw: doc.text.slice(start, end),
          start,
          end,
          region: { start: region.start, end: region.end },
          quoted: region.quoted,
        });
      }
    }
  });
  return words;
}

/** The editable text region of a part: the inside of quotes, or unquoted literal text. */
function contentRegion(part: WordPart): { start: number; end: number; quoted: boolean } | undefined {
  if (part.kind === 'single' || part.kind === 'double')
    return { start: part.start + 1, end: part.end - 1, quoted: true };
  if (part.kind === 'literal') return { start: part.start, end: part.end, quoted: false };
  return undefined;
}

/**
 * Removes a word with the blanks that separated it: the blanks before it, or after it when it starts
 * a line; a word alone on its line takes the whole line. An unquoted value becomes `""`, never `NAME=`.
 */
export function removeWordSplice(doc: MakeConfDocument, word: ValueWord): Splice {
  const { region } = word;
  if (!word.quoted) return { start: word.start, end: word.end, text: '""' };
  const t = doc.text;
  let before = word.start;
  while (before > region.start && isSpaceOrTab(t.charAt(before - 1))) before--;
  let after = word.end;
  while (after < region.end && isSpaceOrTab(t.charAt(after))) after++;
  const atLineStart = before === region.start || t.charAt(before - 1) === '\n';
  const atLineEnd = after === region.end || t.charAt(after) === '\n';
  if (atLineStart && atLineEnd) {
    const newline = after < region.end && t.charAt(after) === '\n' && before > region.start ? 1 : 0;
    return { start: before, end: after + newline, text: '' };
  }
  if (atLineStart) return { start: word.start, end: after, text: '' };
  return { start: before, end: word.end, text: '' };
}

function isSpaceOrTab(c: string): boolean {
  return c === ' ' || c === '\t';
}

const SIMPLE_BARE_VALUE_RE =
  /^(?:[A-Za-z0-9_./:@%+,-]|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * Where to append a word at the end of a value without changing how the rest is read: before the
 * closing quote of a quoted value (after its last word, so a closing quote on its own line stays
 * there), as `"word"` for an empty value, or by quoting a simple bare value (`USE=foo` becomes
 * `USE="foo word"`). Undefined when the value cannot be edited in place (arrays, `$(...)`, `+=`, ...).
 */
export function appendWordSplice(
  doc: MakeConfDocument,
  assignment: Assignment,
  word: string,
): Splice | undefined {
  if (assignment.operator !== '=') return undefined;
  const parts = assignment.value.parts;
  if (parts.some((p) => p.kind === 'array' || p.kind === 'expansion')) return undefined;
  if (parts.some((p) => p.kind === 'double' && p.parts.some((q) => q.kind === 'expansion'))) return undefined;
  const { start, end } = assignment.value;
  const lastPart = parts[parts.length - 1];
  if (!lastPart) return { start, end, text: `"${word}"` };
  if (lastPart.kind === 'single' || lastPart.kind === 'double') {
    const contentStart = lastPart.start + 1;
    let p = lastPart.end - 1;
    for (;;) {
      const c = doc.text.charAt(p - 1);
      if (p <= contentStart) break;
      if (lastPart.kind === 'double' && c === '\n' && isContinuation(doc.text, p - 1, contentStart)) p -= 2;
      else if (BLANK.has(c)) p--;
      else break;
    }
    if (p === contentStart && parts.length === 1) return { start: p, end: p, text: word };
    return { start: p, end: p, text: ` ${word}` };
  }
  const raw = doc.text.slice(start, end);
  if (parts.every((p) => p.kind === 'literal' || p.kind === 'param') && SIMPLE_BARE_VALUE_RE.test(raw)) {
    return { start, end, text: `"${raw} ${word}"` };
  }
  return undefined;
}

/** True when the newline at `nl` is escaped by an odd run of backslashes (a line continuation). */
function isContinuation(text: string, nl: number, from: number): boolean {
  let n = 0;
  for (let i = nl - 1; i >= from && text.charAt(i) === '\\'; i--) n++;
  return n % 2 === 1;
}

/**
 * Applies splices to a text. Overlapping deletions (two removed words sharing the blank between
 * them) are merged; any other overlap is a programming error.
 */
export function applySplices(text: string, splices: Splice[]): string {
  const sorted = [...splices].sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Splice[] = [];
  for (const s of sorted) {
    const prev = merged.at(-1);
    if (prev && s.start < prev.end) {
      if (prev.text !== '' || s.text !== '') throw new Error('overlapping edits');
      prev.end = Math.max(prev.end, s.end);
    } else merged.push({ ...s });
  }
  let out = text;
  for (const s of merged.reverse()) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}
