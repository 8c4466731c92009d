import type { Change, CommandChange } from './change.js';
import type { FileInfo, Host, RunOptions, RunResult, TargetReader } from './host.js';
import { normalizeTargetPath, parentOf } from './paths.js';

/** Symlinks followed before a path is taken as it is (as the kernel's 40). */
const MAX_LINKS = 40;

type Entry =
  | { kind: 'file'; content: string; mode: number }
  | { kind: 'symlink'; target: string }
  | { kind: 'directory'; mode: number }
  | { kind: 'removed' };

const KIND_NAMES: Record<FileInfo['kind'], string> = {
  file: 'a file',
  directory: 'a directory',
  symlink: 'a symbolic link',
  other: 'a special file',
};

/**
 * A view of the target as the steps planned so far would leave it. Reads fall through to the
 * host for every path that no planned change touches. Nothing here writes.
 */
export class View implements TargetReader {
  readonly #host: Host;
  #overlay = new Map<string, Entry>();
  /** How many entries of the overlay are removals (none: no path has a removed ancestor). */
  #removals = 0;
  /** Where paths lead (`resolve`), while the overlay stays as it is; only over one plan's reads. */
  #resolved: Map<string, string> | undefined;
  readonly #pendingInstalls = new Set<string>();

  /**
   * `onePlan`: the host's reads stand for one state of the target (a plan's CachedReads, nothing
   * written meanwhile), so where a path leads is kept until the planned changes change.
   */
  constructor(host: Host, options: { onePlan?: boolean } = {}) {
    this.#host = host;
    this.#resolved = options.onePlan ? new Map() : undefined;
  }

  get root(): string {
    return this.#host.root;
  }

  /** Packages (category/name) that a planned command will install. */
  get pendingInstalls(): ReadonlySet<string> {
    return this.#pendingInstalls;
  }

  async readFile(path: string): Promise<string | undefined> {
    const p = await this.#readPath(path);
    const entry = this.#overlay.get(p);
    if (entry) return entry.kind === 'file' ? entry.content : undefined;
    if (this.#removedAncestor(p)) return undefined;
    return this.#host.readFile(p);
  }

  /** The bytes of a file (a kernel image); a file a planned change writes is its text's bytes. */
  async readBytes(path: string, limit: number): Promise<Buffer | undefined> {
    const p = await this.#readPath(path);
    const entry = this.#overlay.get(p);
    if (entry) return entry.kind === 'file' ? Buffer.from(entry.content) : undefined;
    if (this.#removedAncestor(p)) return undefined;
    if (this.#host.readBytes) return this.#host.readBytes(p, limit);
    const text = await this.#host.readFile(p);
    return text === undefined ? undefined : Buffer.from(text);
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    return this.#stat(await this.#readPath(path, false));
  }

  /** stat of a path whose parents are resolved. */
  async #stat(p: string): Promise<FileInfo | undefined> {
    const entry = this.#overlay.get(p);
    if (entry) {
      const base = { uid: 0, gid: 0, mtimeMs: 0 };
      switch (entry.kind) {
        case 'file':
          return { ...base, kind: 'file', mode: entry.mode, size: Buffer.byteLength(entry.content) };
        case 'symlink':
          return { ...base, kind: 'symlink', mode: 0o777, size: entry.target.length };
        case 'directory':
          return { ...base, kind: 'directory', mode: entry.mode, size: 0 };
        case 'removed':
          return undefined;
      }
    }
    if (this.#removedAncestor(p)) return undefined;
    return this.#host.stat(p);
  }

  async readlink(path: string): Promise<string | undefined> {
    const p = await this.#readPath(path, false);
    const entry = this.#overlay.get(p);
    if (entry) return entry.kind === 'symlink' ? entry.target : undefined;
    return this.#host.readlink(p);
  }

  async list(path: string): Promise<string[] | undefined> {
    const p = await this.#readPath(path);
    const entry = this.#overlay.get(p);
    if (entry && entry.kind !== 'directory') return undefined;
    const names = new Set((await this.#host.list(p)) ?? []);
    let known = entry !== undefined || (await this.#host.stat(p))?.kind === 'directory';
    // The overlay's entries directly in p (its keys are normal paths, never ending in /).
    const prefix = p === '/' ? '/' : `${p}/`;
    for (const [key, value] of this.#overlay) {
      if (key.length === prefix.length || !key.startsWith(prefix) || key.includes('/', prefix.length))
        continue;
      const name = key.slice(prefix.length);
      if (value.kind === 'removed') names.delete(name);
      else {
        names.add(name);
        known = true;
      }
    }
    return known ? [...names].sort() : undefined;
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }

  /** Read-only probes only: a step's detect may run them, plan never does. */
  run(argv: string[], options?: RunOptions): Promise<RunResult> {
    return this.#host.run(argv, options);
  }

  /**
   * Lay a step's planned changes over the view, so later steps see them: each at the path the
   * apply engine writes (a file or directory change through its symlinks, a symlink or a removal
   * at the link itself, its parents resolved).
   */
  async apply(changes: readonly Change[]): Promise<void> {
    for (const change of changes) {
      switch (change.kind) {
        case 'file': {
          const p = await this.resolve(change.path);
          this.#ensureParents(p);
          const previous = this.#overlay.get(p);
          this.#put(p, {
            kind: 'file',
            content: change.after,
            mode: change.mode ?? (previous?.kind === 'file' ? previous.mode : 0o644),
          });
          break;
        }
        case 'symlink': {
          const p = await this.resolve(change.path, false);
          this.#ensureParents(p);
          this.#put(p, { kind: 'symlink', target: change.target });
          break;
        }
        case 'directory': {
          const p = await this.resolve(change.path);
          this.#ensureParents(p);
          this.#put(p, { kind: 'directory', mode: change.mode ?? 0o755 });
          break;
        }
        case 'remove':
          this.#put(await this.resolve(change.path, false), { kind: 'removed' });
          break;
        case 'command':
          this.assume([change]);
          break;
        case 'image': {
          // Later steps see that the image will be there (its content is not known before it is built).
          const p = normalizeTargetPath(change.path);
          this.#ensureParents(p);
          this.#put(p, { kind: 'file', content: '', mode: 0o644 });
          break;
        }
        case 'remove-image':
          this.#put(normalizeTargetPath(change.path), { kind: 'removed' });
          break;
        case 'secret':
        case 'manual':
          break;
      }
    }
  }

  /** The packages commands will install (commands that are skipped, or planned), seen as installed. */
  assume(commands: readonly CommandChange[]): void {
    for (const command of commands) for (const pkg of command.installs ?? []) this.#pendingInstalls.add(pkg);
  }

  /**
   * What stops the apply engine from making `changes` on the target as this view shows it, in
   * order (each seeing the ones before it): a file or a symlink where a directory must be made, a
   * directory or a special file where a file or a symlink must go. Undefined when nothing does.
   * The view is left as it was.
   */
  async obstacle(changes: readonly Change[]): Promise<string | undefined> {
    // The view as it is, put back afterwards: its overlay, and where paths lead over it.
    const overlay = this.#overlay;
    const removals = this.#removals;
    const resolved = this.#resolved;
    const installs = new Set(this.#pendingInstalls);
    this.#overlay = new Map(overlay);
    this.#resolved = resolved && new Map();
    try {
      for (const change of changes) {
        const found = await this.#obstacleTo(change);
        if (found !== undefined) return found;
        await this.apply([change]);
      }
      return undefined;
    } finally {
      this.#overlay = overlay;
      this.#removals = removals;
      this.#resolved = resolved;
      this.#pendingInstalls.clear();
      for (const pkg of installs) this.#pendingInstalls.add(pkg);
    }
  }

  async #obstacleTo(change: Change): Promise<string | undefined> {
    if (change.kind !== 'file' && change.kind !== 'directory' && change.kind !== 'symlink') return undefined;
    const p = await this.resolve(change.path, change.kind !== 'symlink');
    const here = (await this.#stat(p))?.kind;
    const named = p === normalizeTargetPath(change.path) ? p : `${p} (where ${change.path} leads)`;
    if (here !== undefined && here !== change.kind && !(change.kind === 'file' && here === 'symlink'))
      return `${named} is ${KIND_NAMES[here]}, where ${KIND_NAMES[change.kind]} must go`;
    for (let dir = parentOf(p); dir !== '/'; dir = parentOf(dir)) {
      const kind = (await this.#stat(dir))?.kind;
      if (kind === undefined) continue;
      if (kind === 'directory') break;
      return `${dir} is ${KIND_NAMES[kind]}, where a directory must be (for ${change.path})`;
    }
    return undefined;
  }

  /**
   * Where `path` leads in the target as the planned changes leave it, resolved as the apply
   * engine resolves a change's path: every symlink among the parents is followed (a link planned
   * earlier or one on the target, relative ones from their directory, never out of the root), and
   * the last component too with `followLast`. So a change of a link's path lands where the engine
   * writes, and a read through a link finds what was planned behind it.
   */
  async resolve(path: string, followLast = true): Promise<string> {
    const key = `${followLast ? 'L' : 'l'}${path}`;
    const known = this.#resolved?.get(key);
    if (known !== undefined) return known;
    const found = await this.#resolve(path, followLast);
    this.#resolved?.set(key, found);
    return found;
  }

  async #resolve(path: string, followLast: boolean): Promise<string> {
    const normal = normalizeTargetPath(path);
    const parts = normal.split('/').filter(Boolean);
    // The path resolved so far ('' for the root), one `/name` per component.
    let resolved = '';
    for (let hops = 0; parts.length > 0;) {
      const part = parts.shift() as string;
      if (part === '.') continue;
      if (part === '..') {
        resolved = resolved.slice(0, resolved.lastIndexOf('/'));
        continue;
      }
      const candidate = `${resolved}/${part}`;
      if (parts.length > 0 || followLast) {
        const target = await this.#linkAt(candidate);
        if (target !== undefined) {
          // The host's own read names a loop; the path is left as it is for it.
          if (++hops > MAX_LINKS) return normal;
          parts.unshift(...target.split('/').filter(Boolean));
          if (target.startsWith('/')) resolved = '';
          continue;
        }
      }
      resolved = candidate;
    }
    return resolved === '' ? '/' : resolved;
  }

  /** `resolve` for a read: with nothing planned, the host resolves the path itself, alike. */
  async #readPath(path: string, followLast = true): Promise<string> {
    return this.#overlay.size === 0 ? normalizeTargetPath(path) : this.resolve(path, followLast);
  }

  /** The target of a symlink at `p` (whose parents are resolved), planned or on the target. */
  async #linkAt(p: string): Promise<string | undefined> {
    const entry = this.#overlay.get(p);
    if (entry) return entry.kind === 'symlink' ? entry.target : undefined;
    if (this.#removedAncestor(p)) return undefined;
    if ((await this.#host.stat(p))?.kind !== 'symlink') return undefined;
    return this.#host.readlink(p);
  }

  #ensureParents(p: string): void {
    for (let dir = parentOf(p); dir !== '/' && dir !== p; dir = parentOf(dir)) {
      const entry = this.#overlay.get(dir);
      if (entry === undefined || entry.kind === 'removed') {
        if (entry?.kind === 'removed') this.#put(dir, { kind: 'directory', mode: 0o755 });
        else if (!this.#overlay.has(dir)) this.#put(dir, { kind: 'directory', mode: 0o755 });
      }
    }
  }

  /** Set what the plan leaves at `p`. */
  #put(p: string, entry: Entry): void {
    if (this.#overlay.get(p)?.kind === 'removed') this.#removals--;
    if (entry.kind === 'removed') this.#removals++;
    this.#overlay.set(p, entry);
    this.#resolved?.clear();
  }

  #removedAncestor(p: string): boolean {
    if (this.#removals === 0) return false;
    for (let dir = parentOf(p); ; dir = parentOf(dir)) {
      if (this.#overlay.get(dir)?.kind === 'removed') return true;
      if (dir === '/') return false;
    }
  }
}
