import { tryParseAtom, type ParsedAtom } from './atom.js';
import { parsePackageFile, type PackageFileEntry } from './package-file.js';

/**
 * A package.* configuration as found on disk: a single file, a directory of files (every regular
 * file in it, read by the caller, skipping hidden and `~` backup files as Portage does), or nothing.
 */
export interface PackageConfigFiles {
  path: string;
  kind: 'file' | 'directory' | 'missing';
  files: { path: string; content: string }[];
}

type FileKind = 'keywords' | 'mask' | 'tokens';

function fileKind(path: string): FileKind {
  const base = path.split('/').find((p) => p.startsWith('package.')) ?? path.split('/').at(-1) ?? '';
  if (/keywords$/.test(base)) return 'keywords';
  if (/\.(mask|unmask)$/.test(base)) return 'mask';
  return 'tokens';
}

/** Stand-in for "the default ~ARCH" that an atom with no keywords accepts. */
const DEFAULT_TESTING = '~ARCH';

function keywordsCover(have: Set<string>, want: string): boolean {
  if (have.has(want) || have.has('**')) return true;
  const wantTesting = want === DEFAULT_TESTING || want.startsWith('~');
  if (wantTesting && (have.has('~*') || have.has(DEFAULT_TESTING))) return true;
  if (want === DEFAULT_TESTING) return [...have].some((k) => k.startsWith('~'));
  return false;
}

function sameName(a: ParsedAtom, b: ParsedAtom): boolean {
  const glob = (pattern: string, value: string): boolean =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    ).test(value);
  return glob(a.category, b.category) && glob(a.name, b.name);
}

/** Whether an existing entry's atom stands for (at least) the wanted atom. */
function atomCovers(
  existing: ParsedAtom,
  existingText: string,
  wanted: ParsedAtom,
  wantedText: string,
): boolean {
  if (existing.blocker || !sameName(existing, wanted)) return false;
  if (wanted.version === undefined) return true;
  return (
    existing.version === undefined || existingText.replace(/::.*$/, '') === wantedText.replace(/::.*$/, '')
  );
}

/**
 * Plans one line for a package.* configuration so that `entry.atom` gets `entry.tokens`.
 *
 * Returns undefined when existing lines already give the atom every token. Atoms match by category
 * and name: an existing `app-emulation/xen ~amd64` or `=app-emulation/xen-4.19*` counts for a wanted
 * `app-emulation/xen`; a wanted versioned atom is only covered by an unversioned or identical one.
 * For keyword files (`package.keywords`, `package.accept_keywords`) no tokens means the default
 * `~arch`, which any `~keyword`, `~*` or `**` also gives. For package.use-style files, tokens are read
 * in order and a later `-flag` cancels an earlier `flag`. In package.mask/unmask only the atom counts.
 *
 * For a file the line is appended (keeping a final newline); a missing config becomes a new file at
 * `config.path`; a directory gets the line in `<dir>/<newFileName>`.
 */
export function planPackageEntry(
  config: PackageConfigFiles,
  entry: { atom: string; tokens?: string[] },
  newFileName: string,
): { path: string; before: string | null; after: string } | undefined {
  const wanted = tryParseAtom(entry.atom);
  if (!wanted) throw new RangeError(`not a package atom: ${JSON.stringify(entry.atom)}`);
  const tokens = entry.tokens ?? [];
  if (tokens.some((t) => !/^\S+$/.test(t) || t.startsWith('#'))) {
    throw new RangeError(`invalid tokens for ${entry.atom}: ${JSON.stringify(tokens)}`);
  }
  const kind = fileKind(config.kind === 'directory' ? `${config.path}/x` : config.path);

  const existing: PackageFileEntry[] = config.files.flatMap((f) => parsePackageFile(f.content, f.path));
  const matching = existing.filter((e) => {
    const a = tryParseAtom(e.atom);
    return a !== undefined && atomCovers(a, e.atom, wanted, entry.atom);
  });
  if (isCovered(kind, matching, tokens)) return undefined;

  const line = [entry.atom, ...tokens].join(' ');
  if (config.kind === 'missing') return { path: config.path, before: null, after: `${line}\n` };
  if (config.kind === 'file') {
    const before =
      config.files.find((f) => f.path === config.path)?.content ?? config.files[0]?.content ?? '';
    return { path: config.path, before, after: appendLine(before, line) };
  }
  if (
    newFileName === '' ||
    newFileName.includes('/') ||
    newFileName.startsWith('.') ||
    newFileName.endsWith('~')
  ) {
    throw new RangeError(
      `Portage would not read a file named ${JSON.stringify(newFileName)} in ${config.path}`,
    );
  }
  const path = `${config.path.replace(/\/+$/, '')}/${newFileName}`;
  const current = config.files.find((f) => f.path === path);
  return current
    ? { path, before: current.content, after: appendLine(current.content, line) }
    : { path, before: null, after: `${line}\n` };
}

function isCovered(kind: FileKind, matching: PackageFileEntry[], tokens: string[]): boolean {
  if (matching.length === 0) return false;
  if (kind === 'mask') return true;
  if (kind === 'keywords') {
    const wantedKeywords = tokens.length === 0 ? [DEFAULT_TESTING] : tokens;
    return matching.some((m) => {
      const have = new Set(m.tokens.length === 0 ? [DEFAULT_TESTING] : m.tokens);
      return wantedKeywords.every((k) => keywordsCover(have, k));
    });
  }
  const state = new Map<string, boolean>();
  for (const m of matching) {
    for (const t of m.tokens) {
      if (t.startsWith('-')) state.set(t.slice(1), false);
      else state.set(t, true);
    }
  }
  return tokens.every((t) => (t.startsWith('-') ? state.get(t.slice(1)) === false : state.get(t) === true));
}

function appendLine(content: string, line: string): string {
  if (content === '') return `${line}\n`;
  return `${content}${content.endsWith('\n') ? '' : '\n'}${line}\n`;
}
