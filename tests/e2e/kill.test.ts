/**
 * The apply engine under SIGKILL: a child process applies a plan of file changes (some of them
 * large) and is killed at random instants. After every kill each target must hold either its
 * old or its new content, never a mix; the next run (which recovers the killed one) must end
 * with exactly the tree of an uninterrupted run and no stray temporary file; and rolling back
 * every run must give back the original tree.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import {
  access,
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../packages/core/src/change.js';
import { LocalHost } from '../../packages/core/src/local-host.js';
import {
  TEMP_SUFFIX,
  acquireLock,
  applyChange,
  listRuns,
  openJournal,
  recoverInterrupted,
  rollbackRun,
} from '../../packages/core/src/apply/index.js';

const REPO = resolve(import.meta.dirname, '../..');
const CORE_SRC = join(REPO, 'packages/core/src');
const CHILD = join(import.meta.dirname, 'fixtures/apply-child.mjs');
const ITERATIONS = 40;
const isRoot = process.getuid?.() === 0;

let work: string;
let build: string;

/**
 * Compile the apply engine and what it imports to JavaScript (type-stripping only), so that a
 * plain `node` child can run it.
 */
async function compileCore(): Promise<void> {
  const pending = ['apply/index.ts'];
  const done = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const source = await readFile(join(CORE_SRC, file), 'utf8');
    for (const [, spec] of source.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
      pending.push(relative(CORE_SRC, resolve(CORE_SRC, dirname(file), `${spec}.ts`)));
    }
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ES2022,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
      fileName: file,
    });
    const out = join(build, file.replace(/\.ts$/, '.js'));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
  await writeFile(join(build, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(REPO, 'packages/core/node_modules'), join(build, 'node_modules'));
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Text of about `size` bytes whose every line names its owner, so two versions never mix unseen. */
function text(label: string, size: number): string {
  const line = (i: number) => `${label} line ${String(i).padStart(7, '0')} ${'x'.repeat(40)}\n`;
  const lines: string[] = [];
  for (let i = 0, n = 0; n < size; i++) {
    const l = line(i);
    lines.push(l);
    n += l.length;
  }
  return lines.join('');
}

const MB = 1024 * 1024;
const OLD = {
  makeConf: text('old make.conf', MB),
  grub: text('old grub.conf', 300 * 1024),
  net: 'config_eth0="dhcp"\n',
  obsolete: text('old xend-config', 64 * 1024),
};
const NEW = {
  makeConf: text('new make.conf', MB + 4096),
  grub: text('new grub.conf', 280 * 1024),
  net: 'config_eth0="null"\nbridge_xenbr0="eth0"\nconfig_xenbr0="dhcp"\n',
  kernelConfig: text('new kernel config', MB),
  vm1: 'name = "vm1"\nmemory = 512\n',
};

/** The target before the plan: make.conf reached through the old /etc/make.conf symlink. */
async function writeOriginal(root: string): Promise<void> {
  await mkdir(join(root, 'etc/portage'), { recursive: true });
  await mkdir(join(root, 'boot/grub'), { recursive: true });
  await mkdir(join(root, 'etc/conf.d'), { recursive: true });
  await mkdir(join(root, 'var/lib'), { recursive: true });
  await writeFile(join(root, 'etc/portage/make.conf'), OLD.makeConf);
  await symlink('portage/make.conf', join(root, 'etc/make.conf'));
  await writeFile(join(root, 'boot/grub/grub.conf'), OLD.grub);
  await chmod(join(root, 'boot/grub/grub.conf'), 0o600);
  if (isRoot) await chown(join(root, 'boot/grub/grub.conf'), 1234, 5678);
  await writeFile(join(root, 'etc/conf.d/net'), OLD.net);
  await writeFile(join(root, 'etc/xend-config.sxp'), OLD.obsolete);
  await symlink('net.lo', join(root, 'etc/conf.d/net.eth0'));
}

// Small changes first, so that a kill at a random instant often falls between two changes.
const PLAN: Change[] = [
  { kind: 'file', path: '/etc/conf.d/net', before: OLD.net, after: NEW.net },
  { kind: 'symlink', path: '/etc/conf.d/net.xenbr0', target: 'net.lo', before: null },
  { kind: 'symlink', path: '/etc/conf.d/net.eth0', target: 'net.xenbr0', before: 'net.lo' },
  { kind: 'directory', path: '/var/lib/xen/images', mode: 0o700 },
  { kind: 'file', path: '/etc/xen/auto/vm1', before: null, after: NEW.vm1 },
  { kind: 'file', path: '/etc/make.conf', before: OLD.makeConf, after: NEW.makeConf },
  { kind: 'file', path: '/boot/grub/grub.conf', before: OLD.grub, after: NEW.grub },
  { kind: 'file', path: '/etc/kernels/xen/config', before: null, after: NEW.kernelConfig, mode: 0o600 },
  { kind: 'remove', path: '/etc/xend-config.sxp', before: OLD.obsolete },
];

/** Acceptable states of each target after a kill: all old or all new. */
const EITHER: [path: string, old: string | null, new_: string | null][] = [
  ['etc/portage/make.conf', OLD.makeConf, NEW.makeConf],
  ['boot/grub/grub.conf', OLD.grub, NEW.grub],
  ['etc/conf.d/net', OLD.net, NEW.net],
  ['etc/kernels/xen/config', null, NEW.kernelConfig],
  ['etc/xen/auto/vm1', null, NEW.vm1],
  ['etc/conf.d/net.xenbr0', null, '-> net.lo'],
  ['etc/conf.d/net.eth0', '-> net.lo', '-> net.xenbr0'],
  ['etc/xend-config.sxp', OLD.obsolete, null],
];

async function contentOf(path: string): Promise<string | null> {
  const stats = await lstat(path).catch(() => undefined);
  if (!stats) return null;
  if (stats.isSymbolicLink()) return `-> ${await readlink(path)}`;
  return readFile(path, 'utf8');
}

/** Every entry under `root` with type, mode, owner and content; the engine's state left out. */
async function snapshot(root: string, withState = false): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    const rel = relative(root, full);
    if (!withState && rel.startsWith('var/lib/xen-gentoo')) continue;
    const s = await lstat(full);
    const body = s.isSymbolicLink()
      ? `-> ${await readlink(full)}`
      : s.isFile()
        ? createHash('sha256')
            .update(await readFile(full))
            .digest('hex')
        : 'directory';
    out[rel] = `${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid} ${body}`;
  }
  return out;
}

/** Apply the plan in this process, the way every run starts: lock, recover, journal. */
async function applyInProcess(root: string): Promise<void> {
  const host = new LocalHost(root);
  const lock = await acquireLock(host);
  try {
    await recoverInterrupted(host);
    const journal = await openJournal(host);
    for (const change of PLAN) await applyChange(change, { host, journal, skipCommands: false });
    await journal.finish();
  } finally {
    await lock.release();
  }
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface ChildRun {
  child: ChildProcess;
  /** Resolves once the child has loaded the engine (or exited). */
  ready: Promise<void>;
  /** Resolves once the child prints `line` (or exits). */
  reached(line: string): Promise<void>;
  /** Tell an `apply` child which root to work on. */
  go(root: string): void;
  exited: Promise<ChildResult>;
}

function startChild(args: string[]): ChildRun {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiting: { line: string; resolve: () => void }[] = [];
  const check = (ended: boolean) => {
    for (const w of [...waiting]) {
      if (ended || stdout.split('\n').includes(w.line)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const reached = (line: string) =>
    new Promise<void>((resolve) => {
      waiting.push({ line, resolve });
      check(child.exitCode !== null || child.signalCode !== null);
    });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    check(false);
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin?.on('error', () => undefined); // killed before reading
  const exited = new Promise<ChildResult>((res) =>
    child.on('close', (code, signal) => {
      check(true);
      res({ code, signal, stdout, stderr });
    }),
  );
  return { child, ready: reached('ready'), reached, exited, go: (root) => child.stdin?.end(`go ${root}\n`) };
}

async function freshRoot(name: string): Promise<string> {
  const root = join(work, name);
  await rm(root, { recursive: true, force: true });
  await mkdir(root);
  await writeOriginal(root);
  return root;
}

async function findStray(root: string): Promise<string[]> {
  const names = await readdir(root, { recursive: true });
  return names.filter((n) => n.endsWith(TEMP_SUFFIX) || /(^|\/)lock(\.|$)/.test(n)).sort();
}

beforeAll(async () => {
  // A memory file system when there is one: the kills test process death, not power loss, and
  // without disk syncs the runs take a steady time, so the random kills spread over the whole run.
  const shm = '/dev/shm';
  const base = (await access(shm, constants.W_OK).then(
    () => true,
    () => false,
  ))
    ? shm
    : tmpdir();
  work = await mkdtemp(join(base, 'xg-kill-'));
  build = join(work, 'build');
  await compileCore();
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('apply killed at random instants', () => {
  it(`never leaves a half-written file, and the next run finishes the job (${ITERATIONS} kills)`, async () => {
    const seed = Number(process.env.XG_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const rand = random(seed);
    const planFile = join(work, 'plan.json');
    await writeFile(planFile, JSON.stringify(PLAN));

    const originalRoot = await freshRoot('original');
    const original = await snapshot(originalRoot);
    const referenceRoot = await freshRoot('reference');
    await applyInProcess(referenceRoot);
    const reference = await snapshot(referenceRoot);
    expect(reference).not.toEqual(original);

    // Uninterrupted child runs, to know how long a change takes.
    const durations: number[] = [];
    for (let i = 0; i < 3; i++) {
      const timedRoot = await freshRoot(`timed-${i}`);
      const timedRun = startChild(['apply', build, planFile]);
      await timedRun.ready;
      timedRun.go(timedRoot);
      const timed = await timedRun.exited;
      expect(timed.stderr).toBe('');
      expect(timed.code).toBe(0);
      expect(await snapshot(timedRoot)).toEqual(reference);
      durations.push(Number(/done ([\d.]+)/.exec(timed.stdout)?.[1]));
    }
    const duration = durations.sort((a, b) => a - b)[1] ?? 0;
    expect(duration).toBeGreaterThan(0);
    // Kill instants are random, but spread over the whole run whatever the machine's load: a
    // random point to start from (the go, or the start of a change), then a random delay of up to
    // twice the mean time of a change.
    const slice = (2 * duration) / (PLAN.length + 1);
    const killAt = async (run: ChildRun) => {
      const from = Math.floor(rand() * (PLAN.length + 1)) - 1;
      if (from >= 0) await run.reached(`at ${from}`);
      await new Promise((res) => setTimeout(res, rand() * slice));
    };

    let interrupted = 0;
    let partial = 0;
    let withTemps = 0;
    // Each child is started while the previous one's tree is checked, so that Node's startup is
    // not paid in series (but does not slow the run being killed); it begins its run when told
    // which root to work on.
    let next = startChild(['apply', build, planFile]);
    for (let i = 0; i < ITERATIONS; i++) {
      const why = `iteration ${i}, seed ${seed} (XG_KILL_SEED=${seed} replays it)`;
      const root = await freshRoot(`victim-${i}`);
      const run = next;
      await run.ready;
      run.go(root);
      await killAt(run);
      run.child.kill('SIGKILL');
      const result = await run.exited;
      if (i + 1 < ITERATIONS) next = startChild(['apply', build, planFile]);
      if (result.signal === 'SIGKILL') interrupted++;
      else expect(result.stderr, why).toBe('');

      // Every target is wholly old or wholly new.
      let changed = 0;
      for (const [path, old, new_] of EITHER) {
        const now = await contentOf(join(root, path));
        expect(now === old || now === new_, `${path} is neither old nor new, ${why}`).toBe(true);
        if (now !== old) changed++;
      }
      if (changed > 0 && changed < EITHER.length) partial++;

      // Recovery alone removes every temporary file the killed run left, and nothing else.
      const host = new LocalHost(root);
      const temps = (await readdir(root, { recursive: true })).filter((n) => n.endsWith(TEMP_SUFFIX));
      if (temps.length > 0) withTemps++;
      const beforeRecovery = await snapshot(root);
      const lock = await acquireLock(host);
      const removed = await recoverInterrupted(host);
      await lock.release();
      expect(removed.filter((p) => p.endsWith(TEMP_SUFFIX)).sort(), why).toEqual(
        temps.map((n) => `/${n}`).sort(),
      );
      const afterRecovery = await snapshot(root);
      for (const n of temps) delete beforeRecovery[n];
      expect(afterRecovery, why).toEqual(beforeRecovery);

      // The next run ends with exactly the uninterrupted tree, nothing stray.
      await applyInProcess(root);
      expect(await snapshot(root), why).toEqual(reference);
      expect(await findStray(root), why).toEqual([]);
      const runs = await listRuns(new LocalHost(root));
      expect(
        runs.every((r) => r.status === 'ok' || r.status === 'interrupted'),
        why,
      ).toBe(true);

      // Rolling back every run, newest first, gives back the original tree.
      for (const r of runs.filter((x) => x.changes > 0).reverse()) await rollbackRun(host, r.runId);
      expect(await snapshot(root), why).toEqual(original);
      expect(await findStray(root), why).toEqual([]);
      await rm(root, { recursive: true, force: true });
    }
    // The kills must have landed in the middle of runs, or this test proves nothing.
    expect(interrupted, `seed ${seed}`).toBeGreaterThanOrEqual(ITERATIONS / 2);
    expect(partial, `seed ${seed}`).toBeGreaterThanOrEqual(ITERATIONS / 4);
    if (process.env.XG_KILL_STATS) console.log({ seed, duration, interrupted, partial, withTemps });
  }, 240_000);
});

describe('runs started at once in separate processes', () => {
  // Each run that takes the lock holds it until every other run has given its answer, so that a
  // run starting late on a loaded machine cannot take the lock after the first released it.
  async function race(root: string, count: number): Promise<void> {
    const runs = Array.from({ length: count }, () => startChild(['lock', build, root]));
    const answered = (run: ChildRun) =>
      Promise.race([run.reached('locked'), run.reached(`refused locked`)]).then(() => run);
    const answers = await Promise.all(runs.map(answered));
    for (const run of answers) run.child.stdin?.end();
    const results = await Promise.all(runs.map((r) => r.exited));
    const outputs = results.map((r) => r.stdout.trim()).sort();
    expect(outputs).toEqual(['locked', ...Array<string>(count - 1).fill('refused locked')]);
    expect(results.map((r) => r.code).sort()).toEqual([0, ...Array<number>(count - 1).fill(6)]);
    expect(await findStray(root)).toEqual([]);
  }

  it('exactly one takes the lock; the others are refused with exit code 6', async () => {
    await race(await freshRoot('lock'), 4);
  });

  it('exactly one takes over a stale lock that all of them find', async () => {
    const root = await freshRoot('stale-lock');
    const gone = spawnSync('true').pid;
    await mkdir(join(root, 'var/lib/xen-gentoo'), { recursive: true });
    await writeFile(
      join(root, 'var/lib/xen-gentoo/lock'),
      JSON.stringify({ pid: gone, startedAt: '2026-11-25T10:00:00.000Z', hostname: hostname() }),
    );
    await race(root, 6);
  });
});
