import { InvalidAtomError, parseAtom } from './atom.js';
import { MakeConfParseError } from './errors.js';

/** One line of a package.keywords / package.accept_keywords / package.use / package.mask file. */
export interface PackageFileEntry {
  atom: string;
  tokens: string[];
  line: number;
  file: string;
}

/**
 * Parses a package.* file the way Portage's grabdict does: blank lines and lines starting with `#`
 * are skipped, a word starting with `#` ends the line (trailing comment), words are split on
 * whitespace. Throws {@link MakeConfParseError} for a line whose first word is not a package atom
 * (`-atom` is accepted for package.mask-style removals).
 */
export function parsePackageFile(text: string, file: string): PackageFileEntry[] {
  const entries: PackageFileEntry[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const words: string[] = [];
    for (const w of rawLine.split(/\s+/)) {
      if (w === '') continue;
      if (w.startsWith('#')) break;
      words.push(w);
    }
    const [atom, ...tokens] = words;
    if (atom === undefined) return;
    try {
      parseAtom(atom.startsWith('-') ? atom.slice(1) : atom);
    } catch (e) {
      if (!(e instanceof InvalidAtomError)) throw e;
      throw new MakeConfParseError(
        file,
        index + 1,
        `${JSON.stringify(atom)} is not a package atom (${e.message.replace(/^.*?: /, '')})`,
        'a line "category/package [tokens...]", e.g. "app-emulation/xen ~amd64"',
      );
    }
    entries.push({ atom, tokens, line: index + 1, file });
  });
  return entries;
}
