import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalHost } from './local-host.js';
import { MemoryHost } from './memory-host.js';
import { CachedReads } from './read-cache.js';
import { withoutCommands } from './recorded-host.js';
import { View } from './view.js';

describe('View: planned changes land where the apply engine writes them', () => {
  it('a file written through a dangling link is read through the link and at its target', async () => {
    const host = new MemoryHost({}, { '/etc/portage/make.conf': 'make.conf.real' });
    const view = new View(host);
    await view.apply([{ kind: 'file', path: '/etc/portage/make.conf', before: null, after: 'A=1\n' }]);
    expect(await view.readFile('/etc/portage/make.conf.real')).toBe('A=1\n');
    expect(await view.readFile('/etc/portage/make.conf')).toBe('A=1\n');
    expect((await view.stat('/etc/portage/make.conf'))?.kind).toBe('symlink');
  });

  it('names what stops a change: a file where a directory or a link must be', async () => {
    const host = new MemoryHost({ '/etc/runlevels': 'x\n', '/srv/tftp/pxelinux.cfg': 'x\n' });
    const view = new View(host);
    expect(
      await view.obstacle([
        {
          kind: 'symlink',
          path: '/etc/runlevels/default/xencommons',
          target: '/etc/init.d/xencommons',
          before: null,
        },
      ]),
    ).toMatch(/^\/etc\/runlevels is a file, where a directory must be/);
    expect(await view.obstacle([{ kind: 'directory', path: '/srv/tftp/pxelinux.cfg' }])).toMatch(
      /pxelinux\.cfg is a file, where a directory must go/,
    );
    expect(
      await view.obstacle([
        { kind: 'directory', path: '/srv/boot' },
        { kind: 'file', path: '/srv/boot/default', before: null, after: 'x' },
      ]),
    ).toBeUndefined();
    // The check leaves the view as it was.
    expect(await view.stat('/srv/boot')).toBeUndefined();
  });
});

describe('View: bytes of a file (kernel images)', () => {
  it('reads bytes from a real root through its links, limited; text-only hosts give the text as bytes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'xg-view-bytes-'));
    try {
      mkdirSync(join(root, 'boot'));
      writeFileSync(join(root, 'boot/vmlinuz-1'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0xff, 0x00]));
      symlinkSync('vmlinuz-1', join(root, 'boot/vmlinuz'));
      const view = new View(withoutCommands(new LocalHost(root)));
      expect(await view.readBytes('/boot/vmlinuz', 1024)).toEqual(
        Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0xff, 0x00]),
      );
      expect(await view.readBytes('/boot/missing', 1024)).toBeUndefined();
      await expect(view.readBytes('/boot/vmlinuz', 4)).rejects.toThrow(/more than the 4 bytes/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    const memory = new View(new MemoryHost({ '/boot/x': 'abc' }));
    expect(await memory.readBytes('/boot/x', 1024)).toEqual(Buffer.from('abc'));
  });
});

describe.each([
  ['a view', (host: MemoryHost) => new View(host)],
  ["one plan's view", (host: MemoryHost) => new View(new CachedReads(host), { onePlan: true })],
])('%s follows what earlier steps planned, read after read', (_, make) => {
  it('a path read before a link is planned on its way is read through the link after', async () => {
    const view = make(new MemoryHost({ '/etc/conf.d/net': 'old\n', '/srv/conf/net': 'new\n' }));
    expect(await view.readFile('/etc/conf.d/net')).toBe('old\n');
    await view.apply([{ kind: 'remove', path: '/etc/conf.d', before: '' }]);
    expect(await view.readFile('/etc/conf.d/net')).toBeUndefined();
    await view.apply([{ kind: 'symlink', path: '/etc/conf.d', target: '/srv/conf', before: null }]);
    expect(await view.resolve('/etc/conf.d/net')).toBe('/srv/conf/net');
    expect(await view.readFile('/etc/conf.d/net')).toBe('new\n');
    await view.apply([{ kind: 'file', path: '/etc/conf.d/net', before: 'new\n', after: 'newer\n' }]);
    expect(await view.readFile('/srv/conf/net')).toBe('newer\n');
  });

  it('a removed directory made again holds what is planned in it', async () => {
    const view = make(new MemoryHost({ '/etc/xen/a.cfg': 'a\n' }));
    await view.apply([{ kind: 'remove', path: '/etc/xen', before: '' }]);
    expect(await view.list('/etc/xen')).toBeUndefined();
    expect(await view.readFile('/etc/xen/a.cfg')).toBeUndefined();
    await view.apply([{ kind: 'file', path: '/etc/xen/b.cfg', before: null, after: 'b\n' }]);
    expect((await view.stat('/etc/xen'))?.kind).toBe('directory');
    expect(await view.readFile('/etc/xen/b.cfg')).toBe('b\n');
    // What obstacle tried is undone, removals included.
    expect(
      await view.obstacle([
        { kind: 'remove', path: '/etc', before: '' },
        { kind: 'directory', path: '/etc/x' },
      ]),
    ).toBe(undefined);
    expect(await view.readFile('/etc/xen/b.cfg')).toBe('b\n');
    expect(await view.readFile('/etc/conf')).toBeUndefined();
    // A link obstacle tried, and a path resolved through it, are forgotten after it.
    expect(
      await view.obstacle([
        { kind: 'symlink', path: '/opt/l', target: '/etc/xen', before: null },
        { kind: 'file', path: '/opt/l/c.cfg', before: null, after: 'c\n' },
        { kind: 'directory', path: '/opt/l/b.cfg' },
      ]),
    ).toMatch(/^\/etc\/xen\/b\.cfg \(where \/opt\/l\/b\.cfg leads\) is a file/);
    expect(await view.resolve('/opt/l/b.cfg')).toBe('/opt/l/b.cfg');
    expect(await view.readFile('/opt/l/b.cfg')).toBeUndefined();
    expect(await view.readFile('/etc/xen/c.cfg')).toBeUndefined();
  });
});
