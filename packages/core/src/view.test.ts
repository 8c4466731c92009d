import { describe, expect, it } from 'vitest';
import { MemoryHost } from './memory-host.js';
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
