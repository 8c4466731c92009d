/** Busybox stage tarballs for the guest tests, and `xen-gentoo domu add` from one on a copy of today's sample root. */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'packages/cli/bin/run.js');

/** Where the target holds the stage tarball. */
export const STAGE_TARBALL = '/opt/stages/busybox.tar.xz';

/**
 * A stage tree at `stage` made of Debian's static `busybox`: the usual directories and `dirs`,
 * /bin/busybox with `applets`, /sbin/init, a zoneinfo UTC file and /dev/console (mknod: as root).
 */
export function busyboxStage(stage: string, busybox: string, applets: string[], dirs: string[] = []): void {
  for (const d of ['bin', 'sbin', 'etc', 'dev', 'proc', 'sys', 'root', 'tmp', ...dirs, 'usr/share/zoneinfo'])
    mkdirSync(join(stage, d), { recursive: true });
  copyFileSync(busybox, join(stage, 'bin/busybox'));
  chmodSync(join(stage, 'bin/busybox'), 0o755);
  for (const applet of applets) symlinkSync('busybox', join(stage, 'bin', applet));
  symlinkSync('../bin/busybox', join(stage, 'sbin/init'));
  writeFileSync(join(stage, 'usr/share/zoneinfo/UTC'), 'TZif');
  execFileSync('mknod', ['-m', '600', join(stage, 'dev/console'), 'c', '5', '1']);
}

/**
 * A copy of today's sample root in a fresh temp directory (named with `prefix`) holding `stage`
 * packed as STAGE_TARBALL (tar with `tarOptions`, numeric owners, xz).
 */
export function targetWithStage(prefix: string, stage: string, tarOptions: string[] = []): string {
  const target = mkdtempSync(join(tmpdir(), prefix));
  execFileSync('cp', ['-a', `${join(REPO, 'samples/current-amd64')}/.`, target]);
  mkdirSync(join(target, 'opt/stages'), { recursive: true });
  execFileSync('tar', [
    ...tarOptions,
    '--numeric-owner',
    '-cJf',
    join(target, STAGE_TARBALL),
    '-C',
    stage,
    '.',
  ]);
  return target;
}

/**
 * `xen-gentoo domu add bb` (the built CLI) on `target` from STAGE_TARBALL, then `args`; --yes
 * --skip-commands: emerge and the chroot fix-ups are Gentoo-only.
 */
export function addBusyboxGuest(target: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(
    'node',
    [
      CLI,
      'domu',
      'add',
      'bb',
      '--root',
      target,
      '--yes',
      '--skip-commands',
      '--stage',
      STAGE_TARBALL,
      ...args,
    ],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  );
}
