import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalHost } from '../local-host.js';
import { cryptSchemeFor, treeGlibcVersion } from './apply-image.js';
import { md5Crypt } from './md5-crypt.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('MD5 crypt ($1$), for a guest whose glibc predates SHA-512 crypt', () => {
  it('matches fixed vectors of openssl passwd -1', () => {
    expect(md5Crypt('pw', 'abcdefgh')).toBe('$1$abcdefgh$IQtUouv7y7Q9dRWkQEPCc.');
    expect(md5Crypt('', 'xy')).toBe('$1$xy$JSgu5Zv4igzK2ULm5nTM30');
    expect(md5Crypt('a much longer password than sixteen bytes', '12345678')).toBe(
      '$1$12345678$yLppq.aqtfjKiej5RWDLq/',
    );
    // salts are cut at 8 characters and at "$", as crypt(3) does
    expect(md5Crypt('pw', 'abcdefghij')).toBe(md5Crypt('pw', 'abcdefgh'));
    expect(md5Crypt('pw', '$1$abcdefgh$whatever')).toBe(md5Crypt('pw', 'abcdefgh'));
    expect(md5Crypt('pw')).toMatch(/^\$1\$[./0-9A-Za-z]{8}\$[./0-9A-Za-z]{22}$/);
  });

  it.runIf(hasOpenssl)('agrees with the real openssl passwd -1 (lengths 0-40, UTF-8)', () => {
    const passwords = ['', 'x', 'ünïcødé', 'p'.repeat(15), 'q'.repeat(16), 'r'.repeat(17), 's'.repeat(40)];
    const salts = ['a', 'ab.cd/ef', 'ZZZZZZZZ'];
    for (const password of passwords)
      for (const salt of salts)
        expect(md5Crypt(password, salt), `${password.length}/${salt}`).toBe(
          execFileSync('openssl', ['passwd', '-1', '-salt', salt, '-stdin'], {
            input: `${password}\n`,
            encoding: 'utf8',
          }).trim(),
        );
  });
});

describe("the image's glibc chooses the hash", () => {
  it('reads Portage records first, then libc-X.Y.so; 2.7 and later (or unknown) get SHA-512', async () => {
    const legacy = mkdtempSync(join(tmpdir(), 'xg-glibc-'));
    mkdirSync(join(legacy, 'lib'));
    writeFileSync(join(legacy, 'lib/libc-2.5.so'), '');
    symlinkSync('libc-2.5.so', join(legacy, 'lib/libc.so.6'));
    expect(await treeGlibcVersion(new LocalHost(legacy))).toBe('2.5');
    expect(cryptSchemeFor('2.5')).toBe('md5');

    mkdirSync(join(legacy, 'var/db/pkg/sys-libs/glibc-2.6.1'), { recursive: true });
    mkdirSync(join(legacy, 'var/db/pkg/sys-libs/glibc-2.7-r2'), { recursive: true });
    expect(await treeGlibcVersion(new LocalHost(legacy))).toBe('2.7');
    expect(cryptSchemeFor('2.7')).toBe('sha512');
    expect(cryptSchemeFor('2.10')).toBe('sha512');
    expect(cryptSchemeFor('2.41')).toBe('sha512');

    // merged /usr with an absolute link: resolved inside the tree, never this machine's /usr/lib
    const merged = mkdtempSync(join(tmpdir(), 'xg-glibc-'));
    mkdirSync(join(merged, 'usr/lib'), { recursive: true });
    symlinkSync('/usr/lib', join(merged, 'lib'));
    expect(await treeGlibcVersion(new LocalHost(merged))).toBeUndefined();
    expect(cryptSchemeFor(undefined)).toBe('sha512');
    writeFileSync(join(merged, 'usr/lib/libc-2.6.so'), '');
    expect(await treeGlibcVersion(new LocalHost(merged))).toBe('2.6');
  });
});
