import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { cli, copyRoot, SAMPLES, snapshot, STATE_DIR } from './helpers.js';

interface Case {
  '@_name': string;
  '@_classname': string;
  failure?: { '@_message': string; '@_type': string; '#text'?: string };
  error?: { '@_message': string; '@_type': string };
  skipped?: { '@_message': string };
}
interface JsonStep {
  id: string;
  howtoSection: string;
  status: string;
  reason: string;
  result: string;
  changesLeft: string[];
}

/** The JUnit report, checked by a real XML parser, as test cases. */
function readJunit(file: string): { totals: Record<string, string>; cases: Case[] } {
  const text = readFileSync(file, 'utf8');
  expect(XMLValidator.validate(text)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    isArray: (name) => name === 'testcase' || name === 'testsuite',
  }).parse(text) as {
    testsuites: Record<string, string> & { testsuite: (Record<string, string> & { testcase: Case[] })[] };
  };
  const suites = doc.testsuites.testsuite;
  expect(suites).toHaveLength(1);
  const totals = Object.fromEntries(
    ['tests', 'failures', 'errors', 'skipped'].map((k) => [k, doc.testsuites[`@_${k}`] ?? '']),
  );
  expect(suites[0]?.['@_tests']).toBe(totals.tests);
  return { totals, cases: suites[0]?.testcase ?? [] };
}

describe.each(Object.entries(SAMPLES))('verify --junit on the %s sample root', (era, sample) => {
  it('one test case per step: pending fails with the changes left, blocked errs, not applicable skips; --json says the same; exit code unchanged', async () => {
    const root = copyRoot(sample);
    const before = snapshot(root);
    const dir = mkdtempSync(join(tmpdir(), 'xg-junit-'));
    const report = join(dir, 'report.xml');
    const result = await cli(['verify', '--root', root, '--junit', report]);
    const plain = await cli(['verify', '--root', root]);
    expect(result.exitCode).toBe(plain.exitCode);
    expect(result.exitCode).toBe(1);
    const json = await cli(['verify', '--root', root, '--json']);
    const steps = (JSON.parse(String(json.stdout)) as { steps: JsonStep[] }).steps;

    const { totals, cases } = readJunit(report);
    expect(cases.map((c) => c['@_name'])).toEqual(steps.map((s) => s.id));
    const count = (result: string): string => String(steps.filter((s) => s.result === result).length);
    expect(totals).toEqual({
      tests: String(steps.length),
      failures: count('failure'),
      errors: count('error'),
      skipped: count('skipped'),
    });
    for (const [i, step] of steps.entries()) {
      const c = cases[i]!;
      expect(c['@_classname']).toBe(step.howtoSection);
      const where = `${era} ${step.id}`;
      if (step.status === 'pending') {
        expect(step.result, where).toBe('failure');
        expect(c.failure?.['@_message'], where).toBe(step.reason);
        expect(c.failure?.['@_type']).toBe('pending');
        expect(step.changesLeft.length, where).toBeGreaterThan(0);
        expect(c.failure?.['#text'], where).toContain('changes left:');
        expect(c.failure?.['#text'], where).toContain(step.changesLeft[0]!.split('\n')[0]);
      } else if (step.status === 'blocked') {
        expect(c.error?.['@_message'], where).toBe(step.reason);
      } else if (step.status === 'not-applicable') {
        expect(c.skipped?.['@_message'], where).toBe(`not applicable: ${step.reason}`);
      } else expect(c.failure ?? c.error ?? c.skipped, where).toBeUndefined();
    }
    expect(steps.some((s) => s.status === 'pending')).toBe(true);
    expect(steps.some((s) => s.status === 'not-applicable')).toBe(true);
    expect(snapshot(root, [STATE_DIR])).toEqual(before);
  });
});

describe('verify --junit with a blocked step', () => {
  it('the blocked step is an error with its reason, counted in errors; the others as before', async () => {
    const root = copyRoot(SAMPLES.current);
    const dir = mkdtempSync(join(tmpdir(), 'xg-junit-'));
    const answers = join(dir, 'answers.ini');
    writeFileSync(answers, '[boot]\nloader = grub-legacy\nfirmware = uefi\n');
    const report = join(dir, 'report.xml');
    const result = await cli(['verify', '--root', root, '--answers', answers, '--junit', report]);
    expect(result.exitCode).toBe(1);
    const json = await cli(['verify', '--root', root, '--answers', answers, '--json']);
    const steps = (JSON.parse(String(json.stdout)) as { steps: JsonStep[] }).steps;
    const blocked = steps.filter((s) => s.status === 'blocked');
    expect(blocked.map((s) => s.id)).toEqual(['boot-grub']);
    const { totals, cases } = readJunit(report);
    expect(totals.errors).toBe('1');
    const c = cases.find((x) => x['@_name'] === 'boot-grub')!;
    expect(c.error?.['@_message']).toBe(blocked[0]!.reason);
    expect(c.error?.['@_type']).toBe('blocked');
    expect(c.failure ?? c.skipped).toBeUndefined();
    expect(cases.filter((x) => x.error)).toHaveLength(1);
    expect(cases.filter((x) => x.failure)).toHaveLength(steps.filter((s) => s.status === 'pending').length);
    expect(cases.filter((x) => x.skipped)).toHaveLength(
      steps.filter((s) => s.status === 'not-applicable').length,
    );
  });
});

describe('verify --junit after apply', () => {
  it('steps left only with commands or the reboot stay failures; an unwritable report is bad input (exit 2)', async () => {
    const root = copyRoot(SAMPLES.current);
    await cli(['apply', '--root', root, '--yes', '--skip-commands']);
    const dir = mkdtempSync(join(tmpdir(), 'xg-junit-'));
    const result = await cli(['verify', '--root', root, '--junit', join(dir, 'r.xml')]);
    expect(result.exitCode).toBe(1);
    const { cases } = readJunit(join(dir, 'r.xml'));
    const failed = cases.filter((c) => c.failure);
    expect(failed.length).toBeGreaterThan(0);
    for (const c of failed) expect(c.failure?.['#text']).toMatch(/changes left:\n {0,2}(run |you: )/);
    const bad = await cli(['verify', '--root', root, '--junit', join(dir, 'missing/r.xml')]);
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toContain('missing/r.xml: cannot write the JUnit report');
  });
});
