import type { doctor } from '@xen-gentoo/steps';
import pc from 'picocolors';

type CheckResult = doctor.CheckResult;

const MARKS: Record<doctor.CheckStatus, string> = {
  ok: 'ok     ',
  problem: 'PROBLEM',
  'not-applicable': 'n/a    ',
  unknown: '?      ',
};

/** One block per check: the mark and title, what it found, the era, and the fixes for what needs one. */
export function renderDoctor(root: string, era: string, results: CheckResult[], color: boolean): string {
  const c = pc.createColors(color);
  const paint: Record<doctor.CheckStatus, (s: string) => string> = {
    ok: c.green,
    problem: c.red,
    'not-applicable': c.dim,
    unknown: c.yellow,
  };
  const out: string[] = [`doctor: ${root} (${era === 'legacy' ? '2007-era' : "today's"} Gentoo)`, ''];
  for (const r of results) {
    out.push(`${paint[r.status](MARKS[r.status])} ${c.bold(r.title)} ${c.dim(`[${r.id}]`)}`);
    out.push(`        found: ${r.found}`);
    for (const d of r.details ?? []) out.push(`          - ${d}`);
    out.push(`        era:   ${r.era.matters ? 'matters here' : 'does not matter here'}: ${r.era.why}`);
    if (r.status === 'problem' || r.status === 'unknown') {
      out.push(`        fix (HOWTO): ${r.fix.howto}`);
      out.push(`        fix (today): ${r.fix.today}`);
    }
    out.push(c.dim(`        HOWTO: "${r.howtoSection}"`));
    out.push('');
  }
  const problems = results.filter((r) => r.status === 'problem').length;
  const unknown = results.filter((r) => r.status === 'unknown').length;
  out.push(
    problems === 0
      ? c.green(`doctor: no problem found${unknown ? ` (${unknown} check(s) could not tell)` : ''}`)
      : c.red(
          `doctor: ${problems} problem(s) to fix${unknown ? `, ${unknown} check(s) could not tell` : ''}`,
        ),
  );
  return out.join('\n') + '\n';
}
