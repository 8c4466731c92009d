import {
  decodeUtf8,
  InputError,
  MAX_INPUT_BYTES,
  readRegularFile,
  UsageError,
  XenGentooError,
} from '@xen-gentoo/core';
import {
  ANSWERS_SECTIONS,
  answersSchema,
  answersSectionKeys,
  defaultAnswers,
  FORBIDDEN_GUEST_KEYS,
  GUEST_NAME_EXPECTED,
  guestAnswersKeys,
  isAnswersKey,
  isAnswersSection,
  isGuestName,
  type Answers,
  type AnswersSection,
} from '@xen-gentoo/steps';
import { unsafe as iniValue } from 'ini';
import type { z } from 'zod';

/** A [guest.NAME] section's name. */
type GuestSection = `guest.${string}`;

/** One key = value line of the answers file. */
export interface Located {
  section: AnswersSection | GuestSection;
  key: string;
  value: string;
  line: number;
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

/** A section header as an error message shows it: [name], quoted as above unless plain. */
function sectionLabel(name: string): string {
  return /^[A-Za-z0-9_.+-]{1,40}$/.test(name) ? `[${name}]` : `[${quoteName(name)}]`;
}

const SECTIONS_EXPECTED = `one of ${ANSWERS_SECTIONS.map((s) => `[${s}]`).join(', ')} or [guest.NAME]`;

const GUEST_KEYS = Object.keys(guestAnswersKeys.shape);

/**
 * Read the INI file line by line (so every problem can name its line): sections and keys must be
 * the schema's own (never an Object property such as `constructor` or `__proto__`), each once.
 * Values are unquoted as the `ini` package does (quotes, `;` comments). The content of a line
 * is never repeated in a message: only its number, a key's name (quoted) and what was expected.
 */
export function scanIni(text: string, file: string): Located[] {
  const located: Located[] = [];
  const seenSections = new Set<string>();
  const seenKeys = new Set<string>();
  let section: AnswersSection | GuestSection | undefined;
  // A UTF-8 byte order mark (Windows editors write one) is not part of the first line.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) return;
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header?.[1] !== undefined) {
      const name = header[1].trim();
      if (name.startsWith('guest.')) {
        if (!isGuestName(name.slice('guest.'.length)))
          throw new InputError(file, line, `bad guest section ${sectionLabel(name)}`, GUEST_NAME_EXPECTED);
        if (seenSections.has(name))
          throw new InputError(file, line, `section [${name}] appears twice`, 'each guest once');
        seenSections.add(name);
        section = name as GuestSection;
        return;
      }
      if (!isAnswersSection(name))
        throw new InputError(file, line, `unknown section ${sectionLabel(name)}`, SECTIONS_EXPECTED);
      if (seenSections.has(name))
        throw new InputError(file, line, `section [${name}] appears twice`, 'each section once');
      seenSections.add(name);
      section = name;
      return;
    }
    const pair = /^([A-Za-z0-9_.-]+)\s*=(.*)$/.exec(trimmed);
    if (pair?.[1] === undefined || pair[2] === undefined)
      throw new InputError(file, line, 'cannot read this line', '"key = value", "[section]" or a ; comment');
    const key = pair[1];
    if (section === undefined)
      throw new InputError(
        file,
        line,
        `${quoteName(key)} is outside any section`,
        'a [section] header first',
      );
    if (section.startsWith('guest.')) {
      const forbidden = Object.hasOwn(FORBIDDEN_GUEST_KEYS, key) ? FORBIDDEN_GUEST_KEYS[key] : undefined;
      if (forbidden !== undefined)
        throw new InputError(file, line, `${key} is not allowed in [${section}]`, forbidden);
      if (!GUEST_KEYS.includes(key) || !Object.hasOwn(guestAnswersKeys.shape, key))
        throw new InputError(
          file,
          line,
          `unknown key ${quoteName(key)} in [${section}]`,
          `one of ${GUEST_KEYS.join(', ')}`,
        );
    } else if (!isAnswersKey(section as AnswersSection, key))
      throw new InputError(
        file,
        line,
        `unknown key ${quoteName(key)} in [${section}]`,
        `one of ${Object.keys(answersSectionKeys(section as AnswersSection)).join(', ')}`,
      );
    if (seenKeys.has(`${section}.${key}`))
      throw new InputError(file, line, `${key} is set twice in [${section}]`, 'each key once');
    seenKeys.add(`${section}.${key}`);
    const value: unknown = iniValue(pair[2]);
    located.push({
      section,
      key,
      value: typeof value === 'string' ? value : JSON.stringify(value),
      line,
    });
  });
  return located;
}

/** The names of the [guest.NAME] sections, in the file's order (scanIni has checked them). */
function guestSectionsOf(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    const header = /^\[\s*guest\.([^\]]+?)\s*\]$/.exec(raw.trim());
    if (header?.[1] !== undefined) names.push(header[1]);
  }
  return names;
}

/** Parse and validate an answers file's text; every error names file and line. */
export function parseAnswers(text: string, file: string): Answers {
  const located = scanIni(text, file);
  // Every section and key is a known own name (scanIni checked), so plain objects are safe.
  const raw: Record<string, unknown> = Object.fromEntries(
    ANSWERS_SECTIONS.filter((s) => located.some((l) => l.section === s)).map((s) => [
      s,
      Object.fromEntries(located.filter((l) => l.section === s).map((l) => [l.key, l.value])),
    ]),
  );
  const guestSections = guestSectionsOf(text);
  raw.guests = guestSections.map((name) => ({
    ...Object.fromEntries(located.filter((l) => l.section === `guest.${name}`).map((l) => [l.key, l.value])),
    name,
  }));
  const result = answersSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let [section, key] = issue.path.map(String);
  if (section === 'guests') {
    section = `guest.${guestSections[Number(key)] ?? ''}`;
    key = issue.path[2] === undefined ? undefined : String(issue.path[2]);
  }
  const where = located.find((l) => l.section === section && l.key === key);
  const headerLine = located.find((l) => l.section === section)?.line;
  throw new InputError(
    file,
    where?.line ?? headerLine,
    `bad value for ${key ?? section} in [${section}]`,
    expectedOf(issue),
  );
}

/**
 * What a schema allows, in words: the listed values of an enum, else the message the schema
 * gives (every answers key has one).
 */
export function expectedOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return issue.values.map((v) => String(v)).join(' | ');
  return issue.message;
}

export async function loadAnswers(file: string | undefined): Promise<Answers> {
  if (file === undefined) return defaultAnswers();
  if (file === '') throw new UsageError('--answers needs a file name (it was given an empty one)');
  // A FIFO or a device is refused, never opened for reading (that would wait forever).
  let data: Buffer | undefined;
  try {
    data = await readRegularFile(file, file, { limit: MAX_INPUT_BYTES });
  } catch (error) {
    if (error instanceof XenGentooError) throw error;
    throw new InputError(
      file,
      undefined,
      `cannot read the answers file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  if (data === undefined)
    throw new InputError(file, undefined, 'cannot read the answers file (ENOENT: no such file)');
  return parseAnswers(decodeUtf8(data, file), file);
}

/**
 * A flag's value checked with the answers file's schema for the same setting (one source of
 * truth): the parsed value, or a usage error naming the flag and what it takes.
 */
export function checkFlagValue<S extends z.ZodType>(flag: string, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const shown = typeof value === 'string' ? ` ${quoteName(value)}` : '';
  throw new UsageError(`bad value${shown} for ${flag}; expected ${expectedOf(result.error.issues[0]!)}`);
}
