export { ExpansionLimitError, MakeConfParseError, type MakeConfIssue } from './errors.js';
export { compareVersions, isValidVersion, isValidPackageName, splitPackageVersion } from './version.js';
export {
  parseAtom,
  tryParseAtom,
  atomMatches,
  InvalidAtomError,
  type ParsedAtom,
  type AtomOperator,
} from './atom.js';
export type * from './document.js';
export { parseMakeConf } from './parse-make-conf.js';
export { renderMakeConf } from './render-make-conf.js';
export { evaluateMakeConf, listSources } from './evaluate-make-conf.js';
export { checkPortageCompat } from './check-portage-compat.js';
export {
  portageText,
  type PortageReadOptions,
  type PortageSource,
  type SourcedFiles,
  type UnreadableSource,
} from './portage-reader.js';
export { planMakeConfEdits, type MakeConfEdit } from './plan-make-conf-edits.js';
export { editMakeConf } from './edit-make-conf.js';
export { parsePackageFile, type PackageFileEntry } from './package-file.js';
export { planPackageEntry, type PackageConfigFiles } from './plan-package-entry.js';
