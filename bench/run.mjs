#!/usr/bin/env node
// Benchmark: median wall time of `plan` on the current sample root and of a no-op `apply`, and
// the start-up (`--version`, `--help`, `plan --help`, `plan`) of the release file (scripts/release.mjs, run
// with plain node from its unpacked tarball) against the development CLI (bin/run.js), each as a
// ratio to `node -e 0` measured in the same run. Usage: node bench/run.mjs [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unpackRelease } from './release.mjs';
import { table, writeResults } from './results.mjs';

const repo = resolve(import.meta.dirname, '..');
const cli = join(repo, 'packages/cli/bin/run.js');
const runs = Number(process.argv[2] ?? 15);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(
    `usage: node bench/run.mjs [runs]  (runs: a whole number above 0, not ${JSON.stringify(process.argv[2])})`,
  );
  process.exit(2);
}
const env = { ...process.env, NO_COLOR: '1' };

function time(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const root = mkdtempSync(join(tmpdir(), 'xg-bench-'));
execFileSync('cp', ['-a', `${join(repo, 'samples/current-amd64')}/.`, root]);
const fileSteps = ['profile', 'cflags-tls', 'nptlonly', 'buildpkg', 'hvm', 'keywords', 'net-hotplug'].flatMap(
  (s) => ['--only', s],
);
// Bring the copy to the state where apply has nothing to do.
execFileSync(process.execPath, [cli, 'apply', '--root', root, '--yes', ...fileSteps], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});

// The release file (the warm-up run below writes its code cache, as a user's first run does).
const release = mkdtempSync(join(tmpdir(), 'xg-bench-release-'));
const { file: single, cache } = unpackRelease(release);
env.XDG_CACHE_HOME = cache;

const sample = join(repo, 'samples/current-amd64');
const cases = {
  'node -e 0': ['-e', '0'],
  plan: [cli, 'plan', '--root', sample],
  'apply (no-op)': [cli, 'apply', '--root', root, '--yes', ...fileSteps],
  'dev --help': [cli, '--help'],
  'dev plan --help': [cli, 'plan', '--help'],
  'release --version': [single, '--version'],
  'release --help': [single, '--help'],
  'release plan --help': [single, 'plan', '--help'],
  'release plan': [single, 'plan', '--root', sample],
};
for (const args of Object.values(cases)) time(args); // warm-up: code caches, file system cache
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < runs; i++)
  for (const [name, args] of Object.entries(cases)) samples[name].push(time(args));

// Each run's ratio is to the `node -e 0` of the same round, measured a moment before it: this
// machine's speed drifts over a run, and a ratio of two medians taken minutes apart drifts with it.
const floors = samples['node -e 0'];
const report = Object.fromEntries(
  Object.entries(samples).map(([name, values]) => [
    name,
    {
      medianMs: +median(values).toFixed(1),
      ratio: +median(values.map((v, i) => v / floors[i])).toFixed(2),
    },
  ]),
);
for (const [name, r] of Object.entries(report))
  console.log(`${name.padEnd(20)} median ${String(r.medianMs).padStart(7)} ms  ${r.ratio}x node -e 0`);
console.log(JSON.stringify({ runs, report }));
writeResults('start', 'Start-up, plan and a no-op apply', [
  `Medians of ${runs} runs (after a warm-up run); each ratio is the median over the runs of the case's`,
  'time over that of the `node -e 0` run of the same round (the rounds run every case in turn);',
  '"dev" is the development CLI (`bin/run.js`), "release" the release file run with plain node.',
  '',
  ...table(
    ['case', 'median', 'ratio'],
    Object.entries(report).map(([name, r]) => [name, `${r.medianMs} ms`, `${r.ratio}×`]),
  ),
]);
rmSync(release, { recursive: true, force: true });
rmSync(root, { recursive: true, force: true });
