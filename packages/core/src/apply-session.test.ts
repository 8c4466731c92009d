import { execFileSync, spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRuns } from './apply/index.js';
import { ApplySession, explainedBy } from './apply-session.js';
import { commandPaths, type Change } from './change.js';
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

/** A step that runs one command (the recorded host only notes it). */
const runCommand = (touches: string[]): Step<unknown, unknown> =>
  defineStep<unknown, undefined>({
    id: 'run-command',
    title: 'Run a command',
    phase: 'Preparing the System',
    howtoSection: 'Test',
    detect: () => Promise.resolve(undefined),
    plan: () => ({
      status: 'pending',
      reason: 'run it',
      changes: [{ kind: 'command', argv: ['tool', '--out=/var/out'], why: 'test', touches }],
    }),
  });

describe('ApplySession: a command explains only the differences in what it may change', () => {
  it('refuses a later step whose file changed outside what the command names or touches', async () => {
    await writeFile(join(root, 'etc/conf'), 'a\n');
    const command = runCommand(['/etc/other']);
    const plans = [await shown(command), await shown(appendLine)];
    await writeFile(join(root, 'etc/conf'), 'edited meanwhile\n');
    const session = await ApplySession.open(host, { skipCommands: false });
    await session.applyStep(command, plans[0]!, {});
    expect(host.calls.map((c) => c.argv)).toEqual([['tool', '--out=/var/out']]);
    await expect(session.applyStep(appendLine, plans[1]!, {})).rejects.toThrow(
      /\/etc\/conf.*no command run since explains it/,
    );
    await session.close();
    expect(await readFile(join(root, 'etc/conf'), 'utf8')).toBe('edited meanwhile\n');
  });

  it('accepts the new plan when the differing file is under a path the command touches', async () => {
    await writeFile(join(root, 'etc/conf'), 'a\n');
    const command = runCommand(['/etc']);
    const plans = [await shown(command), await shown(appendLine)];
    await writeFile(join(root, 'etc/conf'), 'written by the command\n');
    const session = await ApplySession.open(host, { skipCommands: false });
    await session.applyStep(command, plans[0]!, {});
    const result = await session.applyStep(appendLine, plans[1]!, {});
    await session.close();
    expect(result.replanned).toBe(true);
    expect(await readFile(join(root, 'etc/conf'), 'utf8')).toBe('written by the command\nxen\n');
  });

  it('explainedBy: named paths, touches, installed packages; manual changes need none', () => {
    const ran = { paths: ['/usr/src/linux-6.12', '/boot'], packages: ['app-emulation/xen'] };
    const file = (path: string): Change => ({ kind: 'file', path, before: null, after: '' });
    expect(explainedBy(file('/boot/grub/grub.cfg'), ran)).toBe(true);
    expect(explainedBy(file('/bootx/a'), ran)).toBe(false);
    expect(explainedBy(file('/var/db/pkg/app-emulation/xen-4.19.2/USE'), ran)).toBe(true);
    expect(explainedBy(file('/var/db/pkg/app-emulation/xen-tools-4.19.2/USE'), ran)).toBe(false);
    const cmd = (argv: string[], installs?: string[]): Change => ({
      kind: 'command',
      argv,
      why: '',
      ...(installs ? { installs } : {}),
    });
    expect(explainedBy(cmd(['make', '-C', '/usr/src/linux-6.12', 'O=/usr/src/linux-6.12/_dom0']), ran)).toBe(
      true,
    );
    expect(explainedBy(cmd(['emerge', 'app-emulation/xen'], ['app-emulation/xen']), ran)).toBe(true);
    expect(explainedBy(cmd(['lilo']), ran)).toBe(false);
    expect(explainedBy({ kind: 'manual', text: 'reboot' }, ran)).toBe(true);
    expect(
      commandPaths({
        kind: 'command',
        argv: ['systemctl', '--root=/mnt', 'enable', 'x'],
        why: '',
        cwd: '/tmp',
      }),
    ).toEqual(['/tmp', '/mnt']);
  });
});

const imageTools = ['tar', 'mke2fs'].every((t) => spawnSync(t, ['-V']).error === undefined);

/** Builds /var/xen/NAME.img from /opt/stage.tar for each name, unless they are there. */
function imageStep(names: string[]): Step<unknown, unknown> {
  return defineStep<unknown, boolean[]>({
    id: 'image',
    title: 'Build images',
    phase: 'Creating DomUs',
    howtoSection: 'Test',
    detect: ({ view }) =>
      Promise.all(names.map(async (n) => (await view.exists(`/var/xen/${n}.img`)) === true)),
    plan: (there) =>
      there.every(Boolean)
        ? { status: 'done', reason: 'built' }
        : {
            status: 'pending',
            reason: 'missing',
            changes: names.map((n) => ({
              kind: 'image' as const,
              path: `/var/xen/${n}.img`,
              bytes: 8 << 20,
              filesystem: 'ext4' as const,
              archive: '/opt/stage.tar',
              stage: `/var/xen/${n}.img.xen-gentoo-stage`,
              mount: false,
              parts: [],
              why: 'test',
            })),
          },
  });
}

describe.runIf(imageTools)('ApplySession: a staged tree set aside', () => {
  beforeEach(async () => {
    await mkdir(join(root, 'opt/src/etc'), { recursive: true });
    await writeFile(join(root, 'opt/src/etc/hostname'), 'guest\n');
    execFileSync('tar', ['-cf', join(root, 'opt/stage.tar'), '-C', join(root, 'opt/src'), '.']);
  });

  const xen = async () => (await readdir(join(root, 'var/xen'))).sort();

  it('is removed once the run is closed (out of the way of its fsyncs), and settle waits for it', async () => {
    const step = imageStep(['g']);
    const session = await ApplySession.open(host, { skipCommands: true });
    await session.applyStep(step, await shown(step), {});
    expect((await xen()).filter((n) => n.startsWith('g.img.xen-gentoo-stage.removing-'))).toHaveLength(1);
    await session.close();
    await session.settle();
    expect(await xen()).toEqual(['g.img']);
  });

  it('of one image is being removed while the next image is built, so one stays on the disk at a time', async () => {
    const step = imageStep(['a', 'b']);
    const session = await ApplySession.open(host, { skipCommands: true });
    await session.applyStep(step, await shown(step), {});
    const left = (await xen()).filter((n) => n.includes('.removing-'));
    expect(left.every((n) => n.startsWith('b.img.'))).toBe(true);
    await session.close();
    await session.settle();
    expect(await xen()).toEqual(['a.img', 'b.img']);
  });
});

describe('ApplySession: staged trees a killed run set aside', () => {
  const state = () => join(root, 'var/lib/xen-gentoo');

  it('a normal run leaves no list of trees behind', async () => {
    if (!imageTools) return;
    await mkdir(join(root, 'opt/src/etc'), { recursive: true });
    await writeFile(join(root, 'opt/src/etc/hostname'), 'guest\n');
    execFileSync('tar', ['-cf', join(root, 'opt/stage.tar'), '-C', join(root, 'opt/src'), '.']);
    const step = imageStep(['g']);
    const session = await ApplySession.open(host, { skipCommands: true });
    await session.applyStep(step, await shown(step), {});
    expect(await readdir(join(state(), 'removing'))).toHaveLength(1);
    await session.close();
    await session.settle();
    expect(await readdir(join(state(), 'removing'))).toEqual([]);
  });

  it('the next run removes the listed trees, named; a link, a foreign name or a climb out is left alone', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'xg-outside-'));
    try {
      await writeFile(join(outside, 'keep'), 'outside\n');
      const xen = join(root, 'var/xen');
      const tree = '/var/xen/g.img.xen-gentoo-stage.removing-123-456';
      await mkdir(join(root, tree, 'etc'), { recursive: true });
      await writeFile(join(root, tree, 'etc/hostname'), 'guest\n');
      const link = '/var/xen/h.img.xen-gentoo-stage.removing-1-2';
      symlinkSync(outside, join(root, link));
      await mkdir(join(xen, 'data'), { recursive: true });
      await mkdir(join(state(), 'removing'), { recursive: true, mode: 0o700 });
      await mkdir(join(state(), 'removing', 'not-a-list'));
      await writeFile(
        join(state(), 'removing', '20260101-000000-abcd'),
        JSON.stringify([
          tree,
          link,
          '/var/xen/data',
          '/var/xen/../../tmp/x.xen-gentoo-stage.removing-1-2',
          7,
        ]),
      );
      const session = await ApplySession.open(host, { skipCommands: true });
      await session.close();
      expect(session.leftovers).toEqual([
        `removed ${tree}, a staged tree run 20260101-000000-abcd had set aside and not removed`,
      ]);
      expect((await readdir(xen)).sort()).toEqual(['data', 'h.img.xen-gentoo-stage.removing-1-2']);
      expect(await readFile(join(outside, 'keep'), 'utf8')).toBe('outside\n');
      expect(await readdir(join(state(), 'removing'))).toEqual(['not-a-list']);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
