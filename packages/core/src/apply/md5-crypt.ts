import { createHash } from 'node:crypto';
import { cryptRounds, cryptText, freshSalt } from './crypt-common.js';

/** The order in which MD5-crypt spreads the 16 digest bytes over the text (three at a time). */
const ORDER: [number, number, number][] = [
  [0, 6, 12],
  [1, 7, 13],
  [2, 8, 14],
  [3, 9, 15],
  [4, 10, 5],
];

/**
 * MD5 crypt ("$1$salt$hash", 1000 rounds: Poul-Henning Kamp's algorithm as glibc's crypt(3)
 * reads it), for the shadow file of a system whose glibc predates SHA-512 crypt (2.7).
 * The salt is 8 characters of ./0-9A-Za-z, fresh unless given (tests).
 */
export function md5Crypt(password: string, salt?: string): string {
  const s = Buffer.from(
    (salt ?? freshSalt(8))
      .replace(/^\$1\$/, '')
      .split('$')[0]!
      .slice(0, 8),
    'utf8',
  );
  const p = Buffer.from(password, 'utf8');
  const magic = Buffer.from('$1$');
  const alt = createHash('md5').update(p).update(s).update(p).digest();
  const ctx = createHash('md5').update(p).update(magic).update(s);
  for (let left = p.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(16, left)));
  // One bit at a time of the length: a zero byte for a set bit, the first password byte otherwise.
  for (let i = p.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.alloc(1) : p.subarray(0, 1));
  const final = cryptRounds('md5', 1000, ctx.digest(), p, s);
  const text = cryptText(final, ORDER, 11);
  return `$1$${s.toString('utf8')}$${text}`;
}
