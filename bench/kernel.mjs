#!/usr/bin/env node
// Benchmark: the kernel's own `make olddefconfig` against the tool's own work around it, for the
// dom0 and domU configurations on a real Linux 6.1 tree (x86_64 defconfig base).
// Tool work = build the fragment, parse the base .config, merge, write, read back the resolved
// .config and check it; and the worst case on top: reading every Kconfig file of the tree to
// explain every requested symbol (the step reads them only when Kconfig dropped something).
// Usage: node bench/kernel.mjs [runs]   (tree from XG_KERNEL_TREE or tests/integration/setup/kernel.sh)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { table, writeResults } from './results.mjs';

const repo = resolve(import.meta.dirname, '..');
const runs = Number(process.argv[2] ?? 7);
const dist = join(repo, 'packages/kernel-config/dist/index.js');
execFileSync('pnpm', ['exec', 'tsc', '-b', 'packages/kernel-config'], { cwd: repo, stdio: 'inherit' });
if (!existsSync(dist)) throw new Error(`no ${dist} after tsc -b`);
const kc = await import(dist);

const tree =
  process.env.XG_KERNEL_TREE ??
  execFileSync('bash', [join(repo, 'tests/integration/setup/kernel.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .pop();

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const now = () => Number(process.hrtime.bigint()) / 1e6;
const readTree = (p) => {
  try {
    return readFileSync(join(tree, p), 'utf8');
  } catch {
    return undefined;
  }
};

const work = mkdtempSync(join(tmpdir(), 'xg-bench-kernel-'));
const results = [];
try {
  for (const role of ['dom0', 'domU']) {
    const out = join(work, role);
    execFileSync('make', ['-s', '-C', tree, `O=${out}`, 'defconfig'], { stdio: 'ignore' });
    const base = readFileSync(join(out, '.config'), 'utf8');
    const kernelMs = [];
    const toolMs = [];
    const toolNoKconfigMs = [];
    for (let i = 0; i < runs; i++) {
      // Tool, first half: fragment, parse, merge, write.
      let t = now();
      const fragment = kc.buildFragment({ era: 'mainline', role, arch: 'amd64' });
      const merged = kc.setConfigText(base, kc.fragmentValues(fragment));
      writeFileSync(join(out, '.config'), merged);
      const before = now() - t;
      // The kernel's own resolution.
      t = now();
      execFileSync('make', ['-s', '-C', tree, `O=${out}`, 'olddefconfig'], { stdio: 'ignore' });
      kernelMs.push(now() - t);
      // Tool, second half: read back and check (without, then with reading the Kconfig files).
      t = now();
      const resolved = readFileSync(join(out, '.config'), 'utf8');
      const check = await kc.checkConfig({ requested: fragment, resolvedConfig: resolved });
      if (check.changes.length)
        throw new Error(`${role}: Kconfig dropped ${check.changes.map((c) => c.symbol).join(', ')}`);
      const after = now() - t;
      t = now();
      // Worst case: every requested symbol needs explaining, so the whole tree is read for them.
      const values = kc.configValues(kc.parseConfig(resolved));
      const all = kc.compareConfig(kc.fragmentValues(fragment), new Map()).changes;
      const kconfig = await kc.readKconfig({
        readFile: readTree,
        vars: { SRCARCH: 'x86', ARCH: 'x86' },
        only: new Set(all.map((c) => c.symbol)),
      });
      kc.explainChanges(all, kconfig, values);
      const kconfigMs = now() - t;
      toolNoKconfigMs.push(before + after);
      toolMs.push(before + after + kconfigMs);
      writeFileSync(join(out, '.config'), base);
    }
    const k = median(kernelMs);
    const tk = median(toolMs);
    const tn = median(toolNoKconfigMs);
    results.push({ role, kernelMs: k, toolMs: tn, toolWithKconfigMs: tk });
    console.log(
      `${role}: olddefconfig ${k.toFixed(0)} ms; tool ${tn.toFixed(1)} ms (${((100 * tn) / k).toFixed(1)}%), ` +
        `with Kconfig reading ${tk.toFixed(0)} ms (${((100 * tk) / k).toFixed(1)}%)  [median of ${runs}]`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const worst = Math.max(...results.map((r) => r.toolWithKconfigMs / r.kernelMs));
console.log(`worst tool/olddefconfig ratio: ${(100 * worst).toFixed(1)}% (target < 10%)`);
writeResults('kernel', "Kernel configuration: the tool's own time on top of olddefconfig", [
  `The kernel's \`make olddefconfig\` on a Linux 6.1 tree against the tool's own work around it`,
  `(fragment, merge, write, read back and check), medians of ${runs}; "worst case" adds reading`,
  'every Kconfig file of the tree to explain every requested option.',
  '',
  ...table(
    ['role', 'olddefconfig', 'tool', 'worst case'],
    results.map((r) => [
      r.role,
      `${r.kernelMs.toFixed(0)} ms`,
      `${r.toolMs.toFixed(1)} ms (${((100 * r.toolMs) / r.kernelMs).toFixed(1)}%)`,
      `${r.toolWithKconfigMs.toFixed(0)} ms (${((100 * r.toolWithKconfigMs) / r.kernelMs).toFixed(1)}%)`,
    ]),
  ),
]);
process.exitCode = worst < 0.1 ? 0 : 1;
