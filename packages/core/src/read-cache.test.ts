import { describe, expect, it } from 'vitest';
import type { Host } from './host.js';
import { LocalHost } from './local-host.js';
import { MemoryHost } from './memory-host.js';
import { planSteps } from './plan.js';
import { withoutCommands } from './recorded-host.js';
import { defineStep, type Step } from './step.js';

/** A host that counts the reads that reach it, by method and path. */
function counting(host: Host): { host: Host; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const count = (what: string) => reads.set(what, (reads.get(what) ?? 0) + 1);
  return {
    reads,
    host: {
      root: host.root,
      readFile: (p) => (count(`readFile ${p}`), host.readFile(p)),
      stat: (p) => (count(`stat ${p}`), host.stat(p)),
      readlink: (p) => (count(`readlink ${p}`), host.readlink(p)),
      list: (p) => (count(`list ${p}`), host.list(p)),
      run: (argv, options) => host.run(argv, options),
    },
  };
}

/** A step that appends `line` to /etc/conf unless it is there; it also looks at /etc. */
function appending(id: string, line: string): Step<unknown, unknown> {
  return defineStep<unknown, string | undefined>({
    id,
    title: id,
    phase: 'Preparing the System',
    howtoSection: 'Test',
    detect: async ({ view }) => {
      await view.list('/etc');
      await view.stat('/etc/conf');
      return view.readFile('/etc/conf');
    },
    plan: (text) =>
      text?.includes(`${line}\n`)
        ? { status: 'done', reason: 'there' }
        : {
            status: 'pending',
            reason: 'missing',
            changes: [
              { kind: 'file', path: '/etc/conf', before: text ?? null, after: `${text ?? ''}${line}\n` },
            ],
          },
  });
}

const steps = [appending('a', 'a'), appending('b', 'b'), appending('a-again', 'a'), appending('c', 'c')];

describe('a plan reads each file of the target once', () => {
  it('steps reading the same files reach the host once per path, and see what earlier steps planned', async () => {
    const memory = new MemoryHost({ '/etc/conf': 'x\n', '/etc/other': 'y\n' });
    const { host, reads } = counting(memory);
    const plan = await planSteps(steps, host, {});
    expect(plan.steps.map((s) => s.status)).toEqual(['pending', 'pending', 'done', 'pending']);
    expect(plan.steps[3]!.changes).toEqual([
      { kind: 'file', path: '/etc/conf', before: 'x\na\nb\n', after: 'x\na\nb\nc\n' },
    ]);
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    expect(reads.get('readFile /etc/conf')).toBe(1);
  });

  it('the next plan reads the target again: what changed on it since is seen', async () => {
    const memory = new MemoryHost({ '/etc/conf': 'x\n' });
    const { host, reads } = counting(memory);
    expect((await planSteps(steps, host, {})).steps[0]!.status).toBe('pending');
    memory.files.set('/etc/conf', 'a\nb\nc\n');
    const again = await planSteps(steps, host, {});
    expect(again.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(reads.get('readFile /etc/conf')).toBe(2);
  });

  it("a dry run's host keeps the reads for one plan of the host it wraps", () => {
    const host = new LocalHost('/nonexistent');
    expect(typeof withoutCommands(host).planReads).toBe('function');
    expect('planReads' in withoutCommands(new MemoryHost())).toBe(false);
  });
});
