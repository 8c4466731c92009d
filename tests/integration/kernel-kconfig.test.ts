/**
 * The tool's Xen fragments against a real Linux 6.1 tree: defconfig + fragment + the kernel's
 * own `make olddefconfig`, then the check. Needs the tree from tests/integration/setup/kernel.sh
 * (run here when XG_KERNEL_TREE is not set).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import {
  STAMP_NAME,
  checkKernelConfig,
  fragmentFor,
  planKernelConfig,
  planKernelConfigStep,
  readStamp,
} from '../../packages/steps/src/phase3-kernel/index.js';
import { answersSchema } from '../../packages/steps/src/answers/index.js';

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

/**
 * The 2007 fragments against the legacy sample's xen-sources 2.6.20 Kconfig (the rules of Xen's
 * linux-2.6-xen-sparse of the 3.1 era, and of vanilla 2.6.20 for the rest), resolved by the
 * real Kconfig program of the 6.1 tree: every symbol a fragment asks for must hold.
 */
describe('xen-sources 2.6.20 i386 (the legacy sample tree)', () => {
  const legacyTree = join(repo, 'samples/legacy-x86/usr/src/linux-2.6.20-xen-r6');
  let conf = '';
  beforeAll(() => {
    const out = join(work, 'kconfig-tool');
    make(tree, out, 'allnoconfig');
    conf = join(out, 'scripts/kconfig/conf');
  }, 300_000);

  const roads = [
    { role: 'dom0', single: false },
    { role: 'domU', single: false },
    { role: 'dom0', single: true },
  ] as const;
  describe.each(roads)('$role (one kernel for both: $single)', ({ role, single }) => {
    it.each([false, true])(
      'serial console %s: Kconfig keeps every requested symbol',
      async (serialConsole) => {
        const fragment = fragmentFor({ role, era: 'xenlinux', arch: 'x86', single, serialConsole });
        const dir = mkdtempSync(join(work, 'xenlinux-'));
        writeFileSync(join(dir, '.config'), setConfigText('', fragmentValues(fragment)));
        execFileSync(conf, ['--olddefconfig', 'arch/i386/Kconfig'], {
          cwd: dir,
          env: { ...process.env, srctree: legacyTree },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        const resolved = readFileSync(join(dir, '.config'), 'utf8');
        const result = await checkKernelConfig({
          fragment,
          configText: resolved,
          readTreeFile: readText(legacyTree),
        });
        expect(result.changes.map(formatChange)).toEqual([]);
        expect(result.warnings).toEqual([]);
      },
    );
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
    expect(result.changes.find((c) => c.symbol === 'XEN_DOM0')?.howto?.[0]?.text).toBe(
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

describe('through the step plan', () => {
  it('plan → run its changes → plan again converges (defconfig base, merge_config.sh, olddefconfig)', async () => {
    const out = join(work, 'step-domU');
    const fragment = fragmentFor({ role: 'domU', era: 'mainline', arch: 'amd64' });
    const planned = planKernelConfig({
      role: 'domU',
      fragment,
      source: tree,
      out,
      baseVersion: '6.1',
      hasMergeConfig: true,
      base: { kind: 'defconfig' },
      current: undefined,
      stamp: undefined,
    });
    expect(planned.complete).toBe(true);
    for (const change of planned.changes) {
      if (change.kind === 'directory') mkdirSync(change.path, { recursive: true });
      else if (change.kind === 'file') writeFileSync(change.path, change.after);
      else if (change.kind === 'command') {
        const [cmd = '', ...args] = change.argv;
        execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      }
    }
    const configText = readFileSync(join(out, '.config'), 'utf8');
    expect(readStamp(readFileSync(join(out, STAMP_NAME), 'utf8'), fragment)).toEqual({
      state: 'resolved',
      current: true,
    });
    const check = await checkKernelConfig({ fragment, configText, readTreeFile: readText(tree) });
    expect(check.changes.map(formatChange)).toEqual([]);
    // The next plan has nothing left to do: the step reports done.
    const stamp = readFileSync(join(out, STAMP_NAME), 'utf8');
    const again = planKernelConfigStep(
      {
        role: 'domU',
        method: 'split',
        mismatch: undefined,
        arch: 'amd64',
        sourcesPath: tree,
        tree: {
          path: tree,
          realPath: tree,
          baseVersion: '6.1',
          extraVersion: '',
          release: '6.1',
          era: 'mainline',
          hasMergeConfig: true,
        },
        out,
        fragment,
        current: configText,
        stamp,
        base: { kind: 'existing', path: join(out, '.config'), text: configText },
        baseProblem: undefined,
        check,
      },
      answersSchema.parse({}),
    );
    expect(again.status).toBe('done');
  });
});

describe.runIf(process.env.XG_KERNEL_BUILD === '1')('a real build (XG_KERNEL_BUILD=1)', () => {
  it('a small domU kernel carries Xen ELF notes', () => {
    const out = join(work, 'tiny-domU');
    make(tree, out, 'tinyconfig');
    const fragment = fragmentFor({ role: 'domU', era: 'mainline', arch: 'amd64' });
    const base = readFileSync(join(out, '.config'), 'utf8');
    writeFileSync(
      join(out, '.config'),
      setConfigText(base, new Map([...fragmentValues(fragment), ['PRINTK', 'y']])),
    );
    make(tree, out, 'olddefconfig');
    execFileSync('make', ['-s', '-C', tree, `O=${out}`, '-j2', 'vmlinux'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const notes = execFileSync('readelf', ['-n', join(out, 'vmlinux')], { encoding: 'utf8' });
    const xen = notes.split('\n').filter((l) => /^\s+Xen\s/.test(l));
    expect(xen.length).toBeGreaterThan(0);
  });
});
