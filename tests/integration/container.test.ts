/**
 * The stage3 container recipe of ci/ (Containerfile, install.sh, xen-gentoo-ci), built and run
 * with podman on a stand-in base: the public gentoo/stage3 and gentoo/portage images cannot be
 * pulled here, so the base is imported from samples/current-amd64, and the Gentoo tree from a
 * nearly empty one. The stand-in base already has Node.js (this machine's, at /usr/bin/node),
 * which install.sh takes in place of the binary package emerge would fetch; the rest of the
 * recipe (the release tarball installed as the ebuild installs it, apply --yes --skip-commands,
 * verify --junit into a mounted /report) runs as it does on a real stage3.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_STEPS } from '../../packages/steps/src/index.js';

const REPO = resolve(import.meta.dirname, '../..');
const SAMPLE = join(REPO, 'samples/current-amd64');
const work = mkdtempSync(join(tmpdir(), 'xg-container-'));

/**
 * podman as root with storage of its own (vfs: no overlay mounts), runc with cgroupfs and no
 * default ulimits: what works in the sandboxes CI machines run in.
 */
const conf = join(work, 'containers.conf');
writeFileSync(
  conf,
  '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n',
);
const PODMAN_ARGS = [
  '--storage-driver',
  'vfs',
  '--root',
  join(work, 'storage'),
  '--runroot',
  join(work, 'run'),
];
const PODMAN_ENV = { ...process.env, CONTAINERS_CONF: conf };

function podman(args: string[], check = true): { status: number | null; output: string } {
  const result = spawnSync('podman', [...PODMAN_ARGS, ...args], {
    env: PODMAN_ENV,
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (check && result.status !== 0)
    throw new Error(
      `podman ${args.join(' ')} failed (${result.status ?? String(result.error)}):\n${output.slice(-4000)}`,
    );
  return { status: result.status, output };
}

/**
 * Whether podman can run a container here (installed, and `podman info` works with the above);
 * XG_CONTAINER_RUNTIME=chroot takes the fallback anyway.
 */
const runtime =
  process.env.XG_CONTAINER_RUNTIME !== 'chroot' &&
  spawnSync('podman', [...PODMAN_ARGS, 'info'], { env: PODMAN_ENV, timeout: 120_000 }).status === 0 &&
  spawnSync('runc', ['--version']).status === 0
    ? 'podman'
    : 'chroot';

afterAll(() => {
  if (runtime === 'podman') {
    podman(['rmi', '--all', '--force'], false);
    // vfs layers may hold read-only directories: make them removable first.
    spawnSync('chmod', ['-R', 'u+w', join(work, 'storage')]);
  }
  rmSync(work, { recursive: true, force: true });
});

/** Copy a program and the shared libraries it loads (as ldd lists them) into `root`, at its path. */
function copyWithLibraries(root: string, program: string): void {
  const target = join(root, program);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(realpathSync(program), target);
  chmodSync(target, 0o755);
  for (const line of execFileSync('ldd', [program], { encoding: 'utf8' }).split('\n')) {
    const lib = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1];
    if (lib === undefined || existsSync(join(root, lib))) continue;
    mkdirSync(dirname(join(root, lib)), { recursive: true });
    cpSync(realpathSync(lib), join(root, lib));
  }
}

/** The full path of a program of this machine. */
function which(name: string): string {
  return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
}

/**
 * The stand-in for gentoo/stage3: samples/current-amd64 plus what every stage3 has and the
 * sample, being files only, lacks (a shell and the programs install.sh uses, from this machine;
 * root's /etc/passwd line and home),
 * and Node.js at /usr/bin/node in place of the binary package.
 */
function standInRoot(): string {
  const root = join(work, 'stand-in');
  cpSync(SAMPLE, root, { recursive: true, verbatimSymlinks: true });
  for (const name of ['sh', 'env', 'tar', 'gzip', 'mkdir', 'chmod', 'ln', 'rm']) {
    const path = which(name);
    copyWithLibraries(root, path);
    // Found at the paths a stage3 has them too.
    for (const dir of ['/bin', '/usr/bin'])
      if (!existsSync(join(root, dir, name))) {
        mkdirSync(join(root, dir), { recursive: true });
        cpSync(join(root, path), join(root, dir, name));
      }
  }
  copyWithLibraries(root, realpathSync(process.execPath));
  if (!existsSync(join(root, 'usr/bin/node')))
    cpSync(join(root, realpathSync(process.execPath)), join(root, 'usr/bin/node'));
  mkdirSync(join(root, 'tmp'), { recursive: true, mode: 0o1777 });
  mkdirSync(join(root, 'root'), { recursive: true, mode: 0o700 });
  if (!existsSync(join(root, 'etc/passwd')))
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  if (!existsSync(join(root, 'etc/group'))) writeFileSync(join(root, 'etc/group'), 'root:x:0:root\n');
  return root;
}

/** The build context: ci/ as a user has it after `node scripts/release.mjs ci/release`. */
function buildContext(): string {
  const context = join(work, 'context');
  cpSync(join(REPO, 'ci'), context, { recursive: true, filter: (src) => !src.includes('/ci/release') });
  execFileSync('node', [join(REPO, 'scripts/release.mjs'), join(context, 'release')], { stdio: 'pipe' });
  return context;
}

interface Case {
  '@_name': string;
  '@_classname': string;
  failure?: { '#text'?: string };
  error?: unknown;
  skipped?: unknown;
}

function checkReport(file: string): void {
  expect(existsSync(file), `${file}: no JUnit report`).toBe(true);
  const text = readFileSync(file, 'utf8');
  expect(XMLValidator.validate(text)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testcase' }).parse(
    text,
  ) as {
    testsuites: { testsuite: { testcase: Case[] } };
  };
  const cases = doc.testsuites.testsuite.testcase;
  expect(cases.map((c) => c['@_name'])).toEqual(ALL_STEPS.map((s) => s.id));
  const byId = new Map(cases.map((c) => [c['@_name'], c]));
  // A file change the CI commands applied: passed.
  expect(byId.get('buildpkg')?.failure).toBeUndefined();
  expect(byId.get('buildpkg')?.error).toBeUndefined();
  // A step whose work is a command (--skip-commands left it): a failure listing it.
  expect(byId.get('emerge-xen')?.failure?.['#text']).toMatch(/run emerge .*app-emulation\/xen/);
}

describe('the stage3 container recipe (ci/)', () => {
  const name =
    runtime === 'podman'
      ? 'podman builds ci/Containerfile on a stand-in base imported from samples/current-amd64 (Node.js given, not emerged: no network to the Gentoo images or binhost), runs the CI commands and the JUnit report comes back through the mounted /report'
      : 'chroot fallback (no container runtime can run here): the steps of ci/Containerfile and the CI commands in a chroot of the stand-in root from samples/current-amd64, and the JUnit report read back';
  it(
    name,
    () => {
      const context = buildContext();
      const root = standInRoot();
      const report = join(work, 'report');
      mkdirSync(report, { mode: 0o777 });
      if (runtime === 'podman') {
        execFileSync('tar', ['-C', root, '-cf', join(work, 'base.tar'), '.']);
        podman(['import', join(work, 'base.tar'), 'localhost/xg-stage3-stand-in:test']);
        // The Gentoo tree's stand-in: a tree with only its layout file.
        const tree = join(work, 'portage/var/db/repos/gentoo/metadata');
        mkdirSync(tree, { recursive: true });
        writeFileSync(join(tree, 'layout.conf'), 'masters =\n');
        execFileSync('tar', ['-C', join(work, 'portage'), '-cf', join(work, 'portage.tar'), '.']);
        podman(['import', join(work, 'portage.tar'), 'localhost/xg-portage-stand-in:test']);
        podman([
          'build',
          '--pull=never',
          '--network',
          'none',
          '--build-arg',
          'BASE=localhost/xg-stage3-stand-in:test',
          '--build-arg',
          'PORTAGE=localhost/xg-portage-stand-in:test',
          '--tag',
          'localhost/xg-ci:test',
          '--file',
          join(context, 'Containerfile'),
          context,
        ]);
        const run = podman(
          ['run', '--rm', '--network', 'none', '--volume', `${report}:/report`, 'localhost/xg-ci:test'],
          false,
        );
        // verify's exit code: work is left (the commands --skip-commands did not run).
        expect(run.status, run.output.slice(-4000)).toBe(1);
        expect(run.output).toContain('JUnit report: /report/xen-gentoo.xml');
      } else {
        // The Containerfile's steps, by hand (and the /dev/null a container runtime provides).
        mkdirSync(join(root, 'dev'), { recursive: true });
        execFileSync('mknod', ['-m', '666', join(root, 'dev/null'), 'c', '1', '3']);
        cpSync(join(context, 'release'), join(root, 'tmp/xen-gentoo-release'), { recursive: true });
        for (const file of ['install.sh', 'xen-gentoo-ci'])
          cpSync(join(context, file), join(root, 'usr/local/sbin', file));
        const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };
        const install = spawnSync('chroot', [root, '/usr/local/sbin/install.sh', '/tmp/xen-gentoo-release'], {
          env,
          encoding: 'utf8',
        });
        expect(install.status, `${install.stdout}${install.stderr}`).toBe(0);
        mkdirSync(join(root, 'etc/xen-gentoo'), { recursive: true });
        cpSync(join(context, 'answers.ini'), join(root, 'etc/xen-gentoo/answers.ini'));
        mkdirSync(join(root, 'report'));
        const run = spawnSync('chroot', [root, '/usr/local/sbin/xen-gentoo-ci'], { env, encoding: 'utf8' });
        expect(run.status, `${run.stdout}${run.stderr}`.slice(-4000)).toBe(1);
        cpSync(join(root, 'report/xen-gentoo.xml'), join(report, 'xen-gentoo.xml'));
      }
      checkReport(join(report, 'xen-gentoo.xml'));
    },
    900_000,
  );
});
