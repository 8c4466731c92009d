import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import type * as Interfaces from '@oclif/core/interfaces';
import {
  asWriteError,
  InputError,
  LocalHost,
  UsageError,
  View,
  withoutCommands,
  WriteError,
  XenGentooError,
  type Host,
} from '@xen-gentoo/core';
import { FormatInputError } from '@xen-gentoo/format-errors';
import { access, constants } from 'node:fs/promises';
import { ALL_STEPS, detectSystem, missingAnswers, type Answers, type NeededAnswer } from '@xen-gentoo/steps';
import { headerOf, loadAnswersReading, problemsError } from './answers-reading.js';
import { useColor } from './output.js';

/** Why a run stops at a missing answer instead of asking. */
export const UNATTENDED_NOTE =
  'nothing was changed: a run without a terminal, or with --yes, never asks; give every missing answer and run again';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** Flags, error handling and exit codes shared by every command. */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    root: Flags.directory({
      exists: true,
      summary: "Work on a target root mounted at DIR (like Portage's ROOT).",
      default: '/',
      helpGroup: 'TARGET',
    }),
    answers: Flags.file({ summary: 'Answers file (INI).', helpGroup: 'TARGET', exists: false }),
    json: Flags.boolean({ summary: 'Machine-readable output on stdout (errors too).', default: false }),
    color: Flags.boolean({
      summary: 'Colour output (default: when stdout is a terminal and NO_COLOR is unset).',
      allowNo: true,
    }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;
  protected answers!: Answers;
  /** What is true when a person interrupts a question (Ctrl-C); a command updates it as it writes. */
  protected interruptedNote = 'nothing was written';

  public override async init(): Promise<void> {
    await super.init();
    const { flags, args } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
  }

  /** --json, also when the flags could not be parsed. */
  protected get wantsJson(): boolean {
    return this.flags?.json ?? this.argv.includes('--json');
  }

  protected get color(): boolean {
    return useColor(this.flags.color, this.flags.json);
  }

  protected host(): LocalHost {
    return new LocalHost(this.flags.root);
  }

  /**
   * Refuse a target that does not look like a Gentoo system at all (a mistyped --root, say):
   * no make.conf, no profile and no installed package.
   */
  protected async checkGentooTarget(host: Host): Promise<void> {
    const sys = await detectSystem(new View(withoutCommands(host)));
    if (sys.makeConfPaths.length === 0 && sys.profile === undefined && sys.installed.size === 0)
      throw new UsageError(
        `${host.root} does not look like a Gentoo system: no /etc/portage/make.conf or /etc/make.conf, no profile, nothing in /var/db/pkg`,
      );
  }

  /** The line of each section header of the answers file ([guest.web] → 12). */
  protected answerHeaders = new Map<string, number>();

  /** The answers file read (--answers), named by the errors about it. */
  protected answersPath: string | undefined;

  protected async loadAnswers(): Promise<Answers> {
    this.answersPath = this.flags.answers;
    const reading = await loadAnswersReading(this.flags.answers);
    this.answers = reading.answers;
    this.answerHeaders = reading.headers;
    return this.answers;
  }

  /**
   * The answers the planned steps need and do not have (a guest's stage tarball or root
   * password, a password file that is not there), found before anything is changed.
   */
  protected async neededAnswers(
    host: Host,
    answers: Answers,
    stepIds: readonly string[],
  ): Promise<NeededAnswer[]> {
    const missing = await missingAnswers(answers, new View(withoutCommands(host)), {
      env: process.env,
      readable: (path) =>
        access(path, constants.R_OK).then(
          () => true,
          () => false,
        ),
    });
    return missing.filter((m) => stepIds.includes(m.step));
  }

  /** One missing answer as bad input: the answers file, its section's line, the key and why. */
  protected missingAnswerProblem(m: NeededAnswer): InputError {
    const header = headerOf(m.section, m.name);
    return new InputError(
      this.answersPath ?? '(no --answers file)',
      this.answerHeaders.get(header),
      `${header} ${m.key}: ${m.why}`,
    );
  }

  /** Every missing answer at once (exit 2), and that nothing was changed. */
  protected missingAnswersError(missing: NeededAnswer[]): XenGentooError {
    const error = problemsError(missing.map((m) => this.missingAnswerProblem(m)));
    error.message += `\n${UNATTENDED_NOTE}`;
    return error;
  }

  protected checkOnly(only: string[] | undefined): string[] | undefined {
    if (!only?.length) return undefined;
    for (const id of only) {
      if (!ALL_STEPS.some((s) => s.id === id))
        throw new UsageError(
          `unknown step "${id}" for --only; steps: ${ALL_STEPS.map((s) => s.id).join(', ')}`,
        );
    }
    return only;
  }

  protected writeJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** Known errors become a clear message (JSON under --json) and their documented exit code. */
  protected override async catch(
    error: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    error = asKnownError(error);
    // Ctrl-C at a question (@inquirer's ExitPromptError): a clean message and exit 130.
    if (isPromptInterrupt(error))
      error = new XenGentooError('interrupted', 130, `interrupted; ${this.interruptedNote}`);
    // Flags that could not be parsed (a missing --root directory, a bad value): bad usage.
    if (this.flags === undefined && !(error instanceof XenGentooError))
      error = new UsageError(error.message.replace(/\s+See more help with --help\s*$/, ''));
    if (error.oclif?.exit !== undefined && !(error instanceof XenGentooError)) {
      // oclif's own exits and flag-parsing errors
      if (error.oclif.exit === 0) return;
      if (this.wantsJson) this.writeJson({ error: 'usage', message: error.message });
      else process.stderr.write(`xen-gentoo: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof XenGentooError) {
      if (this.wantsJson) this.writeJson(error.toJSON());
      else process.stderr.write(`xen-gentoo: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    if (this.flags?.json) this.writeJson({ error: 'internal', message: error.message });
    else process.stderr.write(`xen-gentoo: internal error: ${error.stack ?? error.message}\n`);
    process.exitCode = 70;
  }
}

export type { Host };

/** @inquirer/prompts' error for a question closed by Ctrl-C (SIGINT), found by its name. */
export function isPromptInterrupt(error: unknown): boolean {
  return error instanceof Error && error.name === 'ExitPromptError';
}

/**
 * The format packages' bad input ({@link FormatInputError}: a make.conf, package.* file or boot
 * loader file the tool cannot read as it must) is bad input, exit 2, with the package's own message.
 */
export function asKnownError<E extends Error>(error: E): E | InputError | WriteError {
  if (error instanceof XenGentooError) return error;
  // A full disk, a read-only file system, no permission: ordinary conditions, named, exit 8.
  const write = asWriteError(error, 'the target');
  if (write) return write;
  if (!(error instanceof FormatInputError)) return error;
  if (error.file !== undefined) return new InputError(error.file, error.line, error.problem, error.expected);
  const input = new InputError('', error.line, error.message);
  input.message = error.message;
  return input;
}
