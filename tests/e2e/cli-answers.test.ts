import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, copyRoot, SAMPLES, snapshot } from './helpers.js';

describe('answers init and answers check', () => {
  it.each(Object.entries(SAMPLES))(
    'init --from-root on the %s sample: detected values filled in, the file passes check, the root untouched',
    async (_era, sample) => {
      const root = copyRoot(sample);
      const before = snapshot(root);
      const init = await cli(['answers', 'init', '--from-root', root]);
      expect(init.exitCode, String(init.stderr)).toBe(0);
      expect(String(init.stdout)).toMatch(/^; found in the \/ line of \/etc\/fstab\nroot_device = \S+$/m);
      const dir = mkdtempSync(join(tmpdir(), 'xg-answers-'));
      writeFileSync(join(dir, 'host.ini'), String(init.stdout));
      const check = await cli(['answers', 'check', join(dir, 'host.ini')]);
      expect(check.exitCode, String(check.stderr)).toBe(0);
      expect(snapshot(root)).toEqual(before);
    },
  );

  it('five mistakes: five messages with their lines, exit 2, nothing written anywhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xg-answers-'));
    const file = join(dir, 'bad.ini');
    writeFileSync(
      file,
      '[portage]\nbuildpkg = maybe\ncolour = blue\n[network]\n[boot]\nnot an assignment\nserial_speed = 1\n',
    );
    const root = copyRoot(SAMPLES.current);
    const before = snapshot(root);
    const check = await cli(['answers', 'check', file, '--root', root], { env: { HOME: dir } });
    expect(check.exitCode).toBe(2);
    const lines = String(check.stderr).trim().split('\n');
    expect(lines[0]).toBe(`xen-gentoo: ${file}: 5 problems`);
    expect(lines.slice(1).map((l) => /^.*?:(\d+): /.exec(l)?.[1])).toEqual(['2', '3', '4', '6', '7']);
    expect(snapshot(root)).toEqual(before);
    expect(readdirSync(dir)).toEqual(['bad.ini']);

    const json = await cli(['answers', 'check', file, '--json']);
    expect(json.exitCode).toBe(2);
    const parsed = JSON.parse(String(json.stdout)) as { error: string; problems: { line: number }[] };
    expect(parsed.error).toBe('bad-input');
    expect(parsed.problems.map((p) => p.line)).toEqual([2, 3, 4, 6, 7]);
  });

  it('answers schema prints the JSON Schema', async () => {
    const result = await cli(['answers', 'schema']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(String(result.stdout))).toMatchObject({
      title: 'xen-gentoo answers file',
      type: 'object',
    });
  });
});
