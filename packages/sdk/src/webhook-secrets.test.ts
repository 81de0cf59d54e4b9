import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifyWebhook, WebhookVerificationError } from './webhooks.ts';

// An HMAC with an empty or short key proves nothing: a receiver configured with one must not accept
// anything, not even a message "signed" with that same weak key (issue 10).
const body = JSON.stringify({
  id: 'msg_1',
  type: 'account.frozen',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: {},
});
const ts = 1_767_225_600;
const signed = (key: Buffer) => ({
  'webhook-id': 'msg_1',
  'webhook-timestamp': String(ts),
  'webhook-signature': `v1,${createHmac('sha256', key).update(`msg_1.${ts}.${body}`).digest('base64')}`,
});
const badSecret = (e: unknown) => e instanceof WebhookVerificationError && e.code === 'bad_secret';

test('verifyWebhook refuses empty, short and malformed secrets before comparing anything', () => {
  for (const secret of [
    '',
    'whsec_',
    'whsec_c2hvcnQ=',
    'whsec_' + Buffer.alloc(16, 1).toString('base64'),
    'whsec_!!not base64!!',
  ]) {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    assert.throws(
      () => verifyWebhook(secret, signed(key), body, { now: ts * 1000 }),
      badSecret,
      JSON.stringify(secret),
    );
  }
  assert.throws(() => verifyWebhook([], signed(Buffer.alloc(0)), body, { now: ts * 1000 }), badSecret);
  // one weak secret among good ones is refused too: the configuration is wrong
  const good = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
  assert.throws(
    () => verifyWebhook([good, 'whsec_'], signed(Buffer.alloc(24, 7)), body, { now: ts * 1000 }),
    badSecret,
  );
  // a real 24-byte secret verifies
  assert.equal(verifyWebhook(good, signed(Buffer.alloc(24, 7)), body, { now: ts * 1000 }).id, 'msg_1');
});
