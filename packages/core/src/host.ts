export interface FileInfo {
  kind: 'file' | 'directory' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  /** Run inside the target root (chroot) when the target is not the live system. */
  inRoot?: boolean;
  /** Called with each chunk of output while the command runs (progress display). */
  onOutput?: (chunk: string) => void;
  /** A warning about how the command runs (a mount skipped, no namespaces). */
  onWarning?: (message: string) => void;
  /**
   * In-root commands: called with the target paths about to be mounted for the command, before
   * any is mounted (`namespace`: they are mounted in the command's own mount namespace only).
   */
  beforeMounts?: (mounts: string[], namespace: boolean) => Promise<void>;
  /** In-root commands: the process started (its process group is the command's). */
  onStart?: (pid: number, startTime: number | undefined) => Promise<void>;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The read side of a target: every path is absolute inside the target root. */
export interface TargetReader {
  /** Directory of the target root on this machine ("/" for the live system). */
  readonly root: string;
  readFile(path: string): Promise<string | undefined>;
  /** Like lstat: a symlink is reported as a symlink. */
  stat(path: string): Promise<FileInfo | undefined>;
  readlink(path: string): Promise<string | undefined>;
  /** Names in a directory, sorted; undefined when it is not a directory. */
  list(path: string): Promise<string[] | undefined>;
  /**
   * The bytes of a regular file (a kernel image), or undefined when there is none; larger than
   * `limit` bytes is bad input naming the path. Optional: readers of text only leave it out.
   */
  readBytes?(path: string, limit: number): Promise<Buffer | undefined>;
}

/**
 * One interface to a target machine. Detection treats a non-zero exit as data; the apply engine
 * treats it as an error.
 */
export interface Host extends TargetReader {
  run(argv: string[], options?: RunOptions): Promise<RunResult>;
  /**
   * The same reads for one plan, which writes nothing, where the host can make them cheaper by
   * keeping what it found on the way (the directories it went through). Optional.
   */
  planReads?(): TargetReader;
}
