/**
 * The one error the boot-loader package throws: the input (a config file, an answer) is not
 * what was expected. `expected` says what would have been accepted, `line` (1-based) where.
 */
export class BootConfigError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly expected: string;

  constructor(message: string, options: { expected: string; file?: string; line?: number }) {
    const where = options.file ? `${options.file}${options.line ? `:${options.line}` : ''}: ` : '';
    super(`${where}${message} (expected ${options.expected})`);
    this.name = 'BootConfigError';
    this.file = options.file;
    this.line = options.line;
    this.expected = options.expected;
  }
}
