import { createHash, randomInt } from 'node:crypto';
import { safeEqual } from '../crypto/index.ts';

/** Crockford base32 without I, L, O, U: easy to read aloud and type. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A random code of `n` base32 characters (5 bits each). */
export function randomBase32(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(32)];
  return s;
}

/** A random code of `n` decimal digits (for codes sent to email or a phone). */
export function randomDigits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(10));
  return s;
}

/** Recovery codes: 12 base32 characters (60 bits) shown as XXXX-XXXX-XXXX. */
export function newRecoveryCode(): string {
  const c = randomBase32(12);
  return `${c.slice(0, 4)}-${c.slice(4, 8)}-${c.slice(8)}`;
}

/** Friend codes: 8 base32 characters (40 bits) shown as XXXX-XXXX; short-lived and rate-limited. */
export function newFriendCode(): string {
  const c = randomBase32(8);
  return `${c.slice(0, 4)}-${c.slice(4)}`;
}

/** Normalises what a person typed: case, spaces, dashes, and the look-alikes Crockford folds. */
export function normaliseCode(input: string): string {
  return input.normalize('NFKC').toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** Codes are stored as SHA-256 bound to their scope (account or case), never in clear. */
export function hashCode(scope: string, code: string): string {
  return createHash('sha256')
    .update(`gatehouse-recovery|${scope}|${normaliseCode(code)}`)
    .digest('hex');
}

export function codeMatches(scope: string, code: string, storedHash: string): boolean {
  return safeEqual(hashCode(scope, code), storedHash);
}
