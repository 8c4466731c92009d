/**
 * Raised when a configuration file cannot be read safely: the text is something neither bash nor
 * Portage could read (an unterminated quote, say), or an edit was asked of a file Portage rejects.
 *
 * The message always has the form `${file}:${line}: ${what is wrong}; expected ${expected}`.
 */
export class MakeConfParseError extends Error {
  readonly file: string;
  readonly line: number;
  readonly expected: string;
  readonly problem: string;

  constructor(file: string, line: number, problem: string, expected: string) {
    super(`${file}:${line}: ${problem}; expected ${expected}`);
    this.name = 'MakeConfParseError';
    this.file = file;
    this.line = line;
    this.problem = problem;
    this.expected = expected;
  }
}

/** A finding about a make.conf file: `error` = Portage rejects or misreads it, `warning` = bash and Portage disagree. */
export interface MakeConfIssue {
  file: string;
  line: number;
  severity: 'error' | 'warning';
  message: string;
}
