/**
 * The built CLI's `apply` stopped while a real command runs inside a chroot of a copy of a sample
 * root (busybox's sh and sleep standing in for emerge): by SIGKILL, SIGTERM or SIGINT, with the
 * command in its own namespaces and without (the fallback). Afterwards, and after the next run,
 * no mount is left under the root, no process runs in it, and the next run's file changes land in
 * the target, not on this machine through a mount (`[kernel] user_home = /run/…` would otherwise
 * write to this machine's /run).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { busybox, installBusybox, mountsUnder, processesIn, removeRoot, waitFor } from './chroot-support.js';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = process.env.XG_TEST_CLI ?? join(REPO, 'packages/cli/bin/run.js');
const SAMPLE = join(REPO, 'samples/current-amd64');
const bb = process.getuid?.() === 0 ? busybox() : undefined;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCli(
  args: string[],
  env: Record<string, string>,
): { done: Promise<Outcome>; kill: (s: NodeJS.Signals) => void } {
  const child = spawn('node', [CLI, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Outcome>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { done, kill: (s) => child.kill(s) };
}

/** A copy of the sample root whose `emerge` is a shell script that says it started and sleeps. */
function sampleRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'xg-kill-'));
  execFileSync('cp', ['-a', `${SAMPLE}/.`, root]);
  installBusybox(root, bb!, ['sh', 'sleep', 'echo']);
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  writeFileSync(
    join(root, 'usr/bin/emerge'),
    '#!/bin/sh\necho started > /var/tmp/emerge.started\nsleep 600\n',
    { mode: 0o755 },
  );
  writeFileSync(join(root, 'etc/resolv.conf'), 'nameserver 192.0.2.53\n');
  return root;
}

describe.runIf(bb !== undefined)('apply stopped while a command runs inside the target', () => {
  for (const namespaces of [true, false]) {
    for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT'] as const) {
      const mode = namespaces ? 'in its own namespaces' : 'without namespaces';
      it(`${signal}, command ${mode}: no mount or process left after the next run, and no write through a mount`, async () => {
        const root = sampleRoot();
        const probe = `/run/xg-probe-${process.pid}-${signal}-${namespaces ? 'ns' : 'host'}`;
        const answers = join(root, '..', `${root.split('/').pop()}.ini`);
        writeFileSync(answers, `[kernel]\nuser_home = ${probe}\n`);
        const env: Record<string, string> = namespaces ? {} : { XEN_GENTOO_NAMESPACES: '0' };
        try {
          const run = runCli(
            ['apply', '--root', root, '--yes', '--answers', answers, '--only', 'emerge-xen'],
            env,
          );
          await waitFor(
            () => existsSync(join(root, 'var/tmp/emerge.started')),
            60_000,
            'the command to start',
          );
          // The command runs chrooted, with its mounts: in its own namespace they are not visible here.
          const inside = processesIn(root);
          expect(inside.length).toBeGreaterThan(0);
          const theirs = readFileSync(`/proc/${inside[0]}/mountinfo`, 'utf8');
          for (const point of ['/proc', '/sys', '/dev', '/run', '/etc/resolv.conf'])
            expect(theirs).toContain(` ${point} `);
          if (namespaces) expect(mountsUnder(root)).toEqual([]);
          else expect(mountsUnder(root).length).toBeGreaterThan(4);

          run.kill(signal);
          const stopped = await run.done;
          if (signal === 'SIGKILL') expect(stopped.signal).toBe('SIGKILL');
          else {
            expect(stopped.code, stopped.stderr).toBe(signal === 'SIGTERM' ? 143 : 130);
            expect(stopped.stderr).toContain(`interrupted by ${signal}`);
          }
          if (signal !== 'SIGKILL' || namespaces) {
            // Caught, or the kernel's doing: nothing is left once apply is gone.
            await waitFor(() => processesIn(root).length === 0, 10_000, 'the command to end');
            expect(mountsUnder(root)).toEqual([]);
          }

          const next = runCli(
            ['apply', '--root', root, '--yes', '--answers', answers, '--skip-commands'],
            env,
          );
          const again = await next.done;
          expect(again.code, again.stderr).toBe(0);
          if (signal === 'SIGKILL' && !namespaces) {
            // The fallback after SIGKILL: the next run stops what was left and unmounts, and says so.
            expect(again.stderr).toMatch(/stopped the command run \S+ left running/);
            expect(again.stderr).toContain(`unmounted ${root}/run, left mounted by run`);
          }
          expect(mountsUnder(root)).toEqual([]);
          expect(processesIn(root)).toEqual([]);
          expect(existsSync(probe)).toBe(false);
          expect(readFileSync(join(root, probe, '.bash_profile'), 'utf8')).toContain('make0');
        } finally {
          removeRoot(root);
          rmSync(answers, { force: true });
          rmSync(probe, { recursive: true, force: true });
        }
      }, 180_000);
    }
  }
});
