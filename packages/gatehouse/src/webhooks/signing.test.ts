// Webhook signing, sealed endpoint secrets and the retry backoff (pure).
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { loadConfig } from '../config/index.ts';
import type { GatehouseError } from '../errors/index.ts';
import { backoffMs, resolveSecretKey, SecretBox, signature } from './index.ts';

test('signatures match a hand-computed HMAC-SHA256 over "id.timestamp.body"', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  assert.equal(
    signature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  );
  const key = Buffer.from(secret.slice(6), 'base64');
  const mac = createHmac('sha256', key).update('msg_1.42.{}').digest('base64');
  assert.equal(signature(secret, 'msg_1', 42, '{}'), `v1,${mac}`);
});

test('sealed secrets open only with the key that sealed them, for the endpoint they belong to', async () => {
  const box = new SecretBox(Buffer.alloc(32, 1));
  const sealed = box.seal('whsec_abc', 'whe_1');
  assert.equal(box.open(sealed, 'whe_1'), 'whsec_abc');
  assert.throws(
    () => box.open(sealed, 'whe_2'),
    (e: GatehouseError) => e.code === 'SECRET_KEY_INVALID',
  );
  assert.throws(
    () => new SecretBox(Buffer.alloc(32, 2)).open(sealed, 'whe_1'),
    (e: GatehouseError) => e.code === 'SECRET_KEY_INVALID',
  );
  const key = randomBytes(32).toString('base64');
  assert.deepEqual(resolveSecretKey({ secretKey: key, dataDir: '/nonexistent' }), Buffer.from(key, 'base64'));
  assert.throws(
    () => loadConfig({ env: { GATEHOUSE_SECRET_KEY: 'c2hvcnQ=' } }),
    (e: GatehouseError) =>
      e.code === 'CONFIG_INVALID' && /secretKey/.test(e.message) && !e.message.includes('c2hvcnQ'),
  );
});

test('backoff is exponential with full jitter and capped', () => {
  assert.equal(
    backoffMs(1, 1000, 60_000, () => 0.999999),
    999,
  );
  assert.equal(
    backoffMs(3, 1000, 60_000, () => 0.5),
    2000,
  );
  assert.equal(
    backoffMs(30, 1000, 60_000, () => 0.5),
    30_000,
  );
  assert.equal(
    backoffMs(5, 1000, 60_000, () => 0),
    0,
  );
});
