#!/usr/bin/env node
// Benchmark: building a domU image with `xen-gentoo domu add` (every member of the stage tarball
// checked, unpacked, the guest's files written, mke2fs -d) as a ratio to the bare
// `tar -x` + `mke2fs -d` of the same tarball, measured in the same run (medians).
// The stage tarball is busybox (from the integration set-up, when there) and a payload of files.
// Usage: node bench/domu.mjs [runs] [payload MiB]; needs root (tar keeps owners), tar and e2fsprogs.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unpackRelease } from './release.mjs';
import { writeResults } from './results.mjs';

const repo = resolve(import.meta.dirname, '..');
const devCli = join(repo, 'packages/cli/bin/run.js');
const runs = Number(process.argv[2] ?? 5);
const payloadMiB = Number(process.argv[3] ?? 128);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(payloadMiB) || payloadMiB < 0) {
  console.error('usage: node bench/domu.mjs [runs] [payload MiB]  (whole numbers; runs above 0)');
  process.exit(2);
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function timed(file, args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(file, args, {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

// The stage tarball: a small root with busybox, and payload files of 1 MiB each.
const work = mkdtempSync(join(tmpdir(), 'xg-bench-domu-'));
const stage = join(work, 'stage');
for (const d of ['bin', 'etc', 'dev', 'usr/share/payload']) mkdirSync(join(stage, d), { recursive: true });
const busybox = join(repo, '.cache/boot/root/bin/busybox');
if (existsSync(busybox)) copyFileSync(busybox, join(stage, 'bin/busybox'));
writeFileSync(join(stage, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
writeFileSync(join(stage, 'etc/shadow'), 'root:*:19000:0:::::\n', { mode: 0o600 });
const block = Buffer.alloc(1 << 20);
for (let i = 0; i < payloadMiB; i++) {
  block.fill(i % 251);
  block.writeUInt32LE(i, 0);
  writeFileSync(join(stage, 'usr/share/payload', `f${i}`), block);
}
const tarball = join(work, 'stage.tar');
execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', stage, '.']);
const size = `${payloadMiB + 64}M`;

// The tool as Gentoo installs it: the release file (scripts/release.mjs), unpacked where no
// node_modules is in reach, run with plain node, its code cache written by a warm-up run.
// XG_BENCH_DEV=1 measures the development CLI (bin/run.js) instead.
const release = join(work, 'release');
mkdirSync(release);
let cli = devCli;
const env = { ...process.env, NO_COLOR: '1', XG_BENCH_ROOT_PASSWORD: 'bench-root-password' };
if (!process.env.XG_BENCH_DEV) {
  const { file, cache } = unpackRelease(release);
  cli = file;
  env.XDG_CACHE_HOME = cache;
}

/**
 * A fresh copy of the sample root with the stage tarball in it, written out to the disk: both
 * sides start from the same preparation, so neither pays for the other's writes.
 */
function prepare(name) {
  const root = join(work, name);
  execFileSync('cp', ['-a', `${join(repo, 'samples/current-amd64')}/.`, root]);
  mkdirSync(join(root, 'opt/stages'), { recursive: true });
  mkdirSync(join(root, 'var/xen'), { recursive: true });
  execFileSync('cp', [tarball, join(root, 'opt/stages/bench.tar')]);
  execFileSync('sync');
  return root;
}

/** Bare: what the image needs at the least, inside the same kind of root as the tool's. */
function runBare(i) {
  const root = prepare(`bare${i}`);
  const dir = join(root, 'var/xen/bench.stage');
  mkdirSync(dir);
  const t0 = process.hrtime.bigint();
  execFileSync('tar', [
    '-x',
    '-p',
    '--same-owner',
    '--numeric-owner',
    '--xattrs',
    '-f',
    join(root, 'opt/stages/bench.tar'),
    '-C',
    dir,
  ]);
  execFileSync('mke2fs', [
    '-q',
    '-F',
    '-t',
    'ext4',
    '-b',
    '4096',
    '-d',
    dir,
    join(root, 'var/xen/bench.img'),
    `${(payloadMiB + 64) * 1024}k`,
  ]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  rmSync(root, { recursive: true, force: true });
  return ms;
}

function runTool(i) {
  const root = prepare(`root${i}`);
  const ms = timed(process.execPath, [
    cli,
    'domu',
    'add',
    'bench',
    '--root',
    root,
    '--yes',
    '--skip-commands',
    '--only',
    'domu-image',
    '--stage',
    '/opt/stages/bench.tar',
    '--disk-size',
    size,
    '--swap',
    '0',
    '--network',
    'none',
    '--root-password-env',
    'XG_BENCH_ROOT_PASSWORD',
  ]);
  rmSync(root, { recursive: true, force: true });
  return ms;
}

// A warm-up run (the release file's code cache, the page cache), then the runs, each side first
// every other time, so that neither always follows the other's removal.
runTool('warm');
const bare = [];
const tool = [];
for (let i = 0; i < runs; i++) {
  if (i % 2 === 0) {
    bare.push(runBare(i));
    tool.push(runTool(i));
  } else {
    tool.push(runTool(i));
    bare.push(runBare(i));
  }
}
rmSync(work, { recursive: true, force: true });
const b = median(bare);
const t = median(tool);
console.log(`stage tarball: busybox + ${payloadMiB} MiB payload, ${runs} runs`);
console.log(`bare tar -x + mke2fs -d: ${b.toFixed(1)} ms`);
console.log(`xen-gentoo domu add:    ${t.toFixed(1)} ms = ${(t / b).toFixed(2)}x (target <= 1.3x)`);
const which = process.env.XG_BENCH_DEV ? 'the development CLI (`bin/run.js`)' : 'the release file';
writeResults(`domu-${payloadMiB}`, `A domU image from a stage tarball (${payloadMiB} MiB payload)`, [
  `\`xen-gentoo domu add\` from ${which} (start-up, plan, every member checked, unpacked, the`,
  `guest's files and root password written, \`mke2fs -d\`, the staged tree removed) against the bare`,
  `\`tar -x\` plus \`mke2fs -d\` of the same busybox stage tarball with ${payloadMiB} MiB of payload, in`,
  `the same run, both from the same freshly written copy of the sample root; medians of ${runs} runs.`,
  '',
  `bare: ${b.toFixed(0)} ms; domu add: ${t.toFixed(0)} ms = **${(t / b).toFixed(2)}×** (target ≤ 1.3×).`,
]);
