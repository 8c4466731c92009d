import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { checkArchive, setShadowPassword } from './apply-image.js';
import { readArchiveMembers } from './archive.js';
import { sha512Crypt } from './sha512-crypt.js';

/** A tar archive made by GNU tar from `dir` with extra arguments. */
function tar(dir: string, name: string, args: string[]): string {
  const out = join(dir, name);
  execFileSync('tar', ['-cf', out, ...args], { cwd: dir });
  return out;
}

/** One ustar header block (and data) made by hand, for members GNU tar will not write. */
function header(name: string, type: string, link = '', data = Buffer.alloc(0)): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write('00000000000\0', 136, 'latin1');
  block.write(type, 156, 'latin1');
  block.write(link, 157, 100, 'utf8');
  block.write('ustar\0' + '00', 257, 'latin1');
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return Buffer.concat([block, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** A pax extended header's records. */
function pax(records: Record<string, string>): Buffer {
  const lines = Object.entries(records).map(([k, v]) => {
    const body = ` ${k}=${v}\n`;
    let n = body.length + 1;
    while (`${n}${body}`.length !== n) n++;
    return `${n}${body}`;
  });
  return header('PaxHeaders/x', 'x', '', Buffer.from(lines.join('')));
}

/** A tar archive of hand-made blocks, ended by two zero blocks. */
function rawTar(dir: string, name: string, blocks: Buffer[]): string {
  const out = join(dir, name);
  writeFileSync(out, Buffer.concat([...blocks, Buffer.alloc(1024)]));
  return out;
}

describe('stage tarball members (read by Node, made by GNU tar)', () => {
  it('reads plain, gzip, xz and long names, links included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xg-tar-'));
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    mkdirSync(join(dir, 'tree', 'd'.repeat(120)), { recursive: true });
    writeFileSync(join(dir, 'tree', long), 'x');
    symlinkSync('usr/lib', join(dir, 'tree', 'lib'));
    for (const [name, flag] of [
      ['t.tar', []],
      ['t.tar.gz', ['-z']],
      ['t.tar.xz', ['-J']],
    ] as const) {
      const path = tar(dir, name, [...flag, '-C', 'tree', '.']);
      const members = [];
      for await (const m of readArchiveMembers(path)) members.push(m);
      expect(members).toContainEqual({ name: `./${long}`, type: '0', link: '' });
      expect(members).toContainEqual({ name: './lib', type: '2', link: 'usr/lib' });
      await expect(checkArchive(path, name)).resolves.toBe(members.length);
    }
  });

  it('reads a POSIX ustar name split into prefix and name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xg-tar-'));
    const long = `${'a'.repeat(60)}/${'b'.repeat(60)}`;
    mkdirSync(join(dir, 'tree', long), { recursive: true });
    writeFileSync(join(dir, 'tree', long, 'file'), 'x');
    const path = tar(dir, 'u.tar', ['--format=ustar', '-C', 'tree', long]);
    const names = [];
    for await (const m of readArchiveMembers(path)) names.push(m.name);
    expect(names).toContain(`${long}/file`);
  });

  it.each([
    ['an absolute member', 'an absolute path', (dir: string) => tar(dir, 'a.tar', ['-P', join(dir, 'f')])],
    [
      'a ../ member',
      'a ".." part',
      (dir: string) => tar(dir, 'b.tar', ['-P', '../' + dir.split('/').pop() + '/f']),
    ],
    [
      'a symlink out, then a file through it',
      'a path through the link etc',
      (dir: string) => {
        mkdirSync(join(dir, 'one'));
        symlinkSync(join(dir, 'outside'), join(dir, 'one', 'etc'));
        mkdirSync(join(dir, 'two', 'etc'), { recursive: true });
        writeFileSync(join(dir, 'two', 'etc', 'passwd'), 'evil');
        const path = tar(dir, 'c.tar', ['-C', 'one', 'etc']);
        execFileSync('tar', ['-rf', path, '-C', 'two', 'etc/passwd'], { cwd: dir });
        return path;
      },
    ],
    [
      'a relative symlink that climbs out',
      'a symbolic link that leaves the tree',
      (dir: string) => {
        mkdirSync(join(dir, 'three', 'etc'), { recursive: true });
        symlinkSync('../../../outside', join(dir, 'three', 'etc', 'up'));
        return tar(dir, 'd.tar', ['-C', 'three', 'etc']);
      },
    ],
    [
      'a hard link through a symlink member',
      'a hard link through the link evil',
      (dir: string) =>
        rawTar(dir, 'e.tar', [header('evil', '2', '/etc'), header('etc/stolen', '1', 'evil/shadow')]),
    ],
    [
      'a pax sparse name (which GNU tar extracts to) climbing out',
      'a ".." part',
      (dir: string) =>
        rawTar(dir, 'f.tar', [
          pax({ 'GNU.sparse.name': '../../outside/f', 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0' }),
          header('etc/innocent', '0', '', Buffer.from('x')),
        ]),
    ],
    [
      'a member named with a newline',
      'a control character in its name',
      (dir: string) => rawTar(dir, 'g.tar', [header('etc/bad\nname', '0', '', Buffer.from('x'))]),
    ],
    [
      'a symlink whose target holds an escape sequence',
      'a control character in its link target',
      (dir: string) => rawTar(dir, 'h.tar', [header('etc/l', '2', 'x\u001b[2Jy')]),
    ],
  ])('%s is refused, naming the member', async (_what, why, make) => {
    const dir = mkdtempSync(join(tmpdir(), 'xg-tar-'));
    writeFileSync(join(dir, 'f'), 'x');
    const path = make(dir);
    const error = await checkArchive(path, '/stage.tar').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(why);
    expect((error as InputError).message).toMatch(/^\/stage\.tar: member /);
  });
});

describe('root password', () => {
  it('SHA-512 crypt as glibc makes it (the specification example)', () => {
    expect(sha512Crypt('Hello world!', 'saltstring')).toBe(
      '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
    );
    expect(sha512Crypt('pw')).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
  });

  it("replaces root's password field and keeps the other lines", () => {
    const text = setShadowPassword('root:*:10770:0:::::\nbin:*:10770:0:::::\n', 'root', '$6$s$h');
    expect(text).toMatch(/^root:\$6\$s\$h:\d+:0:::::\nbin:\*:10770:0:::::\n$/);
    expect(setShadowPassword('', 'root', '$6$s$h')).toMatch(/^root:\$6\$s\$h:\d+:0:99999:7:::\n$/);
  });
});
