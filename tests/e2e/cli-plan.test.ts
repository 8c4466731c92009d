import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cli, copyRoot, SAMPLES, snapshot, PHASE_1_2 } from './helpers.js';

interface JsonPlan {
  steps: {
    id: string;
    status: string;
    reason: string;
    changes: { kind: string; path?: string; argv?: string[] }[];
  }[];
}

describe.each(Object.entries(SAMPLES))('plan on the %s sample root', (_era, sample) => {
  it.skipIf(spawnSync('strace', ['-V']).status !== 0)(
    'opens each file and directory of the target once, the check that it is a Gentoo system included',
    () => {
      const trace = join(mkdtempSync(join(tmpdir(), 'xg-trace-')), 'openat');
      const r = spawnSync(
        'strace',
        ['-f', '-e', 'trace=openat', '-o', trace, 'node', CLI, 'plan', '--root', sample],
        {
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1' },
        },
      );
      expect(r.status, r.stderr).toBe(0);
      const opened = [...readFileSync(trace, 'utf8').matchAll(/openat\(AT_FDCWD, "([^"]+)"/g)]
        .map((m) => m[1]!)
        .filter((path) => path.startsWith(`${sample}/`));
      expect(opened.length).toBeGreaterThan(10);
      expect(opened.filter((path, i) => opened.indexOf(path) !== i)).toEqual([]);
    },
  );

  it('lists every step with a state and reason, and leaves the root byte-identical', async () => {
    const root = copyRoot(sample);
    const before = snapshot(root);
    const result = await cli(['plan', '--root', root]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    for (const id of PHASE_1_2) expect(result.stdout).toContain(id);
    expect(snapshot(root)).toEqual(before);
  });

  it('says phase 8 is the doctor command, with the same target; a plan narrowed with --only does not', async () => {
    const result = await cli(['plan', '--root', sample]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const lines = String(result.stdout).split('\n');
    const heading = lines.indexOf('Troubleshooting');
    expect(heading).toBeGreaterThan(lines.indexOf('Networking'));
    expect(lines[heading + 1]).toContain(`\`xen-gentoo doctor --root ${sample}\``);
    expect(lines[heading + 1]).toContain('phase 8');
    const narrowed = await cli(['plan', '--root', sample, '--only', 'buildpkg']);
    expect(String(narrowed.stdout)).not.toContain('doctor');
  });

  it('--json gives the documented shape', async () => {
    const result = await cli(['plan', '--root', sample, '--json']);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const plan = JSON.parse(String(result.stdout)) as JsonPlan;
    expect(plan.steps.map((s) => s.id)).toEqual(expect.arrayContaining(PHASE_1_2));
    for (const step of plan.steps) {
      expect(['done', 'pending', 'not-applicable', 'blocked']).toContain(step.status);
      expect(step.reason.length).toBeGreaterThan(0);
      for (const change of step.changes) {
        expect(['file', 'symlink', 'directory', 'remove', 'command', 'manual']).toContain(change.kind);
        if (change.kind === 'command') expect(Array.isArray(change.argv)).toBe(true);
        if (['file', 'symlink', 'directory', 'remove'].includes(change.kind))
          expect(change.path).toMatch(/^\//);
      }
    }
  });
});

describe('plan: the eras decide', () => {
  it('current amd64: the 2007-only steps are not applicable, with the reason', async () => {
    const plan = JSON.parse(
      String((await cli(['plan', '--root', SAMPLES.current, '--json'])).stdout),
    ) as JsonPlan;
    const byId = Object.fromEntries(plan.steps.map((s) => [s.id, s]));
    expect(byId['cflags-tls']?.status).toBe('not-applicable');
    expect(byId['nptlonly']?.status).toBe('not-applicable');
    expect(byId['nptlonly']?.reason).toMatch(/no longer exists/);
    expect(byId['buildpkg']?.status).toBe('pending');
    expect(byId['buildpkg']?.changes[0]?.path).toBe('/etc/portage/make.conf');
    expect(byId['keywords']?.status).toBe('done');
    expect(byId['emerge-xen']?.status).toBe('pending');
  });

  it('legacy x86: edits go to /etc/make.conf and the package.keywords file, combined per file', async () => {
    const result = await cli(['plan', '--root', SAMPLES.legacy, '--json']);
    const plan = JSON.parse(String(result.stdout)) as JsonPlan;
    const byId = Object.fromEntries(plan.steps.map((s) => [s.id, s]));
    // The 2007.0 profile's make.defaults already sets nptlonly.
    expect(byId['nptlonly']?.status).toBe('done');
    for (const id of ['cflags-tls', 'buildpkg', 'hvm']) {
      expect(byId[id]?.status, id).toBe('pending');
      expect(
        byId[id]?.changes.some((c) => c.path === '/etc/make.conf'),
        id,
      ).toBe(true);
    }
    expect(byId['keywords']?.changes[0]?.path).toBe('/etc/portage/package.keywords');
    expect(byId['rebuild-world']?.status).toBe('pending');
    const text = String((await cli(['plan', '--root', SAMPLES.legacy])).stdout);
    // one combined diff for make.conf, naming every step that edits it
    expect(text.match(/^# \/etc\/make\.conf — /gm)?.length).toBe(1);
  });
});

describe('sample roots', () => {
  it('have no empty directory (git would drop it, and a fresh clone would differ)', () => {
    const empty: string[] = [];
    const walk = (dir: string): void => {
      const entries = readdirSync(dir, { withFileTypes: true });
      if (entries.length === 0) empty.push(dir);
      for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
    };
    for (const sample of Object.values(SAMPLES)) walk(sample);
    expect(empty).toEqual([]);
  });
});
