import type { MakeConfDocument, Statement, WordPart } from './document.js';
import { checkPortageCompat } from './check-portage-compat.js';
import { evaluateMakeConf } from './evaluate-make-conf.js';
import type { PortageReadOptions } from './portage-reader.js';
import { parseMakeConf } from './parse-make-conf.js';
import { renderMakeConf } from './render-make-conf.js';
import {
  appendWordSplice,
  applySplices,
  assignmentsOf,
  removeWordSplice,
  valueWords,
  type Splice,
  type ValueWord,
} from './value-words.js';

/** One change to make.conf. Every edit is idempotent: applying it to its own result changes nothing. */
export type MakeConfEdit =
  /**
   * Make `token` one of the words of `variable` (e.g. USE nptlonly, FEATURES buildpkg). Nothing happens
   * when the value already has it. A negated `-token` is removed first. The word goes at the end of the
   * last assignment; without one, a new line is added: `FEATURES="${FEATURES} buildpkg"` for FEATURES
   * (the HOWTO's form, which keeps the profile's features), `VAR="token"` for anything else.
   */
  | { op: 'add-token'; variable: string; token: string }
  /** Remove every `token` word from the assignments of `variable`. */
  | { op: 'remove-token'; variable: string; token: string }
  /** Give `flag` to the C and C++ compilers once; see {@link planMakeConfEdits} for where it goes. */
  | { op: 'add-cflag'; flag: string }
  /** Replace the word `from` by `to` wherever CFLAGS or CXXFLAGS get it (COMMON_FLAGS, CFLAGS, CXXFLAGS ...). */
  | { op: 'replace-cflag'; from: string; to: string }
  /**
   * `variable=value`: the last assignment gets the new value, or a new line is added. The value is
   * written literally (quoted with double quotes when needed); `${VAR}` stays a reference.
   */
  | { op: 'set'; variable: string; value: string };

/** Words the tool may write into a value: no blanks, quotes, `$`, backslashes or backticks. */
const SAFE_WORD_RE = /^[^\s"'`$\\#]+$/;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A value that bash and Portage read the same without quotes. */
const BARE_SAFE_RE = /^(?:[A-Za-z0-9_./:@%+,-]|\$\{[A-Za-z_][A-Za-z0-9_]*\})+$/;
/** A value that bash and Portage read the same inside double quotes. */
const DOUBLE_SAFE_RE =
  /^(?:[^"\\`$']|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_]))*$/;

/**
 * Plans edits of a make.conf: returns the new text and human-readable notes. Lines the edits do not
 * need stay byte-identical, and the forms Portage rejects (`+=`, `$(...)`, `${X:-y}` ...) are never
 * written. Each edit is checked after it is made by reading the result as Portage would; an edit that
 * cannot be made in place falls back to a new line at the end, `VAR="${VAR} word"`, which works
 * whatever came before it.
 *
 * Where `add-cflag` puts the flag (the COMMON_FLAGS rule): the flag must reach the C and the C++
 * compiler, once each.
 * 1. When CFLAGS and CXXFLAGS both already have it, nothing changes; when only one lacks it, that
 *    one gets it.
 * 2. When both take their value from the same variable, that variable gets it, once: COMMON_FLAGS in
 *    today's stage3 file (`CFLAGS="${COMMON_FLAGS}"`, `CXXFLAGS="${COMMON_FLAGS}"`), CFLAGS in 2007
 *    files (`CXXFLAGS="${CFLAGS}"`). When several qualify, the one nearest to CFLAGS wins (CFLAGS
 *    over a COMMON_FLAGS it expands).
 * 3. Otherwise CFLAGS and CXXFLAGS each get it.
 * FCFLAGS and FFLAGS are never edited directly. If they expand COMMON_FLAGS they inherit the flag,
 * which is harmless: gfortran is the same gcc back end and takes the same x86 `-m` options.
 * A variable the file does not set gets a new line that keeps the profile's value:
 * `CFLAGS="${CFLAGS} -flag"`, placed before the first line that expands it (so a
 * `CXXFLAGS="${CFLAGS}"` sees it).
 *
 * `context` is what Portage knows around this file: `initial`, the variables of the make.conf files
 * read before it (a variable set there keeps its value through `NAME="${NAME} word"`), and
 * `sources`, the files its `source` lines name, which are read (never edited) to know the values.
 */
export function planMakeConfEdits(
  doc: MakeConfDocument,
  edits: MakeConfEdit[],
  context: PortageReadOptions = {},
): { text: string; notes: string[] } {
  let current: MakeConfDocument = { ...doc };
  contexts.set(current, context);
  const notes: string[] = [];
  for (const edit of edits) {
    const text = applyEdit(current, edit, notes);
    if (text !== renderMakeConf(current)) current = reparse(current, text);
  }
  return { text: renderMakeConf(current), notes };
}

/** The context of each document being planned (documents derived by an edit inherit it). */
const contexts = new WeakMap<MakeConfDocument, PortageReadOptions>();

function contextOf(doc: MakeConfDocument): PortageReadOptions {
  return contexts.get(doc) ?? {};
}

/** Every variable as Portage sees it after this file: the file's own, else the earlier files'. */
function evaluate(doc: MakeConfDocument): Map<string, string> {
  const { initial, sources } = contextOf(doc);
  const own = evaluateMakeConf(doc, initial, sources);
  return new Map([...Object.entries(initial ?? {}), ...own]);
}

function applyEdit(doc: MakeConfDocument, edit: MakeConfEdit, notes: string[]): string {
  switch (edit.op) {
    case 'add-token':
      checkName(edit.variable);
      checkWord(edit.token);
      return addToken(doc, edit.variable, edit.token, notes);
    case 'remove-token':
      checkName(edit.variable);
      checkWord(edit.token);
      return removeToken(doc, edit.variable, edit.token, notes);
    case 'add-cflag':
      checkWord(edit.flag);
      return addCflag(doc, edit.flag, notes);
    case 'replace-cflag':
      checkWord(edit.from);
      checkWord(edit.to);
      return replaceCflag(doc, edit.from, edit.to, notes);
    case 'set':
      checkName(edit.variable);
      return setVariable(doc, edit.variable, edit.value, notes);
  }
}

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new RangeError(`not a variable name: ${JSON.stringify(name)}`);
}

function checkWord(word: string): void {
  if (!SAFE_WORD_RE.test(word)) {
    throw new RangeError(
      `cannot write ${JSON.stringify(word)} as a make.conf word (no blanks, quotes, $, \\, \` or #)`,
    );
  }
}

function words(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/\s+/).filter((w) => w !== '');
}

/** Whether the last mention of `token`, `-token` or `-*` in the value enables or disables it. */
function tokenState(value: string | undefined, token: string): 'present' | 'negated' | 'absent' {
  let state: 'present' | 'negated' | 'absent' = 'absent';
  const negatable = !token.startsWith('-');
  for (const w of words(value)) {
    if (w === token) state = 'present';
    else if (negatable && w === `-${token}`) state = 'negated';
    else if (negatable && w === '-*') state = 'absent';
  }
  return state;
}

function valueOf(doc: MakeConfDocument, name: string): string | undefined {
  return evaluate(doc).get(name);
}

function reparse(doc: MakeConfDocument, text: string): MakeConfDocument {
  const next = parseMakeConf(text, doc.file);
  contexts.set(next, contextOf(doc));
  return next;
}

/** The line ending the file uses: CRLF only when every line ends that way. */
function lineEnding(text: string): string {
  const lf = (text.match(/\n/g) ?? []).length;
  const crlf = (text.match(/\r\n/g) ?? []).length;
  return lf > 0 && lf === crlf ? '\r\n' : '\n';
}

function referencesVariable(parts: readonly WordPart[], name: string): boolean {
  return parts.some(
    (p) =>
      (p.kind === 'param' && p.name === name) || (p.kind === 'double' && referencesVariable(p.parts, name)),
  );
}

function statementReferences(st: Statement, name: string): boolean {
  if (st.kind === 'assignment') return st.assignments.some((a) => referencesVariable(a.value.parts, name));
  if (st.kind === 'source') return st.args.some((w) => referencesVariable(w.parts, name));
  return false;
}

/**
 * Adds `NAME=...` as a new line at the end of the file, or with `beforeFirstUse` (used for the C
 * flags only), before the first line that expands NAME when NAME is not assigned yet, so that line
 * sees it (`CXXFLAGS="${CFLAGS}"`).
 */
function insertLine(
  doc: MakeConfDocument,
  name: string,
  line: string,
  notes: string[],
  beforeFirstUse = false,
): string {
  const text = renderMakeConf(doc);
  const eol = lineEnding(text);
  if (beforeFirstUse && assignmentsOf(doc, name).length === 0) {
    const user = doc.statements.find((st) => statementReferences(st, name));
    if (user) {
      notes.push(`${doc.file}: added ${line} before line ${user.line}, which expands ${name}`);
      return applySplices(text, [{ start: user.start, end: user.start, text: line + eol }]);
    }
  }
  notes.push(`${doc.file}: added ${line} at the end`);
  const sep = text === '' || text.endsWith('\n') ? '' : eol;
  return `${text}${sep}${line}${eol}`;
}

/** Appends `word` to the last assignment of `name` in place, or returns undefined. */
function appendInPlace(
  doc: MakeConfDocument,
  name: string,
  word: string,
  notes: string[],
): string | undefined {
  const last = assignmentsOf(doc, name).at(-1);
  if (!last) return undefined;
  const found = appendWordSplice(doc, last.assignment, word);
  if (!found) return undefined;
  const text = renderMakeConf(doc);
  const splice = { ...found, start: beforeCrlfTail(text, found.start), end: beforeCrlfTail(text, found.end) };
  notes.push(`${doc.file}:${last.assignment.line}: added ${word} to ${name}`);
  return applySplices(text, [splice]);
}

/**
 * appendWordSplice steps back over blanks and `\`+LF continuations to put the word after the
 * value's last word, but stops at the CR of a CRLF line: the word would land between CR and LF
 * (`b \<CR> word<LF>`), giving the file an LF-only line and Portage, for which CR is a newline,
 * a different value. Continue the walk back over CRLF line ends and `\`+CRLF continuations.
 */
function beforeCrlfTail(text: string, pos: number): number {
  if (text.charAt(pos - 1) !== '\r' || text.charAt(pos) !== '\n') return pos;
  let p = pos;
  for (;;) {
    const c = text.charAt(p - 1);
    if (c === ' ' || c === '\t' || c === '\n') p--;
    else if (c === '\r') {
      p--;
      // An odd run of backslashes before the line end escapes it (a continuation): skip one.
      let n = 0;
      for (let i = p - 1; i >= 0 && text.charAt(i) === '\\'; i--) n++;
      if (n % 2 === 1) p--;
    } else break;
  }
  return p;
}

/** Whether Portage reads the whole file, so an edit can be checked by reading the result. */
function portageReadsAll(doc: MakeConfDocument): boolean {
  return checkPortageCompat(doc, contextOf(doc)).every((i) => i.severity !== 'error');
}

/**
 * Gives `name` the word: in place at its last assignment; else, when `name` is not assigned, as
 * `newLine`; else as `NAME="${NAME} word"` at the end. The result is read back as Portage would and
 * must satisfy `done`; if the in-place edit did not take (a later line overrides it, say), the
 * `NAME="${NAME} word"` line at the end is used instead. Returns undefined when neither works.
 * A file Portage cannot read cannot be checked that way, and gets the first attempt unchecked.
 */
function addWord(
  doc: MakeConfDocument,
  name: string,
  word: string,
  newLine: string,
  notes: string[],
  done: (d: MakeConfDocument) => boolean,
  beforeFirstUse = false,
): string | undefined {
  const appendLine = `${name}="\${${name}} ${word}"`;
  const local: string[] = [];
  const assigned = isAssigned(doc, name);
  const first =
    appendInPlace(doc, name, word, local) ??
    (assigned
      ? insertLine(doc, name, appendLine, local)
      : insertLine(doc, name, newLine, local, beforeFirstUse));
  if (!portageReadsAll(doc) || done(reparse(doc, first))) {
    notes.push(...local);
    return first;
  }
  const fallbackNotes: string[] = [];
  const fallback = insertLine(doc, name, appendLine, fallbackNotes);
  if (!done(reparse(doc, fallback))) return undefined;
  notes.push(...fallbackNotes);
  return fallback;
}

function failed(doc: MakeConfDocument, what: string): never {
  throw new Error(`${doc.file}: could not ${what}; the file was left alone`);
}

function addToken(doc: MakeConfDocument, name: string, token: string, notes: string[]): string {
  const state = tokenState(valueOf(doc, name), token);
  if (state === 'present') {
    notes.push(`${doc.file}: ${name} already has ${token}`);
    return renderMakeConf(doc);
  }
  let current = doc;
  if (state === 'negated') {
    current = reparse(doc, removeWords(doc, name, `-${token}`, notes));
    if (tokenState(valueOf(current, name), token) === 'present') return renderMakeConf(current);
  }
  // FEATURES keeps the profile's value only by expanding it; a variable an earlier make.conf sets
  // would be overwritten by a plain assignment.
  const keep = name === 'FEATURES' || contextOf(doc).initial?.[name] !== undefined;
  const newLine = keep ? `${name}="\${${name}} ${token}"` : `${name}="${token}"`;
  const done = (d: MakeConfDocument): boolean => tokenState(valueOf(d, name), token) === 'present';
  return addWord(current, name, token, newLine, notes, done) ?? failed(doc, `add ${token} to ${name}`);
}

/** Removes every `word` from the assignments of `name`. */
function removeWords(doc: MakeConfDocument, name: string, word: string, notes: string[]): string {
  const splices: Splice[] = [];
  for (const { assignment } of assignmentsOf(doc, name)) {
    for (const w of valueWords(doc, assignment)) {
      if (w.raw !== word) continue;
      splices.push(removeWordSplice(doc, w));
      notes.push(`${doc.file}:${assignment.line}: removed ${word} from ${name}`);
    }
  }
  return applySplices(renderMakeConf(doc), splices);
}

function removeToken(doc: MakeConfDocument, name: string, token: string, notes: string[]): string {
  const local: string[] = [];
  const text = removeWords(doc, name, token, local);
  if (local.length === 0) notes.push(`${doc.file}: ${name} has no word ${token} to remove`);
  notes.push(...local);
  if (tokenState(valueOf(reparse(doc, text), name), token) === 'present') {
    notes.push(`${doc.file}: ${name} still gets ${token} from a variable it expands; remove it there`);
  }
  return text;
}

/** For each variable, the variables its value is built from (directly or through others). */
function dependencies(doc: MakeConfDocument): Map<string, Set<string>> {
  const deps = new Map<string, Set<string>>();
  const refs = (parts: readonly WordPart[], out: Set<string>): void => {
    for (const p of parts) {
      if (p.kind === 'param') {
        out.add(p.name);
        for (const d of deps.get(p.name) ?? []) out.add(d);
      } else if (p.kind === 'double') refs(p.parts, out);
    }
  };
  for (const st of doc.statements) {
    if (st.kind !== 'assignment') continue;
    for (const a of st.assignments) {
      const set = new Set<string>();
      refs(a.value.parts, set);
      if (a.operator === '+=') for (const d of deps.get(a.name) ?? [a.name]) set.add(d);
      deps.set(a.name, set);
    }
  }
  return deps;
}

function isAssigned(doc: MakeConfDocument, name: string): boolean {
  return assignmentsOf(doc, name).length > 0;
}

function addCflag(doc: MakeConfDocument, flag: string, notes: string[]): string {
  const has = (d: MakeConfDocument, v: string): boolean => words(valueOf(d, v)).includes(flag);
  const cflagsHas = has(doc, 'CFLAGS');
  const cxxflagsHas = has(doc, 'CXXFLAGS');
  if (cflagsHas && cxxflagsHas) {
    notes.push(`${doc.file}: CFLAGS and CXXFLAGS already have ${flag}`);
    return renderMakeConf(doc);
  }
  const newLine = (v: string): string => `${v}="\${${v}} ${flag}"`;
  const bothHave = (d: MakeConfDocument): boolean => has(d, 'CFLAGS') && has(d, 'CXXFLAGS');
  const addTo = (
    d: MakeConfDocument,
    v: string,
    check: (x: MakeConfDocument) => boolean,
  ): string | undefined => addWord(d, v, flag, newLine(v), notes, check, true);

  let planned: string | undefined;
  if (cflagsHas !== cxxflagsHas) {
    planned = addTo(doc, cflagsHas ? 'CXXFLAGS' : 'CFLAGS', bothHave);
  } else {
    const deps = dependencies(doc);
    const feeds = (v: string): Set<string> => new Set([v, ...(deps.get(v) ?? [])]);
    const fromCxx = feeds('CXXFLAGS');
    const shared = [...feeds('CFLAGS')].filter(
      (v) => fromCxx.has(v) && (v === 'CFLAGS' || v === 'CXXFLAGS' || isAssigned(doc, v)),
    );
    const nearest = shared.filter((v) => !shared.some((o) => o !== v && (deps.get(o)?.has(v) ?? false)));
    const target = nearest.includes('CFLAGS') ? 'CFLAGS' : [...nearest].sort()[0];
    if (target !== undefined) {
      notes.push(
        `${doc.file}: CFLAGS and CXXFLAGS both take their value from ${target}, so ${flag} goes there once`,
      );
      planned = addTo(doc, target, bothHave);
    } else {
      const withC = addTo(doc, 'CFLAGS', (d) => has(d, 'CFLAGS'));
      const docC = withC === undefined ? undefined : reparse(doc, withC);
      planned = docC && (has(docC, 'CXXFLAGS') ? withC : addTo(docC, 'CXXFLAGS', bothHave));
    }
  }
  if (planned !== undefined && (!portageReadsAll(doc) || bothHave(reparse(doc, planned)))) return planned;

  // Unusual layouts (a variable expanded before it is assigned, say): append to whichever lacks it.
  let current = doc;
  for (const v of ['CFLAGS', 'CXXFLAGS']) {
    if (has(current, v)) continue;
    current = reparse(current, insertLine(current, v, newLine(v), notes));
  }
  if (!bothHave(current)) failed(doc, `add ${flag} to CFLAGS and CXXFLAGS`);
  return renderMakeConf(current);
}

function replaceCflag(doc: MakeConfDocument, from: string, to: string, notes: string[]): string {
  const deps = dependencies(doc);
  const vars = new Set([
    'CFLAGS',
    'CXXFLAGS',
    ...(deps.get('CFLAGS') ?? []),
    ...(deps.get('CXXFLAGS') ?? []),
  ]);
  const text = renderMakeConf(doc);
  const readable = portageReadsAll(doc);
  // A word is edited only when the compiler sees it: changing it must change the final CFLAGS or
  // CXXFLAGS. An -Os in a variable that is assigned after the C flags expand it, or in a CFLAGS
  // line a later one overrides, is left as written (editing it would change nothing, and would
  // make the edit depend on lines that do not matter).
  const probe = `${from}-xen-gentoo-probe`;
  const reachesCompiler = (w: ValueWord): boolean => {
    const vs = evaluate(reparse(doc, applySplices(text, [{ start: w.start, end: w.end, text: probe }])));
    return words(vs.get('CFLAGS')).includes(probe) || words(vs.get('CXXFLAGS')).includes(probe);
  };
  const lastUse = Math.max(
    ...['CFLAGS', 'CXXFLAGS'].map((v) => assignmentsOf(doc, v).at(-1)?.assignment.start ?? -1),
  );
  const splices: Splice[] = [];
  for (const name of [...vars].sort()) {
    for (const { assignment } of assignmentsOf(doc, name)) {
      // In a file Portage cannot read to the end, fall back to position: variables the C flags
      // expand count where they are assigned before the C flags' last assignment.
      if (!readable && name !== 'CFLAGS' && name !== 'CXXFLAGS' && assignment.start > lastUse) continue;
      const ws = valueWords(doc, assignment);
      const hasTo = ws.some((w) => w.raw === to);
      for (const w of ws) {
        if (w.raw !== from || (readable && !reachesCompiler(w))) continue;
        splices.push(hasTo ? removeWordSplice(doc, w) : { start: w.start, end: w.end, text: to });
        notes.push(
          `${doc.file}:${assignment.line}: ${name}: ${hasTo ? `removed ${from} (${to} is there)` : `${from} -> ${to}`}`,
        );
      }
    }
  }
  if (splices.length === 0) notes.push(`${doc.file}: no ${from} in the C compiler flags`);
  return applySplices(text, splices);
}

/** How `value` is written: bare when bash and Portage both read it unquoted, else in double quotes. */
function quoteValue(value: string): string {
  if (BARE_SAFE_RE.test(value)) return value;
  if (!DOUBLE_SAFE_RE.test(value) || value.includes('\n')) {
    throw new RangeError(
      `cannot write ${JSON.stringify(value)} as a make.conf value (no quotes, backslashes, backticks, newlines, or $ other than \${VAR})`,
    );
  }
  return `"${value}"`;
}

/** A value as written, reduced to what it means: quotes removed, `$X` and `${X}` both `${X}`. */
function canonical(parts: readonly WordPart[]): string | undefined {
  let out = '';
  for (const p of parts) {
    if (p.kind === 'literal' || p.kind === 'single') {
      if (p.text.includes('$')) return undefined;
      out += p.text;
    } else if (p.kind === 'param') out += `\${${p.name}}`;
    else if (p.kind === 'double') {
      const inner = canonical(p.parts);
      if (inner === undefined) return undefined;
      out += inner;
    } else return undefined;
  }
  return out;
}

function setVariable(doc: MakeConfDocument, name: string, value: string, notes: string[]): string {
  const written = quoteValue(value);
  const wanted = canonical(
    parseMakeConf(`${name}=${written}\n`, doc.file).statements.flatMap((s) =>
      s.kind === 'assignment' ? s.assignments.map((a) => a.value.parts) : [],
    )[0] ?? [],
  );
  // What Portage must end up with: the value a line at the very end would give (nothing after it
  // can override it). Any other edit is checked against it, so a later line or a sourced file
  // that sets the variable again is never missed.
  const line = `${name}=${written}`;
  const target = valueOf(reparse(doc, insertLine(doc, name, line, [])), name);
  const works = (text: string): boolean => valueOf(reparse(doc, text), name) === target;
  const last = assignmentsOf(doc, name).at(-1);
  if (last) {
    if (canonical(last.assignment.value.parts) === wanted && valueOf(doc, name) === target) {
      notes.push(`${doc.file}: ${name} is already ${value}`);
      return renderMakeConf(doc);
    }
    if (last.assignment.operator === '=') {
      const { start, end } = last.assignment.value;
      const inPlace = applySplices(renderMakeConf(doc), [{ start, end, text: written }]);
      if (inPlace !== renderMakeConf(doc) && works(inPlace)) {
        notes.push(`${doc.file}:${last.assignment.line}: set ${name}=${written}`);
        return inPlace;
      }
    }
  } else if (valueOf(doc, name) === target) {
    notes.push(`${doc.file}: ${name} is already ${value} (set before this file)`);
    return renderMakeConf(doc);
  }
  return insertLine(doc, name, line, notes);
}
