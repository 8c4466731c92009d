import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, SAMPLES } from './helpers.js';

const VERSION = (
  JSON.parse(readFileSync(join(REPO, 'packages/cli/package.json'), 'utf8')) as { version: string }
).version;
const NAME = `xen-gentoo-${VERSION}`;
const work = mkdtempSync(join(tmpdir(), 'xg-release-'));
let tarball = '';
let unpacked = '';

async function release(out: string): Promise<string> {
  const r = await execa('node', [join(REPO, 'scripts/release.mjs'), out]);
  return r.stdout.trim();
}

function run(args: string[], env: Record<string, string> = {}) {
  // Plain node, in a directory with no node_modules above it, the release file alone.
  return execa('node', [join(unpacked, 'xen-gentoo.cjs'), ...args], {
    reject: false,
    cwd: unpacked,
    env: { NO_COLOR: '1', NODE_PATH: '', XDG_CACHE_HOME: join(work, 'cache'), ...env },
    // Byte for byte: the final newline too.
    stripFinalNewline: false,
  });
}

/** What a run printed and how it exited. */
function outcome(r: Awaited<ReturnType<typeof run>>) {
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

beforeAll(async () => {
  tarball = await release(join(work, 'a'));
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('release tarball', () => {
  it('is named from the package version and holds the bundle, man page, completions, README and licence', () => {
    expect(tarball).toBe(join(work, 'a', `${NAME}.tar.gz`));
    const list = execFileSync('tar', ['-tzvf', tarball], { encoding: 'utf8' }).trim().split('\n');
    expect(list.map((l) => l.split(/\s+/).pop())).toEqual([
      `${NAME}/`,
      `${NAME}/LICENSE`,
      `${NAME}/README.md`,
      `${NAME}/completions/`,
      `${NAME}/completions/_xen-gentoo`,
      `${NAME}/completions/xen-gentoo.bash`,
      `${NAME}/xen-gentoo.8`,
      `${NAME}/xen-gentoo.cjs`,
    ]);
    // Owners and times are fixed, the program is executable.
    for (const line of list) expect(line).toMatch(/^[-d]rw[-x]r-[-x]r-[-x] 0\/0 /);
    expect(list.find((l) => l.endsWith('xen-gentoo.cjs'))).toMatch(/^-rwxr-xr-x /);
    // The overlay's Manifest line for it.
    const size = statSync(tarball).size;
    expect(readFileSync(join(work, 'a/Manifest'), 'utf8')).toMatch(
      new RegExp(`^DIST ${NAME}\\.tar\\.gz ${size} BLAKE2B [0-9a-f]{128} SHA512 [0-9a-f]{128}\n$`),
    );
  });

  it('is reproducible: a second build gives the same bytes', async () => {
    const again = await release(join(work, 'b'));
    expect(readFileSync(again).equals(readFileSync(tarball))).toBe(true);
  });

  describe('unpacked where no node_modules is in reach', () => {
    let root = '';
    beforeAll(() => {
      const dir = mkdtempSync(join(tmpdir(), 'xg-unpack-'));
      execFileSync('tar', ['-xzf', tarball, '-C', dir]);
      unpacked = join(dir, NAME);
      for (let d = unpacked; d !== dirname(d); d = dirname(d))
        expect(existsSync(join(d, 'node_modules')), `${d}/node_modules`).toBe(false);
      root = join(dir, 'root');
      execFileSync('cp', ['-a', SAMPLES.current, root]);
    });
    afterAll(() => rmSync(dirname(unpacked), { recursive: true, force: true }));

    it('is ASCII, its program compressed in a comment at its end, not in a string the parser must scan', () => {
      const file = readFileSync(join(unpacked, 'xen-gentoo.cjs'), 'latin1');
      expect([...file].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
      const marker = '\n/* xen-gentoo program */\n/*\n';
      const at = file.indexOf(marker);
      expect(at).toBeGreaterThan(0);
      expect(file.endsWith('\n*/\n')).toBe(true);
      const body = file.slice(at + marker.length, -4);
      expect(body).toMatch(/^[A-Za-z0-9+/=\n]+$/);
      const program = brotliDecompressSync(Buffer.from(body, 'base64')).toString('latin1');
      expect(program).toContain('Bundled license information');
      // Node.js reads and scans the whole file on every start: it is well under half the program.
      expect(file.length).toBeLessThan(0.45 * program.length);
      // Everything before the comment is the small part that reads it back (and the help texts).
      expect(body.length).toBeGreaterThan(3 * at);
    });

    it('prints its version and help', async () => {
      const v = await run(['--version']);
      expect(v.exitCode).toBe(0);
      expect(v.stdout).toBe(
        `xen-gentoo/${VERSION} ${process.platform}-${process.arch} node-${process.version}\n`,
      );
      // Printed without starting oclif, exactly as oclif prints it (FORCE_COLOR makes the file
      // leave it to oclif); oclif reads only the first word for it.
      for (const args of [
        ['--version'],
        ['--version', '--help'],
        ['--version', 'plan', '--json'],
        ['plan', '--version'],
      ]) {
        const [fast, oclif] = await Promise.all([
          run(args, { NODE_ENV: 'production' }),
          run(args, { NODE_ENV: 'production', FORCE_COLOR: '0' }),
        ]);
        expect(outcome(fast), args.join(' ')).toEqual(outcome(oclif));
      }
      // The program itself did not run: it would have kept its text in the cache directory.
      const untouched = join(work, 'version-cache');
      await run(['--version'], { NODE_ENV: 'production', XDG_CACHE_HOME: untouched });
      expect(existsSync(untouched)).toBe(false);
      const help = await run(['plan', '--help']);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain('--only');
    });

    it('prints --help for the program, each topic and each command exactly as oclif renders it', async () => {
      const bash = readFileSync(join(unpacked, 'completions/xen-gentoo.bash'), 'utf8');
      const commands = [...bash.matchAll(/^ {4}'([a-z ]+)'\) flags=/gm)].map((m) => m[1]!);
      const topics = [...new Set(commands.filter((c) => c.includes(' ')).map((c) => c.split(' ')[0]!))];
      expect(topics).toEqual(expect.arrayContaining(['domu', 'answers']));
      for (const form of ['', ...topics, ...commands]) {
        const words = form === '' ? [] : form.split(' ');
        const help = (env: Record<string, string>) =>
          execa('node', [join(unpacked, 'xen-gentoo.cjs'), ...words, '--help'], {
            reject: false,
            cwd: unpacked,
            env: { PATH: process.env.PATH!, XDG_CACHE_HOME: join(work, 'cache'), ...env },
            extendEnv: false,
            stripFinalNewline: false,
          });
        // FORCE_COLOR=0 leaves the output plain but makes the file start oclif to render it.
        const [printed, rendered] = await Promise.all([help({}), help({ FORCE_COLOR: '0' })]);
        expect(rendered.exitCode, form).toBe(0);
        expect(rendered.stderr, form).toBe('');
        expect(rendered.stdout, form).toMatch(/^(VERSION|USAGE|\S.*\n\nUSAGE)\n/);
        expect({ exitCode: printed.exitCode, stderr: printed.stderr, stdout: printed.stdout }, form).toEqual({
          exitCode: 0,
          stderr: '',
          stdout: rendered.stdout,
        });
      }
      expect((await run(['--help'])).stdout).toContain(
        `xen-gentoo/${VERSION} ${process.platform}-${process.arch} node-${process.version}\n`,
      );
    });

    it('keeps the program and a V8 code cache in the cache directory, and runs the same with damaged ones', async () => {
      const dir = join(work, 'cache/xen-gentoo');
      rmSync(dir, { recursive: true, force: true });
      const plain = await run(['plan', '--root', SAMPLES.current]);
      expect(plain.exitCode, plain.stderr).toBe(0);
      const names = readdirSync(dir).sort();
      const key = `${VERSION.replace(/\./g, '\\.')}-[0-9a-f]{16}`;
      expect(names).toHaveLength(2);
      expect(names[0]).toMatch(new RegExp(`^${key}\\.js$`));
      expect(names[1]).toBe(names[0]!.replace(/js$/, 'plan.v8'));
      const [program, cache] = names.map((n) => join(dir, n)) as [string, string];
      const kept = readFileSync(program);
      const file = readFileSync(join(unpacked, 'xen-gentoo.cjs'), 'latin1');
      const marker = '\n/* xen-gentoo program */\n/*\n';
      const body = file.slice(file.indexOf(marker) + marker.length, -4);
      expect(kept.equals(brotliDecompressSync(Buffer.from(body, 'base64')))).toBe(true);
      const same = async (what: string) => {
        const r = await run(['plan', '--root', SAMPLES.current]);
        expect(outcome(r), what).toEqual(outcome(plain));
      };
      await same('both kept');
      expect(readdirSync(dir).sort()).toEqual(names);
      writeFileSync(cache, 'not a code cache');
      await same('a damaged code cache');
      expect(readFileSync(cache).length).toBeGreaterThan(1000);
      writeFileSync(program, kept.subarray(0, kept.length - 1));
      await same('a cut short program');
      expect(readFileSync(program).equals(kept)).toBe(true);
      rmSync(program);
      await same('no kept program');
      expect(readFileSync(program).equals(kept)).toBe(true);
      expect(readdirSync(dir).sort()).toEqual(names);
    });

    it('keeps a code cache for each command, whichever ran first; a new version removes the old files', async () => {
      const dir = join(work, 'cache/xen-gentoo');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const old = [
        '0.0.9-0123456789abcdef.js',
        '0.0.9-0123456789abcdef.plan.v8',
        '0.0.9-0123456789abcdef.js.4242',
      ];
      for (const name of [...old, 'notes.txt']) writeFileSync(join(dir, name), 'kept by an earlier version');
      expect((await run(['--version'])).exitCode).toBe(0);
      expect(readdirSync(dir).filter((n) => old.includes(n) || n === 'notes.txt')).toEqual(['notes.txt']);
      rmSync(join(dir, 'notes.txt'));
      const plan = async () => expect((await run(['plan', '--root', SAMPLES.current])).exitCode).toBe(0);
      await plan();
      expect((await run(['domu', 'list', '--root', SAMPLES.current])).exitCode).toBe(0);
      expect((await run(['no-such-command'])).exitCode).toBe(2);
      const caches = () => readdirSync(dir).filter((n) => n.endsWith('.v8'));
      expect(
        caches()
          .map((n) => n.replace(/^[^.]*\.[^.]*\.[^.]*\./, ''))
          .sort(),
      ).toEqual(['domu-list.v8', 'main.v8', 'plan.v8']);
      // A command's cache, once written, is read and left as it is.
      const planCache = join(
        dir,
        caches().find((n) => n.endsWith('.plan.v8'))!,
      );
      const written = statSync(planCache).mtimeMs;
      await plan();
      expect(statSync(planCache).mtimeMs).toBe(written);
    });

    it('runs the same where the cache directory cannot be written, and without one', async () => {
      const plain = await run(['plan', '--root', SAMPLES.current]);
      const notADirectory = join(work, 'not-a-directory');
      writeFileSync(notADirectory, '');
      const envs: Array<Record<string, string>> = [
        { XDG_CACHE_HOME: notADirectory },
        { XEN_GENTOO_NO_CODE_CACHE: '1' },
      ];
      for (const env of envs) {
        const r = await run(['plan', '--root', SAMPLES.current], env);
        expect(outcome(r)).toEqual(outcome(plain));
      }
      expect(readFileSync(notADirectory, 'utf8')).toBe('');
    });

    it('runs nothing kept in a cache directory that others can write to or that another user owns', async () => {
      const plain = await run(['plan', '--root', SAMPLES.current]);
      const kept = readdirSync(join(work, 'cache/xen-gentoo')).find((n) => n.endsWith('.js'))!;
      const length = statSync(join(work, 'cache/xen-gentoo', kept)).size;
      // The kept text is the program wrapped as Node.js wraps a module: a function expression.
      const poison = '(function () { process.stdout.write("planted\\n"); })';
      const plant = (mode: number, uid?: number) => {
        const base = mkdtempSync(join(work, 'shared-'));
        const dir = join(base, 'xen-gentoo');
        mkdirSync(dir);
        writeFileSync(join(dir, kept), poison.padEnd(length, ' '));
        chmodSync(dir, mode);
        if (uid !== undefined) chownSync(dir, uid, uid);
        return { base, dir };
      };
      // The planted program stands for what is kept: from a directory of one's own, it runs.
      const own = plant(0o755);
      expect((await run(['plan', '--root', SAMPLES.current], { XDG_CACHE_HOME: own.base })).stdout).toBe(
        'planted\n',
      );
      const others = [plant(0o777), plant(0o775)];
      if (process.getuid?.() === 0) others.push(plant(0o755, 65534));
      for (const { base, dir } of others) {
        const r = await run(['plan', '--root', SAMPLES.current], { XDG_CACHE_HOME: base });
        expect(outcome(r), dir).toEqual(outcome(plain));
        expect(readdirSync(dir), dir).toEqual([kept]);
      }
    });

    it("runs where the user has no home directory (no HOME, no passwd entry), as under a container's arbitrary --user", async () => {
      const env: Record<string, string> = { PATH: process.env.PATH!, NO_COLOR: '1' };
      // As root: really a user with no passwd entry. Otherwise os.homedir() and os.userInfo() are
      // made to throw as they then do.
      const homeless = join(work, 'homeless.cjs');
      writeFileSync(
        homeless,
        [
          "const os = require('node:os');",
          'const fail = (call) => () => {',
          "  throw Object.assign(new Error(`A system error occurred: ${call} returned ENOENT`), { code: 'ERR_SYSTEM_ERROR' });",
          '};',
          "os.homedir = fail('uv_os_homedir');",
          "os.userInfo = fail('uv_os_get_passwd');",
          '',
        ].join('\n'),
      );
      const asRoot = process.getuid?.() === 0;
      chmodSync(dirname(unpacked), 0o755);
      const asHomeless = (file: string, args: string[], simulate: boolean) =>
        simulate
          ? execa('node', ['--require', homeless, file, ...args], { reject: false, env, extendEnv: false })
          : execa('setpriv', ['--reuid=54321', '--regid=54321', '--clear-groups', 'node', file, ...args], {
              reject: false,
              env,
              extendEnv: false,
            });
      for (const args of [['plan', '--root', root], ['domu', 'list', '--root', root], ['--version']]) {
        for (const [what, file, simulate] of [
          ['the release file', join(unpacked, 'xen-gentoo.cjs'), !asRoot],
          ['the development build', CLI, true],
        ] as const) {
          const expected = await execa('node', [file, ...args], {
            reject: false,
            env: { ...env, HOME: join(work, 'home') },
            extendEnv: false,
          });
          expect(expected.exitCode, expected.stderr).toBe(0);
          const r = await asHomeless(file, args, simulate);
          expect(r.stderr, `${what}: ${args.join(' ')}`).toBe(expected.stderr);
          expect(r.exitCode, `${what}: ${args.join(' ')}`).toBe(expected.exitCode);
          expect(r.stdout, what).toBe(expected.stdout);
        }
      }
    });

    it("plan loads none of Node.js's modules for hashing, compression, child processes, line editing or performance timing", async () => {
      await run(['plan', '--root', SAMPLES.current]);
      const hook = join(work, 'loaded.cjs');
      const list = join(work, 'loaded.txt');
      writeFileSync(
        hook,
        `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`,
      );
      const r = await execa(
        'node',
        ['--require', hook, join(unpacked, 'xen-gentoo.cjs'), 'plan', '--root', SAMPLES.current],
        {
          reject: false,
          cwd: unpacked,
          // Not in test mode, where the file leaves plan to oclif.
          env: { NO_COLOR: '1', NODE_PATH: '', NODE_ENV: 'production', XDG_CACHE_HOME: join(work, 'cache') },
        },
      );
      expect(r.exitCode, r.stderr).toBe(0);
      const loaded = readFileSync(list, 'utf8').split('\n');
      expect(loaded).toContain('NativeModule fs');
      // perf_hooks: oclif's configuration loading (which the commands run without) imports it.
      for (const name of ['child_process', 'crypto', 'readline', 'zlib', 'perf_hooks'])
        expect(loaded, name).not.toContain(`NativeModule ${name}`);
    });

    it('plans and applies (--skip-commands) a copy of the sample root with plain node', async () => {
      const pending = async () => {
        const plan = await run(['plan', '--root', root, '--json']);
        expect(plan.exitCode, plan.stderr).toBe(0);
        return (JSON.parse(plan.stdout) as { steps: Array<{ id: string; status: string }> }).steps
          .filter((s) => s.status === 'pending')
          .map((s) => s.id);
      };
      const before = await pending();
      expect(before).toContain('buildpkg');
      const apply = await run(['apply', '--root', root, '--yes', '--skip-commands']);
      expect(apply.exitCode, apply.stderr).toBe(0);
      expect(readdirSync(join(root, 'var/lib/xen-gentoo/runs'))).toHaveLength(1);
      const after = await pending();
      expect(after).not.toContain('buildpkg');
      expect(after.length).toBeLessThan(before.length);
      const unknown = await run(['plan', '--root', root, '--only', 'no-such-step']);
      expect(unknown.exitCode).toBe(2);
    });

    it('runs plan and the other unattended commands without starting oclif, printing and exiting exactly as oclif does', async () => {
      const answers = join(work, 'bad-answers.ini');
      writeFileSync(answers, '[host]\nnot a line\n');
      const cases = [
        ['plan', '--root', SAMPLES.current],
        ['plan', '--root', SAMPLES.legacy],
        ['plan', '--root', SAMPLES.current, '--json'],
        ['plan', '--root', SAMPLES.current, '--only', 'buildpkg', '--only', 'hvm', '--per-step'],
        ['plan', '--root', SAMPLES.current, '--only', 'no-such-step'],
        ['plan', '--root', SAMPLES.current, '--no-such-flag'],
        ['plan', '--root', SAMPLES.current, '--json', '--no-such-flag'],
        ['plan', '--root', join(work, 'no-such-root')],
        ['plan', '--root', join(work, 'no-such-root'), '--json'],
        ['plan', '--root', work],
        ['plan', '--root', SAMPLES.current, '--answers', answers],
        ['plan', '--root', SAMPLES.current, '--answers', answers, '--json'],
        ['plan', '--root', SAMPLES.current, '--answers', join(work, 'no-such.ini')],
        ['plan', 'extra-argument'],
        ['plan', '--root', SAMPLES.current, 'extra-argument'],
        ['plan', '--json', 'extra-argument'],
        ['apply', '--root', SAMPLES.current, '--pretend'],
        ['apply', '--root', SAMPLES.current],
        ['apply', '--ask', '--yes', '--root', SAMPLES.current],
        ['apply', 'extra-argument', '--root', SAMPLES.current],
        ['verify', '--root', SAMPLES.current],
        ['verify', '--root', SAMPLES.current, '--json'],
        ['verify', '--root', join(work, 'no-such-root')],
        ['doctor', '--root', SAMPLES.legacy],
        ['doctor', '--root', SAMPLES.current, '--json'],
        ['rollback', '--list', '--root', SAMPLES.current],
        ['rollback', 'no-such-run', '--root', SAMPLES.current],
        ['domu', 'list', '--root', SAMPLES.current],
        ['domu', 'add', '--root', SAMPLES.current, '-p'],
        ['domu', 'add', 'web1', '--root', SAMPLES.current, '-p', '--stage', '/opt/stage3.tar.xz'],
        ['domu', 'add', 'bad/name', '--root', SAMPLES.current, '-p'],
        ['domu', 'add', 'web1', '--root', SAMPLES.current, '-p', '--json', '--no-such-flag'],
        ['domu', 'remove', 'no-such-guest', '--root', SAMPLES.current],
        ['domu', 'no-such-command'],
      ];
      const codes = new Set<number | undefined>();
      for (const args of cases) {
        // Not in development or test mode, where oclif adds warnings and the file leaves it to oclif.
        const fast = await run(args, { NODE_ENV: 'production' });
        const oclif = await run(args, { NODE_ENV: 'production', XEN_GENTOO_NO_FAST_PLAN: '1' });
        expect(outcome(fast), args.join(' ')).toEqual(outcome(oclif));
        codes.add(fast.exitCode);
      }
      expect([...codes].sort()).toEqual([0, 1, 2]);
    });

    it('a plan whose output fills the pipe reaches a reader slow to take it whole, as it reaches a file', async () => {
      // The unattended commands end the process as soon as they are done, unless output is still
      // queued: 300 guests give a --json plan several times the size of a pipe's buffer.
      const answers = join(work, 'many-guests.ini');
      writeFileSync(
        answers,
        Array.from(
          { length: 300 },
          (_, i) => `[guest.g${i}]\nroute = prebuilt\nimage = /var/xen/g${i}.img\n`,
        ).join('\n'),
      );
      const file = join(work, 'many-guests.json');
      const command = `node ${join(unpacked, 'xen-gentoo.cjs')} plan --root ${root} --answers ${answers} --json`;
      const env = { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: join(work, 'cache') };
      execFileSync('sh', ['-c', `${command} > ${file}`], { env });
      const whole = readFileSync(file);
      expect(whole.length).toBeGreaterThan(4 * 65536);
      const slow = execFileSync('sh', ['-c', `${command} | (sleep 1; cat)`], { env, maxBuffer: 1 << 24 });
      expect(slow.equals(whole)).toBe(true);
    });

    it('ships a man page that groff formats without warnings', () => {
      const page = join(unpacked, 'xen-gentoo.8');
      expect(statSync(page).size).toBeGreaterThan(0);
      const text = execFileSync('groff', ['-man', '-Tutf8', '-ww', '-z', page], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
      expect(text).toBe('');
      const rendered = execFileSync('man', ['-l', '-P', 'cat', page], {
        encoding: 'utf8',
        env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '' },
      });
      expect(rendered).toContain('EXIT STATUS');
      for (const command of ['plan', 'apply', 'verify', 'rollback', 'boot render', 'domu add'])
        expect(rendered).toContain(`xen-gentoo ${command}`);
    });

    it('the overlay ebuild installs it: bash -n, its phases with the ebuild helpers stubbed, SRC_URI naming the tarball', () => {
      const dir = join(REPO, 'overlay/app-emulation/xen-gentoo');
      const ebuilds = readdirSync(dir).filter((f) => f.endsWith('.ebuild'));
      expect(ebuilds).toEqual([`${NAME}.ebuild`]);
      const ebuild = join(dir, ebuilds[0]!);
      execFileSync('bash', ['-n', ebuild]);
      const image = mkdtempSync(join(tmpdir(), 'xg-image-'));
      // The few helpers the ebuild calls, as Portage defines them, installing into the image.
      const script = String.raw`
        set -euo pipefail
        P=${NAME}; PN=xen-gentoo; PV=${VERSION}; S="$1"; D="$2"; ED="$2"
        die() { echo "die: $*" >&2; exit 1; }
        inherit() { :; }
        dest=/
        insinto() { dest=$1; }
        doins() { for f; do install -D -m 0644 "$f" "$D$dest/$(basename "$f")"; done; }
        fperms() { chmod "$1" "$D$2"; }
        dosym() { [ "$1" = -r ] || die "dosym without -r"; mkdir -p "$D$(dirname "$3")"; ln -s "$(realpath -m --relative-to="$(dirname "$3")" "$2")" "$D$3"; }
        doman() { install -D -m 0644 "$1" "$D/usr/share/man/man$(expr "$1" : '.*\.\(.*\)')/$(basename "$1")"; }
        newbashcomp() { install -D -m 0644 "$1" "$D/usr/share/bash-completion/completions/$2"; }
        dozshcomp() { install -D -m 0644 "$1" "$D/usr/share/zsh/site-functions/$(basename "$1")"; }
        dodoc() { install -D -m 0644 "$1" "$D/usr/share/doc/$P/$(basename "$1")"; }
        source "$3"
        cd "$S"
        src_compile
        src_install
        printf '%s\n' "$SRC_URI"`;
      try {
        const srcUri = execFileSync('bash', ['-c', script, 'ebuild', unpacked, image, ebuild], {
          encoding: 'utf8',
        }).trim();
        expect(srcUri.split('/').pop()).toBe(`${NAME}.tar.gz`);
        const installed = execFileSync(
          'find',
          ['.', '-mindepth', '1', '(', '-type', 'f', '-o', '-type', 'l', ')', '-printf', '%M %p\n'],
          {
            cwd: image,
            encoding: 'utf8',
          },
        )
          .trim()
          .split('\n')
          .sort();
        expect(installed).toEqual([
          '-rw-r--r-- ./usr/share/bash-completion/completions/xen-gentoo',
          `-rw-r--r-- ./usr/share/doc/${NAME}/README.md`,
          '-rw-r--r-- ./usr/share/man/man8/xen-gentoo.8',
          '-rw-r--r-- ./usr/share/zsh/site-functions/_xen-gentoo',
          '-rwxr-xr-x ./usr/lib/xen-gentoo/xen-gentoo.cjs',
          'lrwxrwxrwx ./usr/bin/xen-gentoo',
        ]);
        // The command as installed (through its symlink) runs.
        const version = execFileSync(join(image, 'usr/bin/xen-gentoo'), ['--version'], { encoding: 'utf8' });
        expect(version).toContain(`xen-gentoo/${VERSION}`);
      } finally {
        rmSync(image, { recursive: true, force: true });
      }
    });

    it("every release named in the repository's files is this version's, and every package has this version", () => {
      const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' })
        .split('\0')
        .filter((f) => f !== '' && !f.startsWith('samples/') && f !== 'pnpm-lock.yaml');
      const named: string[] = [];
      for (const file of files) {
        if (!existsSync(join(REPO, file))) continue;
        const text = readFileSync(join(REPO, file), 'latin1');
        for (const m of `${file}\n${text}`.matchAll(
          /\bxen-gentoo-(\d+\.\d+\.\d+[\w.]*?)(?=\.tar\.gz|\.ebuild|\/|\s|$)/gm,
        ))
          named.push(`${file}: ${m[0]}`);
        if (file.endsWith('package.json')) {
          const { version } = JSON.parse(text) as { version?: string };
          if (version !== undefined) expect(version, file).toBe(VERSION);
        }
      }
      for (const where of ['README.md', 'contrib/ansible/', 'overlay/'])
        expect(
          named.some((n) => n.startsWith(where)),
          where,
        ).toBe(true);
      expect(named.filter((n) => !n.endsWith(NAME))).toEqual([]);
    });

    it('the overlay is a repository: repo_name, layout.conf, a well-formed metadata.xml', () => {
      const overlay = join(REPO, 'overlay');
      expect(readFileSync(join(overlay, 'profiles/repo_name'), 'utf8').trim()).toBe('xen-gentoo');
      expect(readFileSync(join(overlay, 'metadata/layout.conf'), 'utf8')).toMatch(/^masters = gentoo$/m);
      // xmllint comes with libxml2-utils (tests/integration/setup/release.sh).
      const xmllint = spawnSync('xmllint', ['--version']).status === 0;
      if (xmllint)
        execFileSync('xmllint', ['--noout', join(overlay, 'app-emulation/xen-gentoo/metadata.xml')]);
    });

    it('completes the flags --help lists, for every command', async () => {
      const bash = readFileSync(join(unpacked, 'completions/xen-gentoo.bash'), 'utf8');
      const commands = [...bash.matchAll(/^ {4}'([a-z ]+)'\) flags='([^']*)'/gm)].map((m) => ({
        words: m[1]!.split(' '),
        flags: m[2]!.split(' ').filter(Boolean).sort(),
      }));
      expect(commands.map((c) => c.words.join(' '))).toEqual(
        expect.arrayContaining(['plan', 'apply', 'domu add']),
      );
      for (const c of commands) {
        const help = await run([...c.words, '--help']);
        expect(help.exitCode).toBe(0);
        const flagSections = help.stdout.split(/^(?:DESCRIPTION|EXAMPLES)$/m)[0]!;
        const listed = [...flagSections.matchAll(/^ +(?:(-\w), )?(--(?:\[no-\])?[\w-]+)/gm)].flatMap((m) => {
          const long = m[2]!.replace('[no-]', '');
          return [
            ...(m[1] ? [m[1]] : []),
            long,
            ...(m[2]!.includes('[no-]') ? [long.replace('--', '--no-')] : []),
          ];
        });
        expect(listed.sort(), c.words.join(' ')).toEqual(c.flags);
      }
    });

    it("bash's completion, loaded in a real interactive bash, completes subcommands, flags and step ids", () => {
      const complete = (words: string[]) =>
        execFileSync(
          'bash',
          [
            '--norc',
            '-i',
            '-c',
            `source completions/xen-gentoo.bash; complete -p xen-gentoo;` +
              ` COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1};` +
              ` _xen_gentoo; printf '%s\\n' "\${COMPREPLY[@]}"`,
          ],
          { cwd: unpacked, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
        )
          .trim()
          .split('\n');
      expect(complete(['xen-gentoo', ''])[0]).toBe('complete -F _xen_gentoo xen-gentoo');
      expect(complete(['xen-gentoo', 'pl']).slice(1)).toEqual(['plan']);
      expect(complete(['xen-gentoo', 'domu', '']).slice(1).sort()).toEqual(['add', 'list', 'remove']);
      expect(complete(['xen-gentoo', 'apply', '--sk']).slice(1)).toEqual(['--skip-commands']);
      expect(complete(['xen-gentoo', 'plan', '--only', 'cflags']).slice(1)).toEqual(['cflags-tls']);
      expect(complete(['xen-gentoo', 'boot', 'render', 'grub']).slice(1).sort()).toEqual([
        'grub-legacy',
        'grub2',
      ]);
    });

    // zsh comes from tests/integration/setup/release.sh.
    it.skipIf(spawnSync('zsh', ['--version']).status !== 0)(
      "zsh's completion parses and registers for xen-gentoo with compinit",
      () => {
        const completions = join(unpacked, 'completions');
        execFileSync('zsh', ['-n', join(completions, '_xen-gentoo')]);
        const out = execFileSync(
          'zsh',
          [
            '-f',
            '-c',
            `fpath=(${completions} $fpath); autoload -Uz compinit; compinit -u -D; print -r -- $_comps[xen-gentoo]`,
          ],
          { encoding: 'utf8', env: { ...process.env, HOME: unpacked } },
        );
        expect(out.trim()).toBe('_xen-gentoo');
      },
    );
  });
});
