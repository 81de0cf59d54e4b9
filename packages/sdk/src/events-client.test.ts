import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventsClient, type EventsClientError } from './events-client.ts';
import { events } from './platform-events.ts';

const ev = (i: number) => events.friendAdded({ id: `e${i}`, account: 'a', friend: `f${i}` });

function fakeServer(plan: Array<number | 'throw'>) {
  const calls: number[] = [];
  const f = (async (_url: string, init: { body: string }) => {
    const batch = (JSON.parse(init.body) as { events: unknown[] }).events;
    calls.push(batch.length);
    const step = plan.shift() ?? 200;
    if (step === 'throw') throw new TypeError('fetch failed');
    if (step !== 200)
      return new Response(JSON.stringify({ code: 'X', title: 't' }), {
        status: step,
        headers: { 'retry-after': '0' },
      });
    return new Response(
      JSON.stringify({ results: batch.map((_, index) => ({ index, id: `e${index}`, status: 'accepted' })) }),
      { status: 200 },
    );
  }) as unknown as typeof fetch;
  return { f, calls };
}

test('retries transient failures with backoff and delivers everything', async () => {
  const s = fakeServer(['throw', 503, 429, 200]);
  const c = new EventsClient({
    baseUrl: 'http://x',
    apiKey: 'k',
    fetch: s.f,
    baseBackoffMs: 1,
    batchSize: 10,
  });
  for (let i = 0; i < 10; i++) await c.send(ev(i));
  await c.close();
  assert.equal(c.stats.accepted, 10);
  assert.equal(c.stats.retries, 3);
});

test('a 413 splits the batch; a 400 goes to onError with the events (never dropped silently)', async () => {
  const s = fakeServer([413, 200, 200]);
  const c = new EventsClient({ baseUrl: 'http://x', apiKey: 'k', fetch: s.f, batchSize: 8 });
  for (let i = 0; i < 8; i++) await c.send(ev(i));
  await c.flush();
  assert.deepEqual(s.calls, [8, 4, 4]);
  const failed: unknown[] = [];
  const s2 = fakeServer([400]);
  const c2 = new EventsClient({
    baseUrl: 'http://x',
    apiKey: 'k',
    fetch: s2.f,
    onError: (_e, evs) => failed.push(...evs),
  });
  await c2.send(ev(1));
  await c2.close();
  assert.equal(failed.length, 1);
  // without onError, flush() rejects
  const c3 = new EventsClient({ baseUrl: 'http://x', apiKey: 'k', fetch: fakeServer([401]).f });
  await c3.send(ev(1));
  await assert.rejects(c3.flush(), (e: EventsClientError) => e.status === 401);
});

test('bounded queue: trySend says false when full, send() waits for room', async () => {
  const s = fakeServer([]);
  const c = new EventsClient({
    baseUrl: 'http://x',
    apiKey: 'k',
    fetch: s.f,
    maxQueue: 3,
    batchSize: 3,
    flushIntervalMs: 1000,
  });
  assert.equal(c.trySend(ev(1)), true);
  assert.equal(c.trySend(ev(2)), true);
  c.trySend(ev(3));
  assert.ok(c.queued <= 3);
  for (let i = 4; i < 10; i++) await c.send(ev(i));
  await c.close();
  assert.equal(c.stats.accepted, 9);
});

test('builders fill id and time', () => {
  const m = events.messageSent({
    account: 'a',
    recipients: ['b'],
    text: 'hi',
    client: { kind: 'web', name: 'w' },
  });
  assert.equal(m.type, 'message.sent');
  assert.equal(typeof m.id, 'string');
  assert.equal(typeof m.time, 'number');
});
