import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlatformEvent } from './platform-events.ts';

test('an invalid event names every missing or wrong field in one detail, each with its path', () => {
  const r = parsePlatformEvent({ type: 'message.sent', account: 'acc_a', recipients: [7], text: 'hi' });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.reason, 'invalid_event');
  for (const path of ['id: ', 'recipients.0: ', 'client: ']) assert.ok(r.detail.includes(path), r.detail);
  assert.equal(r.detail.split('; ').length >= 3, true);
});

test('a detail lists at most five issues and counts the rest', () => {
  const r = parsePlatformEvent({ type: 'message.sent', recipients: [1, 2, 3, 4, 5, 6, 7, 8], text: 3 });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const named = r.detail.split('; ').filter((p) => !p.startsWith('and '));
  assert.equal(named.length, 5);
  assert.match(r.detail, /; and \d+ more$/);
});

test('a valid event still parses', () => {
  const r = parsePlatformEvent({
    type: 'message.sent',
    id: 'm1',
    time: 1_700_000_000_000,
    account: 'acc_a',
    recipients: ['acc_b'],
    text: 'hello',
    client: { kind: 'web', name: 'chat' },
  });
  assert.equal(r.ok, true, r.ok ? '' : r.detail);
});
