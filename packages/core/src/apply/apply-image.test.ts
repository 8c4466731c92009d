import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImageChange } from '../change.js';
import { InputError } from '../errors.js';
import { LocalHost } from '../local-host.js';
import { applyChange, type ApplyContext } from './apply-change.js';
import { openJournal, type Journal } from './journal.js';
import { removeSetAsideTree } from './set-aside.js';

const tools = ['tar', 'mke2fs'].every((t) => spawnSync(t, ['-V']).error === undefined);

let root: string;
let journal: Journal;
let ctx: ApplyContext;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'xg-image-'));
  const stage = join(root, 'src');
  await mkdir(join(stage, 'etc'), { recursive: true });
  await writeFile(join(stage, 'etc/hostname'), 'guest\n');
  await mkdir(join(root, 'opt'), { recursive: true });
  execFileSync('tar', ['-cf', join(root, 'opt/stage.tar'), '-C', stage, '.']);
  await rm(stage, { recursive: true });
  const host = new LocalHost(root);
  journal = await openJournal(host);
  ctx = { host, journal, skipCommands: true };
});

afterEach(async () => {
  await journal.finish();
  await rm(root, { recursive: true, force: true });
});

const change: ImageChange = {
  kind: 'image',
  path: '/var/xen/g.img',
  bytes: 8 << 20,
  filesystem: 'ext4',
  archive: '/opt/stage.tar',
  stage: '/var/xen/g.img.xen-gentoo-stage',
  mount: false,
  parts: [],
  why: 'test',
};

describe.runIf(tools)('the staged tree of an image', () => {
  it('is removed before applyChange returns when nothing waits for it', async () => {
    expect(await applyChange(change, ctx)).toBe('applied');
    expect((await readdir(join(root, 'var/xen'))).sort()).toEqual(['g.img']);
  });

  it('is recorded, then set aside at once under that name, for the caller to remove', async () => {
    const trees: string[] = [];
    expect(
      await applyChange(change, {
        ...ctx,
        setAside: async (tree) => {
          // Recorded before the rename: a run killed in between leaves nothing unlisted.
          expect(await readdir(join(root, 'var/xen'))).toContain('g.img.xen-gentoo-stage');
          trees.push(tree);
        },
      }),
    ).toBe('applied');
    expect(trees).toHaveLength(1);
    expect(trees[0]).toMatch(/^\/var\/xen\/g\.img\.xen-gentoo-stage\.removing-\d+-\d+$/);
    expect((await readdir(join(root, 'var/xen'))).sort()).toEqual([
      'g.img',
      trees[0]!.slice('/var/xen/'.length),
    ]);
    expect(await removeSetAsideTree(ctx.host, trees[0]!)).toBe(true);
    expect(await readdir(join(root, 'var/xen'))).toEqual(['g.img']);
  });

  it('a tree set aside by a build whose removal did not finish goes with the next build', async () => {
    const aside = join(root, 'var/xen/g.img.xen-gentoo-stage.removing-99-1');
    await mkdir(join(aside, 'etc'), { recursive: true });
    await writeFile(join(aside, 'etc/hostname'), 'old\n');
    await writeFile(join(root, 'var/xen/other.img.xen-gentoo-stage.removing-99-1'), 'not this build');
    expect(await applyChange(change, ctx)).toBe('applied');
    expect((await readdir(join(root, 'var/xen'))).sort()).toEqual([
      'g.img',
      'other.img.xen-gentoo-stage.removing-99-1',
    ]);
  });
  it("a symbolic link at its name is the tool's own leftover, removed: what it points to in the root is left alone", async () => {
    await mkdir(join(root, 'usr/share/misc'), { recursive: true });
    await writeFile(join(root, 'usr/share/misc/keep'), 'keep\n');
    await mkdir(join(root, 'var/xen'), { recursive: true });
    await symlink('/usr/share', join(root, 'var/xen/g.img.xen-gentoo-stage'));
    await symlink('/usr/share/misc', join(root, 'var/xen/g.img.xen-gentoo-stage.mnt'));
    expect(await applyChange(change, ctx)).toBe('applied');
    expect(await readFile(join(root, 'usr/share/misc/keep'), 'utf8')).toBe('keep\n');
    expect(await readdir(join(root, 'usr/share'))).toEqual(['misc']);
    expect((await readdir(join(root, 'var/xen'))).sort()).toEqual(['g.img']);
  });
  it('a stage whose /etc/shadow and /swap are links to missing files gets them where the links point, inside the image', async () => {
    const stage = join(root, 'src2');
    await mkdir(join(stage, 'etc'), { recursive: true });
    await symlink('/gone/shadow', join(stage, 'etc/shadow'));
    await symlink('/nowhere/swap', join(stage, 'swap'));
    execFileSync('tar', ['-cf', join(root, 'opt/links.tar'), '-C', stage, '.']);
    process.env.XG_TEST_PW = 'pw';
    const result = await applyChange(
      {
        ...change,
        archive: '/opt/links.tar',
        parts: [
          { kind: 'secret', path: '/etc/shadow', user: 'root', source: { env: 'XG_TEST_PW' } },
          { kind: 'swap', path: '/swap', bytes: 1 << 20 },
        ],
      },
      ctx,
    );
    expect(result).toBe('applied');
    const image = join(root, 'var/xen/g.img');
    const cat = (path: string) =>
      execFileSync('debugfs', ['-R', `cat ${path}`, image], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    expect(cat('/gone/shadow')).toMatch(/^root:\$6\$/);
    expect(cat('/nowhere/swap')).toContain('SWAPSPACE2');
    expect(spawnSync('e2fsck', ['-fn', image]).status).toBe(0);
    const blocks = /Blockcount: (\d+)/.exec(
      execFileSync('debugfs', ['-R', 'stat /nowhere/swap', image], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    )?.[1];
    expect(Number(blocks)).toBeGreaterThanOrEqual(2048);
  });
  it('the image, which holds the password hash, is readable by root alone from the moment it is made', async () => {
    process.env.XG_TEST_PW = 'pw';
    const modes: number[] = [];
    const result = await applyChange(
      {
        ...change,
        parts: [{ kind: 'secret', path: '/etc/shadow', user: 'root', source: { env: 'XG_TEST_PW' } }],
      },
      {
        ...ctx,
        onOutput: () => undefined,
        setAside: async () => {
          modes.push((await stat(join(root, 'var/xen/g.img'))).mode & 0o777);
        },
      },
    );
    expect(result).toBe('applied');
    expect(modes).toEqual([0o600]);
    expect((await stat(join(root, 'var/xen/g.img'))).mode & 0o777).toBe(0o600);
  });
  it('a build that fails (the swap file does not fit) leaves nothing, not even the image directory it made', async () => {
    const error = await applyChange(
      { ...change, bytes: 1 << 20, parts: [{ kind: 'swap', path: '/swap', bytes: 8 << 20 }] },
      ctx,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(await readdir(join(root, 'var'))).not.toContain('xen');
  });

  it.each([
    ['bytes that are not a tar archive', 'stage.tar', randomBytes(100_000)],
    [
      'gzip magic followed by garbage',
      'stage.tar.gz',
      Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), randomBytes(5000)]),
    ],
    ['a gzip-compressed archive of garbage', 'stage.tar.gz', gzipSync(randomBytes(100_000))],
  ])('a stage of %s is bad input naming it, and nothing is left', async (_what, name, bytes) => {
    await writeFile(join(root, 'opt', name), bytes);
    const error = await applyChange({ ...change, archive: `/opt/${name}` }, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(new RegExp(`^/opt/${name.replace('.', '\\.')}: is not a `));
    expect(await readdir(join(root, 'var'))).not.toContain('xen');
  });
});

const canLoopMount =
  tools &&
  process.getuid?.() === 0 &&
  spawnSync('losetup', ['-f']).status === 0 &&
  spawnSync('mount', ['-V']).status === 0;

describe.runIf(canLoopMount)('an image filled through a loop mount', () => {
  const mounted = { ...change, mount: true };

  it('a mount directory left by a killed build does not stop the next one', async () => {
    await mkdir(join(root, 'var/xen/g.img.xen-gentoo-stage.mnt'), { recursive: true });
    expect(await applyChange(mounted, ctx)).toBe('applied');
    expect((await readdir(join(root, 'var/xen'))).sort()).toEqual(['g.img']);
  });

  it('a build killed while its image was mounted (nothing took the mount down) does not stop the next one', async () => {
    const mnt = join(root, 'var/xen/g.img.xen-gentoo-stage.mnt');
    const tmp = join(root, 'var/xen/g.img.xen-gentoo-tmp');
    await mkdir(mnt, { recursive: true });
    execFileSync('truncate', ['-s', '8M', tmp]);
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', tmp]);
    execFileSync('mount', ['-o', 'loop', tmp, mnt]);
    try {
      expect(await applyChange(mounted, ctx)).toBe('applied');
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(mnt);
      expect(execFileSync('losetup', ['-a'], { encoding: 'utf8' })).not.toContain(root);
      expect((await readdir(join(root, 'var/xen'))).sort()).toEqual(['g.img']);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it("the mount is recorded before it is made, so a killed build's is taken down by the next run", async () => {
    expect(await applyChange(mounted, ctx)).toBe('applied');
    const text = await readFile(
      join(root, 'var/lib/xen-gentoo/runs', journal.runId, 'journal.jsonl'),
      'utf8',
    );
    expect(text).toContain('"t":"mounts"');
    expect(text).toContain('"/var/xen/g.img.xen-gentoo-stage.mnt"');
  });
});
