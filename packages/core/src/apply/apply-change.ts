import { chmod, mkdir, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type {
  Change,
  CommandChange,
  DirectoryChange,
  FileChange,
  RemoveChange,
  RemoveImageChange,
  SecretChange,
  SymlinkChange,
} from '../change.js';
import { applyImage, applySecretAt } from './apply-image.js';
import { CommandError, DriftError, InputError } from '../errors.js';
import type { LocalHost } from '../local-host.js';
import { assertNoHostMounts } from '../mounts.js';
import {
  describeEntry,
  fsyncDir,
  lstatOrUndefined,
  readEntry,
  sha256,
  tempPathFor,
  toTargetPath,
  writeFileAtomic,
  writeSymlinkAtomic,
} from './fs-util.js';
import type { Entry } from './fs-util.js';
import { stateOf, type Journal, type JournaledState } from './journal.js';
import { STATE_DIR } from './state.js';

export interface ApplyContext {
  /** The target root; every path of a change is resolved inside it. */
  host: LocalHost;
  /** The run's journal. */
  journal: Journal;
  /** Apply file changes but run no command (each is reported as skipped). */
  skipCommands: boolean;
  /** Output of commands as it arrives, for progress display. */
  onOutput?: (chunk: string) => void;
  /** Warnings about how a command runs (a mount skipped). */
  onWarning?: (message: string) => void;
  /** A command inside a larger change (an image's) that was skipped under skipCommands. */
  onSkipped?: (command: CommandChange) => void;
  /**
   * A staged tree to be moved out of the way (to this target path, a name of its own) and removed
   * later: the caller records it and returns, then removes it when that suits the run (see
   * ApplySession); the change renames it once this returns. Without it the tree is removed in place.
   */
  setAside?: (tree: string) => Promise<void>;
}

export type ChangeOutcome = 'applied' | 'unchanged' | 'skipped' | 'manual';

/** Mode of a file the engine creates when the change names none. */
export const DEFAULT_FILE_MODE = 0o644;
/** Mode of the directories the engine creates (parents, and directory changes without a mode). */
export const DEFAULT_DIR_MODE = 0o755;

/**
 * Apply one change to the target. Files are re-read first: when one no longer matches the
 * plan's `before` a DriftError is thrown and nothing is written. What a change replaces is
 * journaled (with a backup of the old content) before it is touched. Call under `acquireLock`.
 */
export async function applyChange(change: Change, ctx: ApplyContext): Promise<ChangeOutcome> {
  // A mount of this machine under the root (left by a killed run, or made by hand) would let a
  // write land on this machine: no file is changed while there is one.
  if (change.kind !== 'command' && change.kind !== 'manual' && !ctx.host.isLive)
    assertNoHostMounts(ctx.host.root);
  switch (change.kind) {
    case 'file':
      return applyFile(change, ctx);
    case 'symlink':
      return applySymlink(change, ctx);
    case 'directory':
      return applyDirectory(change, ctx);
    case 'remove':
      return applyRemove(change, ctx);
    case 'command':
      return applyCommand(change, ctx);
    case 'manual':
      return 'manual';
    case 'image':
      return (await applyImage(change, ctx)).outcome;
    case 'secret':
      return applySecret(change, ctx);
    case 'remove-image':
      return applyRemoveImage(change, ctx);
  }
}

/** A password set in a shadow file: journaled with the user only (no hash, no backup of a hash). */
async function applySecret(change: SecretChange, ctx: ApplyContext): Promise<ChangeOutcome> {
  const disk = await ctx.host.resolve(change.path);
  await assertNotState(ctx.host, disk, change.path);
  const seq = ctx.journal.nextSeq();
  await ctx.journal.append({ t: 'secret', seq, path: change.path, user: change.user });
  await applySecretAt(disk, change);
  await ctx.journal.append({ t: 'done', seq });
  return 'applied';
}

/** An image deleted: journaled by path; too large to back up, so rollback cannot restore it. */
async function applyRemoveImage(change: RemoveImageChange, ctx: ApplyContext): Promise<ChangeOutcome> {
  const disk = await ctx.host.resolve(change.path, false);
  await assertNotState(ctx.host, disk, change.path);
  const current = await lstatOrUndefined(disk);
  if (current === undefined) return 'unchanged';
  if (!current.isFile()) throw new DriftError(change.path, 'it is not a regular file (an image) any more');
  const seq = ctx.journal.nextSeq();
  await ctx.journal.append({ t: 'remove-image', seq, path: change.path });
  await unlink(disk);
  await fsyncDir(posix.dirname(disk));
  await ctx.journal.append({ t: 'done', seq });
  return 'applied';
}

/**
 * A change never writes into the engine's own state directory (its journals, backups and lock),
 * whichever way its path leads there (`/root` may be a link to it in the target).
 */
async function assertNotState(host: LocalHost, disk: string, path: string): Promise<void> {
  const state = await host.resolve(STATE_DIR);
  if (disk === state || disk.startsWith(`${state}/`))
    throw new InputError(
      path,
      undefined,
      `leads into ${STATE_DIR}, where xen-gentoo keeps its lock and run journals; nothing was written there`,
      `a path outside ${STATE_DIR}`,
    );
}

function fileState(entry: Entry): JournaledState {
  const state = stateOf(entry);
  if (state.kind === 'other') throw new Error(`cannot journal ${describeEntry(entry)}`);
  return state;
}

/** Create the missing directories down to `dirDisk`, journaling each before it is made. */
async function ensureDirectories(
  ctx: ApplyContext,
  seq: number,
  dirDisk: string,
  path: string,
  lastMode = DEFAULT_DIR_MODE,
): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = dirDisk; ; dir = posix.dirname(dir)) {
    const stats = await lstatOrUndefined(dir);
    if (stats?.isDirectory()) break;
    if (stats) throw new DriftError(path, `${toTargetPath(ctx.host, dir)} is not a directory`);
    if (dir === ctx.host.root || dir === '/') throw new Error(`target root ${ctx.host.root} does not exist`);
    missing.unshift(dir);
  }
  for (const dir of missing) {
    const mode = dir === dirDisk ? lastMode : DEFAULT_DIR_MODE;
    await ctx.journal.append({ t: 'mkdir', seq, path: toTargetPath(ctx.host, dir), mode });
    await mkdir(dir, { mode });
    await chmod(dir, mode); // not narrowed by the umask
    await fsyncDir(posix.dirname(dir));
  }
  return missing;
}

function driftDetail(expected: string | null, entry: Entry): string {
  if (expected === null) return `the plan expected no file, but there is ${describeEntry(entry)}`;
  if (entry.kind === 'absent') return 'it no longer exists';
  if (entry.kind !== 'file' && entry.kind !== 'symlink') return `it is ${describeEntry(entry)} now`;
  return 'its content changed since it was planned';
}

async function applyFile(change: FileChange, ctx: ApplyContext): Promise<ChangeOutcome> {
  const { host, journal } = ctx;
  const disk = await host.resolve(change.path, true);
  await assertNotState(host, disk, change.path);
  const current = await readEntry(disk);
  if (current.kind !== 'absent' && current.kind !== 'file') {
    throw new DriftError(change.path, driftDetail(change.before, current));
  }
  const after = Buffer.from(change.after, 'utf8');
  const data = current.kind === 'file' ? current.data : null;
  const matchesAfter = data !== null && data.equals(after);
  const matchesBefore =
    change.before === null ? data === null : data !== null && data.equals(Buffer.from(change.before, 'utf8'));
  if (!matchesAfter && !matchesBefore) throw new DriftError(change.path, driftDetail(change.before, current));
  const mode = change.mode ?? (current.kind === 'file' ? current.stats.mode & 0o7777 : DEFAULT_FILE_MODE);
  if (matchesAfter && current.kind === 'file' && (current.stats.mode & 0o7777) === mode) return 'unchanged';

  const seq = journal.nextSeq();
  await ensureDirectories(ctx, seq, posix.dirname(disk), change.path);
  const tmp = tempPathFor(disk);
  const owner = current.kind === 'file' ? { uid: current.stats.uid, gid: current.stats.gid } : undefined;
  const backup = data === null ? undefined : await journal.saveBackup(seq, data);
  await journal.append({
    t: 'write',
    seq,
    op: 'file',
    path: change.path,
    target: toTargetPath(host, disk),
    tmp: toTargetPath(host, tmp),
    before: fileState(current),
    after: { kind: 'file', hash: sha256(after), mode },
    ...owner,
    ...(backup === undefined ? {} : { backup }),
  });
  await writeFileAtomic(disk, tmp, after, { mode, ...owner });
  await journal.append({ t: 'done', seq });
  return 'applied';
}

async function applySymlink(change: SymlinkChange, ctx: ApplyContext): Promise<ChangeOutcome> {
  const { host, journal } = ctx;
  const disk = await host.resolve(change.path, false);
  await assertNotState(host, disk, change.path);
  const current = await readEntry(disk);
  if (current.kind === 'symlink' && current.target === change.target) return 'unchanged';
  const matchesBefore =
    change.before === null
      ? current.kind === 'absent'
      : current.kind === 'symlink' && current.target === change.before;
  if (!matchesBefore) {
    const detail =
      change.before === null
        ? `the plan expected no link, but there is ${describeEntry(current)}`
        : `the plan expected a symlink to ${change.before}, but there is ${describeEntry(current)}`;
    throw new DriftError(change.path, detail);
  }

  const seq = journal.nextSeq();
  await ensureDirectories(ctx, seq, posix.dirname(disk), change.path);
  const tmp = tempPathFor(disk);
  const owner = current.kind === 'symlink' ? { uid: current.stats.uid, gid: current.stats.gid } : undefined;
  await journal.append({
    t: 'write',
    seq,
    op: 'symlink',
    path: change.path,
    target: toTargetPath(host, disk),
    tmp: toTargetPath(host, tmp),
    before: fileState(current),
    after: { kind: 'symlink', target: change.target },
    ...owner,
  });
  await writeSymlinkAtomic(disk, tmp, change.target, owner);
  await journal.append({ t: 'done', seq });
  return 'applied';
}

async function applyDirectory(change: DirectoryChange, ctx: ApplyContext): Promise<ChangeOutcome> {
  const disk = await ctx.host.resolve(change.path, true);
  await assertNotState(ctx.host, disk, change.path);
  const current = await lstatOrUndefined(disk);
  if (current?.isDirectory()) return 'unchanged';
  if (current) throw new DriftError(change.path, 'it exists and is not a directory');
  const seq = ctx.journal.nextSeq();
  await ensureDirectories(ctx, seq, disk, change.path, change.mode ?? DEFAULT_DIR_MODE);
  await ctx.journal.append({ t: 'done', seq });
  return 'applied';
}

/**
 * Remove a file or a symlink. For a symlink `before` is its link target, as in a symlink change.
 * A path that is already gone is 'unchanged'.
 */
async function applyRemove(change: RemoveChange, ctx: ApplyContext): Promise<ChangeOutcome> {
  const { host, journal } = ctx;
  const disk = await host.resolve(change.path, false);
  await assertNotState(host, disk, change.path);
  const current = await readEntry(disk);
  if (current.kind === 'absent') return 'unchanged';
  const matches =
    (current.kind === 'file' && current.data.equals(Buffer.from(change.before, 'utf8'))) ||
    (current.kind === 'symlink' && current.target === change.before);
  if (!matches) throw new DriftError(change.path, driftDetail(change.before, current));

  const seq = journal.nextSeq();
  const backup = current.kind === 'file' ? await journal.saveBackup(seq, current.data) : undefined;
  await journal.append({
    t: 'write',
    seq,
    op: 'remove',
    path: change.path,
    target: toTargetPath(host, disk),
    before: fileState(current),
    after: { kind: 'absent' },
    uid: current.stats.uid,
    gid: current.stats.gid,
    ...(backup === undefined ? {} : { backup }),
  });
  await unlink(disk);
  await fsyncDir(posix.dirname(disk));
  await journal.append({ t: 'done', seq });
  return 'applied';
}

async function applyCommand(change: CommandChange, ctx: ApplyContext): Promise<ChangeOutcome> {
  if (ctx.skipCommands) return 'skipped';
  const seq = ctx.journal.nextSeq();
  await ctx.journal.append({
    t: 'command',
    seq,
    argv: change.argv,
    inRoot: change.inRoot ?? false,
    ...(change.cwd === undefined ? {} : { cwd: change.cwd }),
  });
  const result = await ctx.host.run(change.argv, {
    cwd: change.cwd,
    env: change.env,
    inRoot: change.inRoot,
    onOutput: ctx.onOutput,
    onWarning: ctx.onWarning,
    beforeMounts: (mounts, namespace) => ctx.journal.append({ t: 'mounts', seq, mounts, namespace }),
    onStart: (pid, start) =>
      ctx.journal.append({ t: 'process', seq, pid, ...(start === undefined ? {} : { start }) }),
    ...(change.acceptDefaults ? { input: '\n'.repeat(1 << 16) } : {}),
  });
  await ctx.journal.append({ t: 'command-end', seq, exitCode: result.exitCode });
  if (result.exitCode !== 0) throw new CommandError(change.argv, result.exitCode, result.stderr);
  return 'applied';
}
