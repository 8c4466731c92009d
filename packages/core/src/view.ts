import type { Change } from './change.js';
import type { FileInfo, Host, RunOptions, RunResult, TargetReader } from './host.js';
import { normalizeTargetPath, parentOf } from './paths.js';

type Entry =
  | { kind: 'file'; content: string; mode: number }
  | { kind: 'symlink'; target: string }
  | { kind: 'directory'; mode: number }
  | { kind: 'removed' };

/**
 * A view of the target as the steps planned so far would leave it. Reads fall through to the
 * host for every path that no planned change touches. Nothing here writes.
 */
export class View implements TargetReader {
  readonly #host: Host;
  readonly #overlay = new Map<string, Entry>();
  readonly #pendingInstalls = new Set<string>();

  constructor(host: Host) {
    this.#host = host;
  }

  get root(): string {
    return this.#host.root;
  }

  /** Packages (category/name) that a planned command will install. */
  get pendingInstalls(): ReadonlySet<string> {
    return this.#pendingInstalls;
  }

  async readFile(path: string): Promise<string | undefined> {
    const p = normalizeTargetPath(path);
    const entry = this.#overlay.get(p);
    if (entry) return entry.kind === 'file' ? entry.content : undefined;
    if (await this.#removedAncestor(p)) return undefined;
    return this.#host.readFile(p);
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    const p = normalizeTargetPath(path);
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
    if (await this.#removedAncestor(p)) return undefined;
    return this.#host.stat(p);
  }

  async readlink(path: string): Promise<string | undefined> {
    const p = normalizeTargetPath(path);
    const entry = this.#overlay.get(p);
    if (entry) return entry.kind === 'symlink' ? entry.target : undefined;
    return this.#host.readlink(p);
  }

  async list(path: string): Promise<string[] | undefined> {
    const p = normalizeTargetPath(path);
    const entry = this.#overlay.get(p);
    if (entry && entry.kind !== 'directory') return undefined;
    const names = new Set((await this.#host.list(p)) ?? []);
    let known = entry !== undefined || (await this.#host.stat(p))?.kind === 'directory';
    for (const [key, value] of this.#overlay) {
      if (parentOf(key) !== p) continue;
      const name = key.slice(p === '/' ? 1 : p.length + 1);
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

  /** Lay a step's planned changes over the view, so later steps see them. */
  apply(changes: readonly Change[]): void {
    for (const change of changes) {
      switch (change.kind) {
        case 'file': {
          const p = normalizeTargetPath(change.path);
          this.#ensureParents(p);
          const previous = this.#overlay.get(p);
          this.#overlay.set(p, {
            kind: 'file',
            content: change.after,
            mode: change.mode ?? (previous?.kind === 'file' ? previous.mode : 0o644),
          });
          break;
        }
        case 'symlink': {
          const p = normalizeTargetPath(change.path);
          this.#ensureParents(p);
          this.#overlay.set(p, { kind: 'symlink', target: change.target });
          break;
        }
        case 'directory': {
          const p = normalizeTargetPath(change.path);
          this.#ensureParents(p);
          this.#overlay.set(p, { kind: 'directory', mode: change.mode ?? 0o755 });
          break;
        }
        case 'remove':
          this.#overlay.set(normalizeTargetPath(change.path), { kind: 'removed' });
          break;
        case 'command':
          for (const pkg of change.installs ?? []) this.#pendingInstalls.add(pkg);
          break;
        case 'manual':
          break;
      }
    }
  }

  #ensureParents(p: string): void {
    for (let dir = parentOf(p); dir !== '/' && dir !== p; dir = parentOf(dir)) {
      const entry = this.#overlay.get(dir);
      if (entry === undefined || entry.kind === 'removed') {
        if (entry?.kind === 'removed') this.#overlay.set(dir, { kind: 'directory', mode: 0o755 });
        else if (!this.#overlay.has(dir)) this.#overlay.set(dir, { kind: 'directory', mode: 0o755 });
      }
    }
  }

  async #removedAncestor(p: string): Promise<boolean> {
    for (let dir = parentOf(p); ; dir = parentOf(dir)) {
      if (this.#overlay.get(dir)?.kind === 'removed') return true;
      if (dir === '/') return false;
    }
  }
}
