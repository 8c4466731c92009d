import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type Result } from 'execa';
import { treeSnapshot, type TreeEntry } from '../../packages/steps/src/testing/samples.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const CLI = join(REPO, 'packages/cli/bin/run.js');
export const SAMPLES = {
  current: join(REPO, 'samples/current-amd64'),
  legacy: join(REPO, 'samples/legacy-x86'),
} as const;

/** The step ids of phases 1 and 2, in order. */
export const PHASE_1_2 = [
  'profile',
  'cflags-tls',
  'nptlonly',
  'buildpkg',
  'rebuild-world',
  'hvm',
  'keywords',
  'emerge-xen',
  'xen-services',
  'net-hotplug',
];

/** Two guests: one built from the sample's tiny stage tarball, one from an image that is not there. */
export const GUESTS = [
  '[guest.web1]',
  'stage = /opt/stages/stage3-tiny.tar.gz',
  'disk_size = 64M',
  'swap = 8M',
  'memory = 512',
  'root_password_env = XG_WEB1_ROOT_PASSWORD',
  'autostart = yes',
  '[guest.db]',
  'route = prebuilt',
  'image = /var/xen/db.img',
  'kernel = /boot/vmlinuz-6.12.58-gentoo-xenU',
  '',
].join('\n');

/** The state directory of the tool inside a target; excluded when comparing target trees. */
export const STATE_DIR = 'var/lib/xen-gentoo';

/** Run the built CLI (as a user would), never throwing on a non-zero exit. */
export function cli(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<Result> {
  return execa('node', [CLI, ...args], {
    reject: false,
    input: options.input ?? '',
    env: { NO_COLOR: '1', ...options.env },
    extendEnv: true,
  });
}

/**
 * `apply --yes --skip-commands` on `root` with the answers in `file`, then `extra` arguments
 * (Gentoo-only commands are skipped and listed).
 */
export function applyAnswers(
  root: string,
  file: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<Result> {
  return cli(['apply', '--root', root, '--answers', file, '--yes', '--skip-commands', ...extra], { env });
}

/**
 * The sample root as it is after the reboot into Xen, built by samples/make-dom0-root.mjs in a
 * fresh temp directory (current-amd64 applied, the Xen packages and boot images, a running dom0).
 */
export function dom0Root(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'xg-dom0-root-')), 'root');
  execFileSync('node', [join(REPO, 'samples/make-dom0-root.mjs'), dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return dir;
}

/** A copy of a sample root (symlinks, modes and mtimes kept) in a fresh temp directory. */
export function copyRoot(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'xg-root-'));
  execFileSync('cp', ['-a', `${source}/.`, dir]);
  return dir;
}

/** An answers file holding `text`, in a fresh temp directory. */
export function answersFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'xg-answers-')), 'answers.ini');
  writeFileSync(file, text);
  return file;
}

/** Every path under a root with its kind, mode, mtime and content hash (or link target). */
export function snapshot(root: string, exclude: string[] = []): Map<string, TreeEntry> {
  return treeSnapshot(root, exclude, { mtimes: true });
}

/**
 * The variables bash sees after sourcing `files` in order (a make.conf, or the files of a make.conf
 * directory): bash is the judge of what a make.conf means.
 */
export function bashVars<const N extends string>(files: string | string[], names: N[]): Record<N, string> {
  const list = typeof files === 'string' ? [files] : files;
  const script = `set -a; for f in "\${@:1:${list.length}}"; do source "$f" >/dev/null 2>&1; done; shift ${list.length}; for n in "$@"; do printf '%s\\0' "\${!n}"; done`;
  const out = execFileSync(
    'env',
    ['-i', 'bash', '--noprofile', '--norc', '-c', script, 'bash', ...list, ...names],
    {
      encoding: 'utf8',
    },
  );
  const values = out.split('\0');
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? ''])) as Record<N, string>;
}
