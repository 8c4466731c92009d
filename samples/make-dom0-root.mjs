#!/usr/bin/env node
// Build the "after the reboot" sample root: current-amd64 with the tool applied (files only,
// --skip-commands), what each skipped command would have left (the Xen packages, the built kernel
// images, Kconfig's mark on each resolved configuration, the installed configurations and the
// grub.cfg grub-mkconfig writes), and a running system that is Xen's dom0
// (/proc/xen/capabilities, /sys/hypervisor/type, the kernel that booted). The overlay lives in
// samples/current-amd64-dom0; the whole root is made in DEST.
//   node samples/make-dom0-root.mjs DEST      (needs `pnpm build` first)
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
const env = { ...process.env, NO_COLOR: '1' };
// The commands apply will skip: plan and apply agree, so the plan names them.
const plan = JSON.parse(
  execFileSync('node', [cli, 'plan', '--json', '--root', root], { encoding: 'utf8', env }),
);
const commands = plan.steps.flatMap((step) =>
  step.changes.filter((change) => change.kind === 'command').map((change) => change.argv),
);
execFileSync('node', [cli, 'apply', '--yes', '--skip-commands', '--root', root], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env,
});
// Then what each skipped command leaves, in the order apply gives them.
const at = (path) => join(root, path);
for (const argv of commands) {
  const [program, ...args] = argv;
  if (program === 'sh' && args.at(-1) === 'olddefconfig') {
    // Kconfig has nothing to resolve in the sample's stub tree: the merged .config stands for its
    // result, and the command's own sed marks the stamp resolved.
    const stamp = at(args[2]);
    writeFileSync(stamp, readFileSync(stamp, 'utf8').replace(/^# state: applying\n/, '# state: resolved\n'));
  } else if (program === 'make') {
    // The build itself: its images are the overlay's boot/vmlinuz-*, its modules are not needed.
  } else if (program === 'install' && args[0] === '-m' && args.length === 4) {
    const [, , from, to] = args;
    if (existsSync(at(from))) copyFileSync(at(from), at(to));
    else if (!existsSync(at(to))) throw new Error(`no stand-in for ${argv.join(' ')}: ${from} is missing`);
  } else if (program === 'grub-mkconfig' && args.join(' ') === '-o /boot/grub/grub.cfg') {
    copyFileSync(join(overlay, 'grub-mkconfig/grub.cfg'), at('boot/grub/grub.cfg'));
  } else if (program !== 'emerge') {
    // emerge: the packages are the overlay's var/db/pkg, copied above.
    throw new Error(`no stand-in for the skipped command ${argv.join(' ')}`);
  }
}
// Then the reboot: the running system is dom0.
for (const dir of ['proc', 'sys']) {
  execFileSync('mkdir', ['-p', join(root, dir)]);
  execFileSync('cp', ['-a', `${overlay}/${dir}/.`, join(root, dir)]);
}
process.stdout.write(`${root}\n`);
