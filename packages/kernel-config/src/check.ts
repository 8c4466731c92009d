/**
 * Checking what Kconfig kept: compare the values a fragment asked for with the `.config`
 * Kconfig resolved (`make olddefconfig`), and explain every symbol it changed or dropped from
 * the tree's own Kconfig files.
 */
import { configValues, parseConfig } from './config-file.js';
import {
  andTerms,
  describeTerm,
  evalExpr,
  formatExpr,
  type Expr,
  type ExprEnv,
  type Tristate,
} from './kconfig-expr.js';
import {
  readKconfig,
  selectorsOf,
  type KconfigDefinition,
  type KconfigTree,
  type ReadKconfigOptions,
} from './kconfig.js';
import type { Fragment, HowtoRef } from './fragments.js';

/** A requested symbol whose resolved value differs from the request. */
export interface SymbolChange {
  symbol: string;
  requested: string;
  /** The resolved value (`n` for "is not set"), undefined when the `.config` lacks the symbol. */
  resolved: string | undefined;
  /** `dropped`: asked on (or a string/number), resolved off or missing; `changed`: anything else. */
  kind: 'dropped' | 'changed';
  /** The HOWTO lines the request came from, when it came from a fragment. */
  howto?: HowtoRef[];
  /** Why, from the tree's Kconfig (e.g. `XEN_PV: depends on X86_64 (X86_64=n)`). Empty until explained. */
  because: string[];
}

export interface CheckResult {
  /** Number of symbols requested. */
  requested: number;
  /** Requested symbols Kconfig kept. */
  kept: string[];
  changes: SymbolChange[];
  /** Problems reading the Kconfig files (unreadable `source`, unparsable lines). */
  warnings: string[];
}

/**
 * A value as Kconfig reads it: `CONFIG_X=` (nothing after the `=`) is invalid for every type
 * (bool and tristate need y/m/n, strings their quotes, numbers a digit), so Kconfig warns and
 * ignores the line, exactly as if the symbol were not in the file.
 */
function readAsKconfig(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function sameValue(requested: string, got: string | undefined): boolean {
  const resolved = readAsKconfig(got);
  if (requested === 'n') return resolved === undefined || resolved === 'n';
  if (resolved === undefined) return false;
  if (requested === resolved) return true;
  const hex = /^0x[0-9a-f]+$/i;
  if (hex.test(requested) && hex.test(resolved))
    return Number.parseInt(requested, 16) === Number.parseInt(resolved, 16);
  return false;
}

/** Which requested values Kconfig did not keep (no explanation yet). Pure and cheap. */
export function compareConfig(
  requested: ReadonlyMap<string, string>,
  resolved: ReadonlyMap<string, string>,
  howtoOf?: (symbol: string) => HowtoRef[] | undefined,
): { kept: string[]; changes: SymbolChange[] } {
  const kept: string[] = [];
  const changes: SymbolChange[] = [];
  for (const [symbol, want] of requested) {
    const got = resolved.get(symbol);
    if (sameValue(want, got)) {
      kept.push(symbol);
      continue;
    }
    const howto = howtoOf?.(symbol);
    changes.push({
      symbol,
      requested: want,
      resolved: got,
      kind: want !== 'n' && (readAsKconfig(got) === undefined || got === 'n') ? 'dropped' : 'changed',
      ...(howto ? { howto } : {}),
      because: [],
    });
  }
  return { kept, changes };
}

function envFor(tree: KconfigTree, resolved: ReadonlyMap<string, string>): ExprEnv {
  return { values: resolved, isSymbol: (name) => tree.definitions.has(name) };
}

function need(requested: string, def: KconfigDefinition | undefined): Tristate {
  if (requested === 'm') return 1;
  if (requested === 'n') return 0;
  // A bool symbol whose dependencies are m is still visible as y (Kconfig promotes it).
  return def?.type === 'bool' || def?.type === undefined ? 1 : 2;
}

function inheritedFrom(block: KconfigDefinition['parents'][number]): string {
  if (block.kind === 'if') return `inside "if ${block.title}" (${block.file}:${block.line})`;
  return `inside ${block.kind} "${block.title}" (${block.file}:${block.line})`;
}

/** The unmet terms of one definition's dependencies, or an empty list when all are met. */
function unmetDependencies(def: KconfigDefinition, env: ExprEnv, needed: Tristate): string[] {
  const out: string[] = [];
  const check = (e: Expr, suffix: string) => {
    for (const term of andTerms(e)) {
      if (evalExpr(term, env) < needed) out.push(`depends on ${describeTerm(term, env)}${suffix}`);
    }
  };
  for (const block of def.parents) for (const c of block.conditions) check(c, ` (${inheritedFrom(block)})`);
  for (const d of def.dependsOn) check(d, '');
  return out;
}

/**
 * Explain, from the tree's Kconfig, why each change happened. Reasons name the unmet terms
 * with their resolved values, e.g. `XEN_PV: depends on X86_64 (X86_64=n)`.
 */
export function explainChanges(
  changes: readonly SymbolChange[],
  tree: KconfigTree,
  resolved: ReadonlyMap<string, string>,
): SymbolChange[] {
  const env = envFor(tree, resolved);
  return changes.map((change) => ({ ...change, because: explainSymbol(change, tree, env) }));
}

function explainSymbol(change: SymbolChange, tree: KconfigTree, env: ExprEnv): string[] {
  const { symbol, requested } = change;
  const defs = tree.definitions.get(symbol);
  if (!defs || defs.length === 0) {
    return [`${symbol}: not defined in this tree's Kconfig files (the option does not exist in this kernel)`];
  }
  const reasons: string[] = [];
  const resolvedTri = (env.values.get(symbol) ?? 'n') === 'y' ? 2 : env.values.get(symbol) === 'm' ? 1 : 0;

  if (requested !== 'n') {
    // Asked on (or a value): which definition could have shown a prompt?
    const needed = need(requested, defs[0]);
    const perDef = defs.map((def) => ({ def, unmet: unmetDependencies(def, env, needed) }));
    const reachable = perDef.filter((d) => d.unmet.length === 0);
    if (reachable.length === 0) {
      // Report the definition with the fewest unmet terms (usually there is only one).
      const best = perDef.reduce((a, b) => (b.unmet.length < a.unmet.length ? b : a));
      for (const u of best.unmet) reasons.push(`${symbol}: ${u}`);
      if (requested === 'y' && resolvedTri === 1)
        reasons.push(`${symbol}: limited to m by a dependency that is m`);
      return reasons;
    }
    const prompted = reachable.filter(({ def }) =>
      def.prompts.some((p) => !p.condition || evalExpr(p.condition, env) > 0),
    );
    if (prompted.length === 0) {
      const withPrompt = reachable.find(({ def }) => def.prompts.length > 0);
      if (withPrompt) {
        for (const p of withPrompt.def.prompts) {
          if (p.condition)
            reasons.push(`${symbol}: prompt "${p.text}" hidden: if ${describeTerm(p.condition, env)}`);
        }
      } else {
        const defaults = reachable
          .flatMap(({ def }) => def.defaults)
          .map((d) => formatExpr(d.value) + (d.condition ? ` if ${formatExpr(d.condition)}` : ''));
        reasons.push(
          `${symbol}: has no prompt, Kconfig computes it${defaults.length ? ` (default ${defaults.join(', ')})` : ''}`,
        );
      }
      return reasons;
    }
    // Visible: a choice may have picked another member.
    for (const { def } of prompted) {
      const choice = [...def.parents].reverse().find((b) => b.kind === 'choice');
      if (choice) {
        const chosen = (choice.members ?? []).filter((m) => m !== symbol && env.values.get(m) === 'y');
        if (chosen.length > 0)
          reasons.push(`${symbol}: choice "${choice.title}" has ${chosen.join(', ')} selected instead`);
      }
    }
    if (reasons.length === 0) {
      reasons.push(
        `${symbol}: dependencies met and prompt visible, but Kconfig resolved ${showValue(change.resolved, 'nothing')}; check the base configuration`,
      );
    }
    return reasons;
  }

  // Asked off, but something keeps it on.
  for (const s of selectorsOf(tree, symbol)) {
    if (env.values.get(s.by.symbol) === undefined || env.values.get(s.by.symbol) === 'n') continue;
    if (s.condition && evalExpr(s.condition, env) === 0) continue;
    const cond = s.condition ? ` if ${describeTerm(s.condition, env)}` : '';
    reasons.push(
      `${symbol}: ${s.imply ? 'implied' : 'selected'} by ${s.by.symbol} (${s.by.symbol}=${env.values.get(s.by.symbol) ?? 'n'})${cond}`,
    );
  }
  if (reasons.length === 0) {
    const visible = defs.some(
      (def) =>
        unmetDependencies(def, env, 1).length === 0 &&
        def.prompts.some((p) => !p.condition || evalExpr(p.condition, env) > 0),
    );
    reasons.push(
      visible
        ? `${symbol}: Kconfig kept ${showValue(change.resolved, '?')} although the prompt is visible; check the base configuration`
        : `${symbol}: has no prompt the user can set, Kconfig computes it`,
    );
  }
  return reasons;
}

export interface CheckOptions {
  /** Symbol → requested value, or a fragment. */
  requested: ReadonlyMap<string, string> | Fragment;
  /** The `.config` text Kconfig resolved. */
  resolvedConfig: string;
  /**
   * How to read the tree's Kconfig files; only used when something changed. Without it the
   * changes are listed with no explanation.
   */
  kconfig?: ReadKconfigOptions;
  /** A tree already read (for several checks against one source tree). */
  tree?: KconfigTree;
}

/** Compare, then (only if something differs) read the tree's Kconfig and explain. */
export async function checkConfig(options: CheckOptions): Promise<CheckResult> {
  const fragment = options.requested instanceof Map ? undefined : (options.requested as Fragment);
  const requested: ReadonlyMap<string, string> = fragment
    ? new Map(fragment.items.map((i) => [i.symbol, i.value]))
    : (options.requested as ReadonlyMap<string, string>);
  const resolved = configValues(parseConfig(options.resolvedConfig));
  const howtoOf = fragment ? (s: string) => fragment.items.find((i) => i.symbol === s)?.howto : undefined;
  const { kept, changes } = compareConfig(requested, resolved, howtoOf);
  if (changes.length === 0) return { requested: requested.size, kept, changes, warnings: [] };
  const only = new Set(changes.map((c) => c.symbol));
  const tree =
    options.tree ?? (options.kconfig ? await readKconfig({ ...options.kconfig, only }) : undefined);
  if (!tree) return { requested: requested.size, kept, changes, warnings: [] };
  return {
    requested: requested.size,
    kept,
    changes: explainChanges(changes, tree, resolved),
    warnings: tree.warnings,
  };
}

/** A resolved value for a message: an empty one is shown as `""`, never as nothing at all. */
function showValue(value: string | undefined, absent: string): string {
  return value === undefined ? absent : value === '' ? '""' : value;
}

/**
 * What became of a requested value, readable whatever the value: `dropped`, `dropped
 * (CONFIG_XEN= has no value, which Kconfig ignores)`, `became m`, `became ""`.
 */
export function describeOutcome(change: SymbolChange): string {
  if (change.kind === 'changed') return `became ${showValue(change.resolved, 'unset')}`;
  return change.resolved === ''
    ? `dropped (CONFIG_${change.symbol}= has no value, which Kconfig ignores)`
    : 'dropped';
}

/** One line per change: `XEN_PV requested y, got n: XEN_PV: depends on X86_64 (X86_64=n)`. */
export function formatChange(change: SymbolChange): string {
  const got = showValue(change.resolved, 'missing');
  const why = change.because.length > 0 ? `: ${change.because.join('; ')}` : '';
  return `CONFIG_${change.symbol} requested ${change.requested}, Kconfig ${change.kind === 'dropped' ? 'dropped it' : `made it ${got}`}${why}`;
}
