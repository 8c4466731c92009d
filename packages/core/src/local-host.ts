// Synchronous calls on purpose: a plan makes hundreds of small reads, and each round trip through
// the thread pool costs more than the read itself.
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { posix } from 'node:path';
import { CommandError, InputError } from './errors.js';
import { importOnDemand } from './import-on-demand.js';
import type { FileInfo, Host, RunOptions, RunResult, TargetReader } from './host.js';
import { chrootMounts, processStartTime, unmountAll } from './mounts.js';
import { normalizeTargetPath } from './paths.js';
import { decodeUtf8, readRegularFileSync } from './regular-file.js';

const MAX_LINKS = 40;

/**
 * The machine the tool runs on, or a target root mounted on it (as Portage's ROOT).
 * Paths are resolved inside the root: an absolute symlink in the target points into the
 * target, never out to the machine running the tool.
 */
export class LocalHost implements Host {
  readonly root: string;

  /** `namespaces: false` runs in-root commands without their own namespaces (the fallback). */
  constructor(root = '/', options: { namespaces?: boolean } = {}) {
    this.root = posix.resolve(root);
    this.#namespaces = options.namespaces;
  }

  get isLive(): boolean {
    return this.root === '/';
  }

  /** The path on this machine of a target path, following symlinks inside the root. */
  async resolve(path: string, followLast = true): Promise<string> {
    return this.#resolve(path, followLast, undefined);
  }

  /**
   * `resolve`, with what each component on the way was (missing, a symlink and its target, or
   * anything else) taken from `seen` when it was looked at before, and kept there.
   */
  #resolve(path: string, followLast: boolean, seen: Map<string, Component> | undefined): string {
    const target = normalizeTargetPath(path);
    if (this.isLive) return target;
    const parts = target.split('/').filter(Boolean);
    // The path resolved so far ('' for the root), one `/name` per component.
    let resolved = '';
    let hops = 0;
    let missing = false;
    while (parts.length > 0) {
      const part = parts.shift()!;
      if (part === '.') continue;
      if (part === '..') {
        resolved = resolved.slice(0, resolved.lastIndexOf('/'));
        missing = false;
        continue;
      }
      const candidate = `${resolved}/${part}`;
      const isLast = parts.length === 0;
      if ((!isLast || followLast) && !missing) {
        // The parts are names (no '', '.' or '..'): joined as they are, as posix.join would.
        const onDisk = `${this.root}${candidate}`;
        let component = seen?.get(onDisk);
        if (component === undefined) {
          component = lookAt(onDisk);
          seen?.set(onDisk, component);
        }
        // Below a missing path nothing is a link.
        if (component === MISSING) missing = true;
        else if (component !== OTHER) {
          if (++hops > MAX_LINKS)
            throw new InputError(
              path,
              undefined,
              'too many levels of symbolic links',
              'a path that resolves',
            );
          parts.unshift(...component.split('/').filter(Boolean));
          if (component.startsWith('/')) resolved = '';
          continue;
        }
      }
      resolved = candidate;
    }
    // Names only, joined as onDisk is above (posix.join would scan the whole path again).
    return resolved === '' ? this.root : `${this.root}${resolved}`;
  }

  /**
   * This host's reads for one plan, which writes nothing: each directory on the way to the paths
   * read is looked at once (a symlink or not, and where it leads), however many paths under it
   * are read, and symlinks are followed inside the root as `resolve` follows them. Never for
   * applying, where the disk changes between reads.
   */
  planReads(): TargetReader {
    const seen = new Map<string, Component>();
    const at = (path: string, followLast = true) => this.#resolve(path, followLast, seen);
    return {
      root: this.root,
      readFile: async (path) => readText(at(path), path),
      readBytes: async (path, limit) => readRegularFileSync(at(path), path, limit),
      stat: async (path) => statOf(at(path, false)),
      readlink: async (path) => linkOf(at(path, false)),
      list: async (path) => namesIn(at(path)),
    };
  }

  /**
   * The text of a regular file, or undefined when there is none. A FIFO or device in the target
   * (where a file is expected) is refused, never read: reading one blocks forever. Invalid UTF-8
   * is bad input, never replaced, so that what is planned is exactly what is on disk.
   */
  async readFile(path: string): Promise<string | undefined> {
    return readText(await this.resolve(path), path);
  }

  async readBytes(path: string, limit: number): Promise<Buffer | undefined> {
    return readRegularFileSync(await this.resolve(path), path, limit);
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    return statOf(await this.resolve(path, false));
  }

  async readlink(path: string): Promise<string | undefined> {
    return linkOf(await this.resolve(path, false));
  }

  async list(path: string): Promise<string[] | undefined> {
    return namesIn(await this.resolve(path));
  }

  /** Whether in-root commands get their own mount and PID namespaces (probed once). */
  #namespaces: boolean | undefined;
  /** Whether setpriv can tie a command's life to this process (probed once). */
  #pdeathsig: boolean | undefined;
  /** Commands running now, each the leader of its own process group. */
  readonly #running = new Set<number>();

  /** Is a command started by this host running now? */
  get busy(): boolean {
    return this.#running.size > 0;
  }

  /**
   * Stop every command this host started and that still runs (SIGKILL to its process group; for a
   * command in its own namespaces that ends every process in them, and the kernel takes their
   * mounts down). Their `run` then returns with the signal's exit status.
   */
  stopCommands(): void {
    for (const pid of this.#running) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  /**
   * Whether commands inside the root run in private mount and PID namespaces (util-linux
   * `unshare`). Without it (no unshare, or a kernel or container that refuses new namespaces) the
   * mounts are made on this machine for each command and taken down after it. The environment
   * variable XEN_GENTOO_NAMESPACES=0 forces that fallback.
   */
  async #useNamespaces(warn: (message: string) => void): Promise<boolean> {
    if (this.#namespaces === undefined) {
      if (process.env.XEN_GENTOO_NAMESPACES === '0') this.#namespaces = false;
      else {
        const probe = await this.#exec('unshare', [...UNSHARE, '--', 'true']);
        this.#namespaces = probe.exitCode === 0;
        if (!this.#namespaces)
          warn(
            'unshare (util-linux) cannot give commands their own mount namespace here: the mounts they ' +
              'need are made on this machine for each command and taken down after it',
          );
      }
    }
    return this.#namespaces;
  }

  async #deathSignal(): Promise<string[]> {
    this.#pdeathsig ??= (await this.#exec('setpriv', ['--pdeathsig', 'KILL', '--', 'true'])).exitCode === 0;
    return this.#pdeathsig ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
  }

  async #exec(file: string, args: string[]): Promise<RunResult> {
    const { execa } = await importOnDemand('execa', () => import('execa'));
    const r = await execa(file, args, { reject: false });
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  }

  /**
   * Run a program. With `inRoot` (and a root that is not /) it runs through chroot with what the
   * Gentoo handbook mounts before chrooting (see chrootMounts). Each command gets its own mount
   * and PID namespaces: the mounts exist for it alone, and when it ends, or is killed, or this
   * process dies (even by SIGKILL), the kernel ends its processes and takes the mounts down.
   * Without namespaces the mounts are made here, recorded first (`beforeMounts`), and taken down
   * when the command ends.
   */
  async run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
    const chroot = options.inRoot === true && !this.isLive;
    if (argv[0] === undefined) throw new Error('empty command');
    if (!chroot) {
      const cwd = options.cwd
        ? options.inRoot
          ? options.cwd
          : posix.join(this.root, options.cwd)
        : undefined;
      return this.#spawn(argv, options, cwd, false);
    }
    const warn = (message: string) => options.onWarning?.(message);
    // Inside a chroot the working directory is set by a tiny shell that then execs the argv.
    const inChroot = options.cwd
      ? ['/bin/sh', '-c', 'cd "$1" && shift && exec "$@"', 'sh', options.cwd, ...argv]
      : argv;
    const mounts = chrootMounts(this.root, warn);
    const namespaces = await this.#useNamespaces(warn);
    const pdeath = await this.#deathSignal();
    await options.beforeMounts?.(
      mounts.map((m) => `/${posix.relative(this.root, m.at)}`),
      namespaces,
    );
    if (namespaces) {
      const script = [
        ...mounts.map(
          (m) =>
            `mount ${[...m.how, m.at].map(shellWord).join(' ')} || ` +
            `{ echo ${shellWord(`xen-gentoo: could not mount ${m.target} for the command`)} >&2; exit 125; }`,
        ),
        `exec chroot ${shellWord(this.root)} "$@"`,
      ].join('\n');
      return this.#spawn(
        [...pdeath, 'unshare', ...UNSHARE, '--', '/bin/sh', '-c', script, 'sh', ...inChroot],
        options,
        undefined,
        true,
      );
    }
    const made: string[] = [];
    try {
      for (const m of mounts) {
        const result = await this.#exec('mount', [...m.how, m.at]);
        if (result.exitCode !== 0)
          throw new CommandError(['mount', ...m.how, m.at], result.exitCode, result.stderr);
        made.push(m.at);
        // Unmounting the bound tree must not unmount what it holds on this machine.
        if (m.how[0] !== '-t') await this.#exec('mount', ['--make-rslave', m.at]);
      }
      return await this.#spawn([...pdeath, 'chroot', this.root, ...inChroot], options, undefined, true);
    } finally {
      await unmountAll(made);
    }
  }

  async #spawn(
    argv: string[],
    options: RunOptions,
    cwd: string | undefined,
    own: boolean,
  ): Promise<RunResult> {
    const [file, ...args] = argv as [string, ...string[]];
    const { execa } = await importOnDemand('execa', () => import('execa'));
    const child = execa(file, args, {
      cwd,
      env: options.env,
      input: options.input,
      reject: false,
      all: false,
      stripFinalNewline: false,
      // Its own process group: a terminal's Ctrl-C reaches this process, which stops the command.
      detached: own,
    });
    const pid = child.pid;
    if (pid !== undefined) {
      this.#running.add(pid);
      if (own)
        await options.onStart?.(pid, processStartTime(pid)).catch((error: unknown) => {
          this.stopCommands();
          throw error;
        });
    }
    if (options.onOutput) {
      child.stdout?.on('data', (chunk: Buffer) => options.onOutput?.(chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => options.onOutput?.(chunk.toString()));
    }
    try {
      const result = await child;
      return {
        exitCode:
          result.exitCode ?? (result.failed ? (result.signal ? 128 + signalNumber(result.signal) : 127) : 0),
        stdout: typeof result.stdout === 'string' ? result.stdout : '',
        stderr: typeof result.stderr === 'string' ? result.stderr : String(result.originalMessage ?? ''),
      };
    } finally {
      if (pid !== undefined) this.#running.delete(pid);
    }
  }
}

/** unshare's options: private mounts, a PID namespace whose init dies with unshare. */
const UNSHARE = ['--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child'];

function shellWord(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function signalNumber(signal: string): number {
  return (osConstants.signals as Record<string, number>)[signal] ?? 0;
}

/** A path component as resolve found it: missing, anything but a symlink, or a symlink's target. */
type Component = typeof MISSING | typeof OTHER | string;
const MISSING = Symbol('missing');
const OTHER = Symbol('not a symlink');

function lookAt(onDisk: string): Component {
  try {
    // No exception for a missing path (planning probes many).
    const stats = lstatSync(onDisk, { throwIfNoEntry: false });
    if (stats === undefined) return MISSING;
    return stats.isSymbolicLink() ? readlinkSync(onDisk) : OTHER;
  } catch {
    return OTHER;
  }
}

function readText(disk: string, path: string): string | undefined {
  const data = readRegularFileSync(disk, path);
  return data === undefined ? undefined : decodeUtf8(data, path);
}

// Planning probes many paths that are not there (or not links, or not directories): those are
// answered without an exception, which costs Node.js more than the system call.
function statOf(disk: string): FileInfo | undefined {
  try {
    const s = lstatSync(disk, { throwIfNoEntry: false });
    if (s === undefined) return undefined;
    return {
      kind: s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other',
      mode: s.mode & 0o7777,
      uid: s.uid,
      gid: s.gid,
      size: s.size,
      mtimeMs: s.mtimeMs,
    };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function linkOf(disk: string): string | undefined {
  try {
    if (lstatSync(disk, { throwIfNoEntry: false })?.isSymbolicLink() !== true) return undefined;
    return readlinkSync(disk);
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
    throw error;
  }
}

function namesIn(disk: string): string[] | undefined {
  try {
    if (statSync(disk, { throwIfNoEntry: false })?.isDirectory() !== true) return undefined;
    return readdirSync(disk).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (isMissing(error) || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
