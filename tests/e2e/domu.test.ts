import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answersFile, applyAnswers, cli, copyRoot, GUESTS, SAMPLES, snapshot, STATE_DIR } from './helpers.js';

/**
 * Guests on copies of the sample roots with the real tar and e2fsprogs (emerge, the chroot
 * fix-ups and quickpkg are Gentoo-only: --skip-commands leaves them, and the test says so).
 */
const PASSWORD = 'Xg-s3cret-Pa55word-42';

function debugfs(image: string, request: string): string {
  return execFileSync('debugfs', ['-R', request, image], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/** Every file's bytes under a directory, as one text (for grepping the journal). */
function allText(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => readFileSync(join(d.parentPath, d.name), 'latin1'))
    .join('\n');
}

describe.each(Object.entries(SAMPLES))(
  'guests on the %s sample root (recorded: Gentoo-only commands skipped)',
  (_era, sample) => {
    it('apply builds the image (real tar, mke2fs -d) and writes the configuration; then only commands are left; the password never shows', async () => {
      const root = copyRoot(sample);
      const file = answersFile(GUESTS);
      const env = { XG_WEB1_ROOT_PASSWORD: PASSWORD };
      const applied = await applyAnswers(root, file, [], env);
      // db's image is not there (route = prebuilt): blocked, everything else applied.
      expect(applied.exitCode, String(applied.stderr)).toBe(5);
      const image = join(root, 'var/xen/web1.img');
      const info = statSync(image);
      expect(info.size).toBe(64 * 1024 * 1024);
      expect(info.blocks * 512).toBeLessThan(info.size); // sparse
      expect(spawnSync('e2fsck', ['-fn', image]).status).toBe(0);
      expect(existsSync(`${image}.xen-gentoo-stage`)).toBe(false);
      const shadow = debugfs(image, 'cat /etc/shadow');
      const hash = /^root:(\$6\$[^:]+):/m.exec(shadow)?.[1];
      expect(hash).toBeDefined();
      const salt = hash!.split('$')[2]!;
      expect(
        execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], {
          input: PASSWORD,
          encoding: 'utf8',
        }).trim(),
      ).toBe(hash);
      expect(debugfs(image, 'stat /etc/shadow')).toMatch(/Mode:\s+0600/);
      expect(debugfs(image, 'cat /etc/fstab')).toMatch(/^\/dev\/xvda\t\/\t\text[34]\t\tnoatime\t\t0 1$/m);
      expect(debugfs(image, 'cat /etc/conf.d/hostname')).toMatch(/web1/);
      expect(debugfs(image, 'stat /swap')).toMatch(/Size: 8388608/);
      // Every block of the swap file is allocated (swapon refuses holes).
      expect(Number(/Blockcount: (\d+)/.exec(debugfs(image, 'stat /swap'))?.[1])).toBeGreaterThanOrEqual(
        16384,
      );
      expect(readFileSync(join(root, 'etc/xen/web1'), 'utf8')).toContain('/var/xen/web1.img');

      const plan = await cli(['plan', '--root', root, '--answers', file, '--json'], { env });
      const steps = (JSON.parse(String(plan.stdout)) as { steps: unknown }).steps as {
        id: string;
        status: string;
        changes: { kind: string }[];
      }[];
      const left = steps.filter((s) => s.status === 'pending');
      // Nothing left but commands and the reboot into Xen (a manual change of the running step).
      expect(
        left.flatMap((s) => s.changes.map((c) => c.kind)).every((k) => k === 'command' || k === 'manual'),
      ).toBe(true);
      expect(steps.find((s) => s.id === 'domu-image')?.status).toBe('done');
      expect(steps.find((s) => s.id === 'domu-config')?.status).toBe('done');
      expect(steps.find((s) => s.id === 'domu-autostart')?.status).toBe('done');

      const human = await cli(['plan', '--root', root, '--answers', file, '--per-step'], { env });
      const outputs = [
        applied.stdout,
        applied.stderr,
        plan.stdout,
        plan.stderr,
        human.stdout,
        human.stderr,
        allText(join(root, STATE_DIR)),
      ];
      for (const text of outputs) {
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(hash!);
        expect(text).not.toContain(hash!.split('$')[3]!);
      }
    });
  },
);

describe.each(Object.entries(SAMPLES))(
  'two guests that can both be made, on the %s sample root (recorded: Gentoo-only commands skipped)',
  (_era, sample) => {
    it('plan shows every phase-6 step truthfully; apply --json, then plan: nothing left but commands; again: nothing to do; the password and its hash nowhere', async () => {
      const root = copyRoot(sample);
      // db's image is there this time (a raw filesystem image of its own), so nothing blocks.
      execFileSync('mkdir', ['-p', join(root, 'var/xen')]);
      execFileSync('truncate', ['-s', '8M', join(root, 'var/xen/db.img')]);
      const pwDir = mkdtempSync(join(tmpdir(), 'xg-pw-'));
      writeFileSync(join(pwDir, 'pw'), `${PASSWORD}\n`);
      const file = answersFile(
        GUESTS.replace(
          'root_password_env = XG_WEB1_ROOT_PASSWORD',
          `root_password_file = ${join(pwDir, 'pw')}`,
        ),
      );
      type Step = {
        id: string;
        status: string;
        reason: string;
        changes: { kind: string; path?: string; after?: string }[];
      };
      const planOf = async (): Promise<{ steps: Step[]; text: string }> => {
        const result = await cli(['plan', '--root', root, '--answers', file, '--json']);
        expect(result.exitCode, String(result.stderr)).toBe(0);
        return {
          steps: (JSON.parse(String(result.stdout)) as { steps: Step[] }).steps,
          text: `${String(result.stdout)}${String(result.stderr)}`,
        };
      };
      const before = snapshot(root);
      const first = await planOf();
      const human = await cli(['plan', '--root', root, '--answers', file]);
      const perStep = await cli(['plan', '--root', root, '--answers', file, '--per-step']);
      expect(snapshot(root)).toEqual(before); // planning writes nothing
      const phase6 = [
        'quickpkg',
        'domu-image',
        'domu-cflags',
        'domu-domi',
        'domu-prebuilt',
        'domu-config',
        'domu-autostart',
      ];
      const status = (steps: Step[]) =>
        Object.fromEntries(steps.filter((x) => phase6.includes(x.id)).map((x) => [x.id, x.status]));
      expect(Object.keys(status(first.steps))).toEqual(phase6);
      expect(status(first.steps)).toMatchObject({
        'domu-image': 'pending',
        'domu-domi': 'not-applicable',
        'domu-prebuilt': 'done',
        'domu-config': 'pending',
        'domu-autostart': 'pending',
      });
      const step = (steps: Step[], id: string) => steps.find((x) => x.id === id)!;
      expect(step(first.steps, 'domu-image').reason).toMatch(/web1: \/var\/xen\/web1\.img, 64M/);
      expect(step(first.steps, 'domu-domi').reason).toMatch(/no guest with route = domi/);
      // The configurations the plan shows are the files apply writes.
      const configs = step(first.steps, 'domu-config').changes.filter((c) => c.kind === 'file');
      expect(configs.map((c) => c.path).sort()).toEqual(['/etc/xen/db', '/etc/xen/web1']);
      expect(String(human.stdout)).toContain('# /etc/xen/web1');
      expect(String(human.stdout)).toContain('# /etc/xen/db');

      const applied = await applyAnswers(root, file, ['--json']);
      expect(applied.exitCode, String(applied.stderr)).toBe(0);
      for (const c of configs) expect(readFileSync(join(root, c.path!), 'utf8'), c.path).toBe(c.after);
      expect(readFileSync(join(root, 'etc/xen/db'), 'utf8')).toContain('/var/xen/db.img');

      const after = await planOf();
      for (const x of after.steps) {
        expect(x.status, x.id).not.toBe('blocked');
        // Commands, and the reboot into Xen (a manual change of the running step).
        if (x.status === 'pending')
          for (const c of x.changes) expect(['command', 'manual'], x.id).toContain(c.kind);
      }
      expect(status(after.steps)).toMatchObject({
        'domu-image': 'done',
        'domu-prebuilt': 'done',
        'domu-config': 'done',
        'domu-autostart': 'done',
      });
      const tree = snapshot(root, [STATE_DIR]);
      const again = await applyAnswers(root, file, ['--json']);
      expect(again.exitCode, String(again.stderr)).toBe(0);
      expect(snapshot(root, [STATE_DIR])).toEqual(tree);

      const hash = /^root:(\$[16]\$[^:]+):/m.exec(
        debugfs(join(root, 'var/xen/web1.img'), 'cat /etc/shadow'),
      )?.[1];
      expect(hash).toBeDefined();
      for (const text of [
        first.text,
        String(human.stdout) + String(human.stderr),
        String(perStep.stdout) + String(perStep.stderr),
        String(applied.stdout) + String(applied.stderr),
        after.text,
        String(again.stdout) + String(again.stderr),
        allText(join(root, STATE_DIR)),
      ]) {
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(hash!);
        expect(text).not.toContain(hash!.split('$').at(-1)!);
      }
    });
  },
);

describe('guest secrets in failures and diffs', () => {
  it('a build that fails after the password was read says nothing of it; a shadow diff is redacted', async () => {
    const root = copyRoot(SAMPLES.current);
    const dir = mkdtempSync(join(tmpdir(), 'xg-pw-'));
    writeFileSync(join(dir, 'pw'), `${PASSWORD}\n`);
    // 2M cannot hold a stage with 4 MiB in it: mke2fs fails after the password is in the staged tree.
    const big = join(dir, 'big');
    mkdirSync(join(big, 'etc'), { recursive: true });
    writeFileSync(join(big, 'etc/shadow'), 'root:*:19000:0:::::\n');
    writeFileSync(join(big, 'payload'), randomBytes(4 << 20));
    execFileSync('tar', ['-cf', join(root, 'opt/stages/big.tar'), '-C', big, '.']);
    const file = answersFile(
      `[guest.web1]\nstage = /opt/stages/big.tar\ndisk_size = 2M\nswap = 0\nroot_password_file = ${join(dir, 'pw')}\n`,
    );
    const result = await applyAnswers(root, file, ['--only', 'domu-image']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/mke2fs /);
    for (const text of [result.stdout, result.stderr, allText(join(root, STATE_DIR))])
      expect(text).not.toContain(PASSWORD);
    expect(existsSync(join(root, 'var/xen/web1.img'))).toBe(false);
    expect(existsSync(join(root, 'var/xen/web1.img.xen-gentoo-stage'))).toBe(false);
    expect(existsSync(join(root, 'var/xen/web1.img.xen-gentoo-tmp'))).toBe(false);
    const json = await applyAnswers(root, file, ['--only', 'domu-image', '--json']);
    expect(json.stdout).not.toContain(PASSWORD);
  });

  it('a swap file that does not fit on the disk blocks the image at plan time, naming both keys; nothing written', async () => {
    const root = copyRoot(SAMPLES.current);
    const dir = mkdtempSync(join(tmpdir(), 'xg-pw-'));
    writeFileSync(join(dir, 'pw'), `${PASSWORD}\n`);
    const before = snapshot(root);
    const file = answersFile(
      `[guest.web1]\nstage = /opt/stages/stage3-tiny.tar.gz\ndisk_size = 64M\nroot_password_file = ${join(dir, 'pw')}\n`,
    );
    const result = await applyAnswers(root, file, ['--only', 'domu-image']);
    expect(result.exitCode, String(result.stderr)).toBe(5);
    expect(result.stderr).toContain(
      'web1: the swap file (swap = 256M) does not fit on the disk (disk_size = 64M): give a larger disk_size or a smaller swap (0 for none) in [guest.web1]',
    );
    expect(snapshot(root)).toEqual(before);
  });

  it('hostile stage tarballs are refused (exit 2) and nothing in the root changes', async () => {
    const root = copyRoot(SAMPLES.current);
    const work = mkdtempSync(join(tmpdir(), 'xg-hostile-'));
    execFileSync(
      'sh',
      ['-c', 'mkdir -p a b/etc && ln -s /tmp/xg-outside a/etc && echo evil > b/etc/passwd'],
      { cwd: work },
    );
    execFileSync('tar', ['-cf', join(root, 'opt/stages/link.tar'), '-C', join(work, 'a'), 'etc']);
    execFileSync('tar', ['-rf', join(root, 'opt/stages/link.tar'), '-C', join(work, 'b'), 'etc/passwd']);
    execFileSync('tar', ['-cPf', join(root, 'opt/stages/abs.tar'), join(work, 'b/etc/passwd')]);
    // Compressed, the members are checked as they stream into tar: a good member first, then the
    // hostile ones, so that tar has unpacked something when the check stops it.
    execFileSync('sh', ['-c', 'mkdir -p c/usr && echo ok > c/usr/good'], { cwd: work });
    execFileSync('tar', ['-cf', join(work, 'stream.tar'), '-C', join(work, 'c'), 'usr']);
    execFileSync('tar', ['-rf', join(work, 'stream.tar'), '-C', join(work, 'a'), 'etc']);
    execFileSync('tar', ['-rf', join(work, 'stream.tar'), '-C', join(work, 'b'), 'etc/passwd']);
    execFileSync('sh', ['-c', `gzip -c stream.tar > ${join(root, 'opt/stages/link.tar.gz')}`], { cwd: work });
    execFileSync('sh', ['-c', `xz -c stream.tar > ${join(root, 'opt/stages/link.tar.xz')}`], { cwd: work });
    for (const stage of [
      '/opt/stages/link.tar',
      '/opt/stages/abs.tar',
      '/opt/stages/link.tar.gz',
      '/opt/stages/link.tar.xz',
    ]) {
      const before = snapshot(root, ['var/lib']);
      const file = answersFile(
        `[guest.web1]\nstage = ${stage}\ndisk_size = 16M\nswap = 0\nroot_password_env = XG_WEB1_ROOT_PASSWORD\n`,
      );
      const result = await applyAnswers(root, file, ['--only', 'domu-image'], {
        XG_WEB1_ROOT_PASSWORD: PASSWORD,
      });
      expect(result.exitCode, String(result.stderr)).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(`${stage}: member .* has (a path through the link etc|an absolute path)`),
      );
      expect(snapshot(root, ['var/lib'])).toEqual(before); // only the run's journal (var/lib/xen-gentoo) is new
      expect(existsSync('/tmp/xg-outside')).toBe(false);
    }
  });
});
