// A failed check-log write never drops answered checks: the batch goes back in front and is retried.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeBackends } from '../testing/backends.ts';
import { InProcessBus } from '../bus/index.ts';
import { createLogger } from '../log/index.ts';
import { testConfig, testStore, tempDir } from '../testing/index.ts';
import { openStore } from '../store/index.ts';
import { openCheckLog } from './check-log.ts';
import { writeCheckBatch } from './persist.ts';
import { engineStore, type NewEvent } from './store.ts';
import { EngineService } from './service.ts';
import { until } from '../testing/receiver.ts';

describeBackends('check log', (backend) => {
  test('a check batch whose write fails is retried, not lost', async () => {
    const { store, cleanup } = await testStore(backend);
    const { dir, cleanup: rmDir } = tempDir();
    let failures = 1;
    let writes = 0;
    const svc = new EngineService({
      db: store.db,
      bus: new InProcessBus(createLogger('silent')),
      log: createLogger('silent'),
      dataDir: dir,
      snapshotSeconds: 0,
      dialect: backend,
      checkLog: {
        write: async (events, decisions) => {
          writes++;
          if (failures-- > 0) throw new Error('SQLITE_BUSY: database is locked');
          return writeCheckBatch(store.db, events, decisions, Date.now(), backend);
        },
        close: async () => undefined,
      },
    });
    try {
      const answer = svc.check({
        id: 'chk-retry-1',
        time: Date.now(),
        account: 'acct-retry',
        recipients: ['friend-1'],
        text: 'see you at eight',
        client: { kind: 'mobile', name: 'app', version: '1' },
      });
      assert.equal(answer.verdict, 'allow');
      await until(async () => (writes >= 2 ? true : undefined), 'the retry');
      await svc.flushChecks(); // the retry's write has committed
      const risk = await svc.accountRisk('acct-retry');
      assert.deepEqual(
        risk.events.map((e) => e.id),
        ['chk-retry-1'],
      );
    } finally {
      await svc.close();
      await cleanup();
      rmDir();
    }
  });
});

// On an SQLite file the check-log worker checkpoints the write-ahead log, so that no COMMIT on the
// main connection (the event loop that answers checks) runs a checkpoint; SQLite only.
test('the check-log worker checkpoints the log; the main connection does not while it runs', async () => {
  const { dir, cleanup } = tempDir();
  const database = { kind: 'sqlite' as const, path: join(dir, 'gatehouse.db') };
  const store = openStore(database, { sqliteSynchronous: 'NORMAL' });
  const pragma = async (q: string) =>
    Number(Object.values((await sql.raw<Record<string, unknown>>(q).execute(store.db)).rows[0]!)[0]);
  try {
    assert.equal(await pragma('pragma wal_autocheckpoint'), 1000, 'SQLite default before');
    const log = openCheckLog(store.db, database, 'NORMAL', createLogger('silent'), 'sqlite');
    assert.ok(log.checkpoint, 'the worker log checkpoints');
    await sql`create table t (id integer primary key, v text)`.execute(store.db);
    for (let i = 0; i < 50; i++) await sql`insert into t (v) values (${'x'.repeat(2000)})`.execute(store.db);
    const r = await log.checkpoint();
    assert.equal(await pragma('pragma wal_autocheckpoint'), 0, 'off on the main connection');
    assert.ok(r.log > 0, `frames in the log: ${JSON.stringify(r)}`);
    assert.equal(r.checkpointed, r.log, `every frame copied: ${JSON.stringify(r)}`);
    await log.close();
    assert.equal(await pragma('pragma wal_autocheckpoint'), 1000, 'back on once the worker stopped');
  } finally {
    await store.close();
    cleanup();
  }
});

// Under steady writes a PASSIVE checkpoint copies the log but SQLite never starts it over (new commits
// land between the checkpoints): the file grew without bound. Past its bound the worker truncates it.
test('the check-log worker keeps the write-ahead log within its bound under steady writes', async () => {
  const { dir, cleanup } = tempDir();
  const database = { kind: 'sqlite' as const, path: join(dir, 'gatehouse.db') };
  const store = openStore(database, { sqliteSynchronous: 'NORMAL' });
  const limit = 256 * 1024;
  const log = openCheckLog(store.db, database, 'NORMAL', createLogger('silent'), 'sqlite', {
    checkpointMs: 20,
    walLimitBytes: limit,
  });
  const walSize = () => (existsSync(`${database.path}-wal`) ? statSync(`${database.path}-wal`).size : 0);
  try {
    await sql`create table t (id integer primary key, v text)`.execute(store.db);
    await log.checkpoint!();
    // about 40 times the bound, one small transaction at a time, with the timer's checkpoints between
    let written = 0;
    let largest = 0;
    for (let i = 0; i < 2_000; i++) {
      await store.db.transaction().execute(async (tx) => {
        await sql`insert into t (v) values (${'x'.repeat(3000)})`.execute(tx);
        await sql`update t set v = ${'y'.repeat(3000)} where id = ${1 + (i % 50)}`.execute(tx);
      });
      written++;
      largest = Math.max(largest, walSize());
      // as on a server, the event loop turns between writes now and then (a write loop that never let
      // go of the lock for a millisecond left the worker's truncation no moment to take it: it flaked)
      if (i % 10 === 0) await new Promise<void>((r) => setTimeout(r, 1));
    }
    // a checkpoint after the writes: the log is within its bound (truncated, or started over in place;
    // the file's frames carry 24-byte headers beside their pages)
    const within = limit * 1.1;
    let r = await log.checkpoint!();
    for (let k = 0; k < 50 && walSize() > within; k++) r = await log.checkpoint!();
    assert.ok(walSize() <= within, `log ${walSize()} bytes, bound ${limit}: ${JSON.stringify(r)}`);
    assert.ok(largest < 20 * limit, `the log reached ${largest} bytes while written (bound ${limit})`);
    const n = Number(
      Object.values(
        (await sql.raw<Record<string, unknown>>('select count(*) from t').execute(store.db)).rows[0]!,
      )[0],
    );
    assert.equal(n, written, 'every committed row is there');
  } finally {
    await log.close();
    await store.close();
    cleanup();
  }
});

// One thread serves every SQLite file open in the process (starting one costs about a quarter of a
// second of CPU): each file keeps its own connection there, and closing one leaves the others writing.
test('one check-log thread, a connection per file: each batch lands in its own file', async () => {
  const configs = await Promise.all([1, 2].map(() => testConfig('sqlite', {}, { migrated: true })));
  const stores = configs.map((c) => openStore(c.config.database, { sqliteSynchronous: 'NORMAL' }));
  const logs = configs.map((c, i) =>
    openCheckLog(stores[i]!.db, c.config.database, 'NORMAL', createLogger('silent'), 'sqlite'),
  );
  const row = (id: string): NewEvent => {
    const t = Date.now();
    const payload = { id, type: 'message.sent', time: t, account: 'acct-x', recipients: ['f'], text: 'hi' };
    const e = { id, type: 'message.sent', account: 'acct-x', time: t, received_at: t, origin: 'check' };
    return { ...e, payload: JSON.stringify(payload) };
  };
  const ids = async (i: number) =>
    [...(await engineStore.existingIds(stores[i]!.db, ['a-1', 'a-2', 'b-1', 'b-2']))].sort();
  try {
    assert.deepEqual(await logs[0]!.write([row('a-1')], []), []);
    assert.deepEqual(await logs[1]!.write([row('b-1')], []), []);
    // the same id again in the same file is a duplicate; in the other file it is new
    assert.deepEqual(await logs[0]!.write([row('a-1'), row('a-2')], []), ['a-1']);
    await logs[0]!.close();
    assert.deepEqual(await logs[1]!.write([row('b-2')], []), [], 'the other file still writes');
    assert.deepEqual(await ids(0), ['a-1', 'a-2']);
    assert.deepEqual(await ids(1), ['b-1', 'b-2']);
  } finally {
    await logs[1]!.close();
    for (const s of stores) await s.close();
    for (const c of configs) await c.cleanup();
  }
});

// A file the thread cannot open (here: a directory) leaves the batches to the main thread, not lost.
test('when the check-log thread cannot open the file, batches are written on the main thread', async () => {
  const c = await testConfig('sqlite', {}, { migrated: true });
  const store = openStore(c.config.database, { sqliteSynchronous: 'NORMAL' });
  const { dir, cleanup } = tempDir();
  const log = openCheckLog(
    store.db,
    { kind: 'sqlite', path: dir },
    'NORMAL',
    createLogger('silent'),
    'sqlite',
  );
  const t = Date.now();
  const event: NewEvent = {
    id: 'fallback-1',
    type: 'message.sent',
    account: 'acct-y',
    time: t,
    received_at: t,
    origin: 'check',
    payload: JSON.stringify({ id: 'fallback-1', type: 'message.sent', time: t, account: 'acct-y' }),
  };
  try {
    // the first try may go to the thread before its refusal is known (the engine retries a failed batch)
    let written = false;
    for (let i = 0; i < 3 && !written; i++)
      written = await log.write([event], []).then(
        () => true,
        () => false,
      );
    assert.ok(written, 'written within three tries');
    assert.deepEqual([...(await engineStore.existingIds(store.db, ['fallback-1']))], ['fallback-1']);
  } finally {
    await log.close();
    await store.close();
    await c.cleanup();
    cleanup();
  }
});
