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

  it('init lists every section and key of the schema (guests and the bridge interface included) with values, default and HOWTO section; as printed and with every example uncommented, it passes check', async () => {
    const init = await cli(['answers', 'init']);
    expect(init.exitCode, String(init.stderr)).toBe(0);
    const text = String(init.stdout);
    const schema = JSON.parse(String((await cli(['answers', 'schema'])).stdout)) as {
      properties: Record<
        string,
        {
          properties?: Record<string, { howto: string }>;
          items?: { properties: Record<string, { howto: string }> };
        }
      >;
    };
    // The file's sections, each with the comment block of every key it lists.
    const blocks = new Map<string, Map<string, string[]>>();
    let section: Map<string, string[]> | undefined;
    let comments: string[] = [];
    for (const line of text.split('\n')) {
      const header = /^;?\[([a-z0-9._]+)\]$/.exec(line);
      const key = /^;([a-z0-9_]+) = /.exec(line);
      if (header) blocks.set(header[1]!, (section = new Map<string, string[]>()));
      else if (key && section) section.set(key[1]!, comments);
      if (line === '' || header || key) comments = [];
      else comments.push(line);
    }
    const expected: [string, Record<string, { howto: string }>][] = Object.entries(schema.properties).map(
      ([name, sectionSchema]) =>
        name === 'guests'
          ? // A guest's name is its section's: [guest.NAME].
            [
              'guest.example',
              Object.fromEntries(
                Object.entries(sectionSchema.items!.properties).filter(([k]) => k !== 'name'),
              ),
            ]
          : [name, sectionSchema.properties!],
    );
    expect([...blocks.keys()]).toEqual(expected.map(([name]) => name));
    for (const [name, keys] of expected) {
      const listed = blocks.get(name)!;
      expect([...listed.keys()], name).toEqual(Object.keys(keys));
      for (const [key, { howto }] of Object.entries(keys)) {
        const block = listed.get(key)!.join('\n');
        expect(block, `${name}.${key}`).toMatch(/^; values: \S/m);
        expect(block, `${name}.${key}`).toMatch(/^; default: /m);
        expect(block, `${name}.${key}`).toContain(`; HOWTO: ${howto}`);
      }
    }
    expect(blocks.get('xen')!.has('interface')).toBe(true);
    expect(blocks.get('guest.example')!.has('bridge')).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'xg-answers-'));
    writeFileSync(join(dir, 'as-printed.ini'), text);
    const uncommented = text.replace(/^;((?:\[guest\.example\])|(?:[a-z0-9_]+ = \S.*))$/gm, '$1');
    expect(uncommented).toMatch(/^\[guest\.example\]$/m);
    writeFileSync(join(dir, 'uncommented.ini'), uncommented);
    for (const file of ['as-printed.ini', 'uncommented.ini']) {
      const check = await cli(['answers', 'check', join(dir, file)]);
      expect(check.exitCode, `${file}: ${String(check.stderr)}`).toBe(0);
    }
  });

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
