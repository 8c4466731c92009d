import * as Flags from '@oclif/core/flags';
import { rename, rm, writeFile } from 'node:fs/promises';
import { InputError, planSteps, renderChange, UsageError, withoutCommands } from '@xen-gentoo/core';
import { ALL_STEPS } from '@xen-gentoo/steps';
import pc from 'picocolors';
import { BaseCommand } from '../lib/base-command.js';
import { junitResult, renderJunit, type VerifiedStep } from '../lib/junit.js';
import { onlyFlag } from './plan.js';

/** Write a report through a temporary file beside it; any fs error is bad input naming the file. */
async function writeReport(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new InputError(
      file,
      undefined,
      `cannot write the JUnit report (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}

export default class Verify extends BaseCommand<typeof Verify> {
  static override summary =
    "Check every step's end state (CI mode). Exit 0 when nothing is left to do, 1 otherwise.";
  static override description =
    'With --junit FILE, also writes a JUnit XML report: one test case per step (name: the step id, classname: its HOWTO section); pending is a failure with the reason and the changes left, blocked an error, not applicable skipped. The exit code is the same with or without it.';
  static override examples = [
    '<%= config.bin %> verify --json',
    '<%= config.bin %> verify --root /mnt/gentoo',
    '<%= config.bin %> verify --junit report/xen-gentoo.xml',
  ];
  static override flags = {
    only: onlyFlag,
    junit: Flags.string({ summary: 'Also write a JUnit XML report to FILE (for CI).', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    if (this.flags.junit === '')
      throw new UsageError('--junit needs a file name (it was given an empty one)');
    const answers = await this.loadAnswers();
    const only = this.checkOnly(this.flags.only);
    await this.checkGentooTarget(this.host());
    const host = withoutCommands(this.host());
    const plan = await planSteps(ALL_STEPS, host, answers, { only });
    const steps: VerifiedStep[] = plan.steps.map((s) => ({
      id: s.id,
      title: s.title,
      phase: s.phase,
      howtoSection: s.howtoSection,
      status: s.status,
      reason: s.reason,
      ok: s.status === 'done' || s.status === 'not-applicable',
      changesLeft: s.changes.map((change) => renderChange(change, false)),
      result: junitResult(s.status),
    }));
    const ok = steps.every((s) => s.ok);
    if (this.flags.junit !== undefined)
      await writeReport(this.flags.junit, renderJunit(plan.root, steps, new Date()));
    if (this.flags.json) this.writeJson({ version: 1, root: plan.root, ok, steps });
    else {
      const c = pc.createColors(this.color);
      for (const s of steps) {
        const mark = s.ok ? c.green('ok  ') : c.red('FAIL');
        process.stdout.write(`${mark} ${s.id.padEnd(20)} ${s.status}: ${s.reason}\n`);
      }
      const failed = steps.filter((s) => !s.ok).length;
      process.stdout.write(
        ok ? 'verify: every step is done or not applicable\n' : `verify: ${failed} step(s) not done\n`,
      );
      if (this.flags.junit !== undefined) process.stdout.write(`JUnit report: ${this.flags.junit}\n`);
    }
    if (!ok) process.exitCode = 1;
  }
}
