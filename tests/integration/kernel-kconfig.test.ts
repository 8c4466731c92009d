/**
 * The tool's Xen fragments against a real Linux 6.1 tree: defconfig + fragment + the kernel's
 * own `make olddefconfig`, then the check. Needs the tree from tests/integration/setup/kernel.sh
 * (run here when XG_KERNEL_TREE is not set).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFragment,
  checkConfig,
  compareConfig,
  configValues,
  parseConfig,
  formatChange,
  fragmentValues,
  readKconfig,
  setConfigText,
  type KconfigTree,
} from '@xen-gentoo/kernel-config';

const repo = resolve(import.meta.dirname, '../..');

function kernelTree(): string {
  const fromEnv = process.env.XG_KERNEL_TREE;
  if (fromEnv) return fromEnv;
  const out = execFileSync('bash', [join(repo, 'tests/integration/setup/kernel.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop() ?? '';
}

function make(tree: string, out: string, target: string, extra: string[] = []): void {
  execFileSync('make', ['-s', '-C', tree, `O=${out}`, ...extra, target], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

const readText = (tree: string) => (path: string) => {
  try {
    return readFileSync(join(tree, path), 'utf8');
  } catch {
    return undefined;
  }
};

let tree = '';
let work = '';
let kconfigX86: KconfigTree;

beforeAll(async () => {
  tree = kernelTree();
  work = mkdtempSync(join(tmpdir(), 'xg-kconfig-'));
  kconfigX86 = await readKconfig({ readFile: readText(tree), vars: { SRCARCH: 'x86', ARCH: 'x86' } });
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(['dom0', 'domU'] as const)('mainline x86_64 %s', (role) => {
  it('keeps every requested symbol after olddefconfig, and a second pass changes nothing', async () => {
    const out = join(work, role);
    make(tree, out, 'defconfig');
    const fragment = buildFragment({ era: 'mainline', role, arch: 'amd64' });
    expect(fragment.refusal).toBeUndefined();
    const base = readFileSync(join(out, '.config'), 'utf8');
    writeFileSync(join(out, '.config'), setConfigText(base, fragmentValues(fragment)));
    make(tree, out, 'olddefconfig');
    const resolved = readFileSync(join(out, '.config'), 'utf8');
    const result = await checkConfig({ requested: fragment, resolvedConfig: resolved, tree: kconfigX86 });
    expect(result.changes.map(formatChange)).toEqual([]);
    expect(result.kept).toHaveLength(fragment.items.length);

    // Applying again: merging the fragment a second time changes nothing, and the resolved
    // configuration already satisfies the request (what makes the step report "done").
    const merged = setConfigText(base, fragmentValues(fragment));
    expect(setConfigText(merged, fragmentValues(fragment))).toBe(merged);
    expect(compareConfig(fragmentValues(fragment), configValues(parseConfig(resolved))).changes).toEqual([]);
    // ... and the kernel's own resolution is a fixed point.
    make(tree, out, 'olddefconfig');
    expect(readFileSync(join(out, '.config'), 'utf8')).toBe(resolved);
  });
});

describe('impossible requests', () => {
  it('a 32-bit PV dom0 (ARCH=i386 defconfig + dom0 fragment) is reported with its missing dependencies', async () => {
    const out = join(work, 'i386-dom0');
    make(tree, out, 'defconfig', ['ARCH=i386']);
    const fragment = buildFragment({ era: 'mainline', role: 'dom0', arch: 'x86' });
    expect(fragment.refusal).toMatch(/32-bit/);
    const base = readFileSync(join(out, '.config'), 'utf8');
    writeFileSync(join(out, '.config'), setConfigText(base, fragmentValues(fragment)));
    make(tree, out, 'olddefconfig', ['ARCH=i386']);
    const result = await checkConfig({
      requested: fragment,
      resolvedConfig: readFileSync(join(out, '.config'), 'utf8'),
      kconfig: { readFile: readText(tree), vars: { SRCARCH: 'x86', ARCH: 'i386' } },
    });
    const reasons = result.changes.flatMap((c) => c.because);
    const dropped = result.changes.filter((c) => c.kind === 'dropped').map((c) => c.symbol);
    expect(dropped).toEqual(expect.arrayContaining(['XEN', 'XEN_PV', 'XEN_DOM0']));
    expect(reasons).toContain('XEN_PV: depends on X86_64 (X86_64=n)');
    expect(reasons.some((r) => r.startsWith('XEN: depends on X86_64 || X86_32 && X86_PAE'))).toBe(true);
    expect(result.changes.find((c) => c.symbol === 'XEN_DOM0')?.seed?.[0]?.text).toBe(
      '[*] Privileged Guest (domain 0)',
    );
  });

  it('a leaf-only request on defconfig names the missing parent', async () => {
    const out = join(work, 'leaf');
    make(tree, out, 'defconfig');
    const requested = new Map([
      ['XEN_BLKDEV_BACKEND', 'y'],
      ['XEN_FBDEV_FRONTEND', 'y'],
    ]);
    const base = readFileSync(join(out, '.config'), 'utf8');
    writeFileSync(join(out, '.config'), setConfigText(base, requested));
    make(tree, out, 'olddefconfig');
    const result = await checkConfig({
      requested,
      resolvedConfig: readFileSync(join(out, '.config'), 'utf8'),
      tree: kconfigX86,
    });
    expect(result.changes.map((c) => c.symbol)).toEqual(['XEN_BLKDEV_BACKEND', 'XEN_FBDEV_FRONTEND']);
    const why = result.changes.flatMap((c) => c.because).join('\n');
    expect(why).toMatch(/XEN_BLKDEV_BACKEND: depends on XEN_BACKEND \(XEN_BACKEND=n\)/);
    expect(why).toMatch(/XEN_FBDEV_FRONTEND: depends on FB \(FB=n\)/);
  });
});
