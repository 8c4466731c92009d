import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRuns } from './apply/index.js';
import { ApplySession } from './apply-session.js';
import { DriftError } from './errors.js';
import { RecordedHost } from './recorded-host.js';
import { planSteps, type PlannedStep } from './plan.js';
import { defineStep, type Step } from './step.js';

let root: string;
let host: RecordedHost;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'xg-session-'));
  host = new RecordedHost(root);
  await mkdir(join(root, 'etc'), { recursive: true });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A step that appends a line to /etc/conf unless it is there already. */
const appendLine = defineStep<unknown, string | undefined>({
  id: 'append-line',
  title: 'Append a line',
  phase: 'Preparing the System',
  howtoSection: 'Test',
  detect: ({ view }) => view.readFile('/etc/conf'),
  plan: (text) =>
    text?.includes('xen\n')
      ? { status: 'done', reason: 'there' }
      : {
          status: 'pending',
          reason: 'missing',
          changes: [{ kind: 'file', path: '/etc/conf', before: text ?? null, after: `${text ?? ''}xen\n` }],
        },
}) as Step<unknown, unknown>;

/** A pending step whose only change is for a person to make: applying it writes nothing. */
const manualOnly = defineStep<unknown, undefined>({
  id: 'manual-only',
  title: 'Tell the user',
  phase: 'Preparing the System',
  howtoSection: 'Test',
  detect: () => Promise.resolve(undefined),
  plan: () => ({ status: 'pending', reason: 'ask', changes: [{ kind: 'manual', text: 'reboot' }] }),
}) as Step<unknown, unknown>;

async function shown(step: Step<unknown, unknown>): Promise<PlannedStep> {
  const plan = await planSteps([step], host, {});
  return plan.steps[0]!;
}

const runDirs = async () => readdir(join(root, 'var/lib/xen-gentoo/runs')).catch(() => [] as string[]);

describe('ApplySession journal status', () => {
  it('records a run that changed files as ok', async () => {
    await writeFile(join(root, 'etc/conf'), 'a\n');
    const session = await ApplySession.open(host, { skipCommands: false });
    await session.applyStep(appendLine, await shown(appendLine), {});
    await session.close();
    expect(session.recorded).toBe(true);
    expect((await listRuns(host)).map((r) => [r.runId, r.status])).toEqual([[session.runId, 'ok']]);
  });

  it('records a run refused because a file changed since it was planned as failed', async () => {
    await writeFile(join(root, 'etc/conf'), 'a\n');
    const plan = await shown(appendLine);
    await writeFile(join(root, 'etc/conf'), 'edited meanwhile\n');
    const session = await ApplySession.open(host, { skipCommands: false });
    await expect(session.applyStep(appendLine, plan, {})).rejects.toThrow(DriftError);
    await session.close();
    expect((await listRuns(host)).map((r) => [r.runId, r.status])).toEqual([[session.runId, 'failed']]);
  });

  it('records a run whose step threw as failed, and one the caller says failed', async () => {
    const broken = { ...appendLine, detect: () => Promise.reject(new Error('boom')) };
    const first = await ApplySession.open(host, { skipCommands: false });
    await expect(first.applyStep(broken, await shown(appendLine), {})).rejects.toThrow('boom');
    await first.close();
    const second = await ApplySession.open(host, { skipCommands: false });
    await second.close('failed');
    const status = new Map((await listRuns(host)).map((r) => [r.runId, r.status]));
    expect(status.get(first.runId)).toBe('failed');
    expect(status.get(second.runId)).toBe('failed');
  });

  it('leaves no run directory behind for a run that changed nothing', async () => {
    await writeFile(join(root, 'etc/conf'), 'a\n');
    const session = await ApplySession.open(host, { skipCommands: false });
    await session.applyStep(manualOnly, await shown(manualOnly), {});
    await session.close();
    expect(session.recorded).toBe(false);
    expect(await runDirs()).toEqual([]);
    expect(await listRuns(host)).toEqual([]);
    // The lock is released too: the next run opens.
    await (await ApplySession.open(host, { skipCommands: false })).close();
    expect(await runDirs()).toEqual([]);
  });
});
