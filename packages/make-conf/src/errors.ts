import { FormatInputError } from '@xen-gentoo/format-errors';

/**
 * Raised when a configuration file cannot be read safely: the text is something neither bash nor
 * Portage could read (an unterminated quote, say), or an edit was asked of a file Portage rejects.
 *
 * The make.conf package's {@link FormatInputError}. The message always has the form `${file}:${line}: ${what is wrong}; expected ${expected}`.
 */
export class MakeConfParseError extends FormatInputError {
  declare readonly file: string;
  declare readonly line: number;

  constructor(file: string, line: number, problem: string, expected: string) {
    super(`${file}:${line}: ${problem}; expected ${expected}`, { file, line, problem, expected });
  }
}

/** A finding about a make.conf file: `error` = Portage rejects or misreads it, `warning` = bash and Portage disagree. */
export interface MakeConfIssue {
  file: string;
  line: number;
  severity: 'error' | 'warning';
  message: string;
}

/**
 * Raised when the values of a make.conf expand to more text than any real file gives (a variable
 * that adds to itself line after line grows with the square of the file): reading on would only
 * cost time and memory.
 */
export class ExpansionLimitError extends Error {
  readonly file: string;
  readonly line: number;
  readonly limit: number;

  constructor(file: string, line: number, limit: number) {
    super(`${file}:${line}: the values expand to more than ${limit} characters in all`);
    this.name = 'ExpansionLimitError';
    this.file = file;
    this.line = line;
    this.limit = limit;
  }
}
