import { hash, randomFillSync, timingSafeEqual } from 'node:crypto';

/**
 * Random bytes for ids and tokens, drawn from a pool that the CSPRNG fills 4 KiB at a time (as Node's
 * randomUUID does): `randomBytes(32)` made a buffer and called into OpenSSL each time, about 15 µs on
 * this machine, and a sign-in takes three to five. Each byte is handed out once; the pool is filled
 * anew when what is left is too short. Returned as base64url text (the bytes never leave the pool).
 */
const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;

export function randomText(bytes: number): string {
  if (bytes > POOL.length) return randomFillSync(Buffer.alloc(bytes)).toString('base64url');
  if (poolAt + bytes > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const s = POOL.toString('base64url', poolAt, poolAt + bytes);
  poolAt += bytes;
  return s;
}

/** A random opaque token: prefix + 32 random bytes in base64url (256 bits). */
export function newToken(prefix: string): string {
  return `${prefix}_${randomText(32)}`;
}

export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomText(bytes)}`;
}

/**
 * SHA-256 hex of a token: what the database stores instead of the token. One-shot `hash` (the same
 * digest as createHash, without a Hash object per call: every request with a key or session hashes it).
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Constant-time comparison of two strings (false when lengths differ, without early exit on content). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
