import { createHash, randomBytes } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The order in which MD5-crypt spreads the 16 digest bytes over the text (three at a time). */
const ORDER: [number, number, number][] = [
  [0, 6, 12],
  [1, 7, 13],
  [2, 8, 14],
  [3, 9, 15],
  [4, 10, 5],
];

function b64(w: number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

/**
 * MD5 crypt ("$1$salt$hash", 1000 rounds: Poul-Henning Kamp's algorithm as glibc's crypt(3)
 * reads it), for the shadow file of a system whose glibc predates SHA-512 crypt (2.7).
 * The salt is 8 characters of ./0-9A-Za-z, fresh unless given (tests).
 */
export function md5Crypt(password: string, salt?: string): string {
  const s = Buffer.from(
    (salt ?? [...randomBytes(8)].map((b) => ITOA64[b & 0x3f]).join(''))
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
  let final = ctx.digest();
  for (let r = 0; r < 1000; r++) {
    const h = createHash('md5');
    h.update(r & 1 ? p : final);
    if (r % 3) h.update(s);
    if (r % 7) h.update(p);
    h.update(r & 1 ? final : p);
    final = h.digest();
  }
  let text = '';
  for (const [x, y, z] of ORDER) text += b64((final[x]! << 16) | (final[y]! << 8) | final[z]!, 4);
  text += b64(final[11]!, 2);
  return `$1$${s.toString('utf8')}$${text}`;
}
