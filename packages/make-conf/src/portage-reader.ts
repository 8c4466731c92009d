import { posix } from 'node:path';
import { ExpansionLimitError } from './errors.js';
import { PortageLexer, PortageLexError } from './portage-lexer.js';
import { portageVarexpand } from './portage-varexpand.js';

/** A `source` line as Portage reads it. */
export interface PortageSource {
  /** The file with the `source` line. */
  from: string;
  line: number;
  /** The file name as written (quotes removed). */
  written: string;
  /** After `${VAR}` expansion, and joined to the directory of the file when relative (what Portage opens). */
  path: string;
}

export interface PortageReadProblem {
  /** The file the problem is in (a sourced file, or the file read). */
  file: string;
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
  assignments: { file: string; name: string; line: number; value: string }[];
  sources: PortageSource[];
  problems: PortageReadProblem[];
}

/** Why a file named by a `source` line cannot be read. */
export interface UnreadableSource {
  problem: 'no such file' | 'is a directory';
}

/**
 * The contents of files named by `source` lines, by the path Portage opens: the text, or why it
 * cannot be read. A path that is not in the map is only recorded.
 */
export type SourcedFiles = ReadonlyMap<string, string | UnreadableSource>;

export interface PortageReadOptions {
  /** Variables known before the file (an earlier make.conf, say); assignments may expand them. */
  initial?: Readonly<Record<string, string>>;
  /** Follow `source` lines into these files, as Portage does (`getconfig(allow_sourcing=True)`). */
  sources?: SourcedFiles;
}

/** Portage opens make.conf in Python's text mode: CRLF and a lone CR both become LF. */
export function portageText(text: string): string {
  const content = text.replace(/\r\n?/g, '\n');
  return content !== '' && !content.endsWith('\n') ? `${content}\n` : content;
}

const INVALID_NAME_RE = /^\p{Nd}|[^\p{L}\p{N}_]/u;

/** How deep `source` lines may nest before the read is refused (bash and Python have limits too). */
const MAX_SOURCE_DEPTH = 16;

/**
 * The most text all the values of one read may expand to (64 Mi characters). The values of a real
 * make.conf come to kilobytes; a file of 8 MiB whose lines each add to the same variable would
 * expand to hundreds of gigabytes.
 */
export const MAX_EXPANDED_CHARS = 64 * 1024 * 1024;

/**
 * A model of Portage's `getconfig(file, allow_sourcing=True, expand=initial)`: it reads
 * `[export] KEY = VALUE` triples from the token stream, expands each value with the variables seen so
 * far, and follows `source` lines into the files of `options.sources` (recording the others). Reading
 * stops at the first problem Portage treats as fatal; what was read until then is returned.
 */
export function readLikePortage(
  text: string,
  file: string,
  options: PortageReadOptions = {},
): PortageReadResult {
  const expandMap = new Map(Object.entries(options.initial ?? {}));
  const result: PortageReadResult = {
    vars: new Map(),
    lines: new Map(),
    assignments: [],
    sources: [],
    problems: [],
  };
  // shlex reads a sourced file's tokens in place of the `source` line, then goes on where it was.
  const stack: { lexer: PortageLexer; file: string }[] = [
    { lexer: new PortageLexer(portageText(text)), file },
  ];
  let where = file;
  let expandedChars = 0;
  const fatal = (line: number, message: string, at = where): PortageReadResult => {
    result.problems.push({ file: at, line, message, kind: 'fatal' });
    return result;
  };

  const nextToken = (): { value: string | null; line: number } => {
    for (;;) {
      const top = stack.at(-1);
      if (top === undefined) return { value: null, line: 0 };
      where = top.file;
      const tok = top.lexer.next();
      if (tok.value === null && stack.length > 1) {
        stack.pop();
        continue;
      }
      if (tok.value !== 'source') return tok;
      const name = top.lexer.read();
      if (name.value === null) throw new PortageLexError('source without a file name', tok.line);
      if (name.value === '') throw new PortageLexError('source with an empty file name', tok.line);
      const expanded = portageVarexpand(name.value, expandMap).value;
      const path = posix.isAbsolute(expanded) ? expanded : posix.join(posix.dirname(top.file), expanded);
      result.sources.push({ from: top.file, line: tok.line, written: name.value, path });
      if (!options.sources?.has(path)) continue;
      const content = options.sources.get(path);
      if (typeof content !== 'string')
        throw new PortageLexError(`source ${path}: ${content?.problem ?? 'no such file'}`, tok.line);
      if (stack.length > MAX_SOURCE_DEPTH)
        throw new PortageLexError(
          `source ${path}: sourced files nest more than ${MAX_SOURCE_DEPTH} deep`,
          tok.line,
        );
      stack.push({ lexer: new PortageLexer(portageText(content)), file: path });
    }
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
      expandedChars += expanded.value.length;
      if (expandedChars > MAX_EXPANDED_CHARS)
        throw new ExpansionLimitError(where, key.line, MAX_EXPANDED_CHARS);
      if (expanded.problem !== undefined) {
        result.problems.push({ file: where, line: val.line, message: expanded.problem, kind: 'value' });
      }
      result.vars.delete(key.value);
      result.vars.set(key.value, expanded.value);
      result.lines.set(key.value, key.line);
      result.assignments.push({ file: where, name: key.value, line: key.line, value: expanded.value });
      expandMap.set(key.value, expanded.value);
    }
  } catch (e) {
    if (e instanceof PortageLexError) return fatal(e.line, e.message);
    throw e;
  }
}
