import { InputError, View } from '@xen-gentoo/core';
import { describe, expect, it } from 'vitest';
import { buildpkgStep } from '../phase1-prepare/buildpkg.js';
import { nptlonlyStep } from '../phase1-prepare/nptlonly.js';
import { rebuildWorldStep } from '../phase1-prepare/rebuild-world.js';
import { legacyTarget, modernTarget, planOn } from '../testing/fixtures.js';
import { readMakeConfSet } from './make-conf-set.js';

const changed = (plan: Awaited<ReturnType<typeof planOn>>): Record<string, string | null> =>
  Object.fromEntries(
    plan.status === 'pending'
      ? plan.changes.flatMap((c) => (c.kind === 'file' ? [[c.path, c.after] as const] : []))
      : [],
  );

describe('make.conf as Portage reads it', () => {
  it('a make.conf directory: files in sorted order, edits in the last one', async () => {
    const host = modernTarget({
      '/etc/portage/make.conf': null,
      '/etc/portage/make.conf/50-flags': 'COMMON_FLAGS="-O2 -pipe"\nCFLAGS="${COMMON_FLAGS}"\n',
      '/etc/portage/make.conf/00-base': 'FEATURES="-buildpkg"\n',
      '/etc/portage/make.conf/99-local': 'LC_MESSAGES=C.utf8\n',
      '/etc/portage/make.conf/.hidden': 'FEATURES="broken',
      '/etc/portage/make.conf/99-local~': 'FEATURES="broken',
      '/etc/portage/make.conf/sub/10-more': 'ACCEPT_LICENSE="*"\n',
    });
    const set = await readMakeConfSet(new View(host), '/etc/portage/make.conf');
    expect(set.files).toEqual([
      '/etc/portage/make.conf/00-base',
      '/etc/portage/make.conf/50-flags',
      '/etc/portage/make.conf/99-local',
      '/etc/portage/make.conf/sub/10-more',
    ]);
    expect(set.path).toBe('/etc/portage/make.conf/sub/10-more');
    expect(set.vars.get('CFLAGS')).toBe('-O2 -pipe');
    const plan = await planOn(buildpkgStep, host);
    expect(plan.status).toBe('pending');
    // The earlier files stay as they are; the last one appends, which wins over their -buildpkg.
    expect(changed(plan)).toEqual({
      '/etc/portage/make.conf/sub/10-more': 'ACCEPT_LICENSE="*"\nFEATURES="${FEATURES} buildpkg"\n',
    });
  });

  it('/etc/make.conf and /etc/portage/make.conf together: a variable set in the first keeps its value', async () => {
    const host = legacyTarget({ '/etc/portage/make.conf': 'ACCEPT_KEYWORDS="x86"\n' });
    const plan = await planOn(nptlonlyStep, host);
    expect(changed(plan)).toEqual({
      '/etc/portage/make.conf': 'ACCEPT_KEYWORDS="x86"\nUSE="${USE} nptlonly"\n',
    });
  });

  it('a symlink /etc/make.conf -> portage/make.conf is read once', async () => {
    const host = modernTarget({}, { '/etc/make.conf': 'portage/make.conf' });
    const set = await readMakeConfSet(new View(host), '/etc/portage/make.conf');
    expect(set.files).toEqual(['/etc/portage/make.conf']);
  });

  it('follows source lines: CFLAGS from a sourced file count', async () => {
    const host = legacyTarget({
      '/etc/make.conf': 'CHOST="i686-pc-linux-gnu"\nsource make.conf.flags\nCXXFLAGS="${CFLAGS}"\n',
      '/etc/make.conf.flags': 'CFLAGS="-O2 -march=i686 -pipe"\n',
    });
    const set = await readMakeConfSet(new View(host), '/etc/make.conf');
    expect(set.vars.get('CXXFLAGS')).toBe('-O2 -march=i686 -pipe');
    expect(set.sourced).toEqual(['/etc/make.conf.flags']);
    expect((await planOn(rebuildWorldStep, host)).status).toBe('done');
  });

  it('a source line naming a missing file is bad input with its line', async () => {
    const host = legacyTarget({ '/etc/make.conf': 'CHOST="i686-pc-linux-gnu"\nsource /etc/gone.conf\n' });
    const read = readMakeConfSet(new View(host), '/etc/make.conf');
    await expect(read).rejects.toThrow(InputError);
    await expect(read).rejects.toThrow(/^\/etc\/make\.conf:2: .*no such file/);
  });

  it('a sourced file Portage cannot read is bad input naming that file', async () => {
    const host = legacyTarget({
      '/etc/make.conf': 'source extra.conf\n',
      '/etc/extra.conf': 'A=1\nUSE+=" x"\n',
    });
    await expect(readMakeConfSet(new View(host), '/etc/make.conf')).rejects.toThrow(
      /^\/etc\/extra\.conf:2: /,
    );
  });

  it('__ variables are dropped, as Portage drops them', async () => {
    const host = modernTarget({ '/etc/portage/make.conf': '__X=1\nY=2\n' });
    const set = await readMakeConfSet(new View(host), '/etc/portage/make.conf');
    expect([...set.vars.keys()]).toEqual(['Y']);
  });
});

describe('reading the set again', () => {
  it('gives the same answer while nothing changed, and a fresh one when a file did', async () => {
    const host = modernTarget();
    const view = new View(host);
    const first = await readMakeConfSet(view, '/etc/portage/make.conf');
    expect(await readMakeConfSet(view, '/etc/portage/make.conf')).toBe(first);
    host.files.set('/etc/portage/make.conf', 'USE="xen"\n');
    const second = await readMakeConfSet(view, '/etc/portage/make.conf');
    expect(second.vars.get('USE')).toBe('xen');
    host.files.set('/etc/portage/make.conf.d', 'x');
    host.files.set('/etc/make.conf', 'ACCEPT_LICENSE="*"\n');
    expect((await readMakeConfSet(view, '/etc/portage/make.conf')).files).toEqual([
      '/etc/make.conf',
      '/etc/portage/make.conf',
    ]);
  });
});

describe('nested source lines', () => {
  it('a missing file named by a sourced file is bad input naming that file and line', async () => {
    const host = modernTarget({
      '/etc/portage/make.conf': 'source /etc/portage/make.conf.d/a.conf\nFEATURES="x"\n',
      '/etc/portage/make.conf.d/a.conf': 'source missing.conf\n',
    });
    await expect(readMakeConfSet(new View(host), '/etc/portage/make.conf')).rejects.toThrow(
      /^\/etc\/portage\/make\.conf\.d\/a\.conf:1: .*\/etc\/portage\/make\.conf\.d\/missing\.conf: no such file/,
    );
  });
  it('a chain of source lines deeper than 16 is bad input naming the file and line that goes too deep', async () => {
    const files: Record<string, string> = { '/etc/portage/make.conf': 'source d1.conf\nA=1\n' };
    for (let i = 1; i <= 20; i++) files[`/etc/portage/d${i}.conf`] = `V${i}=x\nsource d${i + 1}.conf\n`;
    files['/etc/portage/d21.conf'] = 'DEEP=1\n';
    const read = readMakeConfSet(new View(modernTarget(files)), '/etc/portage/make.conf');
    await expect(read).rejects.toThrow(InputError);
    await expect(read).rejects.toThrow(/^\/etc\/portage\/d16\.conf:2: .*d17\.conf.*nest more than 16 deep/);
  });

  it('a chain of 16 source lines is read whole', async () => {
    const files: Record<string, string> = { '/etc/portage/make.conf': 'source d1.conf\nA=1\n' };
    for (let i = 1; i <= 15; i++) files[`/etc/portage/d${i}.conf`] = `V${i}=x\nsource d${i + 1}.conf\n`;
    files['/etc/portage/d16.conf'] = 'DEEP=1\n';
    const set = await readMakeConfSet(new View(modernTarget(files)), '/etc/portage/make.conf');
    expect(set.vars.get('DEEP')).toBe('1');
  });
  it('values that grow with the square of the file are bad input naming the line, not hours of work', async () => {
    const lines = Array.from({ length: 20000 }, (_, i) => `USE="\${USE} flag${i}"\n`).join('');
    const read = readMakeConfSet(
      new View(modernTarget({ '/etc/portage/make.conf': lines })),
      '/etc/portage/make.conf',
    );
    await expect(read).rejects.toThrow(InputError);
    await expect(read).rejects.toThrow(
      /^\/etc\/portage\/make\.conf:\d+: the values expand to more than 64 Mi characters/,
    );
  }, 20000);
});
