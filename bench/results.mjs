// Writes a benchmark's figures into bench/results.md, between its own markers
// (<!-- bench:NAME --> … <!-- /bench:NAME -->), with when and where they were measured, so that
// the figures in the repository are the last run's rather than copied by hand.
// Set XG_BENCH_NO_WRITE=1 to print only.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

export const RESULTS = join(import.meta.dirname, 'results.md');

const HEAD = `# Benchmark figures

Written by the benchmarks themselves (\`pnpm bench\`, \`pnpm bench:domu\`, \`pnpm bench:kernel\`):
each run replaces its own section. What they measure and why is in [README.md](README.md).
`;

/** Replace (or add) the section NAME of results.md with `lines` (Markdown). */
export function writeResults(name, title, lines) {
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const body = [
    `<!-- bench:${name} -->`,
    `## ${title}`,
    '',
    `Measured ${when} with Node.js ${process.version} on ${cpus().length} CPU(s), load average ${load}.`,
    '',
    ...lines,
    `<!-- /bench:${name} -->`,
  ].join('\n');
  if (process.env.XG_BENCH_NO_WRITE) return;
  let text;
  try {
    text = readFileSync(RESULTS, 'utf8');
  } catch {
    text = HEAD;
  }
  const start = text.indexOf(`<!-- bench:${name} -->`);
  const endMark = `<!-- /bench:${name} -->`;
  const end = text.indexOf(endMark);
  text =
    start !== -1 && end > start
      ? text.slice(0, start) + body + text.slice(end + endMark.length)
      : `${text.trimEnd()}\n\n${body}\n`;
  writeFileSync(RESULTS, text);
}

/** A Markdown table from a header row and rows. */
export function table(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}
