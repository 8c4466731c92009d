// What commands need of the answers file before they know whether there is one: reading it loads
// the answers' schemas (answers-file.ts), which a run with the defaults never builds.
import { InputError, UsageError } from '@xen-gentoo/core';
import { defaultAnswers, type Answers } from '@xen-gentoo/steps';

/** One key = value line of the answers file. */
export interface Located {
  section: string;
  /** The NAME of a section that repeats ([guest.NAME]). */
  name?: string;
  key: string;
  value: string;
  line: number;
}

/** A key an answers file must give and does not, with the line of its section's header. */
export interface MissingKey {
  /** The section as written: [system], [guest.web]. */
  section: string;
  key: string;
  line: number | undefined;
  values: string;
}

/** What reading an answers file found: the answers when there is no problem, else every problem. */
export interface AnswersReading<T = Answers> {
  answers: T | undefined;
  problems: InputError[];
  /** The required keys that are missing (also among the problems). */
  missing: MissingKey[];
  /** Every key the file sets, with its line. */
  located: Located[];
  /** The line of each section header, by the header as written ([boot], [guest.web]). */
  headers: Map<string, number>;
}

/** Several problems in one input file, each with its line; the message lists them all, one a line. */
export class InputProblems extends InputError {
  readonly problems: InputError[];
  constructor(problems: InputError[]) {
    const first = problems[0]!;
    super(first.file, first.line, 'problems', first.expected);
    this.problems = problems;
    this.message = [`${first.file}: ${problems.length} problems`, ...problems.map((p) => p.message)].join(
      '\n',
    );
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems.map((p) => p.toJSON()) };
  }
}

/** The error for what a reading found: the one problem, or all of them. */
export function problemsError(problems: InputError[]): InputError {
  return problems.length === 1 ? problems[0]! : new InputProblems(problems);
}

/** The longest name an error message quotes. */
const SHOWN_NAME_MAX = 40;

/**
 * A name read from the file, fit for an error message: JSON-quoted, every character outside
 * printable ASCII escaped (no terminal control sequence gets through), cut at 40 characters.
 */
export function quoteName(name: string): string {
  const chars = [...name];
  const quoted = JSON.stringify(chars.slice(0, SHOWN_NAME_MAX).join('')).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return chars.length > SHOWN_NAME_MAX ? `${quoted.slice(0, -1)}…"` : quoted;
}

/** A section as the file writes it: [boot], [guest.web]. */
export function headerOf(section: string, name: string | undefined): string {
  return name === undefined ? `[${section}]` : `[${section}.${name}]`;
}

/** The answers of a file (the defaults without one), with the keys it sets and its headers' lines. */
export async function loadAnswersReading(
  file: string | undefined,
): Promise<{ answers: Answers; located: Located[]; headers: Map<string, number> }> {
  if (file === undefined) return { answers: defaultAnswers(), located: [], headers: new Map() };
  if (file === '') throw new UsageError('--answers needs a file name (it was given an empty one)');
  const { readAnswers, readAnswersText } = await import('./answers-file.js');
  const reading = readAnswers(await readAnswersText(file), file);
  if (reading.answers === undefined) throw problemsError(reading.problems);
  return { answers: reading.answers, located: reading.located, headers: reading.headers };
}

export async function loadAnswers(file: string | undefined): Promise<Answers> {
  return (await loadAnswersReading(file)).answers;
}
