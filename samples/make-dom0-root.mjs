#!/usr/bin/env node
// Build the "after the reboot" sample root: current-amd64 with the tool applied (files only,
// --skip-commands), the Xen packages and boot images the skipped commands would have left, and a
// running system that is Xen's dom0 (/proc/xen/capabilities, /sys/hypervisor/type, the kernel that
// booted). The overlay lives in samples/current-amd64-dom0; the whole root is made in DEST.
//   node samples/make-dom0-root.mjs DEST      (needs `pnpm build` first)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dest = process.argv[2];
if (!dest) {
  process.stderr.write('usage: node samples/make-dom0-root.mjs DEST\n');
  process.exit(2);
}
const root = resolve(dest);
if (existsSync(root) && readdirSync(root).length > 0) {
  process.stderr.write(`${root} is not empty\n`);
  process.exit(2);
}
execFileSync('mkdir', ['-p', root]);
execFileSync('cp', ['-a', `${join(here, 'current-amd64')}/.`, root]);
const overlay = join(here, 'current-amd64-dom0');
// The packages and images first: the files then apply as on a host where emerge and the kernel build ran.
const cli = join(here, '..', 'packages/cli/bin/run.js');
execFileSync('cp', ['-a', `${overlay}/var/.`, join(root, 'var')]);
execFileSync('cp', ['-a', `${overlay}/boot/.`, join(root, 'boot')]);
execFileSync('node', [cli, 'apply', '--yes', '--skip-commands', '--root', root], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, NO_COLOR: '1' },
});
// Then the reboot: the running system is dom0.
for (const dir of ['proc', 'sys']) {
  execFileSync('mkdir', ['-p', join(root, dir)]);
  execFileSync('cp', ['-a', `${overlay}/${dir}/.`, join(root, dir)]);
}
process.stdout.write(`${root}\n`);
