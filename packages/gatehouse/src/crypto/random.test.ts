// Ids and tokens drawn from the pooled random bytes: the right length and alphabet, each byte handed out
// once (no two draws share bytes, across many refills of the pool), and draws larger than the pool.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId, newToken, randomText } from './index.ts';

test('tokens and ids: length, alphabet, prefix', () => {
  const t = newToken('ghs');
  assert.match(t, /^ghs_[A-Za-z0-9_-]{43}$/);
  assert.match(newId('ses'), /^ses_[A-Za-z0-9_-]{16}$/);
  assert.match(newId('x', 5), /^x_[A-Za-z0-9_-]{7}$/);
  assert.equal(Buffer.from(randomText(32), 'base64url').length, 32);
});

test('no bytes are handed out twice, across refills of the pool', () => {
  const seen = new Set<string>();
  // 5,000 draws of 32 bytes: about 40 refills of the 4 KiB pool, with odd sizes in between so draws
  // straddle the point where the pool runs short
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.from(randomText(32), 'base64url');
    // any 8-byte window of a draw seen again would mean reused bytes (chance ~ 2^-64 otherwise)
    for (let j = 0; j + 8 <= b.length; j += 8) {
      const w = b.subarray(j, j + 8).toString('hex');
      assert.ok(!seen.has(w), 'a window of random bytes came out twice');
      seen.add(w);
    }
    randomText(1 + (i % 13));
  }
});

test('a draw larger than the pool', () => {
  const a = Buffer.from(randomText(10_000), 'base64url');
  const b = Buffer.from(randomText(10_000), 'base64url');
  assert.equal(a.length, 10_000);
  assert.notDeepEqual(a, b);
});
