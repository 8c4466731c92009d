/**
 * The wizard as a person meets it: a real terminal (tmux), keys sent one by one, the screen
 * read back. Every question is answered with its default, the last one ("apply now?") with no.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAnswers } from '../../packages/cli/src/lib/answers-file.js';
import { cli, CLI, copyRoot, SAMPLES, snapshot } from './helpers.js';

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

/** Start the wizard in a tmux session; the shell prints WIZARD-EXIT=<code> when it ends. */
function startWizard(session: string, args: string, env = ''): void {
  execFileSync('tmux', [
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '200',
    '-y',
    '50',
    `${env}NO_COLOR=1 node ${CLI} wizard ${args}; echo WIZARD-EXIT=$?; sleep 60`,
  ]);
}

/** Type `text` and Enter at the question matching `question`, once it shows. */
async function typeAt(session: string, question: RegExp, text: string): Promise<void> {
  await waitFor(session, question);
  if (text) execFileSync('tmux', ['send-keys', '-t', session, '-l', text]);
  execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
  await new Promise((r) => setTimeout(r, 300));
}

/** Answer every question with its default (Enter) until `until` shows on the screen. */
async function answerDefaults(session: string, until: RegExp): Promise<void> {
  let asked = 0;
  while (!until.test(screen(session))) {
    await waitFor(session, /\? /);
    execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
    asked++;
    await new Promise((r) => setTimeout(r, 300));
    if (asked > 40) throw new Error(`too many questions:\n${screen(session)}`);
  }
}

describe('wizard checks before the first question (no terminal needed)', () => {
  it('refuses a --out that is a directory, in a missing directory, or unparsable, and a non-Gentoo root', async () => {
    const root = copyRoot(SAMPLES.legacy);
    const dir = mkdtempSync(join(tmpdir(), 'xg-wiz-'));
    const asDir = await cli(['wizard', '--root', root, '--out', dir]);
    expect(asDir.exitCode).toBe(2);
    expect(asDir.stderr).toContain(`${dir}: is a directory`);
    const missing = join(dir, 'no', 'host.ini');
    const noParent = await cli(['wizard', '--root', root, '--out', missing]);
    expect(noParent.exitCode).toBe(2);
    expect(noParent.stderr).toContain(missing);
    expect(noParent.stderr).toContain('does not exist');
    const bad = join(dir, 'bad.ini');
    writeFileSync(bad, '[xen]\nbogus = 1\n');
    const unparsable = await cli(['wizard', '--root', root, '--out', bad]);
    expect(unparsable.exitCode).toBe(2);
    expect(unparsable.stderr).toContain(`${bad}:2`);
    const notGentoo = await cli(['wizard', '--root', dir, '--out', join(dir, 'x.ini')]);
    expect(notGentoo.exitCode).toBe(2);
    expect(notGentoo.stderr).toContain('does not look like a Gentoo system');
    for (const r of [asDir, noParent, unparsable, notGentoo])
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(readdirSync(dir).sort()).toEqual(['bad.ini']);
  });
});

describe.runIf(hasTmux)('wizard in a terminal', () => {
  it('Ctrl-C at a question exits 130 with a clean message and writes nothing', async () => {
    const root = copyRoot(SAMPLES.legacy);
    const dir = mkdtempSync(join(tmpdir(), 'xg-wiz-'));
    const session = `xg-wizard-int-${process.pid}`;
    startWizard(session, `--root ${root} --out ${join(dir, 'host.ini')}`);
    try {
      await waitFor(session, /\? /);
      execFileSync('tmux', ['send-keys', '-t', session, 'C-c']);
      const text = await waitFor(session, /WIZARD-EXIT=\d+/);
      expect(text).toContain('WIZARD-EXIT=130');
      expect(text).toContain('interrupted; nothing was written');
      expect(text).not.toMatch(/internal error|ExitPromptError/);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  it('an existing --out gives the defaults, keeps unasked keys, and is replaced only when agreed', async () => {
    const root = copyRoot(SAMPLES.legacy);
    const dir = mkdtempSync(join(tmpdir(), 'xg-wiz dir-'));
    const out = join(dir, 'host.ini');
    const original = '[xen]\ninterface = br0\n[boot]\nloader = lilo\nserial = yes\n';
    writeFileSync(out, original);
    const quoted = `'${out}'`;
    // Declined: nothing written, exit 1.
    const first = `xg-wizard-keep-${process.pid}`;
    startWizard(first, `--root ${root} --out ${quoted}`);
    try {
      await answerDefaults(first, /exists; replace it\?/);
      execFileSync('tmux', ['send-keys', '-t', first, 'Enter']);
      await waitFor(first, /WIZARD-EXIT=1\b/);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', first]);
    }
    expect(readFileSync(out, 'utf8')).toBe(original);
    // Agreed: the file keeps the earlier values (asked with them as defaults, and unasked keys).
    const second = `xg-wizard-replace-${process.pid}`;
    startWizard(second, `--root ${root} --out ${quoted}`);
    try {
      await answerDefaults(second, /exists; replace it\?/);
      execFileSync('tmux', ['send-keys', '-t', second, 'y', 'Enter']);
      await answerDefaults(second, /Apply this plan now\?/);
      execFileSync('tmux', ['send-keys', '-t', second, 'Enter']);
      const text = await waitFor(second, /WIZARD-EXIT=0/);
      expect(text.replace(/\n/g, '')).toContain(`apply --root ${root} --answers ${quoted}`);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', second]);
    }
    const answers = parseAnswers(readFileSync(out, 'utf8'), out);
    expect(answers.xen.interface).toBe('br0');
    expect(answers.boot.loader).toBe('lilo');
    expect(answers.boot.serial).toBe('yes');
    expect(readdirSync(dir)).toEqual(['host.ini']);
  }, 240_000);

  it('skips what an existing --out answers (--review asks again), and names missing answers instead of offering to apply', async () => {
    const root = copyRoot(SAMPLES.current);
    const dir = mkdtempSync(join(tmpdir(), 'xg-wiz-'));
    const out = join(dir, 'host.ini');
    // Every asked key but kernel.build, and a guest still to be built without its root password.
    writeFileSync(
      out,
      [
        '[system]\nprofile = default/linux/amd64/23.0',
        '[portage]\ntls_flag = auto\nnptlonly = auto\nbuildpkg = yes\nrebuild_world = no\nhvm = auto',
        '[xen]\nkeywords = auto\ninterface = br7',
        '[kernel]\nsources = /usr/src/linux\nsplit = no\ngenkernel = no',
        '[boot]\ndom0_mem = auto\nserial = no\npxe_dir = /srv/tftp',
        '[guest.web]\nstage = /opt/stages/stage3-tiny.tar.gz\n',
      ].join('\n'),
    );
    const before = snapshot(root);
    const session = `xg-wizard-skip-${process.pid}`;
    startWizard(session, `--root ${root} --out ${out}`);
    try {
      await answerDefaults(session, /exists; replace it\?/);
      const asked = screen(session).replace(/\n/g, ''); // lines wrapped at 200 columns joined
      expect(asked).toMatch(/Not asked again .*xen\.interface/);
      expect(asked).toContain('Build and install the kernels');
      expect(asked).not.toMatch(/Network interface|Keep guest domain|Create a(nother)? guest/);
      execFileSync('tmux', ['send-keys', '-t', session, 'y', 'Enter']);
      const text = (await waitFor(session, /WIZARD-EXIT=\d+/)).replace(/\n/g, ' ');
      expect(text).toContain('WIZARD-EXIT=0');
      expect(text).toMatch(/missing answer: .*host\.ini:\d+: \[guest\.web\] root_password_file: missing/);
      expect(text).not.toContain('Apply this plan now?');
      expect(text).toContain('Set them, then apply with:');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
    const answers = parseAnswers(readFileSync(out, 'utf8'), out);
    expect(answers.xen.interface).toBe('br7');
    expect(answers.boot.pxe_dir).toBe('/srv/tftp');
    expect(answers.guests.map((g) => [g.name, g.stage])).toEqual([['web', '/opt/stages/stage3-tiny.tar.gz']]);
    expect(snapshot(root)).toEqual(before);
    // --review: the answered questions are asked again, the file's values as their defaults.
    const review = `xg-wizard-review-${process.pid}`;
    startWizard(review, `--root ${root} --out ${out} --review`);
    try {
      await answerDefaults(review, /Network interface the bridge will use/);
      expect(screen(review)).toContain('br7');
      execFileSync('tmux', ['send-keys', '-t', review, 'C-c']);
      await waitFor(review, /WIZARD-EXIT=130/);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', review]);
    }
  }, 240_000);

  it('asks for a guest: a name that could escape /etc/xen is refused, the root password is a reference to a variable (never the password), the file and plan hold the guest', async () => {
    const root = copyRoot(SAMPLES.current);
    const out = join(mkdtempSync(join(tmpdir(), 'xg-wiz-')), 'host.ini');
    const before = snapshot(root);
    const password = 'Wizard-Pa55-never-shown';
    const session = `xg-wizard-guest-${process.pid}`;
    startWizard(session, `--root ${root} --out ${out}`, `XG_WIZ_PW=${password} `);
    let text = '';
    try {
      await answerDefaults(session, /Create a guest domain \(domU\)\?/);
      await typeAt(session, /Create a guest domain \(domU\)\?/, 'y');
      await typeAt(session, /Guest name/, '../x');
      await waitFor(session, /at most 63 characters/);
      execFileSync('tmux', ['send-keys', '-t', session, 'BSpace', 'BSpace', 'BSpace', 'BSpace']);
      await typeAt(session, /Guest name/, 'web1');
      await typeAt(session, /web1: memory in MiB/, '');
      await typeAt(session, /web1: disk image size/, '512M');
      await typeAt(session, /web1: stage tarball/, '/opt/stages/stage3-tiny.tar.gz');
      await typeAt(session, /web1: root password: a file holding it, or \$VARIABLE/, '$XG_WIZ_PW');
      await typeAt(session, /web1: start it when dom0 boots\?/, 'y');
      await typeAt(session, /Create another guest domain\?/, '');
      text = await waitFor(session, /Apply this plan now\?/);
      execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
      text = await waitFor(session, /WIZARD-EXIT=\d+/);
      expect(text).toContain('WIZARD-EXIT=0');
      // Everything the terminal showed, the plan included.
      text = execFileSync('tmux', ['capture-pane', '-t', session, '-p', '-J', '-S', '-'], {
        encoding: 'utf8',
      });
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
    expect(text).toMatch(/domu-image +web1: \/var\/xen\/web1\.img, 512M/);
    expect(text).toContain('$XG_WIZ_PW');
    expect(text).not.toContain(password);
    const written = readFileSync(out, 'utf8');
    expect(written).not.toContain(password);
    const answers = parseAnswers(written, out);
    expect(answers.guests).toMatchObject([
      {
        name: 'web1',
        disk_size: '512M',
        stage: '/opt/stages/stage3-tiny.tar.gz',
        root_password_env: 'XG_WIZ_PW',
        autostart: 'yes',
      },
    ]);
    expect(answers.guests[0]?.root_password_file).toBeUndefined();
    expect(snapshot(root)).toEqual(before);
  }, 240_000);

  it('asks, writes a valid answers file, shows the plan, and changes nothing when told not to apply', async () => {
    const root = copyRoot(SAMPLES.legacy);
    const out = join(mkdtempSync(join(tmpdir(), 'xg-wiz-')), 'host.ini');
    const before = snapshot(root);
    const session = `xg-wizard-${process.pid}`;
    startWizard(session, `--root ${root} --out ${out}`);
    try {
      await waitFor(session, /2007-era Gentoo/);
      // Answer each question with its default as it appears, until the plan is shown.
      await answerDefaults(session, /Apply this plan now\?/);
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
