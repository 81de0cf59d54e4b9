import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { isWebhookType, WEBHOOK_TYPES, webhookPatternMatches } from './webhook-payloads.ts';
import { parseWebhook, verifyWebhook, WebhookVerificationError } from './webhooks.ts';

// The Standard Webhooks example; the signature was computed independently with
// `openssl dgst -sha256 -mac HMAC -macopt hexkey:<base64-decoded secret> -binary | base64`.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TS = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIG = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

function sign(secret: string, id: string, ts: number, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
}

const body = JSON.stringify({
  id: ID,
  type: 'account.frozen',
  timestamp: '2021-02-25T15:02:10.000Z',
  account: 'acc_1',
  data: { reason: 'hijack' },
});
const headers = (sig: string, ts = TS) => ({
  'webhook-id': ID,
  'webhook-timestamp': String(ts),
  'webhook-signature': sig,
});
const code = (c: string) => (e: unknown) => e instanceof WebhookVerificationError && e.code === c;

test('the spec example verifies (hand-computed HMAC)', () => {
  assert.equal(sign(SECRET, ID, TS, SPEC_BODY), SPEC_SIG);
  const m = verifyWebhook(SECRET, headers(SPEC_SIG), SPEC_BODY, { now: TS * 1000 });
  assert.equal(m.id, ID);
});

test('a valid message is accepted and parsed; a Headers instance and bytes work too', () => {
  const sig = sign(SECRET, ID, TS, body);
  const m = verifyWebhook(SECRET, headers(sig), body, { now: TS * 1000 + 1000 });
  assert.deepEqual(m, {
    id: ID,
    type: 'account.frozen',
    timestamp: '2021-02-25T15:02:10.000Z',
    account: 'acc_1',
    data: { reason: 'hijack' },
  });
  const h = new Headers(headers(sig));
  assert.equal(verifyWebhook(SECRET, h, Buffer.from(body), { now: TS * 1000 }).type, 'account.frozen');
});

test('a tampered body, an old timestamp, a wrong secret and missing headers are rejected', () => {
  const sig = sign(SECRET, ID, TS, body);
  assert.throws(
    () => verifyWebhook(SECRET, headers(sig), body.replace('hijack', 'nothing'), { now: TS * 1000 }),
    code('bad_signature'),
  );
  assert.throws(
    () => verifyWebhook(SECRET, headers(sig), body, { now: (TS + 301) * 1000 }),
    code('bad_timestamp'),
  );
  assert.throws(
    () => verifyWebhook(SECRET, headers(sig), body, { now: (TS - 301) * 1000 }),
    code('bad_timestamp'),
  );
  verifyWebhook(SECRET, headers(sig), body, { now: (TS + 800) * 1000, toleranceSeconds: 900 });
  const other = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
  assert.throws(() => verifyWebhook(other, headers(sig), body, { now: TS * 1000 }), code('bad_signature'));
  assert.throws(
    () => verifyWebhook(SECRET, { 'webhook-id': ID }, body, { now: TS * 1000 }),
    code('missing_headers'),
  );
  assert.throws(
    () => verifyWebhook(SECRET, headers(sig, NaN), body, { now: TS * 1000 }),
    code('bad_timestamp'),
  );
  // The timestamp is signed: moving it forward breaks the signature.
  assert.throws(
    () => verifyWebhook(SECRET, headers(sig, TS + 1), body, { now: TS * 1000 }),
    code('bad_signature'),
  );
  assert.throws(() => verifyWebhook(SECRET, headers('v1,'), body, { now: TS * 1000 }), code('bad_signature'));
});

test('during a rotation either secret verifies a message signed with both', () => {
  const next = 'whsec_' + Buffer.alloc(32, 3).toString('base64');
  const both = `${sign(next, ID, TS, body)} ${sign(SECRET, ID, TS, body)}`;
  verifyWebhook(SECRET, headers(both), body, { now: TS * 1000 });
  verifyWebhook(next, headers(both), body, { now: TS * 1000 });
  verifyWebhook([next, SECRET], headers(sign(SECRET, ID, TS, body)), body, { now: TS * 1000 });
  verifyWebhook([SECRET, next], headers(sign(next, ID, TS, body)), body, { now: TS * 1000 });
  const third = 'whsec_' + Buffer.alloc(24, 9).toString('base64');
  assert.throws(() => verifyWebhook(third, headers(both), body, { now: TS * 1000 }), code('bad_signature'));
});

test('validate: the payload is checked against its type and returned typed; drift and unknown types are bad_payload', () => {
  const frozen = {
    id: ID,
    type: 'account.frozen',
    timestamp: '2021-02-25T15:02:10.000Z',
    account: 'acc_1',
    data: {
      account: 'acc_1',
      by: 'gatehouse',
      kind: 'containment',
      reason: 'qr_relay_login',
      decision: 'dec_1',
      notice: { en: 'Your account was frozen', zh: '你的账号已被冻结' },
    },
  };
  const signed = (b: string) => headers(sign(SECRET, ID, TS, b));
  const raw = JSON.stringify(frozen);
  const msg = verifyWebhook(SECRET, signed(raw), raw, { now: TS * 1000, validate: true });
  if (msg.type !== 'account.frozen') assert.fail(`narrowed to ${msg.type}`);
  // typed: `kind` and `notice.zh` exist on account.frozen's payload
  assert.equal(msg.data.kind, 'containment');
  assert.equal(msg.data.notice.zh, '你的账号已被冻结');
  // the feed's messages go through the same check
  assert.deepEqual(parseWebhook({ ...frozen }), msg);

  const drifted = JSON.stringify({ ...frozen, data: { ...frozen.data, notice: { en: 'x', 'zh-CN': 'y' } } });
  assert.throws(
    () => verifyWebhook(SECRET, signed(drifted), drifted, { now: TS * 1000, validate: true }),
    (e: unknown) => code('bad_payload')(e) && /account\.frozen: notice\.zh/.test((e as Error).message),
  );
  // without validate the same signed body is returned as it is
  assert.equal(verifyWebhook(SECRET, signed(drifted), drifted, { now: TS * 1000 }).type, 'account.frozen');
  const unknown = JSON.stringify({ ...frozen, type: 'messages.retract' });
  assert.throws(
    () => verifyWebhook(SECRET, signed(unknown), unknown, { now: TS * 1000, validate: true }),
    (e: unknown) => code('bad_payload')(e) && /message\.retract/.test((e as Error).message),
  );
});

test('every webhook type has a schema; patterns match only real types', () => {
  assert.ok(WEBHOOK_TYPES.includes('message.retract'));
  assert.ok(!isWebhookType('messages.retract'));
  assert.deepEqual(webhookPatternMatches('messages.*'), []);
  assert.deepEqual(webhookPatternMatches('messages.retract'), []);
  assert.deepEqual(webhookPatternMatches('message.retract'), ['message.retract']);
  assert.ok(webhookPatternMatches('account.*').includes('account.unfrozen'));
  assert.equal(webhookPatternMatches('*').length, WEBHOOK_TYPES.length);
});
