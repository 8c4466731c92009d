/**
 * Package versions as defined by the Package Manager Specification (PMS, "Version Comparison"),
 * which is not semver: `1.0_alpha1 < 1.0_beta < 1.0_pre < 1.0_rc1 < 1.0 < 1.0_p1`, `1.0 < 1.0a`,
 * numeric components after the first that start with `0` compare as decimal fractions
 * (`1.01 < 1.1`, `1.020 == 1.02`), and `-rN` revisions compare last.
 */

const VERSION_RE = /^(\d+)((?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|p)\d*)*)(?:-r(\d+))?$/;
const SUFFIX_RE = /_(alpha|beta|pre|rc|p)(\d*)/g;
const SUFFIX_ORDER: Readonly<Record<string, number>> = { alpha: 0, beta: 1, pre: 2, rc: 3, p: 5 };
/** Rank of "no further suffix", between `_rc` and `_p`. */
const NO_SUFFIX = 4;

interface ParsedVersion {
  numbers: string[];
  letter: string;
  suffixes: { rank: number; number: string }[];
  revision: string;
}

function parseVersion(v: string): ParsedVersion | undefined {
  const m = VERSION_RE.exec(v);
  if (!m) return undefined;
  const [, first = '', rest = '', letter = '', suffixText = '', revision = '0'] = m;
  const numbers = [first, ...rest.split('.').slice(1)];
  const suffixes: ParsedVersion['suffixes'] = [];
  for (const s of suffixText.matchAll(SUFFIX_RE)) {
    suffixes.push({ rank: SUFFIX_ORDER[s[1] ?? ''] ?? NO_SUFFIX, number: s[2] ?? '' });
  }
  return { numbers, letter, suffixes, revision };
}

/** True when `v` is a PMS version such as `4.1.2_p20070219-r1` (the `-rN` part is optional). */
export function isValidVersion(v: string): boolean {
  return VERSION_RE.test(v);
}

/** Compares two unsigned decimal integers of any length. */
function compareIntegers(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** PMS algorithm 3.3: a component with a leading zero is compared as a string without trailing zeros. */
function compareComponent(a: string, b: string): number {
  if (a.startsWith('0') || b.startsWith('0')) {
    return compareStrings(a.replace(/0+$/, ''), b.replace(/0+$/, ''));
  }
  return compareIntegers(a, b);
}

/**
 * Compares two PMS versions; negative when `a < b`, zero when equal (`1.0` equals `1.0-r0`), positive when `a > b`.
 * Throws a RangeError for a string that is not a valid version.
 */
export function compareVersions(a: string, b: string): number {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (!va) throw new RangeError(`not a valid package version: ${JSON.stringify(a)}`);
  if (!vb) throw new RangeError(`not a valid package version: ${JSON.stringify(b)}`);

  const first = compareIntegers(va.numbers[0] ?? '0', vb.numbers[0] ?? '0');
  if (first !== 0) return first;
  const common = Math.min(va.numbers.length, vb.numbers.length);
  for (let i = 1; i < common; i++) {
    const c = compareComponent(va.numbers[i] ?? '', vb.numbers[i] ?? '');
    if (c !== 0) return c;
  }
  if (va.numbers.length !== vb.numbers.length) return va.numbers.length < vb.numbers.length ? -1 : 1;

  const letter = compareStrings(va.letter, vb.letter);
  if (letter !== 0) return letter;

  const suffixCount = Math.max(va.suffixes.length, vb.suffixes.length);
  for (let i = 0; i < suffixCount; i++) {
    const sa = va.suffixes[i];
    const sb = vb.suffixes[i];
    const rankA = sa?.rank ?? NO_SUFFIX;
    const rankB = sb?.rank ?? NO_SUFFIX;
    if (rankA !== rankB) return rankA < rankB ? -1 : 1;
    const n = compareIntegers(sa?.number ?? '', sb?.number ?? '');
    if (n !== 0) return n;
  }

  return compareIntegers(va.revision, vb.revision);
}

const PACKAGE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9+_-]*$/;
const VERSION_TAIL_RE = /-(\d+(?:\.\d+)*[a-z]?(?:_(?:alpha|beta|pre|rc|p)\d*)*)(?:-r(\d+))?$/;

/** True for a PMS package name: no leading hyphen/plus, and not ending in `-<version>`. */
export function isValidPackageName(name: string): boolean {
  return PACKAGE_NAME_RE.test(name) && !VERSION_TAIL_RE.test(name);
}

/**
 * Splits a package-version string (Portage's PF, e.g. `gcc-4.1.2-r3`) into its name and version.
 * `version` keeps the revision (`4.1.2-r3`, Portage's PVR); `revision` is the `-rN` number (0 when absent).
 * Returns undefined when the string is not `<valid name>-<valid version>`.
 */
export function splitPackageVersion(
  pf: string,
): { name: string; version: string; revision: number } | undefined {
  for (let i = pf.indexOf('-'); i > 0; i = pf.indexOf('-', i + 1)) {
    const name = pf.slice(0, i);
    const version = pf.slice(i + 1);
    const parsed = parseVersion(version);
    if (parsed && isValidPackageName(name)) {
      return { name, version, revision: Number.parseInt(parsed.revision, 10) };
    }
  }
  return undefined;
}
