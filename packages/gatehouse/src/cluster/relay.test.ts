// The relay's order on a NATS failure mid-batch (issue 16): a publish that fails while later ones of
// the same batch succeed must not let an account's later event reach the stream before its earlier
// one. The stream is a stand-in at the publish seam (link.js.publish) that keeps what it accepted per
// subject and drops a message id it already holds, as JetStream's duplicate window does.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { engineStore } from '../engine/index.ts';
import { createLogger } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import { testStore } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import type { ClusterLink } from './nats.ts';
import { clusterNames, partitionOf } from './partition.ts';
import { publishInOrder, StreamRelay, type StreamRow } from './relay.ts';

let store: Store;
let cleanup: () => Promise<void>;
before(async () => {
  ({ store, cleanup } = await testStore('sqlite'));
});
after(async () => cleanup?.());

const PARTITIONS = 4;
/** Three accounts on three different partitions. */
function accounts(): string[] {
  const out: string[] = [];
  const used = new Set<number>();
  for (let i = 0; out.length < 3; i++) {
    const a = `acc_order_${i}`;
    const p = partitionOf(a, PARTITIONS);
    if (used.has(p)) continue;
    used.add(p);
    out.push(a);
  }
  return out;
}

function fakeStream(fail: (id: string, attempt: number) => boolean) {
  const subjects = new Map<string, string[]>();
  const ids = new Set<string>();
  const attempts = new Map<string, number>();
  let tick = 0;
  return {
    subjects,
    /**
     * Like a publish over one connection: the server takes messages in the order they are sent (the
     * failing one is lost on the way) and the acknowledgement, or the error, comes back a little later.
     */
    async publish(subject: string, data: string, opts: { msgID: string }) {
      const n = (attempts.get(opts.msgID) ?? 0) + 1;
      attempts.set(opts.msgID, n);
      const lost = fail(opts.msgID, n);
      const duplicate = ids.has(opts.msgID);
      if (!lost && !duplicate) {
        ids.add(opts.msgID);
        const row = JSON.parse(data) as StreamRow;
        subjects.set(subject, [...(subjects.get(subject) ?? []), row.id]);
      }
      await new Promise((r) => setTimeout(r, 1 + (tick++ % 3)));
      if (lost) throw new Error('nats: timeout');
      return { duplicate };
    },
  };
}

test('a publish failing mid-batch keeps each account’s order on the stream; nothing is lost or doubled', async () => {
  const accts = accounts();
  // the log: rounds of one event per account, 10 rounds
  const rows: Parameters<typeof engineStore.append>[1] = [];
  for (let n = 0; n < 10; n++)
    for (const a of accts) {
      const id = `${a}:${n}`;
      rows.push({
        id,
        type: 'message.sent',
        account: a,
        time: n,
        received_at: n,
        origin: 'api',
        payload: JSON.stringify({ id, type: 'message.sent', account: a, time: n }),
      });
    }
  await store.db.transaction().execute((tx) => engineStore.append(tx, rows));
  // the third event of the first account fails once; the later ones of the batch succeed
  const failing = `${accts[0]}:2`;
  const stream = fakeStream((id, attempt) => id === failing && attempt === 1);
  const names = clusterNames('order');
  const link = {
    nc: { subscribe: () => ({ unsubscribe: () => undefined }), publish: () => undefined },
    js: { publish: stream.publish },
    leases: {
      create: async () => 1,
      update: async (_k: string, _v: string, rev: number) => rev + 1,
      delete: async () => undefined,
    },
    names,
    partitions: PARTITIONS,
    leaseMs: 400,
    close: async () => undefined,
  } as unknown as ClusterLink;
  const relay = new StreamRelay(link, store.db, createLogger('silent'), 'relay-test');
  relay.start();
  try {
    await until(
      () => [...stream.subjects.values()].reduce((n, l) => n + l.length, 0) === rows.length,
      'every row on the stream',
      120_000,
    );
    for (const a of accts) {
      const got = stream.subjects.get(names.events(partitionOf(a, PARTITIONS))) ?? [];
      assert.deepEqual(
        got,
        Array.from({ length: 10 }, (_, n) => `${a}:${n}`),
        `${a}: in log order, each once`,
      );
    }
    await until(async () => relay.position === rows.length, 'the position at the end of the log');
  } finally {
    await relay.stop();
  }
});

test('publishInOrder: a partition stops at its first failure; the position stops before the first failed row', async () => {
  const rows = ['a', 'b', 'a', 'b', 'a'].map((account, i) => ({
    seq: 100 + i,
    id: `r${i}`,
    received_at: i,
    origin: 'api',
    payload: JSON.stringify({ account }),
  }));
  const sent: string[] = [];
  const r = await publishInOrder(rows, 99, 1 << 16, async (_p, row) => {
    if (row.id === 'r2') throw new Error('nats: connection lost');
    sent.push(row.id);
  });
  // a's r2 failed: a's r4 was not tried; b's rows went out; the position is r1's seq
  assert.deepEqual(sent.sort(), ['r0', 'r1', 'r3']);
  assert.equal(r.upto, 101);
  assert.match(String(r.error), /connection lost/);
  const none = await publishInOrder(rows, 99, 4, async () => {
    throw new Error('down');
  });
  assert.equal(none.upto, 99, 'the first row failed: the position stays');
  const all = await publishInOrder(rows, 99, 4, async () => undefined);
  assert.deepEqual(all, { upto: 104 });
});
