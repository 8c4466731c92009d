import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandError, DriftError } from '../errors.js';
import { LocalHost } from '../local-host.js';
import { RecordedHost } from '../recorded-host.js';
import { applyChange } from './apply-change.js';
import type { ApplyContext } from './apply-change.js';
import { toTargetPath } from './fs-util.js';
import { openJournal, readJournal } from './journal.js';
import type { Journal } from './journal.js';

const isRoot = process.getuid?.() === 0;

let root: string;
let host: LocalHost;
let journal: Journal;
let ctx: ApplyContext;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'xg-apply-'));
  await mkdir(join(root, 'etc/portage'), { recursive: true });
  host = new LocalHost(root);
  journal = await openJournal(host);
  ctx = { host, journal, skipCommands: false };
});

afterEach(async () => {
  await journal.finish();
  await rm(root, { recursive: true, force: true });
});

const disk = (p: string) => join(root, p);
const mode = async (p: string) => (await lstat(disk(p))).mode & 0o7777;
const records = async () => (await readJournal(journal.dir)).records;

/** Every file under the root except the engine's state, with its content. */
async function tree(): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    if (full.startsWith(disk('var'))) continue;
    out.push(full.slice(root.length));
  }
  return out.sort();
}

describe('file', () => {
  it('creates a new file and its missing parents, mode 0644 by default', async () => {
    const outcome = await applyChange(
      { kind: 'file', path: '/etc/xen/auto/vm1', before: null, after: 'x\n' },
      ctx,
    );
    expect(outcome).toBe('applied');
    expect(await readFile(disk('etc/xen/auto/vm1'), 'utf8')).toBe('x\n');
    expect(await mode('etc/xen/auto/vm1')).toBe(0o644);
    expect(await mode('etc/xen')).toBe(0o755);
    expect(await tree()).toEqual(['/etc', '/etc/portage', '/etc/xen', '/etc/xen/auto', '/etc/xen/auto/vm1']);
    const kinds = (await records()).map((r) => r.t);
    expect(kinds).toEqual(['start', 'mkdir', 'mkdir', 'write', 'done']);
  });

  it('gives a new file the mode of the change, whatever the umask', async () => {
    const old = process.umask(0o077);
    try {
      await applyChange(
        { kind: 'file', path: '/etc/x.sh', before: null, after: '#!/bin/sh\n', mode: 0o755 },
        ctx,
      );
    } finally {
      process.umask(old);
    }
    expect(await mode('etc/x.sh')).toBe(0o755);
  });

  it('replaces an existing file keeping its mode and owner, and backs the old content up', async () => {
    await writeFile(disk('etc/portage/make.conf'), 'old\n');
    await chmod(disk('etc/portage/make.conf'), 0o640);
    if (isRoot) await chown(disk('etc/portage/make.conf'), 1234, 5678);
    const outcome = await applyChange(
      { kind: 'file', path: '/etc/portage/make.conf', before: 'old\n', after: 'new\n' },
      ctx,
    );
    expect(outcome).toBe('applied');
    expect(await readFile(disk('etc/portage/make.conf'), 'utf8')).toBe('new\n');
    const stats = await lstat(disk('etc/portage/make.conf'));
    expect(stats.mode & 0o7777).toBe(0o640);
    if (isRoot) expect([stats.uid, stats.gid]).toEqual([1234, 5678]);
    const write = (await records()).find((r) => r.t === 'write');
    expect(write).toMatchObject({ before: { kind: 'file', mode: 0o640 }, backup: 'backups/000001' });
    expect(await readFile(join(journal.dir, 'backups/000001'), 'utf8')).toBe('old\n');
    expect(await tree()).toEqual(['/etc', '/etc/portage', '/etc/portage/make.conf']);
  });

  it.runIf(isRoot)('keeps set-id bits through the change of owner', async () => {
    await writeFile(disk('etc/tool'), 'a');
    await chown(disk('etc/tool'), 1234, 1234);
    await chmod(disk('etc/tool'), 0o4750);
    await applyChange({ kind: 'file', path: '/etc/tool', before: 'a', after: 'b' }, ctx);
    const stats = await lstat(disk('etc/tool'));
    expect([stats.mode & 0o7777, stats.uid]).toEqual([0o4750, 1234]);
  });

  it('applies the mode of the change to an existing file', async () => {
    await writeFile(disk('etc/a'), 'same');
    await chmod(disk('etc/a'), 0o644);
    expect(
      await applyChange({ kind: 'file', path: '/etc/a', before: 'same', after: 'same', mode: 0o600 }, ctx),
    ).toBe('applied');
    expect(await mode('etc/a')).toBe(0o600);
    expect(
      await applyChange({ kind: 'file', path: '/etc/a', before: 'same', after: 'same', mode: 0o600 }, ctx),
    ).toBe('unchanged');
  });

  it('is unchanged when the file already holds the new content (a resumed run)', async () => {
    await writeFile(disk('etc/a'), 'new');
    expect(await applyChange({ kind: 'file', path: '/etc/a', before: 'old', after: 'new' }, ctx)).toBe(
      'unchanged',
    );
    expect((await records()).map((r) => r.t)).toEqual(['start']);
  });

  it.each([
    ['content changed', 'someone else\n', 'old\n'],
    ['file appeared', 'someone else\n', null],
    ['file vanished', undefined, 'old\n'],
  ])('refuses drift (%s) and writes nothing', async (_name, onDisk, before) => {
    if (onDisk !== undefined) await writeFile(disk('etc/a'), onDisk);
    const change = { kind: 'file' as const, path: '/etc/new/a', before, after: 'new\n' };
    // Parent missing too: refusing must not even create directories.
    await expect(applyChange({ ...change, path: '/etc/a' }, ctx)).rejects.toBeInstanceOf(DriftError);
    if (onDisk === undefined) {
      await expect(applyChange(change, ctx)).rejects.toBeInstanceOf(DriftError);
    }
    const before1 = await tree();
    expect(before1).toEqual(
      onDisk === undefined ? ['/etc', '/etc/portage'] : ['/etc', '/etc/a', '/etc/portage'],
    );
    if (onDisk !== undefined) expect(await readFile(disk('etc/a'), 'utf8')).toBe(onDisk);
    expect((await records()).map((r) => r.t)).toEqual(['start']);
    expect(await readdir(join(journal.dir, 'backups'))).toEqual([]);
  });

  it('refuses a directory where the plan expects a file', async () => {
    await mkdir(disk('etc/a'));
    await expect(
      applyChange({ kind: 'file', path: '/etc/a', before: null, after: 'x' }, ctx),
    ).rejects.toThrow(/a directory/);
  });

  it('writes through symlinks, which stay inside the root and stay symlinks', async () => {
    await writeFile(disk('etc/portage/make.conf'), 'old\n');
    await symlink('/etc/portage/make.conf', disk('etc/make.conf')); // absolute: means <root>/etc/portage/make.conf
    await applyChange({ kind: 'file', path: '/etc/make.conf', before: 'old\n', after: 'new\n' }, ctx);
    expect(await readlink(disk('etc/make.conf'))).toBe('/etc/portage/make.conf');
    expect(await readFile(disk('etc/portage/make.conf'), 'utf8')).toBe('new\n');
    const write = (await records()).find((r) => r.t === 'write');
    expect(write).toMatchObject({ path: '/etc/make.conf', target: '/etc/portage/make.conf' });
  });

  it('replaces a temporary file left by a killed run', async () => {
    await writeFile(disk('etc/a'), 'old');
    await writeFile(disk('etc/.a.xen-gentoo-tmp'), 'stale temporary file of a killed run');
    await applyChange({ kind: 'file', path: '/etc/a', before: 'old', after: 'new' }, ctx);
    expect(await tree()).toEqual(['/etc', '/etc/a', '/etc/portage']);
  });
});

describe('a file at the top of the root whose name starts with a dot', () => {
  it('writes /.bash_profile (temporary file /..bash_profile…), which is inside the root', async () => {
    await writeFile(disk('.bash_profile'), 'old\n');
    const outcome = await applyChange(
      { kind: 'file', path: '/.bash_profile', before: 'old\n', after: 'new\n' },
      ctx,
    );
    expect(outcome).toBe('applied');
    expect(await readFile(disk('.bash_profile'), 'utf8')).toBe('new\n');
    expect((await records()).find((r) => r.t === 'write')).toMatchObject({
      target: '/.bash_profile',
      tmp: '/..bash_profile.xen-gentoo-tmp',
    });
    await applyChange({ kind: 'symlink', path: '/..rc', target: 'x', before: null }, ctx);
    expect(await readlink(disk('..rc'))).toBe('x');
  });
});

describe('toTargetPath', () => {
  it('treats only a whole ".." segment as outside the root', () => {
    expect(toTargetPath(host, join(root, '..bash_profile.xen-gentoo-tmp'))).toBe(
      '/..bash_profile.xen-gentoo-tmp',
    );
    expect(toTargetPath(host, join(root, '..d/..f'))).toBe('/..d/..f');
    expect(toTargetPath(host, root)).toBe('/');
    expect(() => toTargetPath(host, join(root, '..'))).toThrow(/outside the target root/);
    expect(() => toTargetPath(host, join(root, '../elsewhere'))).toThrow(/outside the target root/);
  });
});

describe('symlink', () => {
  it('creates, leaves alone and repoints a link atomically', async () => {
    const change = {
      kind: 'symlink' as const,
      path: '/etc/localtime',
      target: '../usr/share/zoneinfo/UTC',
      before: null,
    };
    expect(await applyChange(change, ctx)).toBe('applied');
    expect(await readlink(disk('etc/localtime'))).toBe('../usr/share/zoneinfo/UTC');
    expect(await applyChange(change, ctx)).toBe('unchanged');
    const repoint = { ...change, target: '../usr/share/zoneinfo/CET', before: '../usr/share/zoneinfo/UTC' };
    expect(await applyChange(repoint, ctx)).toBe('applied');
    expect(await readlink(disk('etc/localtime'))).toBe('../usr/share/zoneinfo/CET');
    expect(await tree()).toEqual(['/etc', '/etc/localtime', '/etc/portage']);
    const writes = (await records()).filter((r) => r.t === 'write');
    expect(writes.map((w) => w.before)).toEqual([
      { kind: 'absent' },
      { kind: 'symlink', target: '../usr/share/zoneinfo/UTC' },
    ]);
  });

  it('refuses a link that points elsewhere than planned, or a file in its place', async () => {
    await symlink('elsewhere', disk('etc/l'));
    await writeFile(disk('etc/f'), 'x');
    await expect(
      applyChange({ kind: 'symlink', path: '/etc/l', target: 't', before: 'b' }, ctx),
    ).rejects.toThrow(DriftError);
    await expect(
      applyChange({ kind: 'symlink', path: '/etc/f', target: 't', before: null }, ctx),
    ).rejects.toThrow(DriftError);
    expect(await readlink(disk('etc/l'))).toBe('elsewhere');
  });
});

describe('directory', () => {
  it('creates missing directories with the mode of the change', async () => {
    expect(await applyChange({ kind: 'directory', path: '/var/lib/xen/images', mode: 0o700 }, ctx)).toBe(
      'applied',
    );
    expect(await mode('var/lib/xen/images')).toBe(0o700);
    expect(await mode('var/lib/xen')).toBe(0o755);
    expect(await applyChange({ kind: 'directory', path: '/var/lib/xen/images' }, ctx)).toBe('unchanged');
    const mkdirs = (await records()).filter((r) => r.t === 'mkdir').map((r) => r.path);
    expect(mkdirs).toEqual(['/var/lib/xen', '/var/lib/xen/images']);
  });

  it('refuses a file in the way', async () => {
    await writeFile(disk('etc/d'), '');
    await expect(applyChange({ kind: 'directory', path: '/etc/d' }, ctx)).rejects.toThrow(DriftError);
  });
});

describe('remove', () => {
  it('backs the file up and removes it; a missing file is unchanged', async () => {
    await writeFile(disk('etc/old.conf'), 'bye\n');
    expect(await applyChange({ kind: 'remove', path: '/etc/old.conf', before: 'bye\n' }, ctx)).toBe(
      'applied',
    );
    expect(await tree()).toEqual(['/etc', '/etc/portage']);
    expect(await readFile(join(journal.dir, 'backups/000001'), 'utf8')).toBe('bye\n');
    expect(await applyChange({ kind: 'remove', path: '/etc/old.conf', before: 'bye\n' }, ctx)).toBe(
      'unchanged',
    );
  });

  it('removes a symlink itself, not what it points to', async () => {
    await writeFile(disk('etc/real'), 'keep');
    await symlink('real', disk('etc/link'));
    expect(await applyChange({ kind: 'remove', path: '/etc/link', before: 'real' }, ctx)).toBe('applied');
    expect(await tree()).toEqual(['/etc', '/etc/portage', '/etc/real']);
  });

  it('refuses when the content changed', async () => {
    await writeFile(disk('etc/old.conf'), 'edited\n');
    await expect(
      applyChange({ kind: 'remove', path: '/etc/old.conf', before: 'bye\n' }, ctx),
    ).rejects.toThrow(DriftError);
    expect(await readFile(disk('etc/old.conf'), 'utf8')).toBe('edited\n');
  });
});

describe('command', () => {
  it('runs the argv, journals it and streams its output', async () => {
    const chunks: string[] = [];
    const change = { kind: 'command' as const, argv: ['sh', '-c', 'echo hello'], why: 'test' };
    expect(await applyChange(change, { ...ctx, onOutput: (c) => chunks.push(c) })).toBe('applied');
    expect(chunks.join('')).toBe('hello\n');
    const kinds = (await records()).map((r) => r.t);
    expect(kinds).toEqual(['start', 'command', 'command-end']);
  });

  it('is skipped under --skip-commands', async () => {
    const recorded = new RecordedHost(root);
    const change = { kind: 'command' as const, argv: ['emerge', 'xen'], why: 'test' };
    expect(await applyChange(change, { ...ctx, host: recorded, skipCommands: true })).toBe('skipped');
    expect(recorded.calls).toEqual([]);
    expect(await applyChange(change, { ...ctx, host: recorded })).toBe('applied');
    expect(recorded.calls).toEqual([{ argv: ['emerge', 'xen'], inRoot: false }]);
  });

  it('throws a CommandError naming the command, its exit code and stderr', async () => {
    const change = { kind: 'command' as const, argv: ['sh', '-c', 'echo broken >&2; exit 3'], why: 'test' };
    const error = await applyChange(change, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ commandExitCode: 3, stderr: 'broken\n', argv: change.argv });
    expect((await records()).at(-1)).toMatchObject({ t: 'command-end', exitCode: 3 });
  });
});

it('a manual change is reported, not done', async () => {
  expect(await applyChange({ kind: 'manual', text: 'Reboot into Xen.' }, ctx)).toBe('manual');
  expect((await records()).map((r) => r.t)).toEqual(['start']);
});
