import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI, copyRoot, REPO, SAMPLES } from './helpers.js';

/** The environment of a run without a terminal, outside CI and without NO_COLOR. */
function plainEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !/^(CI|GITHUB_ACTIONS|GITLAB_CI|CIRCLECI|NO_COLOR|FORCE_COLOR)$/.test(key))
      env[key] = value;
  return { ...env, ...extra };
}

describe('apply without a terminal', () => {
  it('prints its progress lines without loading listr2', async () => {
    const root = copyRoot(SAMPLES.current);
    const log = join(mkdtempSync(join(tmpdir(), 'xg-imports-')), 'imports');
    writeFileSync(log, '');
    const hook = join(REPO, 'tests/e2e/fixtures/log-imports.mjs');
    const result = await execa(
      'node',
      ['--import', hook, CLI, 'apply', '--root', root, '--yes', '--skip-commands'],
      {
        reject: false,
        input: '',
        env: plainEnv({ XG_IMPORT_LOG: log }),
        extendEnv: false,
      },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toMatch(
      /^❯ buildpkg: Turn on FEATURES=buildpkg\n✔ buildpkg: 1 change\(s\) applied$/m,
    );
    const imported = readFileSync(log, 'utf8').split('\n');
    expect(imported.length).toBeGreaterThan(1);
    expect(imported).not.toContain('listr2');
  });
});
