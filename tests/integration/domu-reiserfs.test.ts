/**
 * The HOWTO's reiserfs on a 2007 host that has reiserfsprogs: Debian's mkreiserfs and
 * debugreiserfs (tests/integration/setup/reiserfs.sh, extracted, never installed) make and read
 * back a real reiserfs, and the plan on a copy of the 2007 sample root with mkreiserfs in it
 * chooses reiserfs and says that filling it needs a loop mount (reiserfs has no mkfs -d); when
 * this machine cannot do that mount (no reiserfs in its kernel, no loop devices, not root), the
 * plan is blocked and names what is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'packages/cli/bin/run.js');
const TOOLS = join(REPO, '.cache/reiserfs/root/sbin');

describe.runIf(existsSync(join(TOOLS, 'mkreiserfs')))('reiserfs with the real reiserfsprogs', () => {
  it('mkreiserfs makes a filesystem that debugreiserfs reads back as consistent', () => {
    const image = join(mkdtempSync(join(tmpdir(), 'xg-reiserfs-')), 'guest.img');
    execFileSync('truncate', ['-s', '64M', image]);
    execFileSync(join(TOOLS, 'mkreiserfs'), ['-f', '-f', '-q', '-l', 'xg-guest', image], { stdio: 'ignore' });
    const read = spawnSync(join(TOOLS, 'debugreiserfs'), [image], { encoding: 'utf8' });
    expect(read.status).toBe(0);
    expect(read.stdout).toMatch(/Filesystem state: consistent/);
    expect(read.stdout).toMatch(/format 3\.6 with standard journal/);
    expect(read.stdout).toMatch(/LABEL: xg-guest/);
  });

  it('the 2007 root with mkreiserfs: the plan chooses reiserfs, says it needs a loop mount, and is blocked when this machine cannot do it', () => {
    const root = join(mkdtempSync(join(tmpdir(), 'xg-reiserfs-root-')), 'root');
    execFileSync('cp', ['-a', join(REPO, 'samples/legacy-x86'), root]);
    mkdirSync(join(root, 'sbin'), { recursive: true });
    copyFileSync(join(TOOLS, 'mkreiserfs'), join(root, 'sbin/mkreiserfs'));
    mkdirSync(join(root, 'opt/stage/etc'), { recursive: true });
    execFileSync('tar', ['-cf', join(root, 'opt/stage.tar'), '-C', join(root, 'opt/stage'), '.']);
    const plan = spawnSync(
      'node',
      [CLI, 'domu', 'add', 'old', '--root', root, '--only', 'domu-image', '--stage', '/opt/stage.tar', '-p'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    const text = plan.stdout + plan.stderr;
    expect(text).toMatch(
      /reiserfs \(the HOWTO's; reiserfsprogs is installed\), needs a loop mount: reiserfs cannot be made from a directory/,
    );
    // What the machine running the tool has for the mount (the image is made here).
    const kernelHasIt =
      /\sreiserfs$/m.test(readFileSync('/proc/filesystems', 'utf8')) ||
      spawnSync(
        'find',
        [
          `/lib/modules/${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`,
          '-name',
          'reiserfs.ko*',
        ],
        {
          encoding: 'utf8',
        },
      ).stdout.trim() !== '';
    const loop = existsSync('/dev/loop-control');
    const asRoot = process.getuid?.() === 0;
    if (kernelHasIt && loop && asRoot) expect(text).toMatch(/reiserfs \(loop mount\)/);
    else {
      expect(text).toMatch(/blocked/);
      expect(text).toMatch(/the image cannot be loop-mounted on this machine/);
      expect(text).not.toMatch(/reiserfs \(loop mount\)/);
      if (!kernelHasIt)
        expect(text).toMatch(
          /this kernel has no reiserfs \(not in \/proc\/filesystems, no module\): Linux removed reiserfs in 6\.13; choose ext4 with \[guest\.old\] filesystem = ext4/,
        );
      if (!loop) expect(text).toMatch(/\/dev\/loop-control is missing/);
      if (!asRoot) expect(text).toMatch(/not running as root/);
    }
  });
});
