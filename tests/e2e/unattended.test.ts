import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answersFile, applyAnswers, cli, copyRoot, SAMPLES, snapshot } from './helpers.js';

/** Two guests whose images are still to be built, lacking three answers between them. */
const LACKING = [
  '[portage]', // line 1
  'buildpkg = yes',
  '',
  '[guest.web1]', // line 4: no stage, no root password
  'disk_size = 16M',
  '',
  '[guest.web2]', // line 7: its password variable is not set
  'stage = /opt/stages/stage3-tiny.tar.gz',
  'root_password_env = XG_TEST_UNSET_PASSWORD',
  '',
].join('\n');

describe('unattended runs never ask: every missing answer at once, nothing changed', () => {
  it('apply --yes (no terminal) names each missing key with its section line, exit 2, the root untouched', async () => {
    const root = copyRoot(SAMPLES.current);
    const file = answersFile(LACKING);
    const before = snapshot(root);
    const result = await applyAnswers(root, file);
    expect(result.exitCode, String(result.stderr)).toBe(2);
    const stderr = String(result.stderr);
    expect(stderr).toContain(`${file}: 3 problems`);
    expect(stderr).toContain(`${file}:4: [guest.web1] stage: missing: the stage tarball`);
    expect(stderr).toContain(`${file}:4: [guest.web1] root_password_file: missing:`);
    expect(stderr).toContain(
      `${file}:7: [guest.web2] root_password_env: the environment variable XG_TEST_UNSET_PASSWORD it names is not set`,
    );
    expect(stderr).toMatch(/nothing was changed: .* never asks/);
    expect(String(result.stdout)).toBe('');
    expect(snapshot(root)).toEqual(before); // not even the state directory
  });

  it('the same under --json: one bad-input error listing every problem', async () => {
    const root = copyRoot(SAMPLES.legacy);
    const file = answersFile(LACKING);
    const result = await cli(['apply', '--root', root, '--answers', file, '--yes', '--json']);
    expect(result.exitCode).toBe(2);
    const error = JSON.parse(String(result.stdout)) as { error: string; problems: { line: number }[] };
    expect(error.error).toBe('bad-input');
    expect(error.problems.map((p) => p.line)).toEqual([4, 4, 7]);
  });

  it('the answers given (a password file, the variable set) or --only without the guest steps: the run goes on', async () => {
    const root = copyRoot(SAMPLES.current);
    const dir = mkdtempSync(join(tmpdir(), 'xg-pw-'));
    writeFileSync(join(dir, 'pw'), 'Xg-unattended-Pa55\n');
    const complete = answersFile(
      `[guest.web1]\nstage = /opt/stages/stage3-tiny.tar.gz\ndisk_size = 16M\nswap = 0\nroot_password_file = ${join(dir, 'pw')}\n` +
        '[guest.web2]\nstage = /opt/stages/stage3-tiny.tar.gz\ndisk_size = 16M\nswap = 0\nroot_password_env = XG_TEST_SET_PASSWORD\n',
    );
    const pretend = await cli(['apply', '--root', root, '--answers', complete, '--yes', '--pretend']);
    expect(pretend.exitCode, String(pretend.stderr)).toBe(0);
    const only = await applyAnswers(root, answersFile(LACKING), ['--only', 'buildpkg']);
    expect(only.exitCode, String(only.stderr)).toBe(0);
    const applied = await applyAnswers(root, complete, ['--only', 'domu-image'], {
      XG_TEST_SET_PASSWORD: 'Xg-unattended-Pa55',
    });
    expect(applied.exitCode, String(applied.stderr)).toBe(0);
    // Built: the images exist, so a later run needs neither the stage nor the password any more.
    const again = await applyAnswers(
      root,
      answersFile('[guest.web1]\ndisk_size = 16M\n[guest.web2]\ndisk_size = 16M\n'),
      ['--only', 'domu-image'],
    );
    expect(again.exitCode, String(again.stderr)).toBe(0);
  });

  it('domu add --yes without a root password names the flag to pass, nothing written', async () => {
    const root = copyRoot(SAMPLES.current);
    const before = snapshot(root);
    const result = await cli([
      'domu',
      'add',
      'web3',
      '--root',
      root,
      '--yes',
      '--stage',
      '/opt/stages/stage3-tiny.tar.gz',
    ]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain('domu add: --root-password-file: missing:');
    expect(snapshot(root)).toEqual(before);
  });
});

describe('a secret written inline is refused, saying how to give it instead', () => {
  const SECRET = 'Inline-Hunter2-Secret';
  it.each([
    ['answers check', (file: string) => ['answers', 'check', file]],
    ['plan', (file: string, root: string) => ['plan', '--root', root, '--answers', file]],
    [
      'apply',
      (file: string, root: string) => [
        'apply',
        '--root',
        root,
        '--answers',
        file,
        '--yes',
        '--skip-commands',
      ],
    ],
  ])(
    '%s: exit 2 naming the line and the two ways, the value never shown, nothing written',
    async (_name, args) => {
      const root = copyRoot(SAMPLES.current);
      const before = snapshot(root);
      const file = answersFile(
        `[guest.web1]\nstage = /opt/stages/stage3-tiny.tar.gz\nroot_password = ${SECRET}\n[guest.web2]\nroot_password_file = ${SECRET}\n`,
      );
      for (const json of [false, true]) {
        const result = await cli([...args(file, root), ...(json ? ['--json'] : [])]);
        expect(result.exitCode).toBe(2);
        const out = `${String(result.stdout)}\n${String(result.stderr)}`;
        expect(out).toContain(':3: root_password is not allowed in [guest.web1]');
        expect(out).toContain('root_password_file (a file holding the password) or root_password_env');
        expect(out).toContain(':5: bad value for root_password_file in [guest.web2]');
        expect(out).not.toContain(SECRET);
      }
      expect(snapshot(root)).toEqual(before);
    },
  );
});
