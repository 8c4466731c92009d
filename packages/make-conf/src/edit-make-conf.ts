import { checkPortageCompat } from './check-portage-compat.js';
import { MakeConfParseError } from './errors.js';
import { parseMakeConf } from './parse-make-conf.js';
import { planMakeConfEdits, type MakeConfEdit } from './plan-make-conf-edits.js';

/**
 * Parses, checks and edits make.conf text in one go.
 *
 * Refuses (throws {@link MakeConfParseError}) when the file has any error-severity Portage issue,
 * not only on the lines the edits touch: Portage stops reading at the first such line, so nothing
 * after it can be known to mean what it says, and emerge fails on that file anyway. The error names
 * the first offending line. Warnings are passed on in `notes`, before the notes of the edits.
 */
export function editMakeConf(
  text: string,
  file: string,
  edits: MakeConfEdit[],
): { text: string; notes: string[] } {
  const doc = parseMakeConf(text, file);
  const issues = checkPortageCompat(doc);
  const error = issues.find((i) => i.severity === 'error');
  if (error)
    throw new MakeConfParseError(file, error.line, error.message, 'a line Portage can read (fix it first)');
  const planned = planMakeConfEdits(doc, edits);
  const warnings = issues.map((i) => `${i.file}:${i.line}: warning: ${i.message}`);
  return { text: planned.text, notes: [...warnings, ...planned.notes] };
}
