// The hand-read check body (check-body.ts) against the SDK's event parser: whatever it accepts, the parser
// accepts with the same event (deep-equal and the same JSON, field order included, so the event log's
// rows are the same bytes); what it leaves to the parser is the parser's to answer. Thousands of bodies,
// each a valid message with one to three fields changed to an odd value (seeded, so a failure repeats).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlatformEvent } from '@gatehouse/sdk';
import { checkedEvent, plainMessageSent } from './check-body.ts';

const valid = () => ({
  type: 'message.sent',
  id: 'm-1',
  time: 1_760_000_000_000,
  account: 'acc_1',
  recipients: ['acc_2', 'acc_3'],
  text: '今天晚上一起吃饭吗',
  client: { kind: 'mobile', name: 'QQ', version: '9.0' },
});

const ODD: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'y'.repeat(128),
  'y'.repeat(129),
  'a\u0000b',
  'tab\there',
  '\ud83d\ude00 ok',
  'lone \ud800',
  '2026-12-06T08:00:00+08:00',
  '2026-12-06T08:00:00',
  0,
  -1,
  1.5,
  8.64e15,
  8.64e15 + 1,
  Number.NaN,
  true,
  [],
  ['acc_9'],
  [''],
  ['ok', 7],
  ['https://a.example/x'],
  {},
  { id: 'g1' },
  { id: 'g1', memberCount: 5, extra: 1 },
  { id: 'g1', memberCount: -1 },
  { id: 'g1', memberCount: 1.5 },
  { kind: 'web', name: 'n' },
  { kind: 'bot', name: 'n', version: 'v'.repeat(64), extra: true },
  { kind: 'bot', name: 'n', version: 'v'.repeat(65) },
  { kind: 'tv', name: 'n' },
  { kind: 'web', name: '' },
  { kind: 'web', name: 'n'.repeat(65) },
  [{ sha256: 'a'.repeat(64) }],
];
const FIELDS = [
  'type',
  'id',
  'time',
  'account',
  'messageId',
  'session',
  'recipients',
  'group',
  'text',
  'urls',
  'attachments',
  'client',
  'extra',
];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('whatever the hand reader accepts, the event parser accepts with the same event', () => {
  const r = rng(16);
  let taken = 0;
  let left = 0;
  for (let i = 0; i < 20_000; i++) {
    const body: Record<string, unknown> = valid();
    const changes = 1 + Math.floor(r() * 3);
    for (let c = 0; c < changes; c++) {
      const f = FIELDS[Math.floor(r() * FIELDS.length)]!;
      const v = ODD[Math.floor(r() * ODD.length)];
      if (v === undefined) delete body[f];
      else body[f] = structuredClone(v);
    }
    const plain = plainMessageSent(body);
    const parsed = parsePlatformEvent(structuredClone(body));
    if (!plain) {
      left++;
      continue;
    }
    taken++;
    assert.ok(parsed.ok, `the parser refused what the hand reader took: ${JSON.stringify(body)}`);
    assert.deepEqual(plain, parsed.event, JSON.stringify(body));
    assert.equal(JSON.stringify(plain), JSON.stringify(parsed.event), JSON.stringify(body));
  }
  // both sides were exercised: bodies taken by hand and bodies left to the parser
  assert.ok(taken > 1000 && left > 1000, `taken ${taken}, left ${left}`);
});

test('the common check bodies are read by hand, with defaults filled and unknown keys dropped', () => {
  const bodies: Array<Record<string, unknown>> = [
    valid(),
    { ...valid(), text: undefined, urls: ['https://bet-888.com/r/1'], extra: { a: 1 } },
    { ...valid(), recipients: undefined, group: { id: 'grp_1', memberCount: 300 }, messageId: 'pm-1' },
    { ...valid(), session: 'ses_1', client: { kind: 'web', name: 'Chrome' } },
  ];
  for (const b of bodies) {
    for (const k of Object.keys(b)) if (b[k] === undefined) delete b[k];
    const plain = plainMessageSent(b);
    assert.ok(plain, JSON.stringify(b));
    const parsed = parsePlatformEvent(b);
    assert.ok(parsed.ok);
    assert.equal(JSON.stringify(plain), JSON.stringify(parsed.event));
  }
});

test('an ISO time, attachments and a text near the limit are left to the event parser', () => {
  assert.equal(plainMessageSent({ ...valid(), time: '2026-12-06T08:00:00+08:00' }), undefined);
  assert.equal(plainMessageSent({ ...valid(), attachments: [] }), undefined);
  assert.equal(plainMessageSent({ ...valid(), text: 'a'.repeat(400_000) }), undefined);
});

test('a body read as sent (type and time defaulted) is read as the filled-in copy the service made before', () => {
  const r = rng(61);
  const now = 1_760_000_123_456;
  let taken = 0;
  for (let i = 0; i < 20_000; i++) {
    const body: Record<string, unknown> = valid();
    if (r() < 0.5) delete body.type;
    if (r() < 0.3) delete body.time;
    else if (r() < 0.1) body.time = null;
    const changes = Math.floor(r() * 3);
    for (let c = 0; c < changes; c++) {
      const f = FIELDS[Math.floor(r() * FIELDS.length)]!;
      const v = ODD[Math.floor(r() * ODD.length)];
      if (v === undefined) delete body[f];
      else body[f] = structuredClone(v);
    }
    const filled = checkedEvent(body, now);
    assert.equal(filled.type, Object.hasOwn(body, 'type') ? body.type : 'message.sent');
    assert.equal(filled.time, body.time ?? now);
    const asSent = plainMessageSent(body, now);
    assert.equal(JSON.stringify(asSent), JSON.stringify(plainMessageSent(filled)), JSON.stringify(body));
    if (asSent) taken++;
  }
  assert.ok(taken > 1000, `taken ${taken}`);
});
