/**
 * One base error with a stable code and an exit code. Exit codes are documented in the README:
 * 0 fine, 1 verify found work left, 2 bad usage or bad input, 3 a command failed,
 * 4 the target changed since it was planned, 5 a step is blocked, 6 another run holds the lock,
 * 8 the target cannot be written (full, read-only, no permission), 130 interrupted.
 */
export class XenGentooError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, exitCode: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message };
  }
}

export class UsageError extends XenGentooError {
  constructor(message: string) {
    super('usage', 2, message);
  }
}

/** Bad input: a file the tool cannot read the way it must (names file, line, what was expected). */
export class InputError extends XenGentooError {
  readonly file: string;
  readonly line: number | undefined;
  readonly expected: string | undefined;
  constructor(file: string, line: number | undefined, problem: string, expected?: string) {
    super(
      'bad-input',
      2,
      `${file}${line === undefined ? '' : `:${line}`}: ${problem}${expected ? `; expected ${expected}` : ''}`,
    );
    this.file = file;
    this.line = line;
    this.expected = expected;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), file: this.file || undefined, line: this.line, expected: this.expected };
  }
}

export class CommandError extends XenGentooError {
  readonly argv: string[];
  readonly commandExitCode: number;
  readonly stderr: string;
  constructor(argv: string[], exitCode: number, stderr: string) {
    const tail = stderr.trim().split('\n').slice(-20).join('\n');
    super(
      'command-failed',
      3,
      `command failed with exit code ${exitCode}: ${argv.join(' ')}${tail ? `\n${tail}` : ''}`,
    );
    this.argv = argv;
    this.commandExitCode = exitCode;
    this.stderr = stderr;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), argv: this.argv, exitCode: this.commandExitCode, stderr: this.stderr };
  }
}

/** The target changed between plan and apply: nothing is written over it. */
export class DriftError extends XenGentooError {
  readonly path: string;
  constructor(path: string, detail = 'it changed since it was planned') {
    super('drift', 4, `${path}: ${detail}; run plan again`);
    this.path = path;
  }
}

export class PreconditionError extends XenGentooError {
  readonly step: string;
  constructor(step: string, message: string) {
    super('blocked', 5, `${step}: ${message}`);
    this.step = step;
  }
}

export class LockError extends XenGentooError {
  constructor(message: string) {
    super('locked', 6, message);
  }
}

/** What each errno a write can meet means, in words. */
const WRITE_CONDITIONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/**
 * The target cannot be written: a full disk, a read-only file system, no permission. An ordinary
 * condition, not a crash: the message names the path and the condition, and says what holds.
 */
export class WriteError extends XenGentooError {
  readonly path: string;
  readonly errno: string;
  constructor(path: string, errno: string, options?: ErrorOptions) {
    super(
      'cannot-write',
      8,
      `${path}: ${WRITE_CONDITIONS[errno] ?? errno} (${errno}); nothing more was written, and every ` +
        'file written so far is whole, old or new (make room or make the target writable, then ' +
        'run again)',
      options,
    );
    this.path = path;
    this.errno = errno;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), path: this.path, errno: this.errno };
  }
}

/**
 * The WriteError for a file-system error that is one of those conditions (else undefined).
 * `path` names what was being written when the error itself names no path (a write to an open
 * file); `name` turns a path on this machine into the one the user knows.
 */
export function asWriteError(
  error: unknown,
  path?: string,
  name: (diskPath: string) => string = (p) => p,
): WriteError | undefined {
  if (error instanceof XenGentooError || !(error instanceof Error)) return undefined;
  const e = error as NodeJS.ErrnoException & { dest?: string };
  if (e.code === undefined || WRITE_CONDITIONS[e.code] === undefined) return undefined;
  const at = typeof e.path === 'string' ? name(e.path) : path;
  return at === undefined ? undefined : new WriteError(at, e.code, { cause: error });
}
