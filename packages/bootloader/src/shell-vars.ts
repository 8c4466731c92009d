import { BootConfigError, BootFileSyntaxError } from './errors.js';

/**
 * Lossless editing of a shell-variable file such as /etc/default/grub, which grub-mkconfig
 * sources with /bin/sh. Only plain assignments (`NAME=value`, optionally `export NAME=value`) at
 * the start of a line are understood (never a line of a here-document's text); every other byte
 * is kept as it is.
 */

export interface ShellAssignment {
  name: string;
  /** Offsets of the whole statement in the text: from the line start to the end of the value. */
  start: number;
  end: number;
  /** The value as the shell would see it, or undefined when it uses expansions ($, `). */
  value: string | undefined;
  raw: string;
}

/** Scan the value of an assignment starting at `pos`; returns the end offset and the value. */
function scanValue(
  text: string,
  pos: number,
  file: string | undefined,
): { end: number; value: string | undefined } {
  let value = '';
  let literal = true;
  let i = pos;
  const lineOf = (offset: number): number => text.slice(0, offset).split('\n').length;
  while (i < text.length) {
    const c = text[i];
    // A CR before the LF of a CRLF file ends the line too: it is the file's line terminator,
    // kept when the assignment is rewritten.
    if (c === '\r' && (text[i + 1] === '\n' || i + 1 === text.length)) break;
    if (
      c === undefined ||
      c === '\n' ||
      c === ' ' ||
      c === '\t' ||
      c === ';' ||
      c === '#' ||
      c === '&' ||
      c === '|'
    ) {
      break;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) {
        throw new BootFileSyntaxError('unterminated single quote', {
          expected: "a closing ' (sh cannot read the file)",
          file: file ?? 'the file',
          line: lineOf(i),
        });
      }
      value += text.slice(i + 1, close);
      i = close + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        const d = text[i];
        if (d === undefined) {
          throw new BootFileSyntaxError('unterminated double quote', {
            expected: 'a closing " (sh cannot read the file)',
            file: file ?? 'the file',
            line: lineOf(pos),
          });
        }
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          const n = text[i + 1];
          if (n === '$' || n === '`' || n === '"' || n === '\\') value += n;
          else if (n === '\n') {
            /* line continuation */
          } else value += `\\${n ?? ''}`;
          i += 2;
          continue;
        }
        if (d === '$' || d === '`') literal = false;
        value += d;
        i++;
      }
    } else if (c === '\\') {
      const n = text[i + 1];
      if (n !== '\n') value += n ?? '';
      i += 2;
    } else {
      if (c === '$' || c === '`' || c === '(' || c === ')' || c === '<' || c === '>') literal = false;
      value += c;
      i++;
    }
  }
  return { end: i, value: literal ? value : undefined };
}

/** Every top-level assignment of the file, in order. */
export function parseShellAssignments(text: string, file?: string): ShellAssignment[] {
  const out: ShellAssignment[] = [];
  const re = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=/gm;
  let m: RegExpExecArray | null;
  let skipUntil = 0;
  const bodies = hereDocBodies(text);
  while ((m = re.exec(text)) !== null) {
    if (m.index < skipUntil) continue;
    const at = m.index;
    if (bodies.some(([start, end]) => start <= at && at < end)) continue;
    const lineStart = m.index;
    const { end, value } = scanValue(text, m.index + m[0].length, file);
    skipUntil = end;
    out.push({ name: m[1] ?? '', start: lineStart, end, value, raw: text.slice(lineStart, end) });
  }
  return out;
}

/**
 * The value the shell ends up with (the last assignment wins); undefined when unset. `file` names
 * the file in the error for text sh cannot read (an unterminated quote).
 */
export function readShellVariable(text: string, name: string, file?: string): ShellAssignment | undefined {
  return parseShellAssignments(text, file)
    .filter((a) => a.name === name)
    .pop();
}

/** The file's line terminator: "\r\n" when it uses CRLF, else "\n". */
function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/**
 * Whether the statement at `offset` runs only under a condition: inside an `if … fi`,
 * `case … esac`, a `while`/`until`/`for … done` loop or a `{ … }` / `( … )` group of the lines
 * before it. Quoted text and comments are skipped; a rough reading of sh, enough to tell the
 * administrator to check what the tool edited there.
 */
export function inConditional(text: string, offset: number): boolean {
  // The code before the statement with quoted text, escapes and comments blanked out (one pass:
  // a quote inside a comment, as in "don't", starts nothing).
  let code = '';
  const bodies = hereDocBodies(text);
  for (let i = 0; i < offset; i++) {
    const body = bodies.find(([start, end]) => start === i && end > start);
    if (body) {
      // A here-document is text for a command: nothing in it opens or closes a compound command.
      code += '\n';
      i = Math.min(body[1], offset) - 1;
      continue;
    }
    const c = text[i] ?? '';
    if (c === '#' && (i === 0 || /[\s;&|()]/.test(text[i - 1] ?? ''))) {
      while (i + 1 < offset && text[i + 1] !== '\n') i++;
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      i = close < 0 ? offset : close;
      code += ' ';
    } else if (c === '"') {
      i++;
      while (i < offset && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      code += ' ';
    } else if (c === '\\') {
      i++;
      code += ' ';
    } else code += c;
  }
  let depth = 0;
  // Words in command position: at a line start, after ; & | ( ) (a case pattern, a function's
  // `f()`) or after the keywords that start a command list.
  const re =
    /(^|[\n;&|()]|\b(?:then|else|do)\b)[ \t]*(if|case|while|until|for|fi|esac|done|\{|\})(?=[\s;&|()]|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code)) !== null) {
    const word = m[2] ?? '';
    if (['if', 'case', 'while', 'until', 'for', '{'].includes(word)) depth++;
    else depth = Math.max(0, depth - 1);
  }
  return depth > 0;
}

/** Quote a value for sh: double quotes, with ", \, $ and ` escaped. */
export function shellQuote(value: string): string {
  return `"${value.replace(/["\\$`]/g, '\\$&')}"`;
}

/**
 * Set NAME to `value`. The last assignment of NAME is rewritten in place (its comments and
 * surrounding lines untouched); when there is none, `NAME="value"` is appended, after an optional
 * comment line. `value === undefined` removes every assignment of NAME (comments stay).
 */
export function setShellVariable(
  text: string,
  name: string,
  value: string | undefined,
  options: { comment?: string; file?: string } = {},
): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new BootConfigError(`variable name "${name}"`, { expected: 'letters, digits and _' });
  }
  const all = parseShellAssignments(text, options.file).filter((a) => a.name === name);
  if (value === undefined) {
    let out = text;
    for (const a of [...all].reverse()) {
      const lineEnd = out.indexOf('\n', a.end);
      const rest = out.slice(a.end, lineEnd < 0 ? out.length : lineEnd);
      // Only drop whole lines that hold nothing but the assignment.
      if (rest.trim() === '' || rest.trim().startsWith('#')) {
        out = out.slice(0, a.start) + out.slice(lineEnd < 0 ? out.length : lineEnd + 1);
      }
    }
    return out;
  }
  if (/[\r\n]/.test(value)) {
    throw new BootConfigError(`value of ${name} spans lines`, { expected: 'a one-line value' });
  }
  const statement = `${name}=${shellQuote(value)}`;
  const last = all[all.length - 1];
  if (last) {
    if (last.value === value) return text;
    const exported = /^[ \t]*export[ \t]/.test(last.raw);
    const indent = /^[ \t]*/.exec(last.raw)?.[0] ?? '';
    return (
      text.slice(0, last.start) + indent + (exported ? 'export ' : '') + statement + text.slice(last.end)
    );
  }
  const eol = eolOf(text);
  const sep = text === '' || text.endsWith('\n') ? '' : eol;
  const block =
    (text === '' ? '' : eol) + (options.comment ? `# ${options.comment}${eol}` : '') + statement + eol;
  return text + sep + block;
}

/**
 * Set several variables at once: existing assignments are rewritten in place, the missing ones
 * are appended together as one block under one comment line.
 */
export function setShellVariables(
  text: string,
  values: ReadonlyArray<readonly [name: string, value: string]>,
  options: { comment?: string; file?: string } = {},
): string {
  let out = text;
  const missing: Array<readonly [string, string]> = [];
  for (const [name, value] of values) {
    if (readShellVariable(out, name, options.file))
      out = setShellVariable(out, name, value, { file: options.file });
    else missing.push([name, value]);
  }
  if (missing.length === 0) return out;
  for (const [name, value] of missing) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /[\r\n]/.test(value)) {
      throw new BootConfigError(`assignment of "${name}"`, {
        expected: 'a variable name and a one-line value',
      });
    }
  }
  const eol = eolOf(out);
  const sep = out === '' || out.endsWith('\n') ? '' : eol;
  const lines = [
    ...(out === '' ? [] : ['']),
    ...(options.comment ? [`# ${options.comment}`] : []),
    ...missing.map(([name, value]) => `${name}=${shellQuote(value)}`),
  ];
  return out + sep + lines.join(eol) + eol;
}

/**
 * The bodies of the here-documents in `text` (`<<WORD`, `<<-WORD`, the word quoted or not), as
 * offset ranges: from the line after the operator through the line that ends it (the end of the
 * text when none does, as sh reads it). What is inside is text fed to a command, never a statement.
 */
export function hereDocBodies(text: string): Array<[start: number, end: number]> {
  const bodies: Array<[number, number]> = [];
  const pending: Array<{ word: string; stripTabs: boolean }> = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      i++;
      // The bodies start on the line after the operators, one after the other.
      for (const doc of pending.splice(0)) {
        const start = i;
        for (;;) {
          if (i >= text.length) break;
          const lineEnd = text.indexOf('\n', i);
          const stop = lineEnd < 0 ? text.length : lineEnd;
          let line = text.slice(i, stop).replace(/\r$/, '');
          if (doc.stripTabs) line = line.replace(/^\t+/, '');
          i = lineEnd < 0 ? text.length : lineEnd + 1;
          if (line === doc.word) break;
        }
        bodies.push([start, i]);
      }
      continue;
    }
    if (c === '#' && (i === 0 || /[\s;&|()]/.test(text[i - 1] ?? ''))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      i = close < 0 ? text.length : close + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '\\') {
      i += 2;
    } else if (c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      i += 2;
      const stripTabs = text[i] === '-';
      if (stripTabs) i++;
      while (text[i] === ' ' || text[i] === '\t') i++;
      // The delimiter is the word with its quotes removed.
      let word = '';
      while (i < text.length && !/[\s;&|()<>]/.test(text[i] ?? '')) {
        const d = text[i] ?? '';
        if (d === "'" || d === '"') {
          const close = text.indexOf(d, i + 1);
          const end = close < 0 ? text.length : close;
          word += text.slice(i + 1, end);
          i = end + 1;
        } else if (d === '\\') {
          word += text[i + 1] ?? '';
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      if (word !== '') pending.push({ word, stripTabs });
    } else i++;
  }
  return bodies;
}
