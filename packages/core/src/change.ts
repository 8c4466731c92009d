/**
 * The closed set of changes a plan can contain. A plan is plain data: it can be printed,
 * serialised as JSON, compared in tests and handed to the apply engine, the only code that
 * writes files or runs mutating commands.
 */

/** Write a whole file. `before` is null when the file does not exist yet. */
export interface FileChange {
  kind: 'file';
  path: string;
  before: string | null;
  after: string;
  /** Mode for a new file (an existing file keeps its own mode unless this is set). */
  mode?: number;
}

/** Create or repoint a symbolic link. `before` is the current link target, or null. */
export interface SymlinkChange {
  kind: 'symlink';
  path: string;
  target: string;
  before: string | null;
}

/** Create a directory (and its parents). */
export interface DirectoryChange {
  kind: 'directory';
  path: string;
  mode?: number;
}

/** Remove a file or symlink; the apply engine keeps it in the run's journal. */
export interface RemoveChange {
  kind: 'remove';
  path: string;
  before: string;
}

/** Run a program (argv, never a shell string). */
export interface CommandChange {
  kind: 'command';
  argv: string[];
  /** Why the command is needed, in one sentence. */
  why: string;
  /** A read-only command is safe to run in a dry run; mutating commands never are. */
  readOnly?: boolean;
  cwd?: string;
  env?: Record<string, string>;
  /** Run inside the target root (chroot) rather than on the machine running the tool. */
  inRoot?: boolean;
  /** Packages (category/name) this command installs, so later steps can plan as if installed. */
  installs?: string[];
  /**
   * Paths in the target this command may create, change or remove besides the ones it names in
   * `argv` and `cwd` (a directory covers everything under it). `apply` accepts a later step's new
   * plan only where it differs in what the commands that ran may have changed (see commandTouches).
   */
  touches?: string[];
  /** Expected to run for a long time (minutes to hours). */
  long?: boolean;
  /** Answer every question the command asks with its default (empty lines on stdin, like `yes "" | …`). */
  acceptDefaults?: boolean;
}

/** Something only a person can do (reboot into Xen, set a BIOS option). */
export interface ManualChange {
  kind: 'manual';
  text: string;
}

export type Change =
  FileChange | SymlinkChange | DirectoryChange | RemoveChange | CommandChange | ManualChange;

export type ChangeKind = Change['kind'];

/**
 * The absolute paths a command names: its working directory, and every argv word that is an
 * absolute path or ends in one (`O=/usr/src/linux/_dom0`, `--root=/mnt/gentoo`).
 */
export function commandPaths(change: CommandChange): string[] {
  const paths = change.cwd?.startsWith('/') ? [change.cwd] : [];
  for (const word of change.argv) {
    const at = word.startsWith('/') ? 0 : word.indexOf('=/') + 1;
    if (at > 0 || word.startsWith('/')) paths.push(word.slice(at));
  }
  return paths;
}

/**
 * Everything a command may change in the target: the paths it names (commandPaths), the paths
 * it declares (`touches`), and for each package it installs that package's entries in Portage's
 * database (/var/db/pkg/<category>/<name>-<version>).
 */
export function commandTouches(change: CommandChange): { paths: string[]; packages: string[] } {
  return {
    paths: [...commandPaths(change), ...(change.touches ?? [])],
    packages: [...(change.installs ?? [])],
  };
}

/** Paths of a change that touch the target's files (none for commands and manual steps). */
export function changePath(change: Change): string | undefined {
  return 'path' in change ? change.path : undefined;
}
