/**
 * The lossless model of a make.conf file. Every statement keeps its exact source text (`raw`) and
 * the absolute offsets of its pieces, so rendering is concatenation and an edit is a splice that
 * leaves every other byte alone.
 *
 * Offsets (`start`, `end`) are absolute positions in the document text, `end` exclusive.
 * Line numbers are 1-based.
 */

/** Unquoted characters; `text` is what bash reads (backslash escapes applied, `\`+newline removed). */
export interface LiteralPart {
  kind: 'literal';
  start: number;
  end: number;
  text: string;
}

/** `'...'`; `start` is the opening quote, `end` is after the closing quote, `text` the content. */
export interface SingleQuotedPart {
  kind: 'single';
  start: number;
  end: number;
  text: string;
}

/** `$NAME` or `${NAME}`: the only expansions Portage understands. */
export interface ParameterPart {
  kind: 'param';
  start: number;
  end: number;
  name: string;
  braced: boolean;
}

/** Any other expansion: Portage's reader cannot evaluate these. */
export interface ExpansionPart {
  kind: 'expansion';
  start: number;
  end: number;
  /**
   * `parameter-operation`: `${X:-y}`, `${#X}`, `${X/a/b}` ...; `command`: `$(...)`; `backtick`: `` `...` ``;
   * `arithmetic`: `$((...))`; `special`: `$1`, `$$`, `$?` ...; `ansi-c`: `$'...'`; `locale`: the `$` of `$"..."`.
   */
  form: 'parameter-operation' | 'command' | 'backtick' | 'arithmetic' | 'special' | 'ansi-c' | 'locale';
}

/** `"..."`; `start` is the opening quote, `end` is after the closing quote. */
export interface DoubleQuotedPart {
  kind: 'double';
  start: number;
  end: number;
  parts: (LiteralPart | ParameterPart | ExpansionPart)[];
}

/** A bash array value `( ... )`. */
export interface ArrayPart {
  kind: 'array';
  start: number;
  end: number;
}

export type WordPart =
  LiteralPart | SingleQuotedPart | ParameterPart | ExpansionPart | DoubleQuotedPart | ArrayPart;

/** A shell word: adjacent parts with no unquoted blank between them. */
export interface Word {
  start: number;
  end: number;
  parts: WordPart[];
}

/** `NAME=value` (or the `+=` form Portage rejects). */
export interface Assignment {
  name: string;
  /** Offset of the first character of the name. */
  start: number;
  operator: '=' | '+=';
  /** The value word; `value.start === value.end` for an empty value. */
  value: Word;
  line: number;
}

interface StatementBase {
  /** Exact source text, including the line terminator when there is one. */
  raw: string;
  start: number;
  end: number;
  /** First and last line of the statement. */
  line: number;
  endLine: number;
  /** Offset where the line terminator starts (`\n`, `\r\n`), or `end` when the file ends without one. */
  bodyEnd: number;
  /** A trailing `# comment` (offsets exclude the line terminator). */
  comment?: { start: number; end: number };
}

/** Empty or whitespace-only line. */
export interface BlankStatement extends StatementBase {
  kind: 'blank';
}

/** A line holding only a comment. */
export interface CommentStatement extends StatementBase {
  kind: 'comment';
}

/** One or more assignments, optionally preceded by `export`. */
export interface AssignmentStatement extends StatementBase {
  kind: 'assignment';
  exported: boolean;
  assignments: Assignment[];
}

/** `source FILE` (read by Portage) or `. FILE` (bash only). */
export interface SourceStatement extends StatementBase {
  kind: 'source';
  command: 'source' | '.';
  args: Word[];
}

/** Anything else bash would run as a command; Portage cannot read it. */
export interface CommandStatement extends StatementBase {
  kind: 'command';
  words: Word[];
  /** An unquoted `;`, `&`, `|`, `<`, `>`, `(` or `)` was seen. */
  hasOperators: boolean;
}

export type Statement =
  BlankStatement | CommentStatement | AssignmentStatement | SourceStatement | CommandStatement;

/** A parsed make.conf; `statements` cover `text` exactly, in order. */
export interface MakeConfDocument {
  readonly file: string;
  readonly text: string;
  readonly statements: readonly Statement[];
}
