import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultHashConcurrency, HashGate, threadPoolSize } from './hash-gate.ts';
import { PasswordHasher } from './passwords.ts';

const LIGHT = { memoryKiB: 8192, iterations: 1, parallelism: 1 };

test('the gate runs at most its limit at once, in arrival order, and frees the slot on failure', async () => {
  const gate = new HashGate(2);
  const started: number[] = [];
  const release: Array<() => void> = [];
  let peak = 0;
  const jobs = Array.from({ length: 5 }, (_, i) =>
    gate.run(async () => {
      started.push(i);
      peak = Math.max(peak, gate.active);
      await new Promise<void>((r) => release.push(r));
      if (i === 1) throw new Error('boom');
      return i;
    }),
  );
  const settled = Promise.allSettled(jobs);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1]);
  assert.equal(gate.queued, 3);
  for (let k = 0; k < 5; k++) {
    release.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  const results = await settled;
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(peak, 2);
  assert.equal(results[1]!.status, 'rejected');
  assert.deepEqual(
    results.filter((r) => r.status === 'fulfilled').map((r) => r.value),
    [0, 2, 3, 4],
  );
  assert.equal(gate.active, 0);
  assert.equal(gate.queued, 0);
  assert.throws(() => new HashGate(0), RangeError);
});

test('one pool thread stays free for the file system work unless that would leave a core idle', () => {
  assert.equal(threadPoolSize({}), 4);
  assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '16' }), 16);
  assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: 'x' }), 4);
  assert.equal(defaultHashConcurrency(4, 2), 3);
  assert.equal(defaultHashConcurrency(16, 4), 15);
  assert.equal(defaultHashConcurrency(4, 8), 4, 'every pool thread hashing still leaves cores idle');
  assert.equal(defaultHashConcurrency(1, 1), 1);
});

test('the password hasher hashes and verifies through its gate, never more at once than its limit', async () => {
  const gate = new HashGate(1);
  const h = new PasswordHasher(LIGHT, gate);
  let peak = 0;
  const watch = setInterval(() => (peak = Math.max(peak, gate.active)), 1);
  try {
    const hashes = await Promise.all(['one pass', 'two pass', 'three pass'].map((p) => h.hash(p)));
    assert.deepEqual(
      await Promise.all([
        h.verify(hashes[0]!, 'one pass'),
        h.verify(hashes[1]!, 'wrong'),
        h.verifyDummy('x'),
      ]),
      [true, false, false],
    );
  } finally {
    clearInterval(watch);
  }
  assert.ok(peak <= 1);
  assert.equal(gate.active, 0);
  assert.equal(gate.queued, 0);
});
