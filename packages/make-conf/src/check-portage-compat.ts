import { bashAssignments } from './bash-view.js';
import type {
  Assignment,
  AssignmentStatement,
  MakeConfDocument,
  Statement,
  Word,
  WordPart,
} from './document.js';
import type { MakeConfIssue } from './errors.js';
import { plainWordText } from './parse-make-conf.js';
import { readLikePortage, type PortageReadOptions } from './portage-reader.js';
import { renderMakeConf } from './render-make-conf.js';

const EXPANSION_MESSAGES: Record<string, string> = {
  'parameter-operation':
    'parameter expansion beyond ${VAR} (such as ${VAR:-default}) is not understood by Portage, which empties the whole value',
  command: 'command substitution $(...) is not run by Portage, which empties the whole value',
  backtick:
    'command substitution `...` is not run by Portage, which keeps the backticks as text or stops reading',
  arithmetic: 'arithmetic expansion $((...)) is not understood by Portage, which empties the whole value',
  special: 'special parameters ($1, $$, $? ...) are not understood by Portage',
  'ansi-c': "$'...' strings are not understood by Portage",
  locale: '$"..." strings are not understood by Portage',
};

/**
 * Finds what Portage's make.conf reader rejects or reads differently from bash.
 *
 * `error`: Portage stops reading the file or empties a value: `+=`, `$(...)`, backticks, `${X:-y}`
 * and other expansions beyond `$X`/`${X}`, `. file` (Portage only knows `source file`), bash arrays,
 * commands, `NAME=` with nothing after it, and anything else its tokenizer chokes on.
 *
 * `warning`: both read the file but see different values, e.g. `$` inside single quotes (Portage
 * expands it, bash does not), `#` inside an unquoted word, an unquoted backslash-newline, DOS line
 * endings. `export NAME=value` is fine: Portage skips `export`.
 *
 * With `options.sources`, `source` lines are followed as Portage does: a missing file, a directory
 * or an empty name is an error on the `source` line. What is wrong inside a sourced file is found by
 * checking that file itself.
 */
export function checkPortageCompat(doc: MakeConfDocument, options: PortageReadOptions = {}): MakeConfIssue[] {
  const issues: MakeConfIssue[] = [];
  // Lines with an error or a warning, so each lookup below is cheap (large files stay linear).
  const errorLines = new Set<number>();
  const warningLines = new Set<number>();
  const add = (line: number, severity: MakeConfIssue['severity'], message: string): void => {
    issues.push({ file: doc.file, line, severity, message });
    (severity === 'error' ? errorLines : warningLines).add(line);
  };

  if (doc.text.startsWith('\uFEFF')) {
    // Portage opens make.conf as plain UTF-8, so the mark becomes a word of its own before the first
    // name (bash takes it for part of a command name): neither reads the file.
    add(
      1,
      'error',
      'the file starts with a byte order mark (U+FEFF), which Portage reads as a stray word; save the file as UTF-8 without a byte order mark',
    );
  }
  for (const st of doc.statements) checkStatement(doc, st, add);

  const statementByLine = new Map<number, Statement>();
  for (const st of doc.statements)
    for (let l = st.line; l <= st.endLine; l++) if (!statementByLine.has(l)) statementByLine.set(l, st);
  const hasErrorIn = (line: number): boolean => {
    const st = statementByLine.get(line);
    if (st === undefined) return errorLines.has(line);
    for (let l = st.line; l <= st.endLine; l++) if (errorLines.has(l)) return true;
    return false;
  };

  const text = renderMakeConf(doc);
  const portage = readLikePortage(text, doc.file, options);
  const problems = portage.problems.filter((p) => p.file === doc.file);
  for (const p of problems) {
    if (hasErrorIn(p.line)) continue;
    add(
      p.line,
      'error',
      p.kind === 'fatal'
        ? `Portage cannot read this line (${p.message}) and stops reading the file`
        : `Portage cannot expand this value (${p.message}) and uses an empty string instead`,
    );
  }

  const fatal = portage.problems.find((p) => p.kind === 'fatal');
  // A fatal problem inside a sourced file stops Portage at the `source` line of this one.
  const fatalLine =
    fatal === undefined
      ? Number.POSITIVE_INFINITY
      : fatal.file === doc.file
        ? fatal.line
        : (portage.sources.findLast((x) => x.from === doc.file)?.line ?? Number.POSITIVE_INFINITY);
  const portageValues = new Map(
    portage.assignments.filter((a) => a.file === doc.file).map((a) => [`${a.name}@${a.line}`, a.value]),
  );
  for (const b of bashAssignments(doc)) {
    if (b.value === undefined || b.line >= fatalLine || hasErrorIn(b.line)) continue;
    const p = portageValues.get(`${b.name}@${b.line}`);
    // Portage turns newlines inside values into spaces; both split the value on whitespace alike.
    if (p === undefined || p === b.value.replace(/\n/g, ' ')) continue;
    if (warningLines.has(b.line)) continue;
    add(b.line, 'warning', `${b.name}: Portage reads ${shown(p)} but bash reads ${shown(b.value)}`);
  }

  if (/\r\n/.test(text)) {
    const line = text.slice(0, text.indexOf('\r\n')).split('\n').length;
    add(
      line,
      'warning',
      'DOS line endings: Portage reads them as plain newlines, but bash keeps a carriage return at the end of unquoted values; convert the file with dos2unix',
    );
  }

  return issues.sort((a, b) => a.line - b.line);
}

/** Characters a terminal does not show (format and control characters, spaces other than " "). */
const INVISIBLE_RE = /[\p{Cf}\p{Cc}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/gu;

/** Text quoted for a message, with every invisible character written as a `\uXXXX` escape. */
function shown(text: string): string {
  return JSON.stringify(text).replace(
    INVISIBLE_RE,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

/** A character outside the word characters of Portage's tokenizer. */
const PORTAGE_SPLITS_RE = /[^A-Za-z0-9~!@#$%*_\\:;?,./+{}-]/;

type Add = (line: number, severity: MakeConfIssue['severity'], message: string) => void;

function checkStatement(doc: MakeConfDocument, st: Statement, add: Add): void {
  switch (st.kind) {
    case 'blank':
    case 'comment':
      return;
    case 'command': {
      const first = st.words[0];
      const name = first ? doc.text.slice(first.start, first.end) : '';
      if (plainWordText(st.words[0] ?? { start: 0, end: 0, parts: [] }) === 'export') {
        add(st.line, 'error', '"export" without NAME=value: Portage reads only NAME=value assignments');
      } else if (st.hasOperators) {
        add(
          st.line,
          'error',
          'shell operators (; & | < > ( )) are not understood by Portage: it reads only NAME=value assignments and "source FILE"',
        );
      } else {
        add(
          st.line,
          'error',
          `${shown(name)} is a command, not NAME=value: Portage reads only assignments and "source FILE"`,
        );
      }
      return;
    }
    case 'source': {
      if (st.command === '.') {
        add(st.line, 'error', '". FILE" is not understood by Portage; write "source FILE"');
      }
      if (st.args.length > 1) add(st.line, 'error', 'Portage "source" takes exactly one file name');
      for (const w of st.args) checkWord(doc, w, st.line, add);
      return;
    }
    case 'assignment': {
      for (const a of st.assignments) checkAssignment(doc, a, add);
      if (hasContinuationBetweenWords(doc, st)) {
        add(
          st.line,
          'error',
          'a backslash-newline between assignments makes Portage read a stray token; put each assignment on its own line',
        );
      }
      return;
    }
  }
}

/** A backslash-newline before the first assignment, after `export` or between assignments. */
function hasContinuationBetweenWords(doc: MakeConfDocument, st: AssignmentStatement): boolean {
  let from = st.start;
  for (const a of st.assignments) {
    if (doc.text.slice(from, a.start).includes('\\\n')) return true;
    from = a.value.end;
  }
  return false;
}

function checkAssignment(doc: MakeConfDocument, a: Assignment, add: Add): void {
  if (a.operator === '+=') {
    add(
      a.line,
      'error',
      `"${a.name}+=" is not understood by Portage; write ${a.name}="\${${a.name}} ..." instead`,
    );
  }
  if (a.value.parts.length === 0) {
    add(
      a.line,
      'error',
      `"${a.name}=" with nothing after it: Portage takes the next word of the file as the value; write ${a.name}=""`,
    );
  }
  checkWord(doc, a.value, a.line, add);
}

function checkWord(doc: MakeConfDocument, word: Word, line: number, add: Add): void {
  for (const part of word.parts) checkPart(doc, part, line, add);
}

function checkPart(doc: MakeConfDocument, part: WordPart, line: number, add: Add): void {
  const raw = doc.text.slice(part.start, part.end);
  switch (part.kind) {
    case 'array':
      add(line, 'error', 'bash arrays ( ... ) are not understood by Portage; use a quoted string');
      return;
    case 'expansion':
      add(line, 'error', EXPANSION_MESSAGES[part.form] ?? 'expansion not understood by Portage');
      return;
    case 'single':
      if (/\$[{A-Za-z0-9_]/.test(part.text)) {
        add(line, 'warning', `Portage expands "$" even inside single quotes: ${raw} is not taken literally`);
      }
      return;
    case 'literal':
      {
        // Escaped characters (`\ `) are fine; anything outside Portage's word characters splits the value.
        const bad = PORTAGE_SPLITS_RE.exec(raw.replace(/\\[\s\S]/g, ''))?.[0];
        if (bad !== undefined) {
          add(
            line,
            'error',
            `unquoted ${shown(bad)} in ${shown(raw)}: Portage splits the value there; quote the value`,
          );
        }
      }
      if (part.text.includes('#')) {
        add(
          line,
          'warning',
          `"#" inside an unquoted word starts a comment for Portage (bash keeps it): quote ${raw}`,
        );
      }
      if (raw.includes('\\\n')) {
        add(
          line,
          'warning',
          'an unquoted backslash-newline is a space for Portage but joins the lines for bash; quote the value',
        );
      }
      return;
    case 'double':
      for (const inner of part.parts) if (inner.kind === 'expansion') checkPart(doc, inner, line, add);
      return;
    case 'param':
      return;
  }
}
