/**
 * The built CLI under SIGKILL: `apply` on a copy of a sample root is killed at random instants.
 * After every kill each file holds one of the complete versions the plan passes through (never a
 * partial write), and the next run converges to the tree of an uninterrupted run.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cli, copyRoot, SAMPLES, snapshot, STATE_DIR } from './helpers.js';

interface JsonPlan {
  steps: { changes: { kind: string; path?: string; before?: string | null; after?: string }[] }[];
}

function killAfter(root: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('node', [CLI, 'apply', '--root', root, '--yes', '--skip-commands'], {
      stdio: 'ignore',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function strayTemps(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.name.includes('xen-gentoo-tmp') || entry.name.endsWith('.tmp'))
      found.push(join(entry.parentPath, entry.name));
  }
  return found;
}

describe('apply killed at random moments', () => {
  it('never leaves a partial file, and the next run converges', async () => {
    const sample = SAMPLES.legacy;
    const plan = JSON.parse(String((await cli(['plan', '--root', sample, '--json'])).stdout)) as JsonPlan;
    const versions = new Map<string, Set<string | null>>();
    for (const change of plan.steps.flatMap((s) => s.changes)) {
      if (change.kind !== 'file' || !change.path) continue;
      const set = versions.get(change.path) ?? new Set();
      set.add(change.before ?? null);
      set.add(change.after ?? null);
      versions.set(change.path, set);
    }
    expect(versions.size).toBeGreaterThan(1);

    const reference = copyRoot(sample);
    expect((await cli(['apply', '--root', reference, '--yes', '--skip-commands'])).exitCode).toBe(0);
    const expected = snapshot(reference, [STATE_DIR]);

    for (let i = 0; i < 12; i++) {
      const root = copyRoot(sample);
      await killAfter(root, 150 + Math.floor(Math.random() * 700));
      for (const [path, allowed] of versions) {
        let content: string | null;
        try {
          content = readFileSync(join(root, path), 'utf8');
        } catch {
          content = null;
        }
        expect(allowed.has(content), `${path} after kill ${i}`).toBe(true);
      }
      const again = await cli(['apply', '--root', root, '--yes', '--skip-commands']);
      expect(again.exitCode, String(again.stderr)).toBe(0);
      const got = snapshot(root, [STATE_DIR]);
      // mtimes differ between runs; compare content, kind and mode
      const strip = (m: Map<string, { kind: string; mode: number; hash?: string; target?: string }>) =>
        [...m].map(([p, e]) => [p, e.kind, e.mode, e.hash, e.target]);
      expect(strip(got)).toEqual(strip(expected));
      expect(strayTemps(root)).toEqual([]);
    }
  }, 300_000);
});
