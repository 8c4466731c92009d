#!/usr/bin/env node
// Benchmark: median wall time of `plan` on copies of the current sample root whose make.conf is
// padded to 0.5, 1, 2 and 4 MiB, and the time per MiB above the plan of the sample itself, which
// stays flat when planning time grows linearly with the file.
// Usage: node bench/make-conf.mjs [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { table, writeResults } from './results.mjs';

const repo = resolve(import.meta.dirname, '..');
const cli = join(repo, 'packages/cli/bin/run.js');
const runs = Number(process.argv[2] ?? 5);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(
    `usage: node bench/make-conf.mjs [runs]  (runs: a whole number above 0, not ${JSON.stringify(process.argv[2])})`,
  );
  process.exit(2);
}
const env = { ...process.env, NO_COLOR: '1' };
const MIB = 1024 * 1024;
const sizes = [0.5, 1, 2, 4];

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The sample's make.conf followed by blocks of comments and assignments (some expanding others). */
function padded(base, bytes) {
  const out = [base];
  let length = base.length;
  for (let i = 0; length < bytes; i++) {
    const block =
      `\n# settings of group ${i}: compiler flags, USE flags and features\n` +
      `GROUP_${i}_FLAGS="-O2 -pipe -march=x86-64 -fstack-protector-strong"\n` +
      `GROUP_${i}_USE="X alsa -systemd ssl ipv6 -doc"\n` +
      `GROUP_${i}_ALL="\${COMMON_FLAGS} \${GROUP_${i}_FLAGS}"\n`;
    out.push(block);
    length += block.length;
  }
  return out.join('');
}

function root(bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'xg-bench-mc-'));
  execFileSync('cp', ['-a', `${join(repo, 'samples/current-amd64')}/.`, dir]);
  const conf = join(dir, 'etc/portage/make.conf');
  if (bytes > 0) writeFileSync(conf, padded(readFileSync(conf, 'utf8'), bytes));
  return dir;
}

function time(dir) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, 'plan', '--root', dir], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`plan --root ${dir} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const cases = [{ mib: 0, dir: root(0) }, ...sizes.map((mib) => ({ mib, dir: root(mib * MIB) }))];
const samples = cases.map(() => []);
for (let i = 0; i < runs; i++) cases.forEach((c, k) => samples[k].push(time(c.dir)));

const medians = samples.map(median);
const base = medians[0];
console.log(`plan, sample make.conf   median ${base.toFixed(0).padStart(6)} ms`);
const report = cases.slice(1).map((c, k) => {
  const ms = medians[k + 1];
  const perMib = (ms - base) / c.mib;
  console.log(
    `plan, make.conf ${String(c.mib).padStart(3)} MiB  median ${ms.toFixed(0).padStart(6)} ms  ${perMib.toFixed(0).padStart(5)} ms per MiB above the sample`,
  );
  return { mib: c.mib, medianMs: +ms.toFixed(1), msPerMib: +perMib.toFixed(1) };
});
const first = report[0];
const last = report.at(-1);
console.log(
  `growth ${first.mib} → ${last.mib} MiB: ${((last.medianMs - base) / (first.medianMs - base)).toFixed(2)}x the time above the sample for ${last.mib / first.mib}x the size (linear: ${last.mib / first.mib}x, quadratic: ${(last.mib / first.mib) ** 2}x); per MiB ${(last.msPerMib / first.msPerMib).toFixed(2)}x`,
);
console.log(JSON.stringify({ runs, sampleMs: +base.toFixed(1), report }));
writeResults('make-conf', 'plan with a large make.conf', [
  `\`plan\` on the sample root with its make.conf padded (comments and assignments, some expanding`,
  `others); medians of ${runs} runs. The sample itself: ${base.toFixed(0)} ms.`,
  '',
  ...table(
    ['make.conf', 'median', 'per MiB above the sample'],
    report.map((r) => [`${r.mib} MiB`, `${r.medianMs.toFixed(0)} ms`, `${r.msPerMib.toFixed(0)} ms`]),
  ),
  '',
  `From ${first.mib} to ${last.mib} MiB: ${((last.medianMs - base) / (first.medianMs - base)).toFixed(2)}× the time above the sample for ${last.mib / first.mib}× the size.`,
]);
