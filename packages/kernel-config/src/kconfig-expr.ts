/**
 * Kconfig expressions (`depends on A && (B || !C)`, `X = "y"`, `$(ARCH) != "i386"`): parsing,
 * tristate evaluation against a resolved `.config`, and naming the terms that are not met.
 */

export type Expr =
  /** A symbol, or a constant word (y, m, n, numbers, undefined names). */
  | { op: 'sym'; name: string }
  /** A quoted string constant. */
  | { op: 'str'; value: string }
  | { op: 'not'; arg: Expr }
  | { op: 'and' | 'or'; left: Expr; right: Expr }
  | { op: '=' | '!=' | '<' | '<=' | '>' | '>='; left: Expr; right: Expr };

/** Tristate: 0 = n, 1 = m, 2 = y. */
export type Tristate = 0 | 1 | 2;

export const Y: Expr = { op: 'sym', name: 'y' };

type Token = { t: 'word'; v: string } | { t: 'str'; v: string } | { t: 'op'; v: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let v = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        v += text[j] ?? '';
        j++;
      }
      tokens.push({ t: 'str', v });
      i = j + 1;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === '!=' || two === '<=' || two === '>=') {
      tokens.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('!()=<>'.includes(c)) {
      tokens.push({ t: 'op', v: c });
      i++;
      continue;
    }
    if (c === '$' && text[i + 1] === '(') {
      // An unexpanded macro: keep it as one constant word.
      let depth = 0;
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')' && --depth === 0) break;
      }
      tokens.push({ t: 'word', v: text.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !' \t\r"\'!()=<>&|'.includes(text[j] ?? ' ')) j++;
    if (j === i) {
      // A lone '&' or '|': not valid Kconfig, skip it rather than loop.
      i++;
      continue;
    }
    tokens.push({ t: 'word', v: text.slice(i, j) });
    i = j;
  }
  return tokens;
}

/** Parse an expression. Throws on text that is not a Kconfig expression. */
export function parseExpr(text: string): Expr {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (what: string): never => {
    throw new Error(`bad Kconfig expression "${text}": ${what}`);
  };
  const primary = (): Expr => {
    const tok = tokens[pos++];
    if (!tok) return fail('unexpected end');
    if (tok.t === 'op' && tok.v === '!') return { op: 'not', arg: primary() };
    if (tok.t === 'op' && tok.v === '(') {
      const e = or();
      const close = tokens[pos++];
      if (!close || close.t !== 'op' || close.v !== ')') fail('missing )');
      return e;
    }
    if (tok.t === 'op') return fail(`unexpected ${tok.v}`);
    const left: Expr = tok.t === 'str' ? { op: 'str', value: tok.v } : { op: 'sym', name: tok.v };
    const next = peek();
    if (next && next.t === 'op' && ['=', '!=', '<', '<=', '>', '>='].includes(next.v)) {
      pos++;
      const r = tokens[pos++];
      if (!r || r.t === 'op') return fail('comparison without right side');
      const right: Expr = r.t === 'str' ? { op: 'str', value: r.v } : { op: 'sym', name: r.v };
      return { op: next.v as '=', left, right };
    }
    return left;
  };
  const and = (): Expr => {
    let left = primary();
    while (peek()?.t === 'op' && peek()?.v === '&&') {
      pos++;
      left = { op: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): Expr => {
    let left = and();
    while (peek()?.t === 'op' && peek()?.v === '||') {
      pos++;
      left = { op: 'or', left, right: and() };
    }
    return left;
  };
  const e = or();
  if (pos < tokens.length) fail(`unexpected ${tokens[pos]?.v ?? ''}`);
  return e;
}

/** Print an expression the way Kconfig does (minimal parentheses). */
export function formatExpr(e: Expr, parent: 'and' | 'or' | 'top' = 'top'): string {
  switch (e.op) {
    case 'sym':
      return e.name;
    case 'str':
      return `"${e.value}"`;
    case 'not': {
      const inner = formatExpr(e.arg, 'and');
      return e.arg.op === 'and' || e.arg.op === 'or' ? `!(${formatExpr(e.arg)})` : `!${inner}`;
    }
    case 'and':
      return `${formatExpr(e.left, 'and')} && ${formatExpr(e.right, 'and')}`;
    case 'or': {
      const s = `${formatExpr(e.left, 'or')} || ${formatExpr(e.right, 'or')}`;
      return parent === 'and' ? `(${s})` : s;
    }
    default:
      return `${formatExpr(e.left)} ${e.op} ${formatExpr(e.right)}`;
  }
}

/** How expressions see symbols: resolved values plus which names are real symbols. */
export interface ExprEnv {
  /** Resolved `.config` values (`n` for "is not set"). */
  values: ReadonlyMap<string, string>;
  /** Whether a name is a symbol defined in the Kconfig tree (others are constants). */
  isSymbol(name: string): boolean;
}

function stringValue(e: Expr, env: ExprEnv): string {
  if (e.op === 'str') return e.value;
  if (e.op !== 'sym') return String(evalExpr(e, env));
  if (!env.isSymbol(e.name)) return e.name;
  const v = env.values.get(e.name);
  if (v === undefined) return 'n';
  return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
}

function tri(v: string): Tristate {
  return v === 'y' ? 2 : v === 'm' ? 1 : 0;
}

function compareValues(a: string, b: string): number {
  const num = (s: string) =>
    /^-?\d+$/.test(s) ? Number(s) : /^0x[0-9a-f]+$/i.test(s) ? Number.parseInt(s, 16) : NaN;
  const na = num(a);
  const nb = num(b);
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Evaluate with Kconfig's tristate logic (and = min, or = max, not = 2 - x). */
export function evalExpr(e: Expr, env: ExprEnv): Tristate {
  switch (e.op) {
    case 'sym':
      if (e.name === 'y' || e.name === 'm' || e.name === 'n') return tri(e.name);
      return env.isSymbol(e.name) ? tri(env.values.get(e.name) ?? 'n') : 0;
    case 'str':
      return tri(e.value);
    case 'not':
      return (2 - evalExpr(e.arg, env)) as Tristate;
    case 'and':
      return Math.min(evalExpr(e.left, env), evalExpr(e.right, env)) as Tristate;
    case 'or':
      return Math.max(evalExpr(e.left, env), evalExpr(e.right, env)) as Tristate;
    default: {
      const c = compareValues(stringValue(e.left, env), stringValue(e.right, env));
      const ok =
        e.op === '='
          ? c === 0
          : e.op === '!='
            ? c !== 0
            : e.op === '<'
              ? c < 0
              : e.op === '<='
                ? c <= 0
                : e.op === '>'
                  ? c > 0
                  : c >= 0;
      return ok ? 2 : 0;
    }
  }
}

/** Symbols an expression mentions, in order of appearance, without duplicates. */
export function exprSymbols(e: Expr, env: ExprEnv, out: string[] = []): string[] {
  switch (e.op) {
    case 'sym':
      if (env.isSymbol(e.name) && !out.includes(e.name)) out.push(e.name);
      break;
    case 'str':
      break;
    case 'not':
      exprSymbols(e.arg, env, out);
      break;
    default:
      exprSymbols(e.left, env, out);
      exprSymbols(e.right, env, out);
  }
  return out;
}

/** The operands of a chain of `&&`. */
export function andTerms(e: Expr): Expr[] {
  return e.op === 'and' ? [...andTerms(e.left), ...andTerms(e.right)] : [e];
}

/** `X86_64 (X86_64=n)`: a term with the current values of the symbols it mentions. */
export function describeTerm(e: Expr, env: ExprEnv): string {
  const syms = exprSymbols(e, env);
  const values = syms.map((s) => `${s}=${env.values.get(s) ?? 'n'}`);
  return values.length > 0 ? `${formatExpr(e)} (${values.join(', ')})` : formatExpr(e);
}
