import { FormatInputError } from '@xen-gentoo/format-errors';

/**
 * The one error the boot-loader package throws (the format packages' {@link FormatInputError}):
 * the input (a config file, an answer) is not what was expected. `expected` says what would have been accepted, `line` (1-based) where.
 */
export class BootConfigError extends FormatInputError {
  constructor(message: string, options: { expected: string; file?: string; line?: number }) {
    const where = options.file ? `${options.file}${options.line ? `:${options.line}` : ''}: ` : '';
    super(`${where}${message} (expected ${options.expected})`, { ...options, problem: message });
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
  }
}
