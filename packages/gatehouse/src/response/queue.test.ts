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

/**
 * A queue whose single-decision work waits on a gate per decision, recording what ran in order:
 * `x` names a decision handled alone, `r` a contained account's later decision (batched by account).
 */
function gatedQueue(batchMs: number) {
  const gates = new Map<string, () => void>();
  const ran: string[] = [];
  const q = new ResponseQueue({
    max: 1000,
    batchMs,
    log: pino({ level: 'silent' }),
    batchKey: (d) => (d.action === 'contain' && d.signals.length > 0 ? d.account : undefined),
    handle: async (d) => {
      ran.push(`start ${d.id}`);
      await new Promise<void>((r) => gates.set(d.id, r));
      ran.push(`done ${d.id}`);
    },
    handleBatch: async (ds) => {
      ran.push(`batch ${ds.map((d) => d.id).join(',')}`);
    },
  });
  const alone = (id: string, account: string) =>
    ({ id, account, action: 'contain', signals: [] }) as unknown as DecisionInput;
  const later = (id: string, account: string) =>
    ({
      id,
      account,
      action: 'contain',
      signals: [{ name: 'account_contained' }],
    }) as unknown as DecisionInput;
  const until = async (f: () => boolean) => {
    while (!f()) await new Promise((r) => setImmediate(r));
  };
  const release = async (id: string) => {
    await until(() => gates.has(id));
    gates.get(id)!();
  };
  return { q, ran, alone, later, until, release };
}

test('behind a backlog a contained account’s batch takes its later decisions until the worker reaches it', async () => {
  const { q, ran, alone, later, until, release } = gatedQueue(5);
  await q.push(alone('x', 'B')); // the worker is busy with it
  await until(() => ran.includes('start x'));
  await q.push(later('r1', 'A'));
  await q.push(later('r2', 'A'));
  await until(() => q.stats().readyBatches === 1); // A's window is over; the worker is still busy
  await q.push(later('r3', 'A'));
  await q.push(later('r4', 'A'));
  await release('x');
  await q.drain();
  assert.deepEqual(ran, ['start x', 'done x', 'batch r1,r2,r3,r4'], 'one batch, not one per window');
  assert.equal(q.stats().batches, 1);
});

test('an account’s later decisions wait behind its decision handled alone; the oldest work goes first', async () => {
  const { q, ran, alone, later, until, release } = gatedQueue(5);
  await q.push(alone('x', 'B'));
  await until(() => ran.includes('start x'));
  await q.push(alone('f', 'A')); // A's first containment, waiting behind x
  await q.push(later('r1', 'A')); // A's later messages: not before f
  const t = Date.now();
  await until(() => Date.now() > t);
  await q.push(later('c1', 'C')); // another account's batch, younger than f
  await until(() => q.stats().readyBatches === 1);
  await release('x');
  await release('f');
  await until(() => ran.length === 6);
  assert.deepEqual(ran, ['start x', 'done x', 'start f', 'done f', 'batch c1', 'batch r1']);
});
