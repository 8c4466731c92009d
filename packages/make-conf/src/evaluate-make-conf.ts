import type { MakeConfDocument } from './document.js';
import { readLikePortage } from './portage-reader.js';
import { renderMakeConf } from './render-make-conf.js';

/**
 * The variables the file assigns, as Portage would read them: its shell-like tokenizer (quotes,
 * comments, backslash-newline), later assignments win, `$VAR`/`${VAR}` expanded from earlier
 * assignments or from `initial` (for example the profile's values, so `FEATURES="${FEATURES} buildpkg"`
 * can be resolved). `$` is expanded inside single quotes too, as Portage does.
 *
 * Only variables assigned in this file are returned (not the `initial` ones). `source` lines are
 * not followed; see {@link listSources}. Where Portage would stop with an error, the variables read
 * up to that point are returned; `checkPortageCompat` reports the error.
 */
export function evaluateMakeConf(
  doc: MakeConfDocument,
  initial?: Record<string, string>,
): Map<string, string> {
  return readLikePortage(renderMakeConf(doc), doc.file, initial).vars;
}

/**
 * The `source` lines Portage would follow, in order. `path` is expanded with the variables assigned
 * before it and joined to the file's directory when relative, like Portage does; `written` is the
 * name as written. `. file` lines are not included: Portage does not read them (see checkPortageCompat).
 */
export function listSources(doc: MakeConfDocument): { line: number; path: string; written: string }[] {
  return readLikePortage(renderMakeConf(doc), doc.file).sources;
}
