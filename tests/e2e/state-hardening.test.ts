import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, cli, copyRoot, SAMPLES, snapshot, STATE_DIR } from './helpers.js';

// The target root is hostile ground: the tool's own state directory in it, and the journals
// there, must never lead it to write, read or delete anything outside the root. Paths outside
// the root are temporary directories made here; each test checks they are untouched.

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function root(): string {
  const dir = copyRoot(SAMPLES.current);
  made.push(dir);
  return dir;
}

/** A directory outside the root holding a victim tree a recursive delete would take. */
function victim(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xg-outside-'));
  made.push(dir);
  mkdirSync(join(dir, 'victim/20261125-000000-dead/backups'), { recursive: true });
  mkdirSync(join(dir, 'victim/photos'));
  writeFileSync(join(dir, 'victim/photos/cat.jpg'), 'meow');
  writeFileSync(join(dir, 'victim/000001'), 'not a backup');
  writeFileSync(join(dir, 'victim/notes.txt'), 'keep me\n');
  return dir;
}

const out = (r: { stdout: unknown; stderr: unknown }) => `${String(r.stderr)}${String(r.stdout)}`;

/** A clean refusal: the documented exit code, the message naming `path`, no stack trace. */
function expectRefused(
  r: { exitCode?: number; stdout: unknown; stderr: unknown },
  code: number,
  path: string,
) {
  expect(r.exitCode, out(r)).toBe(code);
  expect(String(r.stderr)).toContain(path);
  expect(String(r.stderr)).not.toMatch(/internal error|^\s+at /m);
}

async function applied(dir: string): Promise<string> {
  const r = await cli(['apply', '--root', dir, '--yes', '--skip-commands', '--json']);
  expect(r.exitCode, out(r)).toBe(0);
  return (JSON.parse(String(r.stdout)) as { runId: string }).runId;
}

describe('links planted in the state directory', () => {
  for (const kind of ['absolute', 'relative'] as const) {
    it(`a ${kind} runs link to a directory outside: apply, rollback and --list refuse it, exit 2, the victim untouched`, async () => {
      const dir = root();
      const outside = victim();
      const state = join(dir, STATE_DIR);
      mkdirSync(state, { recursive: true });
      const target = join(outside, 'victim');
      symlinkSync(kind === 'absolute' ? target : relative(state, target), join(state, 'runs'));
      const before = snapshot(outside);
      const tree = snapshot(dir, [STATE_DIR]);
      for (const args of [['apply', '--yes', '--skip-commands'], ['rollback'], ['rollback', '--list']]) {
        const r = await cli([...args, '--root', dir]);
        expectRefused(r, 2, join(state, 'runs'));
        expect(String(r.stderr)).toMatch(/is a symbolic link/);
      }
      expect(snapshot(outside)).toEqual(before);
      expect(snapshot(dir, [STATE_DIR])).toEqual(tree);
    });
  }

  it('a killed run whose backups link outside: the next apply refuses, unlinking nothing there', async () => {
    const dir = root();
    const outside = victim();
    const runId = await applied(dir);
    const runDir = join(dir, STATE_DIR, 'runs', runId);
    const journal = join(runDir, 'journal.jsonl');
    // As if killed: no end record; its backups replaced by a link to the victim.
    const lines = readFileSync(journal, 'utf8').trimEnd().split('\n');
    writeFileSync(journal, `${lines.slice(0, -1).join('\n')}\n`);
    rmSync(join(runDir, 'backups'), { recursive: true });
    symlinkSync(join(outside, 'victim'), join(runDir, 'backups'));
    const before = snapshot(outside);
    expectRefused(
      await cli(['apply', '--yes', '--skip-commands', '--root', dir]),
      2,
      join(runDir, 'backups'),
    );
    expectRefused(await cli(['rollback', '--root', dir]), 2, join(runDir, 'backups'));
    expect(snapshot(outside)).toEqual(before);
  });

  it('a journal link to a file outside is never truncated or appended to', async () => {
    const dir = root();
    const outside = victim();
    const runId = await applied(dir);
    const journal = join(dir, STATE_DIR, 'runs', runId, 'journal.jsonl');
    rmSync(journal);
    symlinkSync(join(outside, 'victim/notes.txt'), journal);
    for (const args of [['rollback'], ['rollback', '--list'], ['apply', '--yes', '--skip-commands']])
      expectRefused(await cli([...args, '--root', dir]), 2, journal);
    expect(readFileSync(join(outside, 'victim/notes.txt'), 'utf8')).toBe('keep me\n');
  });
});

describe('journal records are input', () => {
  it('a crafted tmp path climbing out of the root deletes nothing: apply refuses, naming the line', async () => {
    const dir = root();
    const outside = victim();
    const precious = join(outside, 'x.xen-gentoo-tmp');
    writeFileSync(precious, 'precious');
    const runDir = join(dir, STATE_DIR, 'runs/20261125-000000-evil');
    mkdirSync(join(runDir, 'backups'), { recursive: true });
    const records = [
      {
        t: 'start',
        version: 1,
        runId: '20261125-000000-evil',
        startedAt: '2026-11-25T00:00:00.000Z',
        pid: 1,
        root: '/',
      },
      {
        t: 'write',
        seq: 1,
        op: 'file',
        path: '/etc/x',
        target: '/etc/x',
        tmp: `/../../../../../../../..${precious}`,
        before: { kind: 'absent' },
        after: { kind: 'file', hash: '0'.repeat(64), mode: 420 },
      },
    ];
    writeFileSync(join(runDir, 'journal.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const tree = snapshot(dir, [STATE_DIR]);
    const r = await cli(['apply', '--yes', '--skip-commands', '--root', dir]);
    expectRefused(r, 2, `${join(runDir, 'journal.jsonl')}:2:`);
    expect(String(r.stderr)).toMatch(/not the one the engine makes for \/etc\/x/);
    expect(readFileSync(precious, 'utf8')).toBe('precious');
    expect(snapshot(dir, [STATE_DIR])).toEqual(tree);
  });
});

describe('a damaged journal line', () => {
  it("rollback restores nothing, exit 2 naming the run and the line (sed -i '2s/^{/{{/')", async () => {
    const dir = root();
    const pristine = snapshot(dir, [STATE_DIR]);
    const runId = await applied(dir);
    const journal = join(dir, STATE_DIR, 'runs', runId, 'journal.jsonl');
    execFileSync('sed', ['-i', '2s/^{/{{/', journal]);
    const after = snapshot(dir, [STATE_DIR]);
    expect(after).not.toEqual(pristine);
    const r = await cli(['rollback', '--root', dir]);
    expectRefused(r, 2, `${journal}:2:`);
    expect(String(r.stderr)).toMatch(
      new RegExp(`run ${runId}\\): the journal is damaged; nothing was restored`),
    );
    expect(snapshot(dir, [STATE_DIR])).toEqual(after);
    const list = await cli(['rollback', '--list', '--root', dir]);
    expect(String(list.stdout)).toMatch(/journal damaged at line 2/);
  });
});

describe('rollback --list', () => {
  it('a killed run (no end record, its lock holder gone) is interrupted, not running', async () => {
    const dir = root();
    const runId = await applied(dir);
    const journal = join(dir, STATE_DIR, 'runs', runId, 'journal.jsonl');
    const lines = readFileSync(journal, 'utf8').trimEnd().split('\n');
    // As if killed: no end record, and the lock its process held left behind.
    const dead = spawnSync('true').pid ?? 0;
    const start = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    writeFileSync(journal, `${JSON.stringify({ ...start, pid: dead })}\n${lines.slice(1, -1).join('\n')}\n`);
    writeFileSync(join(dir, STATE_DIR, 'lock'), JSON.stringify({ pid: dead, startedAt: 'x', hostname: '' }));
    const r = await cli(['rollback', '--list', '--root', dir]);
    expect(r.exitCode, out(r)).toBe(0);
    expect(String(r.stdout)).toMatch(new RegExp(`${runId} .* interrupted`));
  });
});

describe('answers paths into the state directory', () => {
  it('are bad input naming file and line, nothing written', async () => {
    const dir = root();
    const answers = join(dir, 'answers.ini');
    for (const line of ['user_home = /var/lib/xen-gentoo/runs', 'sources = /var/lib/xen-gentoo']) {
      writeFileSync(answers, `[kernel]\n${line}\n`);
      const tree = snapshot(dir);
      const r = await cli(['apply', '--yes', '--skip-commands', '--root', dir, '--answers', answers]);
      expectRefused(r, 2, `${answers}:2`);
      expect(snapshot(dir)).toEqual(tree);
    }
  });
});

/** Whether this machine lets the tests make mounts in a namespace of their own (root, CAP_SYS_ADMIN). */
const canMount = spawnSync('unshare', ['-m', 'true']).status === 0;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Files of a tree (relative path → hash) outside the state directory. */
function files(dir: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const [path, entry] of snapshot(dir, [STATE_DIR, 'fill'])) if (entry.hash) map.set(path, entry.hash);
  return map;
}

describe.skipIf(!canMount)('a full, read-only or forbidden target (mounts in a private namespace)', () => {
  /** Run `script` in a mount namespace of its own (its mounts vanish with it); $CLI is the tool. */
  function inNamespace(script: string): Promise<{ exitCode?: number; stdout: unknown; stderr: unknown }> {
    return execa('unshare', ['-m', 'sh', '-c', script], {
      reject: false,
      env: { NO_COLOR: '1', CLI },
    });
  }

  it('read-only: exit 8 naming the path and the condition, no stack trace, nothing written', async () => {
    const dir = root();
    const tree = snapshot(dir);
    const r = await inNamespace(
      `mount --bind "${dir}" "${dir}" && mount -o remount,bind,ro "${dir}" && node "$CLI" apply --yes --skip-commands --root "${dir}"`,
    );
    expectRefused(r, 8, join(dir, 'var/lib'));
    expect(String(r.stderr)).toMatch(/the file system is read-only \(EROFS\)/);
    expect(snapshot(dir)).toEqual(tree);
  });

  it('permission denied (an unprivileged user): exit 8 naming the path, nothing written', async () => {
    const dir = root();
    chmodSync(dir, 0o755);
    const tree = snapshot(dir);
    const r = await execa(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        'node',
        CLI,
        'apply',
        '--yes',
        '--skip-commands',
        '--root',
        dir,
      ],
      { reject: false, env: { NO_COLOR: '1' } },
    );
    expectRefused(r, 8, join(dir, 'var/lib'));
    expect(String(r.stderr)).toMatch(/permission denied \(EACCES\)/);
    expect(snapshot(dir)).toEqual(tree);
  });

  it('a disk that fills up at any point: exit 8 naming the path, every file wholly old or new, no temporary file; with room again it converges', async () => {
    // A whole apply, for judging each file: its old content, or one a step wrote (make.conf is
    // written once by each step that edits it), as the reference run's journal records them.
    const reference = root();
    const runId = await applied(reference);
    const done = files(reference);
    const pristine = files(SAMPLES.current);
    const written = new Map<string, string[]>();
    for (const line of readFileSync(join(reference, STATE_DIR, 'runs', runId, 'journal.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')) {
      const record = JSON.parse(line) as { t: string; target?: string; after?: { hash?: string } };
      if (record.t !== 'write' || !record.target || !record.after?.hash) continue;
      const path = record.target.slice(1);
      written.set(path, [...(written.get(path) ?? []), record.after.hash]);
    }
    // Room for 1 … 8 more pages (4 KiB): the disk fills at a different write each time.
    for (const pages of [1, 3, 5, 8]) {
      const kept = mkdtempSync(join(tmpdir(), 'xg-full-'));
      made.push(kept);
      const mnt = mkdtempSync(join(tmpdir(), 'xg-mnt-'));
      made.push(mnt);
      const r = await inNamespace(
        `mount -t tmpfs -o size=16m tmpfs "${mnt}" && cp -a "${SAMPLES.current}/." "${mnt}/" && ` +
          `avail=$(df --output=avail -B4096 "${mnt}" | tail -1) && ` +
          `head -c $(( (avail - ${pages}) * 4096 )) /dev/zero > "${mnt}/fill"; ` +
          `node "$CLI" apply --yes --skip-commands --root "${mnt}"; code=$?; ` +
          `rm "${mnt}/fill"; cp -a "${mnt}/." "${kept}/"; exit $code`,
      );
      expect(r.exitCode, `${pages} page(s): ${out(r)}`).toBe(8);
      expect(String(r.stderr)).toMatch(new RegExp(`${mnt}/\\S+: no space left on the device \\(ENOSPC\\)`));
      expect(String(r.stderr)).not.toMatch(/internal error|^\s+at /m);
      const now = files(kept);
      for (const [path, hash] of now) {
        expect(path, `${pages} page(s)`).not.toMatch(/xen-gentoo-tmp/);
        expect([pristine.get(path), ...(written.get(path) ?? [])], `${pages} page(s): ${path}`).toContain(
          hash,
        );
      }
      for (const path of pristine.keys()) expect(now.has(path), `${pages} page(s): ${path}`).toBe(true);
      // With room again, the next apply finishes the job.
      await applied(kept);
      expect(files(kept)).toEqual(done);
      expect(readdirSync(kept).includes('fill')).toBe(false);
      expect(sha(join(kept, 'etc/portage/make.conf'))).toBe(done.get('etc/portage/make.conf'));
    }
  }, 120_000);
});
