// The response part's view of what an account sent: later reads (remembered on SQLite, read only past
// the last row seen) answer exactly what a full read of the log answers, stopped messages left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeBackends } from '../testing/backends.ts';
import { testStore } from '../testing/index.ts';
import type { Db } from '../store/db.ts';
import { createMessageLog } from './service-views.ts';
import { engineStore } from './store.ts';

const T0 = Date.now() - 60_000;

/** Appends messages of `account`; `stopped` ones get the pre-send check's block decision beside them. */
async function send(
  db: Db,
  backend: 'sqlite' | 'postgres',
  account: string,
  msgs: Array<{ id: string; at: number; stopped?: boolean; session?: string }>,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await engineStore.append(
      tx,
      msgs.map((m) => ({
        id: m.id,
        type: 'message.sent',
        account,
        time: T0 + m.at,
        received_at: T0 + m.at,
        origin: m.stopped ? 'check' : 'api',
        payload: JSON.stringify({
          id: m.id,
          type: 'message.sent',
          time: T0 + m.at,
          account,
          ...(m.session ? { session: m.session } : {}),
          recipients: [`${m.id}-to`],
        }),
      })),
      backend,
    );
    const stopped = msgs.filter((m) => m.stopped);
    if (stopped.length > 0)
      await engineStore.insertDecisions(
        tx,
        stopped.map((m) => ({
          event_id: m.id,
          event_type: 'message.sent',
          account,
          session: m.session ?? null,
          action: 'contain',
          risk: 0.99,
          logit: 5,
          detail: JSON.stringify({ action: 'contain', checked: true }),
          time: T0 + m.at,
          created_at: T0 + m.at,
        })),
      );
  });
}

describeBackends('message log', (backend) => {
  test('later reads see new delivered messages, never stopped ones, as a full read does', async () => {
    const { store, cleanup } = await testStore(backend);
    try {
      const db = store.db;
      const log = createMessageLog(db, () => undefined);
      const full = () => createMessageLog(db, () => undefined);
      const ids = async (l: ReturnType<typeof createMessageLog>, o: { since: number; session?: string }) =>
        (await l.sentBy('acct-a', { limit: 100, ...o })).map((m) => m.id);

      await send(db, backend, 'acct-a', [
        { id: 'm1', at: 0 },
        { id: 'm2', at: 1000, session: 's1' },
        { id: 'm3', at: 2000, session: 's1', stopped: true },
      ]);
      await send(db, backend, 'acct-b', [{ id: 'b1', at: 1500 }]);
      assert.deepEqual(await ids(log, { since: T0 }), ['m1', 'm2']);

      // more of the account's messages, most of them stopped by the check, one delivered
      await send(db, backend, 'acct-a', [
        { id: 'm4', at: 3000, session: 's1', stopped: true },
        { id: 'm5', at: 4000, session: 's2' },
        { id: 'm6', at: 5000, session: 's1', stopped: true },
      ]);
      assert.deepEqual(await ids(log, { since: T0 }), ['m1', 'm2', 'm5']);
      assert.deepEqual(await ids(log, { since: T0 }), await ids(full(), { since: T0 }));
      // a later start and one session, from what was remembered, as from a full read
      assert.deepEqual(await ids(log, { since: T0 + 1000 }), ['m2', 'm5']);
      assert.deepEqual(await ids(log, { since: T0 + 1000, session: 's1' }), ['m2']);
      assert.deepEqual(
        await ids(log, { since: T0 + 1000, session: 's1' }),
        await ids(full(), { since: T0 + 1000, session: 's1' }),
      );
      // an earlier start than the one remembered is read in full
      assert.deepEqual(await ids(log, { since: T0 - 5000 }), ['m1', 'm2', 'm5']);

      await send(db, backend, 'acct-a', [{ id: 'm7', at: 6000, session: 's1' }]);
      assert.deepEqual(await ids(log, { since: T0 + 1000 }), ['m2', 'm5', 'm7']);
      assert.deepEqual(await ids(log, { since: T0 }), await ids(full(), { since: T0 }));
      // the limit keeps the first messages in log order
      assert.deepEqual(
        (await log.sentBy('acct-a', { since: T0, limit: 2 })).map((m) => m.id),
        ['m1', 'm2'],
      );
      assert.deepEqual(
        (await log.sentBy('acct-a', { since: T0, limit: 3 })).map((m) => m.recipients),
        [['m1-to'], ['m2-to'], ['m5-to']],
      );

      // two batches of the account reading at the same moment: each sees every message once
      await send(db, backend, 'acct-a', [
        { id: 'm8', at: 7000, session: 's1' },
        { id: 'm9', at: 8000, session: 's2' },
      ]);
      const both = await Promise.all([ids(log, { since: T0 }), ids(log, { since: T0 })]);
      const expected = await ids(full(), { since: T0 });
      assert.deepEqual(both, [expected, expected]);
      assert.deepEqual(expected, ['m1', 'm2', 'm5', 'm7', 'm8', 'm9']);
    } finally {
      await cleanup();
    }
  });
});
