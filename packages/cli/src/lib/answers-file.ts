import { readFile } from 'node:fs/promises';
import { InputError } from '@xen-gentoo/core';
import { answersSchema, defaultAnswers, type Answers } from '@xen-gentoo/steps';
import { parse as parseIni } from 'ini';
import type { z } from 'zod';

interface Located {
  section: string;
  key: string;
  line: number;
}

/**
 * Check the INI shape line by line (so every problem can name its line) before the values are
 * read with `ini` and validated against the schema.
 */
export function scanIni(text: string, file: string): Located[] {
  const located: Located[] = [];
  const seen = new Set<string>();
  let section = '';
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) return;
    const header = trimmed.match(/^\[([^\]]+)\]$/);
    if (header?.[1]) {
      section = header[1].trim();
      if (seen.has(`[${section}]`))
        throw new InputError(file, line, `section [${section}] appears twice`, 'each section once');
      seen.add(`[${section}]`);
      return;
    }
    const pair = trimmed.match(/^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/);
    if (!pair?.[1])
      throw new InputError(
        file,
        line,
        `cannot read "${trimmed}"`,
        '"key = value", "[section]" or a ; comment',
      );
    if (section === '')
      throw new InputError(file, line, `"${pair[1]}" is outside any section`, 'a [section] header first');
    const id = `${section}.${pair[1]}`;
    if (seen.has(id))
      throw new InputError(file, line, `${pair[1]} is set twice in [${section}]`, 'each key once');
    seen.add(id);
    located.push({ section, key: pair[1], line });
  });
  return located;
}

/** Parse and validate an answers file's text; every error names file and line. */
export function parseAnswers(text: string, file: string): Answers {
  const located = scanIni(text, file);
  const raw = parseIni(text) as Record<string, unknown>;
  const sections = answersSchema.shape;
  for (const name of Object.keys(raw)) {
    if (!(name in sections)) {
      const line = located.find((l) => l.section === name)?.line ?? lineOfSection(text, name);
      throw new InputError(
        file,
        line,
        `unknown section [${name}]`,
        `one of ${Object.keys(sections)
          .map((s) => `[${s}]`)
          .join(', ')}`,
      );
    }
  }
  // ini turns true/false into booleans; the schema speaks yes/no, so give the text back.
  for (const value of Object.values(raw)) {
    if (value && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      for (const [k, v] of Object.entries(obj)) if (typeof v === 'boolean') obj[k] = String(v);
    }
  }
  const result = answersSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw issueToError(issue, located, text, file);
}

function issueToError(issue: z.core.$ZodIssue, located: Located[], text: string, file: string): InputError {
  const [section, key] = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const bad = issue.keys[0] ?? '';
    const where = located.find((l) => l.section === section && l.key === bad);
    const shape = section ? answersSchemaKeys(section) : [];
    return new InputError(
      file,
      where?.line,
      `unknown key "${bad}" in [${section}]`,
      `one of ${shape.join(', ')}`,
    );
  }
  const where = located.find((l) => l.section === section && l.key === key);
  const expected =
    issue.code === 'invalid_value'
      ? issue.values.map((v) => String(v)).join(' | ')
      : issue.message.replace(/^Invalid input: /, '').replace(/^expected /, '');
  return new InputError(
    file,
    where?.line ?? (section ? lineOfSection(text, section) : undefined),
    `bad value for ${key ?? section} in [${section}]`,
    expected,
  );
}

export function answersSchemaKeys(section: string): string[] {
  const sectionSchema = (answersSchema.shape as Record<string, unknown>)[section] as
    { def?: { innerType?: { shape?: object } } } | undefined;
  const shape = sectionSchema?.def?.innerType?.shape;
  return shape ? Object.keys(shape) : [];
}

function lineOfSection(text: string, section: string): number | undefined {
  const index = text.split(/\r?\n/).findIndex((l) => l.trim() === `[${section}]`);
  return index >= 0 ? index + 1 : undefined;
}

export async function loadAnswers(file: string | undefined): Promise<Answers> {
  if (!file) return defaultAnswers();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(
      file,
      undefined,
      `cannot read the answers file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  return parseAnswers(text, file);
}
