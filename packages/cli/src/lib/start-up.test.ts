import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../../..');

/**
 * The modules a module loads when it is evaluated: its static imports and re-exports of values
 * (`import type` and `export type` load nothing; a dynamic `import()` loads when it runs), the
 * workspace's own packages followed to their source, other packages by name.
 */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  const statement = /^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm;
  for (const m of text.matchAll(statement)) if (!m[1]) found.push(m[2]!);
  return found;
}

function resolveImport(from: string, specifier: string): string {
  if (specifier.startsWith('.')) {
    const file = resolve(dirname(from), specifier.replace(/\.js$/, '.ts'));
    return existsSync(file) ? file : resolve(dirname(from), specifier);
  }
  const own = /^@xen-gentoo\/([^/]+)(?:\/(.+))?$/.exec(specifier);
  if (own) {
    const pkg = JSON.parse(readFileSync(join(repo, 'packages', own[1]!, 'package.json'), 'utf8')) as {
      exports: Record<string, { source: string }>;
    };
    const entry = pkg.exports[own[2] ? `./${own[2]}` : '.']!.source;
    return join(repo, 'packages', own[1]!, entry);
  }
  return specifier;
}

/** Every module evaluated with `entry`, by path (source files) or package name. */
function evaluatedWith(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (file.endsWith('.ts')) for (const s of staticImports(file)) queue.push(resolveImport(file, s));
  }
  return seen;
}

describe('start-up', () => {
  // Building the answers' schemas was most of what loading the modules cost a plan: a run with the
  // default answers (no --answers) needs none of them.
  it('plan and the steps load no answers schema and no zod until an answers file is read', () => {
    for (const entry of [
      join(repo, 'packages/cli/src/commands/plan.ts'),
      join(repo, 'packages/steps/src/index.ts'),
    ]) {
      const modules = [...evaluatedWith(entry)];
      expect(modules.length, entry).toBeGreaterThan(20);
      expect(
        modules.filter((m) => m === 'zod' || m.startsWith('zod/') || m.includes('/answers/')),
        entry,
      ).toEqual(modules.filter((m) => /\/answers\/(values|defaults|detected|needed)\.ts$/.test(m)));
    }
  });

  it('reading an answers file still loads the schemas', () => {
    const modules = [...evaluatedWith(join(repo, 'packages/cli/src/lib/answers-file.ts'))];
    expect(modules).toContain('zod');
    expect(modules).toContain(join(repo, 'packages/steps/src/answers/index.ts'));
  });
});
