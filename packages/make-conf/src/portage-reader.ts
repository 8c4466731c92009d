import { posix } from 'node:path';
import { PortageLexer, PortageLexError } from './portage-lexer.js';
import { portageVarexpand } from './portage-varexpand.js';

/** A `source` line as Portage reads it. */
export interface PortageSource {
  line: number;
  /** The file name as written (quotes removed). */
  written: string;
  /** After `${VAR}` expansion, and joined to the directory of the file when relative (what Portage opens). */
  path: string;
}

export interface PortageReadProblem {
  line: number;
  message: string;
  /** `fatal`: Portage stops reading (emerge fails); `value`: the value of one variable is emptied. */
  kind: 'fatal' | 'value';
}

export interface PortageReadResult {
  /** Variables assigned by the file, expanded, in assignment order (later assignments win). */
  vars: Map<string, string>;
  /** Line of the last assignment of each variable. */
  lines: Map<string, number>;
  /** Every assignment in order, with the value Portage gives it. */
  assignments: { name: string; line: number; value: string }[];
  sources: PortageSource[];
  problems: PortageReadProblem[];
}

const INVALID_NAME_RE = /^\d|[^\p{L}\p{N}_]/u;

/**
 * A model of Portage's `getconfig(file, allow_sourcing=True, expand=initial)`: it reads
 * `[export] KEY = VALUE` triples from the token stream, expands each value with the variables seen so
 * far, and records `source` files instead of opening them. Reading stops at the first problem Portage
 * treats as fatal; what was read until then is returned.
 */
export function readLikePortage(
  text: string,
  file: string,
  initial: Readonly<Record<string, string>> = {},
): PortageReadResult {
  const content = text !== '' && !text.endsWith('\n') ? `${text}\n` : text;
  const lexer = new PortageLexer(content);
  const expandMap = new Map(Object.entries(initial));
  const result: PortageReadResult = {
    vars: new Map(),
    lines: new Map(),
    assignments: [],
    sources: [],
    problems: [],
  };
  const fatal = (line: number, message: string): PortageReadResult => {
    result.problems.push({ line, message, kind: 'fatal' });
    return result;
  };

  const nextToken = (): { value: string | null; line: number } => {
    let tok = lexer.next();
    while (tok.value === 'source') {
      const name = lexer.read();
      if (name.value === null) throw new PortageLexError('source without a file name', tok.line);
      const expanded = portageVarexpand(name.value, expandMap).value;
      const dir = posix.dirname(file);
      result.sources.push({
        line: tok.line,
        written: name.value,
        path: posix.isAbsolute(expanded) ? expanded : posix.join(dir, expanded),
      });
      tok = lexer.next();
    }
    return tok;
  };

  try {
    for (;;) {
      let key = nextToken();
      if (key.value === 'export') key = nextToken();
      if (key.value === null) return result;
      const equ = nextToken();
      if (equ.value === null || equ.value === '') return fatal(key.line, 'Unexpected EOF');
      if (equ.value !== '=') return fatal(equ.line, `Invalid token '${equ.value}' (not '=')`);
      const val = nextToken();
      if (val.value === null)
        return fatal(equ.line, `Unexpected end of config file: variable '${key.value}'`);
      if (INVALID_NAME_RE.test(key.value)) return fatal(key.line, `Invalid variable name '${key.value}'`);
      const expanded = portageVarexpand(val.value, expandMap);
      if (expanded.problem !== undefined) {
        result.problems.push({ line: val.line, message: expanded.problem, kind: 'value' });
      }
      result.vars.delete(key.value);
      result.vars.set(key.value, expanded.value);
      result.lines.set(key.value, key.line);
      result.assignments.push({ name: key.value, line: key.line, value: expanded.value });
      expandMap.set(key.value, expanded.value);
    }
  } catch (e) {
    if (e instanceof PortageLexError) return fatal(e.line, e.message);
    throw e;
  }
}
