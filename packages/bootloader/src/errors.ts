/**
 * The one error the boot-loader package throws: the input (a config file, an answer) is not
 * what was expected. `expected` says what would have been accepted, `line` (1-based) where.
 */
export class BootConfigError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly expected: string;
  /** The message without the place and the "(expected …)" part. */
  readonly problem: string;

  constructor(message: string, options: { expected: string; file?: string; line?: number }) {
    const where = options.file ? `${options.file}${options.line ? `:${options.line}` : ''}: ` : '';
    super(`${where}${message} (expected ${options.expected})`);
    this.name = 'BootConfigError';
    this.file = options.file;
    this.line = options.line;
    this.expected = options.expected;
    this.problem = message;
  }
}

/**
 * A boot file that cannot be read as its format (an unterminated quote in /etc/default/grub) or
 * whose xen-gentoo marker block is broken (a BEGIN without END, two BEGINs). Unlike a setting the
 * tool cannot use (a blocked step), this is bad input: the file has to be fixed by hand, and the
 * error names the file and the line.
 */
export class BootFileSyntaxError extends BootConfigError {
  constructor(message: string, options: { expected: string; file: string; line?: number }) {
    super(message, options);
    this.name = 'BootFileSyntaxError';
  }
}
