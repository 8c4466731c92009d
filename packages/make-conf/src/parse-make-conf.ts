import type {
  Assignment,
  DoubleQuotedPart,
  ExpansionPart,
  LiteralPart,
  MakeConfDocument,
  ParameterPart,
  Statement,
  Word,
  WordPart,
} from './document.js';
import { MakeConfParseError } from './errors.js';
import { LineIndex } from './line-index.js';

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ASSIGNMENT_HEAD_RE = /^([A-Za-z_][A-Za-z0-9_]*)(\+?=)/;
const ARRAY_HEAD_RE = /^[A-Za-z_][A-Za-z0-9_]*\+?=$/;
const OPERATOR_CHARS = new Set([';', '&', '|', '<', '>', '(', ')']);
const SPECIAL_PARAMS = new Set([
  '$',
  '?',
  '#',
  '@',
  '*',
  '!',
  '-',
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
]);

/**
 * Parses make.conf text the way bash reads it, keeping every byte: comments, blank lines, quoting,
 * `${VAR}` references, backslash-newline continuations, `source` lines and a missing final newline.
 *
 * Throws {@link MakeConfParseError} for text bash cannot read either: an unterminated quote,
 * `${`, `$(`, backtick or array. Constructs bash reads but Portage does not (`+=`, `$(...)`, `. file`,
 * commands) parse fine and are reported by `checkPortageCompat`.
 */
export function parseMakeConf(text: string, file: string): MakeConfDocument {
  return new Parser(text, file).parse();
}

class Parser {
  private pos = 0;
  private readonly lines: LineIndex;
  private operatorSeen = false;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    this.lines = new LineIndex(text);
  }

  parse(): MakeConfDocument {
    const statements: Statement[] = [];
    while (this.pos < this.text.length) statements.push(this.statement());
    return { file: this.file, text: this.text, statements };
  }

  private fail(offset: number, problem: string, expected: string): never {
    throw new MakeConfParseError(this.file, this.lines.lineOf(offset), problem, expected);
  }

  private at(offset: number): string {
    return this.text.charAt(offset);
  }

  /** True at `\n` or `\r\n`. */
  private atNewline(offset: number): boolean {
    const c = this.at(offset);
    return c === '\n' || (c === '\r' && this.at(offset + 1) === '\n');
  }

  /** Skips spaces, tabs and backslash-newline continuations. */
  private skipBlanks(): void {
    for (;;) {
      const c = this.at(this.pos);
      if (c === ' ' || c === '\t') this.pos++;
      else if (c === '\\' && this.at(this.pos + 1) === '\n') this.pos += 2;
      else return;
    }
  }

  private statement(): Statement {
    const start = this.pos;
    const words: Word[] = [];
    let comment: { start: number; end: number } | undefined;
    this.operatorSeen = false;
    for (;;) {
      this.skipBlanks();
      if (this.pos >= this.text.length || this.atNewline(this.pos)) break;
      if (this.at(this.pos) === '#') {
        const commentStart = this.pos;
        while (this.pos < this.text.length && !this.atNewline(this.pos)) this.pos++;
        comment = { start: commentStart, end: this.pos };
        break;
      }
      words.push(this.word());
    }
    const bodyEnd = this.pos;
    if (this.at(this.pos) === '\r') this.pos++;
    if (this.at(this.pos) === '\n') this.pos++;
    const end = this.pos;
    const base = {
      raw: this.text.slice(start, end),
      start,
      end,
      line: this.lines.lineOf(start),
      endLine: this.lines.lineOf(Math.max(start, bodyEnd - 1)),
      bodyEnd,
      ...(comment ? { comment } : {}),
    };

    if (words.length === 0) return comment ? { kind: 'comment', ...base } : { kind: 'blank', ...base };
    const hasOperators = this.operatorSeen;
    const first = words[0];
    const firstText = first ? plainWordText(first) : undefined;
    if (!hasOperators) {
      const exported = firstText === 'export' && words.length > 1;
      const candidates = exported ? words.slice(1) : words;
      const assignments = candidates.map((w) => this.assignment(w));
      if (assignments.every((a): a is Assignment => a !== undefined)) {
        return { kind: 'assignment', ...base, exported, assignments };
      }
      if (first && (firstText === 'source' || firstText === '.') && words.length > 1) {
        return { kind: 'source', ...base, command: firstText, args: words.slice(1) };
      }
    }
    return { kind: 'command', ...base, words, hasOperators };
  }

  /** Splits `NAME=value` into name and value word, or returns undefined for a non-assignment word. */
  private assignment(word: Word): Assignment | undefined {
    const first = word.parts[0];
    if (first?.kind !== 'literal') return undefined;
    const head = ASSIGNMENT_HEAD_RE.exec(this.text.slice(first.start, first.end));
    if (!head) return undefined;
    const [whole, name = '', operator] = head;
    const valueStart = first.start + whole.length;
    const parts: WordPart[] = word.parts.slice(1);
    if (valueStart < first.end) {
      parts.unshift({
        kind: 'literal',
        start: valueStart,
        end: first.end,
        text: cookUnquoted(this.text.slice(valueStart, first.end)),
      });
    }
    return {
      name,
      start: word.start,
      operator: operator === '+=' ? '+=' : '=',
      value: { start: valueStart, end: word.end, parts },
      line: this.lines.lineOf(word.start),
    };
  }

  private word(): Word {
    const start = this.pos;
    const parts: WordPart[] = [];
    let literalStart = -1;
    const flushLiteral = (): void => {
      if (literalStart < 0) return;
      const raw = this.text.slice(literalStart, this.pos);
      parts.push({ kind: 'literal', start: literalStart, end: this.pos, text: cookUnquoted(raw) });
      literalStart = -1;
    };
    for (;;) {
      const c = this.at(this.pos);
      if (this.pos >= this.text.length || c === ' ' || c === '\t' || this.atNewline(this.pos)) break;
      if (c === '\\') {
        if (literalStart < 0) literalStart = this.pos;
        this.pos += Math.min(2, this.text.length - this.pos);
        continue;
      }
      if (c === "'" || c === '"' || c === '$' || c === '`') {
        flushLiteral();
        parts.push(this.quotedOrExpansion());
        continue;
      }
      if (c === '(' && ARRAY_HEAD_RE.test(this.text.slice(start, this.pos))) {
        flushLiteral();
        parts.push(this.array());
        continue;
      }
      if (OPERATOR_CHARS.has(c)) this.operatorSeen = true;
      if (literalStart < 0) literalStart = this.pos;
      this.pos++;
    }
    flushLiteral();
    return { start, end: this.pos, parts };
  }

  private quotedOrExpansion(): WordPart {
    const c = this.at(this.pos);
    if (c === "'") return this.singleQuoted();
    if (c === '"') return this.doubleQuoted();
    if (c === '`') return this.backtick();
    return this.dollar(false);
  }

  private singleQuoted(): WordPart {
    const start = this.pos;
    const close = this.text.indexOf("'", start + 1);
    if (close < 0) this.fail(start, 'unterminated single quote', `a closing "'" before the end of the file`);
    this.pos = close + 1;
    return { kind: 'single', start, end: this.pos, text: this.text.slice(start + 1, close) };
  }

  private doubleQuoted(): DoubleQuotedPart {
    const start = this.pos;
    this.pos++;
    const parts: DoubleQuotedPart['parts'] = [];
    let literalStart = -1;
    let literal = '';
    const flush = (): void => {
      if (literalStart < 0) return;
      parts.push({ kind: 'literal', start: literalStart, end: this.pos, text: literal });
      literalStart = -1;
      literal = '';
    };
    for (;;) {
      if (this.pos >= this.text.length) {
        this.fail(start, 'unterminated double quote', "a closing '\"' before the end of the file");
      }
      const c = this.at(this.pos);
      if (c === '"') {
        flush();
        this.pos++;
        return { kind: 'double', start, end: this.pos, parts };
      }
      if (c === '$' || c === '`') {
        flush();
        parts.push(c === '`' ? this.backtick() : this.dollar(true));
        continue;
      }
      if (literalStart < 0) literalStart = this.pos;
      if (c === '\\') {
        const next = this.at(this.pos + 1);
        if (next === '\n') {
          this.pos += 2;
          continue;
        }
        if (next === '$' || next === '`' || next === '"' || next === '\\') {
          literal += next;
          this.pos += 2;
          continue;
        }
      }
      literal += c;
      this.pos++;
    }
  }

  private backtick(): ExpansionPart {
    const start = this.pos;
    let i = start + 1;
    for (; i < this.text.length; i++) {
      const c = this.at(i);
      if (c === '\\') i++;
      else if (c === '`') break;
    }
    if (i >= this.text.length)
      this.fail(start, 'unterminated backtick command substitution', 'a closing "`"');
    this.pos = i + 1;
    return { kind: 'expansion', start, end: this.pos, form: 'backtick' };
  }

  private dollar(inDouble: boolean): ParameterPart | ExpansionPart | LiteralPart {
    const start = this.pos;
    const next = this.at(start + 1);
    if (next === '{') {
      const close = this.matchBrace(start + 2);
      if (close < 0) this.fail(start, 'unterminated "${"', 'a closing "}"');
      this.pos = close + 1;
      const inner = this.text.slice(start + 2, close);
      if (NAME_RE.test(inner)) return { kind: 'param', start, end: this.pos, name: inner, braced: true };
      return { kind: 'expansion', start, end: this.pos, form: 'parameter-operation' };
    }
    if (next === '(') {
      const arithmetic = this.at(start + 2) === '(';
      const close = this.matchParen(start + 2);
      if (close < 0) this.fail(start, 'unterminated "$("', 'a closing ")"');
      this.pos = close + 1;
      return { kind: 'expansion', start, end: this.pos, form: arithmetic ? 'arithmetic' : 'command' };
    }
    if (next === '"' && !inDouble) {
      // `$"..."` (locale translation): bash drops the `$`, Portage expands the text after it.
      this.pos = start + 1;
      return { kind: 'expansion', start, end: this.pos, form: 'locale' };
    }
    if (next === "'" && !inDouble) {
      let i = start + 2;
      for (; i < this.text.length && this.at(i) !== "'"; i++) if (this.at(i) === '\\') i++;
      if (i >= this.text.length) this.fail(start, "unterminated $'...' string", 'a closing "\'"');
      this.pos = i + 1;
      return { kind: 'expansion', start, end: this.pos, form: 'ansi-c' };
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(start + 1, start + 257));
    if (name) {
      this.pos = start + 1 + name[0].length;
      return { kind: 'param', start, end: this.pos, name: name[0], braced: false };
    }
    if (SPECIAL_PARAMS.has(next)) {
      this.pos = start + 2;
      return { kind: 'expansion', start, end: this.pos, form: 'special' };
    }
    // A lone `$` is literal in bash.
    this.pos = start + 1;
    return { kind: 'literal', start, end: this.pos, text: '$' };
  }

  /** Offset of the `}` closing a `${` whose content starts at `from`, or -1. */
  private matchBrace(from: number): number {
    let depth = 1;
    for (let i = from; i < this.text.length; i++) {
      const c = this.at(i);
      if (c === '\\') i++;
      else if (c === "'") {
        const close = this.text.indexOf("'", i + 1);
        if (close < 0) return -1;
        i = close;
      } else if (c === '$' && this.at(i + 1) === '{') {
        depth++;
        i++;
      } else if (c === '}' && --depth === 0) return i;
    }
    return -1;
  }

  /** Offset of the `)` closing a `(` whose content starts at `from`, or -1. */
  private matchParen(from: number): number {
    let depth = 1;
    for (let i = from; i < this.text.length; i++) {
      const c = this.at(i);
      if (c === '\\') i++;
      else if (c === "'" || c === '"') {
        const close = this.skipQuoted(i);
        if (close < 0) return -1;
        i = close;
      } else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return i;
    }
    return -1;
  }

  /** Given an opening quote at `open`, the offset of its closing quote, or -1. */
  private skipQuoted(open: number): number {
    const q = this.at(open);
    for (let i = open + 1; i < this.text.length; i++) {
      const c = this.at(i);
      if (c === '\\' && q === '"') i++;
      else if (c === q) return i;
    }
    return -1;
  }

  private array(): WordPart {
    const start = this.pos;
    const close = this.matchParen(start + 1);
    if (close < 0) this.fail(start, 'unterminated array "("', 'a closing ")"');
    this.pos = close + 1;
    return { kind: 'array', start, end: this.pos };
  }
}

/** What bash reads from unquoted text: `\x` is `x`, `\`+newline vanishes. */
export function cookUnquoted(raw: string): string {
  return raw.replace(/\\([\s\S])?/g, (_m, ch: string | undefined) =>
    ch === undefined ? '\\' : ch === '\n' ? '' : ch,
  );
}

/** The text of a word made only of unquoted literal characters, else undefined. */
export function plainWordText(word: Word): string | undefined {
  if (word.parts.length !== 1) return undefined;
  const only = word.parts[0];
  return only?.kind === 'literal' ? only.text : undefined;
}
