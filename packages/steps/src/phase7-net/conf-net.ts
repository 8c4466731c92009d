import { InputError } from '@xen-gentoo/core';

/**
 * `/etc/conf.d/net` as the network scripts read it: a bash file that they source, then read
 * `config_eth0`, `bridge_xenbr0` … as variables. baselayout 1 (2007) reads arrays
 * (`config_eth0=( "dhcp" )`); netifrc reads strings (`config_eth0="dhcp"`, several values on
 * separate lines) and still takes arrays under bash, with a warning. Function definitions
 * (`preup() { … }`, `depend_xenbr0() { … }`) are skipped whole.
 */
export interface NetAssignment {
  name: string;
  kind: 'string' | 'array';
  /** The values as bash sees them (one for a string, the elements of an array). */
  values: string[];
  /** The value exactly as written after `=`, for copying it unchanged. */
  raw: string;
  /** 0-based first and last line of the assignment. */
  startLine: number;
  endLine: number;
  /** The value uses `$`-expansions or command substitution: not read for sure. */
  dynamic: boolean;
}

export interface ConfNet {
  path: string;
  /** null when the file does not exist. */
  text: string | null;
  lines: string[];
  /** Every assignment in file order (bash keeps the last one of a name). */
  assignments: NetAssignment[];
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*(?==)/;
const FUNCTION_RE = /^[A-Za-z_][A-Za-z0-9_-]*[ \t]*\([ \t]*\)/;

/** Parse the file; an unterminated quote, array or function is bad input naming the line. */
export function parseConfNet(text: string | null, path: string): ConfNet {
  const src = text ?? '';
  const lines = src.split('\n');
  const assignments: NetAssignment[] = [];
  let pos = 0;
  const lineAt = (at: number): number => {
    let n = 0;
    for (let i = 0; i < at && i < src.length; i++) if (src[i] === '\n') n++;
    return n;
  };
  const fail = (at: number, problem: string, expected: string): never => {
    throw new InputError(path, lineAt(at) + 1, problem, expected);
  };

  /** Read one shell word starting at `at`; returns its value and end. */
  const readWord = (at: number): { value: string; end: number; dynamic: boolean } => {
    let value = '';
    let dynamic = false;
    let i = at;
    while (i < src.length) {
      const c = src[i]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === ';' || c === ')' || c === '&' || c === '|') break;
      if (c === '\\') {
        if (src[i + 1] === '\n') i += 2;
        else {
          value += src[i + 1] ?? '';
          i += 2;
        }
        continue;
      }
      if (c === "'") {
        const close = src.indexOf("'", i + 1);
        if (close < 0) fail(i, 'unterminated single quote', "a closing '");
        value += src.slice(i + 1, close);
        i = close + 1;
        continue;
      }
      if (c === '"') {
        i++;
        for (;;) {
          if (i >= src.length) fail(at, 'unterminated double quote', 'a closing "');
          const d = src[i]!;
          if (d === '"') break;
          if (d === '\\' && '"\\$`\n'.includes(src[i + 1] ?? '')) {
            if (src[i + 1] !== '\n') value += src[i + 1];
            i += 2;
            continue;
          }
          if (d === '$' || d === '`') dynamic = true;
          value += d;
          i++;
        }
        i++;
        continue;
      }
      if (c === '$' || c === '`') dynamic = true;
      value += c;
      i++;
    }
    return { value, end: i, dynamic };
  };

  const skipBlanks = (at: number, newlines: boolean): number => {
    let i = at;
    for (;;) {
      const c = src[i];
      if (c === ' ' || c === '\t' || (newlines && c === '\n')) i++;
      else if (c === '\\' && src[i + 1] === '\n') i += 2;
      else if (c === '#' && newlines) {
        while (i < src.length && src[i] !== '\n') i++;
      } else return i;
    }
  };

  while (pos < src.length) {
    pos = skipBlanks(pos, true);
    if (pos >= src.length) break;
    const rest = src.slice(pos, pos + 200);
    const name = NAME_RE.exec(rest)?.[0];
    if (name) {
      const start = pos;
      let i = pos + name.length + 1;
      if (src[i] === '(') {
        const values: string[] = [];
        let dynamic = false;
        i++;
        for (;;) {
          i = skipBlanks(i, true);
          if (i >= src.length) fail(start, 'unterminated array "("', 'a closing ")"');
          if (src[i] === ')') break;
          const word = readWord(i);
          if (word.end === i) fail(i, `unexpected "${src[i]}" in an array`, 'quoted values');
          values.push(word.value);
          dynamic ||= word.dynamic;
          i = word.end;
        }
        i++;
        assignments.push({
          name,
          kind: 'array',
          values,
          raw: src.slice(pos + name.length + 1, i),
          startLine: lineAt(start),
          endLine: lineAt(i - 1),
          dynamic,
        });
      } else {
        const word = readWord(i);
        assignments.push({
          name,
          kind: 'string',
          values: [word.value],
          raw: src.slice(i, word.end),
          startLine: lineAt(start),
          endLine: lineAt(Math.max(word.end - 1, start)),
          dynamic: word.dynamic,
        });
        i = word.end;
      }
      pos = i;
      continue;
    }
    if (FUNCTION_RE.test(rest)) {
      const open = src.indexOf('{', pos);
      if (open < 0) fail(pos, 'function without a body', 'name() { … }');
      let depth = 0;
      let i = open;
      for (; i < src.length; i++) {
        const c = src[i];
        if (c === "'" || c === '"') {
          const close = src.indexOf(c, i + 1);
          if (close < 0) fail(i, 'unterminated quote', `a closing ${c}`);
          i = close;
        } else if (c === '#' && /[\s;]/.test(src[i - 1] ?? ' ')) {
          while (i < src.length && src[i] !== '\n') i++;
        } else if (c === '{') depth++;
        else if (c === '}' && --depth === 0) break;
      }
      if (depth !== 0) fail(pos, 'unterminated function body', 'a closing "}"');
      pos = i + 1;
      continue;
    }
    // Anything else (a command, `;`): skip to the end of the line.
    while (pos < src.length && src[pos] !== '\n') pos++;
  }
  return { path, text, lines, assignments };
}

/** The assignment bash keeps for a name (the last one), if any. */
export function lookup(conf: ConfNet, name: string): NetAssignment | undefined {
  return conf.assignments.filter((a) => a.name === name).at(-1);
}

/** netifrc's (and baselayout's) variable suffix for an interface: non-alphanumerics become `_`. */
export function ifvar(iface: string): string {
  return iface.replace(/[^A-Za-z0-9_]/g, '_');
}

/** A value in double quotes, escaped for bash. */
export function quote(value: string): string {
  return `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

/** How a value is written in the host's syntax. */
export function renderValue(values: string[], syntax: 'array' | 'string'): string {
  if (syntax === 'array') return `( ${values.map(quote).join(' ')} )`;
  return quote(values.join('\n'));
}

export type ConfNetEdit = { name: string; value: string } | { name: string; remove: true };

/**
 * The file after the edits: an assigned name is rewritten where bash's last assignment of it
 * is, a new one is appended under `header`, a removed one disappears (every assignment of it).
 * Lines shared with another assignment are refused: the edit would touch the other one.
 */
export function editConfNet(conf: ConfNet, edits: ConfNetEdit[], header: string): string {
  const lines = [...conf.lines];
  const hadText = conf.text !== null && conf.text !== '';
  if (hadText && lines.at(-1) === '') lines.pop();
  const replace = new Map<number, { end: number; text: string[] }>();
  const appended: string[] = [];
  for (const edit of edits) {
    const all = conf.assignments.filter((a) => a.name === edit.name);
    const targets = 'remove' in edit ? all : all.slice(-1);
    for (const a of targets) {
      const shared = conf.assignments.some(
        (o) => o !== a && o.startLine <= a.endLine && o.endLine >= a.startLine,
      );
      if (shared)
        throw new InputError(
          conf.path,
          a.startLine + 1,
          `${a.name} shares its line with another assignment`,
          'one assignment per line',
        );
      replace.set(a.startLine, {
        end: a.endLine,
        text: 'remove' in edit ? [] : [`${edit.name}=${edit.value}`],
      });
    }
    if (!('remove' in edit) && targets.length === 0) appended.push(`${edit.name}=${edit.value}`);
  }
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const r = replace.get(i);
    if (r) {
      out.push(...r.text);
      i = r.end;
    } else out.push(lines[i]!);
  }
  if (appended.length) {
    if (out.length && out.at(-1) !== '') out.push('');
    out.push(header, ...appended);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
