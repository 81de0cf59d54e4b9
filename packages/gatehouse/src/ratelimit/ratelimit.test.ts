import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from './index.ts';

test('fixed windows: allow up to the limit, then Retry-After until the window ends', () => {
  let now = 0;
  const rl = new RateLimiter({ limit: 3, windowMs: 10_000, now: () => now });
  assert.equal(rl.check('k').allowed, true);
  for (let i = 1; i <= 3; i++) assert.equal(rl.hit('k').allowed, true);
  const r = rl.hit('k');
  assert.equal(r.allowed, false);
  assert.equal(r.retryAfterSeconds, 10);
  now = 4_000;
  assert.equal(rl.check('k').allowed, false);
  assert.equal(rl.check('k').retryAfterSeconds, 6);
  assert.equal(rl.check('other').allowed, true);
  now = 10_000;
  assert.equal(rl.check('k').allowed, true);
  assert.equal(rl.hit('k').count, 1);
  rl.reset('k');
  assert.equal(rl.check('k').count, 0);
});

test('memory stays bounded under many keys', () => {
  let now = 0;
  const rl = new RateLimiter({ limit: 1, windowMs: 1_000_000, maxKeys: 1000, now: () => now });
  for (let i = 0; i < 10_000; i++) {
    rl.hit(`ip-${i}`);
    now++;
  }
  assert.ok(rl.size <= 1000, `size ${rl.size}`);
});
