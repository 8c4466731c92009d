import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listrTasks, runProgress, type ProgressTask } from './progress.js';

type Written = [stream: 'out' | 'err', text: string][];

/** What a run writes to stdout and stderr, in order. */
async function capture(run: () => Promise<void>): Promise<{ written: Written; error?: unknown }> {
  const written: Written = [];
  const out = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => (written.push(['out', String(chunk)]), true));
  const err = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => (written.push(['err', String(chunk)]), true));
  try {
    await run();
    return { written };
  } catch (error) {
    return { written, error };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** The same tasks drawn by listr2's simple renderer, as apply drew them before. */
async function listr(tasks: ProgressTask[]): Promise<void> {
  const { Listr } = await import('listr2');
  await new Listr(listrTasks(tasks), {
    concurrent: false,
    exitOnError: true,
    renderer: 'simple',
    registerSignalListeners: false,
  }).run();
}

function tasks(failure?: unknown): ProgressTask[] {
  return [
    { title: 'make-conf: Set CFLAGS', task: async (retitle) => retitle('make-conf: 1 change(s) applied') },
    { title: 'two lines\n  \nof 100%% title', task: async () => undefined },
    {
      title: 'emerge-xen: Install',
      task: async (retitle) => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a task may throw anything
        if (failure !== undefined) throw failure;
        retitle('emerge-xen: 0 change(s) applied, 1 command(s) skipped');
      },
    },
    { title: 'never reached when the one before fails', task: async () => undefined },
  ];
}

describe('progress without a terminal', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    process.env.NO_COLOR = '1';
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it.each([
    ['every task succeeds', undefined],
    ['a task fails', new Error('exit 1: emerge failed\nsecond line')],
    ['a task fails without a message', new Error('')],
    ['a task throws a string', 'plain string'],
  ])('writes the lines listr2 writes when %s', async (_, failure) => {
    const ours = await capture(() => runProgress(tasks(failure), 'simple'));
    const theirs = await capture(() => listr(tasks(failure)));
    expect(ours.written).toEqual(theirs.written);
    expect(ours.error).toBe(theirs.error);
    expect(ours.written.length).toBeGreaterThan(4);
  });

  it('writes nothing for JSON and still runs every task, stopping at a failure', async () => {
    const ran: string[] = [];
    const failure = new Error('boom');
    const { written, error } = await capture(() =>
      runProgress(
        [
          { title: 'a', task: async () => void ran.push('a') },
          {
            title: 'b',
            task: async () => {
              ran.push('b');
              throw failure;
            },
          },
          { title: 'c', task: async () => void ran.push('c') },
        ],
        'silent',
      ),
    );
    expect(written).toEqual([]);
    expect(error).toBe(failure);
    expect(ran).toEqual(['a', 'b']);
  });
});
