import type { MakeConfDocument, WordPart } from './document.js';

/** The value bash gives one assignment, or `undefined` when it depends on something not modelled here. */
export interface BashAssignmentValue {
  name: string;
  line: number;
  value: string | undefined;
}

/**
 * What bash assigns when it sources the file, for the forms this package models: literal text,
 * quotes, escapes, continuations, `$VAR`/`${VAR}` and `+=`. A value using any other expansion
 * (`$(...)`, `${X:-y}`, arrays ...) is `undefined`, and so is everything derived from it.
 * `source` lines are not followed, exactly as in the Portage view, so the two can be compared.
 */
export function bashAssignments(
  doc: MakeConfDocument,
  initial: Readonly<Record<string, string>> = {},
): BashAssignmentValue[] {
  const env = new Map<string, string | undefined>(Object.entries(initial));
  const out: BashAssignmentValue[] = [];
  for (const st of doc.statements) {
    if (st.kind !== 'assignment') continue;
    for (const a of st.assignments) {
      let value = wordValue(a.value.parts, env);
      if (a.operator === '+=' && value !== undefined) {
        const before = env.get(a.name);
        value = before === undefined && env.has(a.name) ? undefined : (before ?? '') + value;
      }
      env.set(a.name, value);
      out.push({ name: a.name, line: a.line, value });
    }
  }
  return out;
}

function wordValue(
  parts: readonly WordPart[],
  env: ReadonlyMap<string, string | undefined>,
): string | undefined {
  let out = '';
  for (const part of parts) {
    switch (part.kind) {
      case 'literal':
      case 'single':
        out += part.text;
        break;
      case 'param': {
        if (env.has(part.name) && env.get(part.name) === undefined) return undefined;
        out += env.get(part.name) ?? '';
        break;
      }
      case 'double': {
        const inner = wordValue(part.parts, env);
        if (inner === undefined) return undefined;
        out += inner;
        break;
      }
      case 'expansion':
      case 'array':
        return undefined;
    }
  }
  return out;
}
