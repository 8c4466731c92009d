import { describe, expect, it } from 'vitest';
import { junitResult, renderJunit, xmlText, type VerifiedStep } from './junit.js';

describe('JUnit report', () => {
  it('maps states to results', () => {
    expect(junitResult('done')).toBe('passed');
    expect(junitResult('pending')).toBe('failure');
    expect(junitResult('blocked')).toBe('error');
    expect(junitResult('not-applicable')).toBe('skipped');
  });

  it('escapes markup and drops what XML cannot hold', () => {
    expect(xmlText('a<b>&"c"\n\u0000\u001b[31m')).toBe('a&lt;b&gt;&amp;&quot;c&quot;&#10;[31m');
  });

  it('counts each kind of result', () => {
    const step = (id: string, status: VerifiedStep['status']): VerifiedStep => ({
      id,
      title: id,
      phase: 'Preparing the System',
      howtoSection: 'Profile',
      status,
      reason: 'because',
      ok: status === 'done' || status === 'not-applicable',
      changesLeft: status === 'pending' ? ['run emerge x'] : [],
      result: junitResult(status),
    });
    const xml = renderJunit(
      '/',
      [step('a', 'done'), step('b', 'pending'), step('c', 'blocked'), step('d', 'not-applicable')],
      new Date(0),
    );
    expect(xml).toContain('tests="4" failures="1" errors="1" skipped="1"');
    expect(xml).toContain(
      '<failure type="pending" message="because">pending: because\n\nchanges left:\nrun emerge x</failure>',
    );
  });
});
