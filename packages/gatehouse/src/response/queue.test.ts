import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ResponseQueue } from './queue.ts';
import type { DecisionInput } from './types.ts';

test('readiness has hysteresis: not ready from full until the backlog is back under half', async () => {
  const gates: Array<() => void> = [];
  let started = 0;
  const handled: string[] = [];
  const q = new ResponseQueue({
    max: 4,
    batchMs: 0,
    log: pino({ level: 'silent' }),
    batchKey: () => undefined,
    handle: async (d) => {
      started++;
      await new Promise<void>((r) => gates.push(r));
      handled.push(d.id);
    },
    handleBatch: async () => {},
  });
  const d = (id: string) => ({ id }) as unknown as DecisionInput;
  const waitStarted = async (n: number) => {
    while (started < n) await new Promise((r) => setImmediate(r));
  };
  assert.equal(q.readyCheck().ok, true);
  for (const id of ['a', 'b', 'c', 'd']) await q.push(d(id));
  const fifth = q.push(d('e')); // waits for room: back-pressure
  await waitStarted(1);
  assert.equal(q.readyCheck().ok, false);
  gates.shift()!(); // a done: depth 4 (e moved in), still backed up
  await fifth;
  await waitStarted(2);
  assert.equal(q.readyCheck().depth, 4);
  gates.shift()!(); // b done: depth 3, not full, but not under half yet
  await waitStarted(3);
  assert.equal(q.stats().full, false);
  assert.equal(q.readyCheck().ok, false, 'does not flap back to ready at max - 1');
  gates.shift()!(); // c done: depth 2 = half
  await waitStarted(4);
  assert.equal(q.readyCheck().ok, true, 'ready again at half');
  for (;;) {
    const g = gates.shift();
    if (g) g();
    else if (handled.length === 5) break;
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(handled, ['a', 'b', 'c', 'd', 'e']);
});

test('a decision handled alone (a new containment) goes ahead of the ripe batches of contained accounts', async () => {
  const order: string[] = [];
  let release: (() => void) | undefined;
  const q = new ResponseQueue({
    max: 100,
    batchMs: 5,
    log: pino({ level: 'silent' }),
    batchKey: (d) => (d.id.startsWith('repeat') ? 'contained-account' : undefined),
    handle: async (d) => {
      order.push(d.id);
      if (d.id === 'first') await new Promise<void>((r) => (release = r));
    },
    handleBatch: async (ds) => {
      order.push(`batch:${ds.map((d) => d.id).join(',')}`);
    },
  });
  const d = (id: string) => ({ id }) as unknown as DecisionInput;
  await q.push(d('repeat-1'));
  await q.push(d('first'));
  // the first containment is in flight; the contained account's batch ripens meanwhile
  while (!release || (q as unknown as { ready: unknown[] }).ready.length === 0)
    await new Promise((r) => setImmediate(r));
  await q.push(d('second'));
  release();
  await q.drain();
  assert.deepEqual(order, ['first', 'second', 'batch:repeat-1']);
});
