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

/** Where a secret is read when the change is applied: never the secret itself. */
export type SecretSource = { file: string } | { env: string };

/**
 * Set a user's password in a shadow file (SHA-512 crypt, a fresh salt; inside an image whose glibc is
 * older than 2.7, MD5 crypt, which that glibc reads) from a secret read when the
 * change is applied. The change holds where the secret is, never its value or its hash; what prints
 * or journals it shows only the user and the source, and diffs of shadow files redact the hashes.
 */
export interface SecretChange {
  kind: 'secret';
  /** The shadow file (/etc/shadow). */
  path: string;
  user: string;
  source: SecretSource;
}

/** What is done to an image's tree before it becomes the image; paths are inside the image. */
export type ImagePart =
  | { kind: 'file'; path: string; content: string; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  /** Copy a file or directory of the target (cp -a) to `path` in the image. */
  | { kind: 'copy'; from: string; path: string }
  /** A swap file of `bytes` zeros, then mkswap. */
  | { kind: 'swap'; path: string; bytes: number }
  | SecretChange
  | CommandChange;

/**
 * Build a disk image: a stage tarball (every member checked first: no absolute path, no "..", no
 * link leaving the tree, nothing through a link) unpacked with owners, modes, device nodes and
 * xattrs into a staging directory, the parts applied in order, then the filesystem made from it:
 * without mounting (`mke2fs -d`) or, where the filesystem's tools cannot, through a loop mount
 * that is always unmounted. The image appears whole or not at all; the staging directory is
 * removed on every path. The journal records the image (never its content); rollback does not
 * delete images.
 */
export interface ImageChange {
  kind: 'image';
  /** The image file; it must not exist. */
  path: string;
  bytes: number;
  filesystem: 'ext4' | 'ext3' | 'reiserfs';
  /** The stage tarball (.tar, .gz, .bz2, .xz, .zst). */
  archive: string;
  /** The staging directory (removed afterwards). */
  stage: string;
  /** Whether the filesystem must be mounted (loop) to be filled. */
  mount: boolean;
  parts: ImagePart[];
  why: string;
}

/** Delete a disk image: recorded in the journal, not backed up (rollback cannot bring it back). */
export interface RemoveImageChange {
  kind: 'remove-image';
  path: string;
}

export type Change =
  | FileChange
  | SymlinkChange
  | DirectoryChange
  | RemoveChange
  | CommandChange
  | ManualChange
  | ImageChange
  | SecretChange
  | RemoveImageChange;

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
