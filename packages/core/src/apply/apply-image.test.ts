import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImageChange } from '../change.js';
import { LocalHost } from '../local-host.js';
import { applyChange, type ApplyContext } from './apply-change.js';
import { openJournal, type Journal } from './journal.js';

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

  it('is set aside at once and removed by the work handed to defer, once that is started', async () => {
    const deferred: (() => Promise<void>)[] = [];
    expect(await applyChange(change, { ...ctx, defer: (work) => deferred.push(work) })).toBe('applied');
    const left = await readdir(join(root, 'var/xen'));
    expect(left).toContain('g.img');
    expect(left).not.toContain('g.img.xen-gentoo-stage');
    expect(left.filter((n) => n.startsWith('g.img.xen-gentoo-stage.removing-'))).toHaveLength(1);
    expect(deferred).toHaveLength(1);
    await Promise.all(deferred.map((work) => work()));
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
});
