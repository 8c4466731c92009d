import type { MakeConfDocument } from './document.js';
import {
  readLikePortage,
  type PortageReadOptions,
  type PortageSource,
  type SourcedFiles,
} from './portage-reader.js';
import { renderMakeConf } from './render-make-conf.js';

/**
 * The variables the file assigns, as Portage would read them: its shell-like tokenizer (quotes,
 * comments, backslash-newline), later assignments win, `$VAR`/`${VAR}` expanded from earlier
 * assignments or from `initial` (for example the profile's values, so `FEATURES="${FEATURES} buildpkg"`
 * can be resolved). `$` is expanded inside single quotes too, as Portage does.
 *
 * Only variables assigned in this file (and the files it sources) are returned, not the `initial`
 * ones. `source` lines are followed into the files of `sources` and only recorded otherwise; see
 * {@link listSources}. Where Portage would stop with an error, the variables read
 * up to that point are returned; `checkPortageCompat` reports the error.
 */
export function evaluateMakeConf(
  doc: MakeConfDocument,
  initial?: Readonly<Record<string, string>>,
  sources?: SourcedFiles,
): Map<string, string> {
  return readLikePortage(renderMakeConf(doc), doc.file, { initial, sources }).vars;
}

/**
 * The `source` lines Portage would follow, in order (nested ones too, when `options.sources` has
 * the files). `path` is expanded with the variables assigned before it and joined to the directory of
 * the file with the line when relative, like Portage does; `written` is the name as written.
 * `. file` lines are not included: Portage does not read them (see checkPortageCompat).
 */
export function listSources(doc: MakeConfDocument, options: PortageReadOptions = {}): PortageSource[] {
  return readLikePortage(renderMakeConf(doc), doc.file, options).sources;
}
