/**
 * The wizard as a person meets it: a real terminal (tmux), keys sent one by one, the screen
 * read back. Every question is answered with its default, the last one ("apply now?") with no.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAnswers } from '../../packages/cli/src/lib/answers-file.js';
import { CLI, copyRoot, SAMPLES, snapshot } from './helpers.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

function screen(session: string): string {
  return execFileSync('tmux', ['capture-pane', '-t', session, '-p', '-S', '-200'], { encoding: 'utf8' });
}

async function waitFor(session: string, pattern: RegExp, ms = 60_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const text = screen(session);
    if (pattern.test(text)) return text;
    if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; screen:\n${text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.runIf(hasTmux)('wizard in a terminal', () => {
  it('asks, writes a valid answers file, shows the plan, and changes nothing when told not to apply', async () => {
    const root = copyRoot(SAMPLES.legacy);
    const out = join(mkdtempSync(join(tmpdir(), 'xg-wiz-')), 'host.ini');
    const before = snapshot(root);
    const session = `xg-wizard-${process.pid}`;
    execFileSync('tmux', [
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '200',
      '-y',
      '50',
      `NO_COLOR=1 node ${CLI} wizard --root ${root} --out ${out}; echo WIZARD-EXIT=$?; sleep 60`,
    ]);
    try {
      await waitFor(session, /2007-era Gentoo/);
      let asked = 0;
      // Answer each question with its default as it appears, until the plan is shown.
      while (!/Apply this plan now\?/.test(screen(session))) {
        await waitFor(session, /\? /);
        execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
        asked++;
        await new Promise((r) => setTimeout(r, 300));
        if (asked > 40) throw new Error(`too many questions:\n${screen(session)}`);
      }
      const text = await waitFor(session, /Apply this plan now\?/);
      expect(text).toMatch(/\d+ pending, \d+ done/);
      execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
      await waitFor(session, /WIZARD-EXIT=0/);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
    const answers = parseAnswers(readFileSync(out, 'utf8'), out);
    expect(answers.portage.buildpkg).toBe('yes');
    expect(answers.kernel.split).toBe('yes');
    expect(answers.boot.dom0_mem).toBe('auto');
    expect(snapshot(root)).toEqual(before);
  }, 240_000);
});
