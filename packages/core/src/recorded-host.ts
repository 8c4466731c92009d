import type { Host, RunOptions, RunResult } from './host.js';
import { LocalHost } from './local-host.js';

export interface RecordedCall {
  argv: string[];
  inRoot: boolean;
}

/** A canned answer for a probe: matched on the argv prefix. */
export interface CannedResponse {
  argv: string[];
  result: Partial<RunResult>;
}

/**
 * Reads a real target root but never runs a program: every call is recorded and answered from
 * canned responses (default: exit 0, no output). For programs this machine cannot run
 * (emerge, eselect, rc-update, genkernel …).
 */
export class RecordedHost extends LocalHost {
  readonly calls: RecordedCall[] = [];
  readonly #responses: CannedResponse[];

  constructor(root: string, responses: CannedResponse[] = []) {
    super(root);
    this.#responses = responses;
  }

  override async run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ argv: [...argv], inRoot: options.inRoot ?? false });
    const canned = this.#responses.find((r) => r.argv.every((a, i) => argv[i] === a));
    return { exitCode: 0, stdout: '', stderr: '', ...canned?.result };
  }
}

/** A host that wraps another and refuses every command: what a dry run hands to the steps. */
export function withoutCommands(host: Host): Host {
  return {
    root: host.root,
    readFile: (p) => host.readFile(p),
    ...(host.readBytes ? { readBytes: (p: string, limit: number) => host.readBytes!(p, limit) } : {}),
    stat: (p) => host.stat(p),
    readlink: (p) => host.readlink(p),
    list: (p) => host.list(p),
    ...(host.planReads ? { planReads: () => host.planReads!() } : {}),
    run: (argv: string[]) => Promise.reject(new Error(`not allowed to run ${argv.join(' ')} here`)),
  };
}
