import { tempPathFor } from './fs-util.js';

/**
 * Journal records are input: a journal lies in the target, which anyone with the disk image can
 * edit. Recovery and rollback act only on records of exactly the shape the engine writes; these
 * checks say what is wrong with any other line (undefined when the record is sound).
 */

const BACKUP_DIR = 'backups';
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HASH = /^[0-9a-f]{64}$/;

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;
const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isMode = (value: unknown): value is number => isId(value) && value <= 0o7777;
const isText = (value: unknown): value is string => typeof value === 'string' && !value.includes('\0');
const isTextList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isText);

/**
 * A path inside the target as the engine writes it: absolute, normalised (no empty, `.` or `..`
 * part, no trailing /), no NUL. `/../../tmp/x` is not one: it would name a file outside the root.
 */
export function isCleanTargetPath(value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.includes('\0')) return false;
  if (value === '/') return true;
  return value
    .slice(1)
    .split('/')
    .every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * The file name of a journaled backup (`backups/<name>`), or undefined for anything else: a
 * backup is only ever a plain name in the run's own backups directory, so a damaged journal can
 * never make rollback read a file elsewhere on the machine (`backups/../../../../etc/shadow`).
 */
export function backupName(backup: unknown): string | undefined {
  if (typeof backup !== 'string' || !backup.startsWith(`${BACKUP_DIR}/`)) return undefined;
  const name = backup.slice(BACKUP_DIR.length + 1);
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
    return undefined;
  return name;
}

function stateProblem(value: unknown, what: string): string | undefined {
  if (!isObject(value)) return `${what} is missing`;
  switch (value.kind) {
    case 'absent':
      return undefined;
    case 'file':
      if (typeof value.hash !== 'string' || !HASH.test(value.hash)) return `${what} has no SHA-256 hash`;
      return isMode(value.mode) ? undefined : `${what} has no valid mode`;
    case 'symlink':
      return isText(value.target) && value.target !== '' ? undefined : `${what} has no link target`;
    default:
      return `${what} is of no known kind`;
  }
}

/**
 * A temporary file the record announces: only ever the engine's own name beside the target
 * (`/etc/.make.conf.xen-gentoo-tmp` for `/etc/make.conf`), so recovery can never be told to
 * delete anything else.
 */
function tmpProblem(record: Fields): string | undefined {
  if (record.tmp === undefined) return undefined;
  if (!isCleanTargetPath(record.tmp) || record.tmp !== tempPathFor(record.target as string))
    return `its temporary file ${JSON.stringify(record.tmp)} is not the one the engine makes for ${String(record.target)}`;
  return undefined;
}

function writeProblem(record: Fields): string | undefined {
  if (!isCount(record.seq)) return 'a write record without a number';
  if (record.op !== 'file' && record.op !== 'symlink' && record.op !== 'remove')
    return 'a write record of no known kind';
  if (!isCleanTargetPath(record.path) || !isCleanTargetPath(record.target))
    return 'a write record without a clean absolute path';
  const target = record.target;
  const states =
    stateProblem(record.before, `the write record of ${target}: what it replaced`) ??
    stateProblem(record.after, `the write record of ${target}: what it wrote`);
  if (states) return `${states} (it does not say what it replaced)`;
  const before = record.before as Fields;
  const after = record.after as Fields;
  const expectedAfter = { file: 'file', symlink: 'symlink', remove: 'absent' }[record.op];
  if (after.kind !== expectedAfter) return `the write record of ${target} wrote what its kind does not`;
  if (record.op === 'remove' && before.kind === 'absent')
    return `the write record of ${target} removed nothing`;
  if ((record.uid !== undefined && !isId(record.uid)) || (record.gid !== undefined && !isId(record.gid)))
    return `the write record of ${target} has no valid owner`;
  if (record.backup !== undefined && backupName(record.backup) === undefined)
    return (
      `the backup of ${target} is ${JSON.stringify(record.backup)}, ` +
      `not a file name in the run's ${BACKUP_DIR} directory`
    );
  if (before.kind === 'file' && record.backup === undefined)
    return `the backup of ${target} is null, not a file name in the run's ${BACKUP_DIR} directory`;
  return tmpProblem(record);
}

/** What is wrong with a parsed journal line, or undefined when it is a record the engine writes. */
export function recordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'not a record';
  switch (value.t) {
    case 'start':
      if (!isCount(value.version) || !isText(value.runId) || !RUN_ID.test(value.runId))
        return 'a start record without its version and run id';
      if (!isText(value.startedAt) || !isCount(value.pid) || !isText(value.root))
        return 'a start record without its time, process and root';
      return undefined;
    case 'mkdir':
      if (!isCount(value.seq) || !isCleanTargetPath(value.path) || value.path === '/' || !isMode(value.mode))
        return 'a directory record without a clean absolute path and mode';
      return undefined;
    case 'write':
      return writeProblem(value);
    case 'done':
      return isCount(value.seq) ? undefined : 'a done record without a number';
    case 'command':
      if (!isCount(value.seq) || !isTextList(value.argv) || value.argv.length === 0)
        return 'a command record without its command';
      if (typeof value.inRoot !== 'boolean' || (value.cwd !== undefined && !isText(value.cwd)))
        return 'a command record without where it ran';
      return undefined;
    case 'mounts':
      if (!isCount(value.seq) || !Array.isArray(value.mounts) || !value.mounts.every(isCleanTargetPath))
        return 'a mounts record without clean absolute paths';
      return typeof value.namespace === 'boolean'
        ? undefined
        : 'a mounts record without where they were made';
    case 'process':
      return isCount(value.seq) && isCount(value.pid) && (value.start === undefined || isId(value.start))
        ? undefined
        : 'a process record without its process';
    case 'image':
      return isCount(value.seq) &&
        isCleanTargetPath(value.path) &&
        isText(value.filesystem) &&
        isId(value.bytes)
        ? undefined
        : 'an image record without a clean absolute path, file system and size';
    case 'remove-image':
      return isCount(value.seq) && isCleanTargetPath(value.path)
        ? undefined
        : 'a remove-image record without a clean absolute path';
    case 'secret':
      return isCount(value.seq) && isCleanTargetPath(value.path) && isText(value.user)
        ? undefined
        : 'a secret record without a clean absolute path and user';
    case 'command-end':
      return isCount(value.seq) && Number.isSafeInteger(value.exitCode)
        ? undefined
        : 'a command-end record without its exit code';
    case 'finish':
      return isText(value.at) && (value.status === 'ok' || value.status === 'failed')
        ? undefined
        : 'a finish record without its time and status';
    case 'interrupted':
      return isText(value.at) && isTextList(value.removed)
        ? undefined
        : 'an interrupted record of no known shape';
    case 'rollback-start':
      return isText(value.at) && typeof value.force === 'boolean'
        ? undefined
        : 'a rollback-start record of no known shape';
    case 'restore':
      if (!isCount(value.seq) || !isCleanTargetPath(value.target))
        return 'a restore record without a clean absolute path';
      return tmpProblem(value);
    case 'rolled-back':
      return isText(value.at) && isTextList(value.restored)
        ? undefined
        : 'a rolled-back record of no known shape';
    default:
      return 'a record of no known kind';
  }
}
