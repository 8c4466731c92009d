/**
 * A model of Portage's `varexpand()` (lib/portage/util/__init__.py), applied to each value after
 * tokenizing. Quotes have already been removed by the tokenizer, so single quotes do not protect
 * `$` here. Only `$NAME` and `${NAME}` are understood; anything else after a `$` makes Portage print
 * an error and use an empty string for the whole value.
 */

const VAR_CHARS = /[A-Za-z0-9_]/;

export interface VarexpandResult {
  value: string;
  /** Set when Portage prints an error and returns an empty value. */
  problem?: string;
}

export function portageVarexpand(s: string, vars: ReadonlyMap<string, string>): VarexpandResult {
  let inSingle = false;
  let inDouble = false;
  let pos = 0;
  const out: string[] = [];
  const badBrace = { value: '', problem: "unexpected EOF while looking for matching `}'" };
  while (pos < s.length) {
    const c = s.charAt(pos);
    if (c === "'") {
      out.push(c);
      if (!inDouble) inSingle = !inSingle;
      pos++;
      continue;
    }
    if (c === '"') {
      out.push(c);
      if (!inSingle) inDouble = !inDouble;
      pos++;
      continue;
    }
    if (inSingle) {
      out.push(c);
      pos++;
      continue;
    }
    if (c === '\n') {
      out.push(' ');
      pos++;
    } else if (c === '\\') {
      if (pos + 1 >= s.length) {
        out.push(c);
        break;
      }
      const next = s.charAt(pos + 1);
      pos += 2;
      if (next === '$') out.push('$');
      else if (next === '\\') {
        out.push('\\');
        const after = s.charAt(pos);
        if (pos < s.length && (after === "'" || after === '"' || after === '$')) {
          out.push(after);
          pos++;
        }
      } else if (next !== '\n') out.push(s.slice(pos - 2, pos));
    } else if (c === '$') {
      pos++;
      if (pos === s.length) {
        out.push('$');
        continue;
      }
      let braced = false;
      if (s.charAt(pos) === '{') {
        pos++;
        if (pos === s.length) return badBrace;
        braced = true;
      }
      const nameStart = pos;
      while (VAR_CHARS.test(s.charAt(pos))) {
        if (pos + 1 >= s.length) {
          if (braced) return badBrace;
          pos++;
          break;
        }
        pos++;
      }
      const name = s.slice(nameStart, pos);
      if (braced) {
        if (s.charAt(pos) !== '}') return badBrace;
        pos++;
      }
      if (name === '') return { value: '', problem: `$${braced ? '{}' : ''}: bad substitution` };
      const value = vars.get(name);
      if (value !== undefined) out.push(value);
    } else {
      out.push(c);
      pos++;
    }
  }
  return { value: out.join('') };
}
