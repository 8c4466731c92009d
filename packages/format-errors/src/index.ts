/**
 * The one contract the format packages (make-conf, bootloader, kernel-config) share for input they
 * cannot read as they must: they throw a {@link FormatInputError} (or a subclass), and nothing
 * else for bad input. Callers recognise it with `instanceof`, never by its shape or name:
 *
 * - `problem`: what is wrong, without the place and without what was expected;
 * - `expected`: what would have been accepted;
 * - `file` and `line` (1-based): where, when the input came from a file;
 * - `message`: the package's own wording of all of that, for callers that print it as it is.
 *
 * The CLI turns it into bad input (exit 2). Any other error a format package throws is a bug.
 */
export class FormatInputError extends Error {
  readonly problem: string;
  readonly expected: string;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(
    message: string,
    fields: { problem: string; expected: string; file?: string | undefined; line?: number | undefined },
  ) {
    super(message);
    this.name = new.target.name;
    this.problem = fields.problem;
    this.expected = fields.expected;
    this.file = fields.file;
    this.line = fields.line;
  }
}
