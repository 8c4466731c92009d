import {
  decodeUtf8,
  InputError,
  MAX_INPUT_BYTES,
  readRegularFile,
  UsageError,
  XenGentooError,
} from '@xen-gentoo/core';
import type { Answers, AnswersSectionInfo } from '@xen-gentoo/steps';
import { answersSchema, describeAnswers, describeAnswersSchema, expectedOf } from '@xen-gentoo/steps/answers';
import { unsafe as iniValue } from 'ini';
import {
  headerOf,
  problemsError,
  quoteName,
  type AnswersReading,
  type Located,
  type MissingKey,
} from './answers-reading.js';
import type { z } from 'zod';

export { expectedOf };

/** A section header as an error message shows it: [name], quoted (quoteName) unless plain. */
function sectionLabel(name: string): string {
  return /^[A-Za-z0-9_.+-]{1,40}$/.test(name) ? `[${name}]` : `[${quoteName(name)}]`;
}

function sectionsExpected(sections: AnswersSectionInfo[]): string {
  const once = sections.filter((s) => !s.named).map((s) => `[${s.name}]`);
  const named = sections.filter((s) => s.named).map((s) => `[${s.name}.NAME]`);
  return `one of ${once.join(', ')}${named.length ? ` or ${named.join(', ')}` : ''}`;
}

type SectionFound = { info: AnswersSectionInfo; name?: string } | { problem: string; expected: string };

/** The section a header names, or the problem with it. */
function sectionOf(sections: AnswersSectionInfo[], header: string): SectionFound {
  const exact = sections.find((s) => s.name === header);
  if (exact && !exact.named) return { info: exact };
  if (exact) return { problem: `section [${header}] needs a name`, expected: `[${header}.NAME]` };
  const dot = header.indexOf('.');
  const family = dot > 0 ? sections.find((s) => s.named && s.name === header.slice(0, dot)) : undefined;
  if (family?.nameSchema) {
    const name = header.slice(dot + 1);
    const result = family.nameSchema.safeParse(name);
    if (result.success) return { info: family, name };
    return {
      problem: `bad ${family.name} section ${sectionLabel(header)}`,
      expected: expectedOf(result.error.issues[0]!),
    };
  }
  return { problem: `unknown section ${sectionLabel(header)}`, expected: sectionsExpected(sections) };
}

/**
 * Read the INI file line by line (so every problem can name its line): sections and keys must be
 * the schema's own (never an Object property such as `constructor` or `__proto__`), each once.
 * Values are unquoted as the `ini` package does (quotes, `;` comments). The content of a line
 * is never repeated in a message: only its number, a key's name (quoted) and what was expected.
 * Every problem is collected; the keys of a refused section are not looked at.
 */
export function scanIni(
  text: string,
  file: string,
  sections: AnswersSectionInfo[] = describeAnswers(),
): { located: Located[]; headers: Map<string, number>; problems: InputError[] } {
  const located: Located[] = [];
  const problems: InputError[] = [];
  const headers = new Map<string, number>();
  const seenKeys = new Set<string>();
  let current: { info: AnswersSectionInfo; name?: string } | 'refused' | undefined;
  // A UTF-8 byte order mark (Windows editors write one) is not part of the first line.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) return;
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header?.[1] !== undefined) {
      const found = sectionOf(sections, header[1].trim());
      if ('problem' in found) {
        problems.push(new InputError(file, line, found.problem, found.expected));
        current = 'refused';
        return;
      }
      const label = headerOf(found.info.name, found.name);
      if (headers.has(label)) {
        const once = found.name === undefined ? 'each section once' : `each ${found.info.name} once`;
        problems.push(new InputError(file, line, `section ${label} appears twice`, once));
        current = 'refused';
        return;
      }
      headers.set(label, line);
      current = found;
      return;
    }
    const pair = /^([A-Za-z0-9_.-]+)\s*=(.*)$/.exec(trimmed);
    if (pair?.[1] === undefined || pair[2] === undefined) {
      problems.push(
        new InputError(file, line, 'cannot read this line', '"key = value", "[section]" or a ; comment'),
      );
      return;
    }
    const key = pair[1];
    if (current === 'refused') return;
    if (current === undefined) {
      problems.push(
        new InputError(file, line, `${quoteName(key)} is outside any section`, 'a [section] header first'),
      );
      return;
    }
    const label = headerOf(current.info.name, current.name);
    const forbidden = Object.hasOwn(current.info.forbidden, key) ? current.info.forbidden[key] : undefined;
    if (forbidden !== undefined) {
      problems.push(new InputError(file, line, `${key} is not allowed in ${label}`, forbidden));
      return;
    }
    if (!current.info.keys.some((k) => k.name === key)) {
      problems.push(
        new InputError(
          file,
          line,
          `unknown key ${quoteName(key)} in ${label}`,
          `one of ${current.info.keys.map((k) => k.name).join(', ')}`,
        ),
      );
      return;
    }
    if (seenKeys.has(`${label} ${key}`)) {
      problems.push(new InputError(file, line, `${key} is set twice in ${label}`, 'each key once'));
      return;
    }
    seenKeys.add(`${label} ${key}`);
    const value: unknown = iniValue(pair[2]);
    located.push({
      section: current.info.name,
      ...(current.name === undefined ? {} : { name: current.name }),
      key,
      value: typeof value === 'string' ? value : JSON.stringify(value),
      line,
    });
  });
  return { located, headers, problems };
}

/** The NAMEs of a repeating section's headers, in the file's order. */
function namesOf(section: AnswersSectionInfo, headers: Map<string, number>): string[] {
  return [...headers.keys()]
    .filter((h) => h.startsWith(`[${section.name}.`))
    .map((h) => h.slice(section.name.length + 2, -1));
}

/** The raw object the schema validates: each section (and each NAME of a repeating one) the file has. */
function rawAnswers(
  sections: AnswersSectionInfo[],
  located: Located[],
  headers: Map<string, number>,
): Record<string, unknown> {
  // Every section, name and key is a known own name (scanIni checked), so plain objects are safe.
  const keysOf = (section: string, name: string | undefined): Record<string, string> =>
    Object.fromEntries(
      located.filter((l) => l.section === section && l.name === name).map((l) => [l.key, l.value]),
    );
  const raw: Record<string, unknown> = {};
  for (const section of sections) {
    if (!section.named) {
      if (headers.has(`[${section.name}]`)) raw[section.property] = keysOf(section.name, undefined);
      continue;
    }
    const names = namesOf(section, headers);
    if (names.length === 0) continue;
    raw[section.property] = section.list
      ? names.map((name) => ({ ...keysOf(section.name, name), name }))
      : Object.fromEntries(names.map((name) => [name, keysOf(section.name, name)]));
  }
  return raw;
}

/**
 * Read and validate an answers file's text against a schema (the answers schema unless another
 * is given): every problem at once, each naming file and line, in the order of the lines.
 */
export function readAnswers<S extends z.ZodObject = typeof answersSchema>(
  text: string,
  file: string,
  schema?: S,
): AnswersReading<z.output<S>> {
  const sections = schema === undefined ? describeAnswers() : describeAnswersSchema(schema);
  const { located, headers, problems } = scanIni(text, file, sections);
  const result = (schema ?? answersSchema).safeParse(rawAnswers(sections, located, headers));
  const missing: MissingKey[] = [];
  for (const issue of result.error?.issues ?? []) {
    const path = issue.path.map(String);
    const info = sections.find((s) => s.property === path[0]);
    const section = info?.name ?? path[0] ?? '';
    const name = !info?.named ? undefined : info.list ? namesOf(info, headers)[Number(path[1])] : path[1];
    const key = info?.named ? path[2] : path[1];
    const label = headerOf(section, name);
    const where = located.find((l) => l.section === section && l.name === name && l.key === key);
    if (where === undefined && key !== undefined) {
      const values = info?.keys.find((k) => k.name === key)?.values ?? expectedOf(issue);
      missing.push({ section: label, key, line: headers.get(label), values });
      problems.push(new InputError(file, headers.get(label), `missing key ${key} in ${label}`, values));
      continue;
    }
    problems.push(
      new InputError(
        file,
        where?.line ?? headers.get(label),
        `bad value for ${key ?? section} in ${label}`,
        expectedOf(issue),
      ),
    );
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return {
    answers: problems.length === 0 && result.success ? (result.data as z.output<S>) : undefined,
    problems,
    missing,
    located,
    headers,
  };
}

/** Parse and validate an answers file's text; every problem is reported, each with file and line. */
export function parseAnswers(text: string, file: string): Answers {
  const reading = readAnswers(text, file);
  if (reading.answers === undefined) throw problemsError(reading.problems);
  return reading.answers;
}

/** The text of an answers file: a regular file in UTF-8, or bad input naming it. */
export async function readAnswersText(file: string): Promise<string> {
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
  return decodeUtf8(data, file);
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
