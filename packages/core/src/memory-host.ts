import type { FileInfo, Host, RunResult } from './host.js';
import { normalizeTargetPath, parentOf } from './paths.js';
import { InputError } from './errors.js';
import { decodeUtf8 } from './regular-file.js';

/**
 * A target held in memory: files and symlinks by absolute path (directories are implied).
 * For step tests written as tables; it runs no program.
 */
export class MemoryHost implements Host {
  readonly root = '/';
  readonly files = new Map<string, string>();
  readonly links = new Map<string, string>();
  /** Files that are not text: readBytes gives them, readFile refuses them as invalid UTF-8. */
  readonly binaries = new Map<string, Uint8Array>();

  constructor(files: Record<string, string> = {}, links: Record<string, string> = {}) {
    for (const [path, content] of Object.entries(files)) this.files.set(normalizeTargetPath(path), content);
    for (const [path, target] of Object.entries(links)) this.links.set(normalizeTargetPath(path), target);
  }

  async readFile(path: string): Promise<string | undefined> {
    const p = this.#follow(normalizeTargetPath(path));
    const bytes = this.binaries.get(p);
    return bytes === undefined ? this.files.get(p) : decodeUtf8(Buffer.from(bytes), path);
  }

  /** The file's text as UTF-8, or the bytes set in `binaries` (files that are not text). */
  async readBytes(path: string, limit: number): Promise<Buffer | undefined> {
    const p = this.#follow(normalizeTargetPath(path));
    const text = this.files.get(p);
    const bytes = text === undefined ? this.binaries.get(p) : Buffer.from(text, 'utf8');
    if (bytes !== undefined && bytes.length > limit)
      throw new InputError(
        path,
        undefined,
        `is ${bytes.length} bytes, more than ${limit}`,
        `a file of at most ${limit} bytes`,
      );
    return bytes === undefined ? undefined : Buffer.from(bytes);
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    const p = normalizeTargetPath(path);
    const base = { mode: 0o644, uid: 0, gid: 0, size: 0, mtimeMs: 0 };
    if (this.links.has(p)) return { ...base, kind: 'symlink' };
    if (this.files.has(p)) return { ...base, kind: 'file', size: this.files.get(p)!.length };
    if (this.binaries.has(p)) return { ...base, kind: 'file', size: this.binaries.get(p)!.length };
    if (this.#isDir(p)) return { ...base, kind: 'directory', mode: 0o755 };
    return undefined;
  }

  async readlink(path: string): Promise<string | undefined> {
    return this.links.get(normalizeTargetPath(path));
  }

  async list(path: string): Promise<string[] | undefined> {
    const p = this.#follow(normalizeTargetPath(path));
    if (!this.#isDir(p)) return undefined;
    const names = new Set<string>();
    for (const key of [...this.files.keys(), ...this.links.keys(), ...this.binaries.keys()]) {
      if (!key.startsWith(p === '/' ? '/' : `${p}/`)) continue;
      const rest = key.slice(p === '/' ? 1 : p.length + 1);
      names.add(rest.split('/')[0]!);
    }
    return [...names].sort();
  }

  async run(argv: string[]): Promise<RunResult> {
    throw new Error(`MemoryHost runs no program: ${argv.join(' ')}`);
  }

  #isDir(p: string): boolean {
    if (p === '/') return true;
    for (const key of [...this.files.keys(), ...this.links.keys(), ...this.binaries.keys()])
      if (key.startsWith(`${p}/`)) return true;
    return false;
  }

  /** Follow a symlink at the path itself (relative or absolute target), a few hops at most. */
  #follow(p: string): string {
    for (let i = 0; i < 8; i++) {
      const target = this.links.get(p);
      if (target === undefined) return p;
      p = normalizeTargetPath(target.startsWith('/') ? target : `${parentOf(p)}/${target}`);
    }
    return p;
  }
}
