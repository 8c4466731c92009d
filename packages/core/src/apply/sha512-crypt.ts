import { createHash } from 'node:crypto';
import { cryptRounds, cryptText, freshSalt } from './crypt-common.js';

/** The order in which SHA-crypt spreads the 64 digest bytes over the text (Drepper's specification). */
const ORDER: [number, number, number][] = [];
for (let i = 0; i < 21; i++) {
  const a = i;
  const b = i + 21;
  const c = i + 42;
  // The three bytes rotate through the three positions: (a, b, c), (b', c', a') …
  ORDER.push(i % 3 === 0 ? [a, b, c] : i % 3 === 1 ? [b, c, a] : [c, a, b]);
}

function sha512(...parts: Buffer[]): Buffer {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

/**
 * SHA-512 crypt ("$6$salt$hash", 5000 rounds) as glibc's crypt(3) makes it, for /etc/shadow.
 * The salt is 16 characters of ./0-9A-Za-z, fresh unless given (tests).
 */
export function sha512Crypt(password: string, salt?: string): string {
  const s = Buffer.from((salt ?? freshSalt(16)).slice(0, 16), 'utf8');
  const p = Buffer.from(password, 'utf8');
  const b = sha512(p, s, p);
  const a = createHash('sha512').update(p).update(s).update(repeatTo(b, p.length));
  for (let i = p.length; i > 0; i >>= 1) a.update(i & 1 ? b : p);
  const c = a.digest();
  const dp = sha512(...Array<Buffer>(p.length).fill(p));
  const pSeq = repeatTo(dp, p.length);
  const ds = sha512(...Array<Buffer>(16 + c[0]!).fill(s));
  const sSeq = repeatTo(ds, s.length);
  const text = cryptText(cryptRounds('sha512', 5000, c, pSeq, sSeq), ORDER, 63);
  return `$6$${s.toString('utf8')}$${text}`;
}
