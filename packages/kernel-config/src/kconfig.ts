/**
 * A small reader of a kernel tree's Kconfig files: enough to explain why Kconfig changed or
 * dropped a requested symbol. It reads `config`/`menuconfig` blocks (type, prompts, `depends
 * on`, defaults, `select`/`imply`), the dependencies inherited from enclosing `menu`, `if` and
 * `choice` blocks, and follows `source` (with `$(SRCARCH)`-style variables). File text comes
 * through a callback, so this module never touches the disk.
 */
import { parseExpr, type Expr } from './kconfig-expr.js';

export type KconfigType = 'bool' | 'tristate' | 'string' | 'int' | 'hex';

/** An enclosing block whose condition a symbol inherits. */
export interface KconfigBlock {
  kind: 'menu' | 'if' | 'choice';
  /** Menu or choice prompt; for `if`, the condition's text. */
  title: string;
  /** `if EXPR`, or the block's `depends on` lines. */
  conditions: Expr[];
  file: string;
  line: number;
  /** Members of a choice block. */
  members?: string[];
}

export interface KconfigPrompt {
  text: string;
  condition?: Expr;
}

/** One `config SYM` (or `menuconfig SYM`) block. A symbol may be defined more than once. */
export interface KconfigDefinition {
  symbol: string;
  file: string;
  line: number;
  type?: KconfigType;
  prompts: KconfigPrompt[];
  dependsOn: Expr[];
  defaults: { value: Expr; condition?: Expr }[];
  selects: { symbol: string; condition?: Expr }[];
  implies: { symbol: string; condition?: Expr }[];
  /** Enclosing blocks, outermost first. */
  parents: readonly KconfigBlock[];
}

export interface KconfigTree {
  definitions: Map<string, KconfigDefinition[]>;
  /** Kconfig files read, relative to the tree. */
  files: string[];
  /** Files that `source` named but the reader could not read, lines it could not parse. */
  warnings: string[];
  /** Variables used for `$(…)` expansion. */
  vars: Record<string, string>;
}

export type KconfigFileReader = (path: string) => string | undefined | Promise<string | undefined>;

export interface ReadKconfigOptions {
  /** Returns a file's text by its path relative to the top of the source tree. */
  readFile: KconfigFileReader;
  /**
   * `$(…)` variables: SRCARCH (default `x86`), ARCH (default SRCARCH), and any others such as
   * KERNELVERSION. Unknown macros (`$(success,…)`) stay unexpanded constants.
   */
  vars?: Record<string, string>;
  /**
   * The top Kconfig file. Default: `Kconfig` when the tree has one (2.6.26 and later),
   * otherwise `arch/$(SRCARCH)/Kconfig` (older trees such as xen-sources 2.6.20).
   */
  entry?: string;
  /**
   * Read the details (prompts, dependencies, defaults) only of these symbols, and only the
   * `select`/`imply` lines that name them; every block condition is still read. Much faster on a
   * whole tree when only a few symbols need explaining.
   */
  only?: ReadonlySet<string>;
}

/** Kernel `ARCH`/`SRCARCH` for a Gentoo arch keyword or a `uname -m` machine. */
export function kernelArchVars(
  arch: string,
  era: 'xenlinux' | 'mainline' = 'mainline',
): Record<string, string> {
  const is64 = arch === 'amd64' || arch === 'x86_64';
  if (era === 'xenlinux')
    return is64 ? { ARCH: 'x86_64', SRCARCH: 'x86_64' } : { ARCH: 'i386', SRCARCH: 'i386' };
  return is64 ? { ARCH: 'x86', SRCARCH: 'x86' } : { ARCH: 'i386', SRCARCH: 'x86' };
}

function expand(text: string, vars: Record<string, string>): string {
  // Innermost first so $(foo$(BAR)) works; leaves unknown macros alone.
  let prev: string;
  let out = text;
  do {
    prev = out;
    out = out.replace(/\$\(([A-Za-z0-9_-]+)\)/g, (m: string, name: string) => vars[name] ?? m);
  } while (out !== prev);
  return out;
}

function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

/** Width of the leading blanks (tabs to 8 columns), or -1 for a blank line. */
function indentWidth(line: string): number {
  let col = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) col++;
    else if (c === 9) col = (Math.floor(col / 8) + 1) * 8;
    else if (c === 13) continue;
    else return col;
  }
  return -1;
}

/** Split `"prompt text" if EXPR` into its parts. */
function splitPrompt(rest: string): { text: string; condition?: string; after: string } | undefined {
  const m = /^\s*(["'])((?:\\.|(?!\1).)*)\1\s*(.*)$/.exec(rest);
  if (!m) return undefined;
  const text = (m[2] ?? '').replace(/\\(.)/g, '$1');
  const tail = (m[3] ?? '').trim();
  const cond = /^if\s+(.+)$/.exec(tail);
  return cond ? { text, condition: cond[1] ?? '', after: '' } : { text, after: tail };
}

/** Split `EXPR if COND` at the first `if` keyword outside quotes. */
function splitIf(rest: string): { expr: string; condition?: string } {
  const text = rest.trim();
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (/\s/.test(c ?? '') && /^\s+if\s/.test(text.slice(i))) {
      const m = /^\s+if\s+/.exec(text.slice(i));
      return { expr: text.slice(0, i).trim(), condition: text.slice(i + (m?.[0].length ?? 0)).trim() };
    }
  }
  return { expr: text };
}

const TYPES = new Set(['bool', 'boolean', 'tristate', 'string', 'int', 'hex']);
const ATTRIBUTES = new Set([
  'depends',
  'default',
  'select',
  'imply',
  'range',
  'def_bool',
  'def_tristate',
  'prompt',
  'visible',
]);

/** Read every Kconfig file reachable from the entry, following `source`. */
export async function readKconfig(options: ReadKconfigOptions): Promise<KconfigTree> {
  const srcarch = options.vars?.SRCARCH ?? 'x86';
  const vars: Record<string, string> = {
    SRCARCH: srcarch,
    ARCH: options.vars?.ARCH ?? srcarch,
    ...options.vars,
  };
  const tree: KconfigTree = { definitions: new Map(), files: [], warnings: [], vars };
  let entry = options.entry;
  if (entry === undefined)
    entry = (await options.readFile('Kconfig')) !== undefined ? 'Kconfig' : `arch/${srcarch}/Kconfig`;

  const only = options.only;
  const stack: KconfigBlock[] = [];
  // The enclosing blocks, copied only when the stack changes: every definition shares the copy.
  let parents: readonly KconfigBlock[] = [];
  const stackChanged = () => {
    parents = [...stack];
  };
  type Current =
    | { kind: 'config'; def: KconfigDefinition }
    | { kind: 'block'; block: KconfigBlock; choiceDef?: KconfigDefinition }
    | { kind: 'comment' }
    | { kind: 'none' };
  let current: Current = { kind: 'none' };
  let currentChoice: KconfigBlock | undefined;

  const addDefinition = (def: KconfigDefinition) => {
    const list = tree.definitions.get(def.symbol);
    if (list) list.push(def);
    else tree.definitions.set(def.symbol, [def]);
  };

  const parseIn = (text: string, where: string): Expr | undefined => {
    try {
      return parseExpr(expand(text, vars));
    } catch (err) {
      tree.warnings.push(`${where}: ${(err as Error).message}`);
      return undefined;
    }
  };

  const readOne = async (path: string, optional: boolean): Promise<void> => {
    const text = await options.readFile(path);
    if (text === undefined) {
      if (!optional) tree.warnings.push(`cannot read ${path}`);
      return;
    }
    tree.files.push(path);
    const raw = text.split('\n');
    let helpIndent: number | undefined;
    let inHelp = false;
    for (let i = 0; i < raw.length; i++) {
      const lineNo = i + 1;
      let line = raw[i] ?? '';
      if (inHelp) {
        const width = indentWidth(line);
        if (width < 0) continue;
        if (helpIndent === undefined) helpIndent = width;
        if (width >= helpIndent && width > 0) continue;
        inHelp = false;
        helpIndent = undefined;
      }
      while (line.endsWith('\\') && i + 1 < raw.length) {
        line = line.slice(0, -1) + (raw[++i] ?? '');
      }
      const body = (line.includes('#') ? stripComment(line) : line).trim();
      if (body === '') continue;
      const where = `${path}:${lineNo}`;
      const gap = body.search(/\s/);
      const word = gap < 0 ? body : body.slice(0, gap);
      const rest = gap < 0 ? '' : body.slice(gap).trimStart();

      switch (word) {
        case 'config':
        case 'menuconfig': {
          const def: KconfigDefinition = {
            symbol: rest.trim(),
            file: path,
            line: lineNo,
            prompts: [],
            dependsOn: [],
            defaults: [],
            selects: [],
            implies: [],
            parents,
          };
          addDefinition(def);
          current = { kind: 'config', def };
          if (currentChoice) currentChoice.members?.push(def.symbol);
          break;
        }
        case 'choice': {
          const block: KconfigBlock = {
            kind: 'choice',
            title: '',
            conditions: [],
            file: path,
            line: lineNo,
            members: [],
          };
          stack.push(block);
          stackChanged();
          currentChoice = block;
          current = { kind: 'block', block };
          break;
        }
        case 'endchoice':
        case 'endmenu':
        case 'endif': {
          const want = word === 'endchoice' ? 'choice' : word === 'endmenu' ? 'menu' : 'if';
          const top = stack.pop();
          stackChanged();
          if (!top || top.kind !== want) tree.warnings.push(`${where}: ${word} without matching ${want}`);
          if (want === 'choice') currentChoice = [...stack].reverse().find((b) => b.kind === 'choice');
          current = { kind: 'none' };
          break;
        }
        case 'menu': {
          const p = splitPrompt(rest);
          const block: KconfigBlock = {
            kind: 'menu',
            title: p?.text ?? rest,
            conditions: [],
            file: path,
            line: lineNo,
          };
          stack.push(block);
          stackChanged();
          current = { kind: 'block', block };
          break;
        }
        case 'if': {
          const e = parseIn(rest, where);
          stack.push({ kind: 'if', title: rest.trim(), conditions: e ? [e] : [], file: path, line: lineNo });
          stackChanged();
          current = { kind: 'none' };
          break;
        }
        case 'comment':
          current = { kind: 'comment' };
          break;
        case 'mainmenu':
          break;
        case 'source':
        case 'osource':
        case 'rsource':
        case 'orsource': {
          const p = splitPrompt(rest);
          const target = expand(p?.text ?? rest.trim(), vars);
          const rel = word === 'rsource' || word === 'orsource' ? joinPath(dirOf(path), target) : target;
          if (/[*?[]/.test(rel)) {
            tree.warnings.push(`${where}: glob in source not followed (${rel})`);
            break;
          }
          const saved = current;
          current = { kind: 'none' };
          await readOne(rel, word.startsWith('o'));
          current = saved.kind === 'config' || saved.kind === 'block' ? { kind: 'none' } : saved;
          break;
        }
        case 'help':
        case '---help---':
          inHelp = true;
          helpIndent = undefined;
          break;
        default: {
          // Macro variable assignment: NAME := value, NAME = value, NAME += value.
          const assign = body.includes('=') ? /^([A-Za-z0-9_-]+)\s*(:=|\+=|=)\s*(.*)$/.exec(body) : null;
          if (assign && !ATTRIBUTES.has(assign[1] ?? '')) {
            const name = assign[1] ?? '';
            const value = expand(assign[3] ?? '', vars);
            if (!(name in (options.vars ?? {})))
              vars[name] = assign[2] === '+=' ? `${vars[name] ?? ''} ${value}` : value;
            continue;
          }
          applyAttribute(word, rest, where);
        }
      }
    }
  };

  const applyAttribute = (word: string, rest: string, where: string) => {
    const def = current.kind === 'config' ? current.def : undefined;
    const block = current.kind === 'block' ? current.block : undefined;
    if (word === 'depends') {
      // Dependencies of a symbol nobody asked about are never read: skip parsing them.
      if (def && only && !only.has(def.symbol)) return;
      const text = rest.replace(/^on\s+/, '');
      const e = parseIn(text, where);
      if (!e) return;
      if (def) def.dependsOn.push(e);
      else if (block) block.conditions.push(e);
      return;
    }
    if (word === 'visible') return; // `visible if` hides a menu but does not change values
    if (!def && block?.kind === 'choice') {
      if (TYPES.has(word) || word === 'prompt') {
        const p = splitPrompt(rest);
        if (p) block.title = p.text;
      }
      return;
    }
    if (!def) return;
    if (only && !only.has(def.symbol)) {
      if (word === 'select' || word === 'imply') {
        const target = /^\s*([A-Za-z0-9_]+)/.exec(rest)?.[1];
        if (target === undefined || !only.has(target)) return;
      } else {
        if (TYPES.has(word)) def.type = word === 'boolean' ? 'bool' : (word as KconfigType);
        else if (word === 'def_bool' || word === 'def_tristate')
          def.type = word === 'def_bool' ? 'bool' : 'tristate';
        return;
      }
    }
    if (TYPES.has(word) || word === 'def_bool' || word === 'def_tristate') {
      const type: KconfigType =
        word === 'boolean' || word === 'def_bool'
          ? 'bool'
          : word === 'def_tristate'
            ? 'tristate'
            : (word as KconfigType);
      def.type = type;
      if (word.startsWith('def_')) {
        const { expr, condition } = splitIf(rest);
        const value = parseIn(expr, where);
        const cond = condition ? parseIn(condition, where) : undefined;
        if (value) def.defaults.push({ value, ...(cond ? { condition: cond } : {}) });
        return;
      }
      const p = splitPrompt(rest);
      if (p) {
        const cond = p.condition ? parseIn(p.condition, where) : undefined;
        def.prompts.push({ text: p.text, ...(cond ? { condition: cond } : {}) });
      }
      return;
    }
    if (word === 'prompt') {
      const p = splitPrompt(rest);
      if (p) {
        const cond = p.condition ? parseIn(p.condition, where) : undefined;
        def.prompts.push({ text: p.text, ...(cond ? { condition: cond } : {}) });
      }
      return;
    }
    if (word === 'default') {
      const { expr, condition } = splitIf(rest);
      const value = parseIn(expr, where);
      const cond = condition ? parseIn(condition, where) : undefined;
      if (value) def.defaults.push({ value, ...(cond ? { condition: cond } : {}) });
      return;
    }
    if (word === 'select' || word === 'imply') {
      const { expr, condition } = splitIf(rest);
      const cond = condition ? parseIn(condition, where) : undefined;
      (word === 'select' ? def.selects : def.implies).push({
        symbol: expr,
        ...(cond ? { condition: cond } : {}),
      });
      return;
    }
    // range, option, modules, optional, transitional …: not needed to explain dependencies.
  };

  await readOne(entry, false);
  if (stack.length > 0)
    tree.warnings.push(`unclosed blocks at end of ${entry}: ${stack.map((b) => b.kind).join(', ')}`);
  return tree;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function joinPath(dir: string, rel: string): string {
  const parts = (dir ? `${dir}/${rel}` : rel).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else if (p !== '.' && p !== '') out.push(p);
  }
  return out.join('/');
}

/** Symbols whose definitions `select` the given symbol, with the condition of the select. */
export function selectorsOf(
  tree: KconfigTree,
  symbol: string,
): { by: KconfigDefinition; condition?: Expr; imply: boolean }[] {
  const out: { by: KconfigDefinition; condition?: Expr; imply: boolean }[] = [];
  for (const defs of tree.definitions.values()) {
    for (const def of defs) {
      for (const s of def.selects)
        if (s.symbol === symbol)
          out.push({ by: def, ...(s.condition ? { condition: s.condition } : {}), imply: false });
      for (const s of def.implies)
        if (s.symbol === symbol)
          out.push({ by: def, ...(s.condition ? { condition: s.condition } : {}), imply: true });
    }
  }
  return out;
}
