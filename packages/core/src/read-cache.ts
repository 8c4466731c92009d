import type { FileInfo, Host, RunOptions, RunResult, TargetReader } from './host.js';

/**
 * A host whose reads are each made once: the same path read, stat'ed, listed or followed again
 * gets the first answer (an error too). For one plan only, which writes nothing: the view it
 * plans over lays the plan's own changes on top, so a read still sees what earlier steps
 * planned. Never for applying, where files change on disk between reads. Commands are run by
 * the host every time. Paths are keyed as given (the view gives them normalised). The reads go
 * through the host's `planReads` where it has them (a LocalHost looks at each directory once).
 */
export class CachedReads implements Host {
  readonly #host: Host;
  readonly #reader: TargetReader;
  readonly #files = new Map<string, Promise<string | undefined>>();
  readonly #bytes = new Map<string, Promise<Buffer | undefined>>();
  readonly #stats = new Map<string, Promise<FileInfo | undefined>>();
  readonly #links = new Map<string, Promise<string | undefined>>();
  readonly #lists = new Map<string, Promise<string[] | undefined>>();

  constructor(host: Host) {
    this.#host = host;
    this.#reader = host.planReads?.() ?? host;
    if (!this.#reader.readBytes) this.readBytes = undefined;
  }

  get root(): string {
    return this.#host.root;
  }

  async readFile(path: string): Promise<string | undefined> {
    return once(this.#files, path, (p) => this.#reader.readFile(p));
  }

  /** The bytes (a copy: a caller may change its buffer). */
  readBytes?: (path: string, limit: number) => Promise<Buffer | undefined> = async (path, limit) => {
    const bytes = await once(this.#bytes, `${limit}:${path}`, () => this.#reader.readBytes!(path, limit));
    return bytes === undefined ? undefined : Buffer.from(bytes);
  };

  async stat(path: string): Promise<FileInfo | undefined> {
    const info = await once(this.#stats, path, (p) => this.#reader.stat(p));
    return info === undefined ? undefined : { ...info };
  }

  async readlink(path: string): Promise<string | undefined> {
    return once(this.#links, path, (p) => this.#reader.readlink(p));
  }

  async list(path: string): Promise<string[] | undefined> {
    const names = await once(this.#lists, path, (p) => this.#reader.list(p));
    return names === undefined ? undefined : [...names];
  }

  run(argv: string[], options?: RunOptions): Promise<RunResult> {
    return this.#host.run(argv, options);
  }
}

function once<T>(memo: Map<string, Promise<T>>, key: string, read: (key: string) => Promise<T>): Promise<T> {
  let answer = memo.get(key);
  if (answer === undefined) {
    answer = read(key);
    memo.set(key, answer);
  }
  return answer;
}
