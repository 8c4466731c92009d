import { FormatInputError } from '@xen-gentoo/format-errors';
import { compareVersions, isValidPackageName, isValidVersion } from './version.js';

/** Version operators of a package dependency atom. */
export type AtomOperator = '<' | '<=' | '=' | '~' | '>=' | '>';

/** A package atom as written in /etc/portage/package.* files, e.g. `>=app-emulation/xen-4.19:0::gentoo[efi]`. */
export interface ParsedAtom {
  /** `!` (weak) or `!!` (strong) blocker prefix; only meaningful in dependencies. */
  blocker?: '!' | '!!';
  operator?: AtomOperator;
  category: string;
  name: string;
  /** Version including any `-rN`, present exactly when `operator` is. */
  version?: string;
  /** `=cat/pkg-1.2*`: match every version that starts with the given components. */
  versionGlob?: boolean;
  slot?: string;
  subSlot?: string;
  /** `:=` / `:*` slot operators (also `:0=`). */
  slotOperator?: '=' | '*';
  repo?: string;
  /** USE dependencies between `[` and `]`, as written. */
  useDeps?: string[];
  /** True when category or name contains a `*` wildcard (allowed in user configuration files). */
  wildcard: boolean;
}

/** Thrown by {@link parseAtom} for a string that is not a package atom. */
export class InvalidAtomError extends FormatInputError {
  readonly atom: string;
  constructor(atom: string, reason: string) {
    const problem = `${JSON.stringify(atom)} is not a package atom: ${reason}`;
    super(problem, { problem, expected: 'a package atom (category/name, with an optional version)' });
    this.atom = atom;
  }
}

const CATEGORY_RE = /^(?:[A-Za-z0-9_][A-Za-z0-9+_.-]*|[A-Za-z0-9+_.*-]*\*[A-Za-z0-9+_.*-]*)$/;
const NAME_WILDCARD_RE = /^[A-Za-z0-9+_*-]*\*[A-Za-z0-9+_*-]*$/;
const SLOT_RE = /^[A-Za-z0-9_][A-Za-z0-9+_.-]*$/;
const REPO_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const USE_DEP_RE =
  /^(?:!?[A-Za-z0-9][A-Za-z0-9+_@-]*(?:\([+-]\))?[=?]?|-[A-Za-z0-9][A-Za-z0-9+_@-]*(?:\([+-]\))?)$/;
const OPERATOR_RE = /^(<=|>=|<|>|=|~)/;

/** Parses a package atom; throws {@link InvalidAtomError} when it is not one. */
export function parseAtom(atom: string): ParsedAtom {
  let rest = atom;
  const fail = (reason: string): never => {
    throw new InvalidAtomError(atom, reason);
  };
  const result: ParsedAtom = { category: '', name: '', wildcard: false };

  if (rest.startsWith('!!')) {
    result.blocker = '!!';
    rest = rest.slice(2);
  } else if (rest.startsWith('!')) {
    result.blocker = '!';
    rest = rest.slice(1);
  }
  const op = OPERATOR_RE.exec(rest);
  if (op?.[1]) {
    result.operator = op[1] as AtomOperator;
    rest = rest.slice(op[1].length);
  }

  if (rest.endsWith(']')) {
    const open = rest.lastIndexOf('[');
    if (open < 0) fail('unbalanced "]"');
    const deps = rest.slice(open + 1, -1).split(',');
    if (deps.some((d) => !USE_DEP_RE.test(d))) fail('invalid USE dependency');
    result.useDeps = deps;
    rest = rest.slice(0, open);
  }
  const repoAt = rest.indexOf('::');
  if (repoAt >= 0) {
    const repo = rest.slice(repoAt + 2);
    if (!REPO_RE.test(repo)) fail('invalid repository name');
    result.repo = repo;
    rest = rest.slice(0, repoAt);
  }
  const slotAt = rest.indexOf(':');
  if (slotAt >= 0) {
    let slot = rest.slice(slotAt + 1);
    rest = rest.slice(0, slotAt);
    if (slot.endsWith('=') || slot === '*') {
      result.slotOperator = slot.endsWith('=') ? '=' : '*';
      slot = slot.slice(0, -1);
    }
    if (slot !== '') {
      const [main = '', sub, extra] = slot.split('/');
      if (!SLOT_RE.test(main) || (sub !== undefined && !SLOT_RE.test(sub)) || extra !== undefined) {
        fail('invalid slot');
      }
      result.slot = main;
      if (sub !== undefined) result.subSlot = sub;
    } else if (result.slotOperator === undefined) {
      fail('empty slot');
    }
  }

  const slash = rest.indexOf('/');
  if (slash < 0 || rest.indexOf('/', slash + 1) >= 0)
    fail('expected exactly one "/" between category and name');
  result.category = rest.slice(0, slash);
  let pkg = rest.slice(slash + 1);
  if (!CATEGORY_RE.test(result.category)) fail('invalid category');

  if (result.operator) {
    if (result.operator === '=' && pkg.endsWith('*')) {
      result.versionGlob = true;
      pkg = pkg.slice(0, -1);
    }
    const split = splitNameVersion(pkg);
    if (!split) fail(`operator ${result.operator} needs a version ("name-1.2.3")`);
    else {
      result.name = split.name;
      result.version = split.version;
    }
  } else {
    result.name = pkg;
  }

  if (result.name.includes('*') || result.category.includes('*')) {
    if (!NAME_WILDCARD_RE.test(result.name) && !isValidPackageName(result.name)) fail('invalid package name');
    result.wildcard = true;
  } else if (!isValidPackageName(result.name)) {
    fail(
      result.operator
        ? 'invalid package name'
        : 'invalid package name (a version needs an operator such as "=" or ">=")',
    );
  }
  return result;
}

/** Like {@link parseAtom} but returns undefined instead of throwing. */
export function tryParseAtom(atom: string): ParsedAtom | undefined {
  try {
    return parseAtom(atom);
  } catch (e) {
    if (e instanceof InvalidAtomError) return undefined;
    throw e;
  }
}

function splitNameVersion(pkg: string): { name: string; version: string } | undefined {
  for (let i = pkg.indexOf('-'); i > 0; i = pkg.indexOf('-', i + 1)) {
    const version = pkg.slice(i + 1);
    if (isValidVersion(version)) return { name: pkg.slice(0, i), version };
  }
  return undefined;
}

function globMatches(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(value);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when `version` starts with the components of `prefix` (the `=cat/pkg-1.2*` rule: 1.2* matches 1.2.3, not 1.20). */
function versionGlobMatches(prefix: string, version: string): boolean {
  if (!version.startsWith(prefix)) return false;
  const next = version.charAt(prefix.length);
  return next === '' || !/[0-9]/.test(next);
}

/**
 * True when the atom selects `category/name-version`. Only category, name and version are known here,
 * so slot, repository and USE constraints are not checked, and a blocker prefix is ignored.
 * Throws {@link InvalidAtomError} for an invalid atom and RangeError for an invalid version.
 */
export function atomMatches(atom: string, category: string, name: string, version: string): boolean {
  const a = parseAtom(atom);
  if (!globMatches(a.category, category) || !globMatches(a.name, name)) return false;
  if (!isValidVersion(version))
    throw new RangeError(`not a valid package version: ${JSON.stringify(version)}`);
  if (!a.operator || a.version === undefined) return true;
  if (a.versionGlob) return versionGlobMatches(a.version, version);
  const c = compareVersions(version, a.version);
  switch (a.operator) {
    case '=':
      return c === 0;
    case '~':
      return compareVersions(withoutRevision(version), withoutRevision(a.version)) === 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

function withoutRevision(v: string): string {
  return v.replace(/-r\d+$/, '');
}
