/**
 * A model of the tokenizer Portage uses for make.conf: Python's `shlex.shlex` in POSIX mode with
 * the word characters `getconfig()` in lib/portage/util/__init__.py sets. Differences from bash
 * that matter in practice and follow from it:
 *
 * - single quotes only group: the text keeps its `$`, which is expanded later (see varexpand);
 * - `#` starts a comment even in the middle of an unquoted word (`A=b#c` is `b`);
 * - an unquoted `\` + newline yields a newline, later read as a space (bash joins the lines);
 * - `=`, `(`, `)`, `;`, `&`, `|`, `<`, `>`, `` ` ``, `[`, `]`, `^` are tokens of their own;
 * - spaces, tabs, CR and newlines all separate tokens, so `A = b` and `A=` + newline + `b` are read
 *   as assignments.
 */

const WORD_CHARS = new Set(
  '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ~!@#$%*_\\:;?,./-+{}'.split(''),
);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

export interface PortageToken {
  /** null at the end of the input. */
  value: string | null;
  /** Line where the token starts. */
  line: number;
}

/** A failure the Python tokenizer raises (`No closing quotation`, `No escaped character`). */
export class PortageLexError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'PortageLexError';
  }
}

type State = ' ' | 'a' | '"' | "'" | '\\' | null;

export class PortageLexer {
  private pos = 0;
  private lineno = 1;
  private state: State = ' ';
  private readonly pushback: PortageToken[] = [];

  constructor(private readonly text: string) {}

  /** Next token, honouring tokens pushed back by the tokenizer itself. */
  next(): PortageToken {
    return this.pushback.shift() ?? this.read();
  }

  /** Reads a token from the input, ignoring pushback (what shlex does for `source` file names). */
  read(): PortageToken {
    let quoted = false;
    let escapedState: State = ' ';
    let token = '';
    let line = this.lineno;
    for (;;) {
      const ch = this.pos < this.text.length ? this.text.charAt(this.pos++) : '';
      if (ch === '\n') this.lineno++;
      const state = this.state;
      if (state === null) {
        token = '';
        break;
      } else if (state === ' ') {
        if (ch === '') {
          this.state = null;
          break;
        } else if (WHITESPACE.has(ch)) {
          if (token !== '' || quoted) break;
        } else if (ch === '#') {
          this.skipLine();
        } else if (ch === '\\') {
          line = this.lineno;
          escapedState = 'a';
          this.state = '\\';
        } else if (WORD_CHARS.has(ch)) {
          line = this.lineno;
          token = ch;
          this.state = 'a';
        } else if (ch === '"' || ch === "'") {
          line = this.lineno;
          this.state = ch;
        } else {
          line = this.lineno;
          token = ch;
          break;
        }
      } else if (state === '"' || state === "'") {
        quoted = true;
        if (ch === '') throw new PortageLexError('No closing quotation', this.lineno);
        if (ch === state) this.state = 'a';
        else if (ch === '\\' && state === '"') {
          escapedState = state;
          this.state = '\\';
        } else token += ch;
      } else if (state === '\\') {
        if (ch === '') throw new PortageLexError('No escaped character', this.lineno);
        if (escapedState === '"' && ch !== '\\' && ch !== '"') token += '\\';
        token += ch;
        this.state = escapedState;
      } else {
        // state 'a': inside a word
        if (ch === '') {
          this.state = null;
          break;
        } else if (WHITESPACE.has(ch)) {
          this.state = ' ';
          if (token !== '' || quoted) break;
        } else if (ch === '#') {
          this.skipLine();
          this.state = ' ';
          if (token !== '' || quoted) break;
        } else if (ch === '"' || ch === "'") {
          this.state = ch;
        } else if (ch === '\\') {
          escapedState = 'a';
          this.state = '\\';
        } else if (WORD_CHARS.has(ch)) {
          token += ch;
        } else {
          this.pushback.unshift({ value: ch, line: this.lineno });
          this.state = ' ';
          if (token !== '' || quoted) break;
        }
      }
    }
    return { value: !quoted && token === '' ? null : token, line };
  }

  /** `instream.readline()` after a `#`, plus shlex's unconditional line count. */
  private skipLine(): void {
    const nl = this.text.indexOf('\n', this.pos);
    this.pos = nl < 0 ? this.text.length : nl + 1;
    this.lineno++;
  }
}
