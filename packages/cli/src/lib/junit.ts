import type { StepStatus } from '@xen-gentoo/core';

/** One step as verify reports it (text and --json), and as a JUnit test case. */
export interface VerifiedStep {
  id: string;
  title: string;
  phase: string;
  howtoSection: string;
  status: StepStatus;
  reason: string;
  /** Done or not applicable. */
  ok: boolean;
  /** The changes left (pending steps), as plan shows them. */
  changesLeft: string[];
  /** The test case's result: passed, failure (pending), error (blocked), skipped (not applicable). */
  result: 'passed' | 'failure' | 'error' | 'skipped';
}

/** The JUnit result of a step. */
export function junitResult(status: StepStatus): VerifiedStep['result'] {
  if (status === 'blocked') return 'error';
  if (status === 'pending') return 'failure';
  if (status === 'not-applicable') return 'skipped';
  return 'passed';
}

/** Text as XML character data or an attribute value: escaped, characters XML 1.0 cannot hold dropped. */
export function xmlText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- XML 1.0 has no place for these characters
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/\n/g, '&#10;')
  );
}

/** Character data: as xmlText, but new lines stay new lines. */
function xmlBody(text: string): string {
  return xmlText(text).replace(/&#10;/g, '\n');
}

function testcase(step: VerifiedStep): string {
  const open = `    <testcase name="${xmlText(step.id)}" classname="${xmlText(step.howtoSection)}" time="0"`;
  const title = `<properties><property name="title" value="${xmlText(step.title)}"/><property name="phase" value="${xmlText(step.phase)}"/></properties>`;
  switch (step.result) {
    case 'passed':
      return `${open}>${title}</testcase>`;
    case 'skipped':
      return `${open}>${title}<skipped message="${xmlText(`not applicable: ${step.reason}`)}"/></testcase>`;
    case 'error':
      return `${open}>${title}<error type="blocked" message="${xmlText(step.reason)}">${xmlBody(`blocked: ${step.reason}`)}</error></testcase>`;
    case 'failure': {
      const body = [
        `${step.status}: ${step.reason}`,
        ...(step.changesLeft.length ? ['', 'changes left:', ...step.changesLeft] : []),
      ].join('\n');
      return `${open}>${title}<failure type="pending" message="${xmlText(step.reason)}">${xmlBody(body)}</failure></testcase>`;
    }
  }
}

/**
 * JUnit XML of a verify run: one test suite, one test case per step (name = the step id,
 * classname = its HOWTO section). Pending is a failure with the reason and the changes left,
 * blocked an error with the reason, not applicable skipped with the reason.
 */
export function renderJunit(root: string, steps: VerifiedStep[], timestamp: Date): string {
  const count = (result: VerifiedStep['result']): number => steps.filter((s) => s.result === result).length;
  const totals = `tests="${steps.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="0"`;
  const stamp = timestamp.toISOString().replace(/\.\d+Z$/, '');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="xen-gentoo verify" ${totals}>`,
    `  <testsuite name="${xmlText(`xen-gentoo verify ${root}`)}" ${totals} timestamp="${stamp}">`,
    `    <properties><property name="root" value="${xmlText(root)}"/></properties>`,
    ...steps.map(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
