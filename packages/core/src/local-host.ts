// Synchronous calls on purpose: a plan makes hundreds of small reads, and each round trip through
// the thread pool costs more than the read itself.
import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { CommandError, InputError } from './errors.js';
import { importOnDemand } from './import-on-demand.js';
import type { FileInfo, Host, RunOptions, RunResult } from './host.js';
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
  /** Mount points this host made under the root for chroot'd commands (see mountChrootFilesystems). */
  #mounted: string[] | undefined;

  constructor(root = '/') {
    this.root = posix.resolve(root);
  }

  get isLive(): boolean {
    return this.root === '/';
  }

  /** The path on this machine of a target path, following symlinks inside the root. */
  async resolve(path: string, followLast = true): Promise<string> {
    const target = normalizeTargetPath(path);
    if (this.isLive) return target;
    const parts = target.split('/').filter(Boolean);
    let resolved: string[] = [];
    let hops = 0;
    let missing = false;
    while (parts.length > 0) {
      const part = parts.shift()!;
      if (part === '.') continue;
      if (part === '..') {
        resolved.pop();
        missing = false;
        continue;
      }
      const candidate = [...resolved, part];
      const isLast = parts.length === 0;
      if ((!isLast || followLast) && !missing) {
        const onDisk = posix.join(this.root, ...candidate);
        let link: string | undefined;
        try {
          // No exception for a missing path (planning probes many); below it nothing is a link.
          const stats = lstatSync(onDisk, { throwIfNoEntry: false });
          if (stats === undefined) missing = true;
          else if (stats.isSymbolicLink()) link = readlinkSync(onDisk);
        } catch {
          link = undefined;
        }
        if (link !== undefined) {
          if (++hops > MAX_LINKS)
            throw new InputError(
              path,
              undefined,
              'too many levels of symbolic links',
              'a path that resolves',
            );
          parts.unshift(...link.split('/').filter(Boolean));
          if (link.startsWith('/')) resolved = [];
          continue;
        }
      }
      resolved = candidate;
    }
    return posix.join(this.root, ...resolved);
  }

  /**
   * The text of a regular file, or undefined when there is none. A FIFO or device in the target
   * (where a file is expected) is refused, never read: reading one blocks forever. Invalid UTF-8
   * is bad input, never replaced, so that what is planned is exactly what is on disk.
   */
  async readFile(path: string): Promise<string | undefined> {
    const data = readRegularFileSync(await this.resolve(path), path);
    return data === undefined ? undefined : decodeUtf8(data, path);
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    try {
      const s = lstatSync(await this.resolve(path, false));
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

  async readlink(path: string): Promise<string | undefined> {
    try {
      return readlinkSync(await this.resolve(path, false));
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
      throw error;
    }
  }

  async list(path: string): Promise<string[] | undefined> {
    try {
      return readdirSync(await this.resolve(path)).sort();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (isMissing(error) || code === 'ENOTDIR') return undefined;
      throw error;
    }
  }

  /**
   * What a program run inside the target needs, as the Gentoo handbook mounts it before chrooting:
   * /proc, and /sys, /dev and /run bound from this machine, and this machine's /etc/resolv.conf
   * bound over the target's so emerge can resolve names (the handbook copies it; a bind leaves the
   * target's own file as it was once unmounted, so only where the target has a regular file there).
   * Only what is not mounted there already, once per host; `unmountChrootFilesystems` takes down
   * what this made.
   */
  async mountChrootFilesystems(): Promise<void> {
    if (this.isLive || this.#mounted !== undefined) return;
    this.#mounted = [];
    const mounted = new Set(
      readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[4])
        .filter((p): p is string => p !== undefined),
    );
    const plan: [string, 'directory' | 'file', string[]][] = [
      ['proc', 'directory', ['-t', 'proc', 'proc']],
      ['sys', 'directory', ['--rbind', '/sys']],
      ['dev', 'directory', ['--rbind', '/dev']],
      ['run', 'directory', ['--bind', '/run']],
      ['etc/resolv.conf', 'file', ['--bind', '/etc/resolv.conf']],
    ];
    for (const [path, kind, how] of plan) {
      const at = posix.join(this.root, path);
      if (mounted.has(at)) continue;
      try {
        const info = lstatSync(at);
        if (kind === 'directory' ? !info.isDirectory() : !info.isFile()) continue;
        if (kind === 'file' && !statSync(how.at(-1) ?? '').isFile()) continue;
      } catch {
        continue;
      }
      const result = await this.#exec('mount', [...how, at]);
      if (result.exitCode !== 0)
        throw new CommandError(['mount', ...how, at], result.exitCode, result.stderr);
      this.#mounted.push(at);
      if (how[0] !== '-t') await this.#exec('mount', ['--make-rslave', at]);
    }
  }

  /** Undo mountChrootFilesystems; what cannot be unmounted (busy) is returned, not thrown. */
  async unmountChrootFilesystems(): Promise<string[]> {
    const left: string[] = [];
    for (const at of (this.#mounted ?? []).reverse()) {
      const result = await this.#exec('umount', ['-R', at]);
      if (result.exitCode !== 0) left.push(at);
    }
    this.#mounted = undefined;
    return left;
  }

  async #exec(file: string, args: string[]): Promise<RunResult> {
    const { execa } = await importOnDemand('execa', () => import('execa'));
    const r = await execa(file, args, { reject: false });
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  }

  async run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
    const chroot = options.inRoot === true && !this.isLive;
    if (chroot) await this.mountChrootFilesystems();
    // Inside a chroot the working directory is set by a tiny shell that then execs the argv.
    const inChroot = options.cwd
      ? ['/bin/sh', '-c', 'cd "$1" && shift && exec "$@"', 'sh', options.cwd, ...argv]
      : argv;
    const [file, ...args] = chroot ? ['chroot', this.root, ...inChroot] : argv;
    if (file === undefined) throw new Error('empty command');
    const { execa } = await importOnDemand('execa', () => import('execa'));
    const child = execa(file, args, {
      cwd:
        options.cwd && !chroot
          ? options.inRoot
            ? options.cwd
            : posix.join(this.root, options.cwd)
          : undefined,
      env: options.env,
      input: options.input,
      reject: false,
      all: false,
      stripFinalNewline: false,
    });
    if (options.onOutput) {
      child.stdout?.on('data', (chunk: Buffer) => options.onOutput?.(chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => options.onOutput?.(chunk.toString()));
    }
    const result = await child;
    return {
      exitCode: result.exitCode ?? (result.failed ? 127 : 0),
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
      stderr: typeof result.stderr === 'string' ? result.stderr : String(result.originalMessage ?? ''),
    };
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
