import { createHash, randomBytes } from 'node:crypto';

/** crypt(3)'s alphabet: salts and the hash text are written in it. */
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A fresh salt of `length` characters of ./0-9A-Za-z. */
export function freshSalt(length: number): string {
  return [...randomBytes(length)].map((b) => ITOA64[b & 0x3f]).join('');
}

/**
 * The rounds MD5-crypt and SHA-crypt share: each digests the last result and the password
 * (alternating which comes first), with the salt unless the round is a multiple of 3 and the
 * password again unless it is a multiple of 7.
 */
export function cryptRounds(
  algorithm: 'md5' | 'sha512',
  rounds: number,
  start: Buffer,
  password: Buffer,
  salt: Buffer,
): Buffer {
  let digest = start;
  for (let r = 0; r < rounds; r++) {
    const h = createHash(algorithm);
    h.update(r & 1 ? password : digest);
    if (r % 3) h.update(salt);
    if (r % 7) h.update(password);
    h.update(r & 1 ? digest : password);
    digest = h.digest();
  }
  return digest;
}

function b64(w: number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

/** The hash text of a final digest: its bytes three at a time in `order` (4 characters each), then byte `last` (2). */
export function cryptText(digest: Buffer, order: readonly [number, number, number][], last: number): string {
  let text = '';
  for (const [x, y, z] of order) text += b64((digest[x]! << 16) | (digest[y]! << 8) | digest[z]!, 4);
  return text + b64(digest[last]!, 2);
}
