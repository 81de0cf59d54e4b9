// Group commit on SQLite (synchronous FULL, the default): a write transaction resolves only after an
// fsync of the log that started after its COMMIT; concurrent commits share fsyncs; reads never wait;
// every committed row is there after reopening; a failed transaction rolls back and leaves the
// connection usable.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { tempDir } from '../testing/index.ts';
import { openStore, type Store } from './db.ts';

const dir = tempDir('gatehouse-gc-');
const path = join(dir.dir, 'gc.db');
let store: Store;

before(async () => {
  store = openStore({ kind: 'sqlite', path });
  await sql`create table t (id integer primary key, v text not null)`.execute(store.db);
});
after(async () => {
  await store.close();
  dir.cleanup();
});

test('FULL runs as NORMAL plus an fsync of the log before each write transaction resolves', async () => {
  const wal = store.wal;
  assert.ok(wal, 'group commit is on for FULL on a file');
  const mode = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
  assert.equal(mode.rows[0]!.synchronous, 1, 'NORMAL: COMMIT itself does not fsync');
  const results = await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      let before = 0;
      await store.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('t' as never)
          .values({ v: `row ${i}` } as never)
          .execute();
        before = wal.writtenGen;
      });
      // the COMMIT came after `before`: an fsync covering it has finished
      return { before, synced: wal.syncedGen };
    }),
  );
  for (const r of results) assert.ok(r.synced > r.before, JSON.stringify(r));
  assert.ok(wal.syncs >= 1);
  assert.ok(wal.syncs < 30, `concurrent commits share fsyncs (${wal.syncs} for 30)`);
});

test('a write outside a transaction waits for its fsync too; reads never sync', async () => {
  const wal = store.wal!;
  const before = wal.writtenGen;
  await sql`insert into t (v) values ('autocommit')`.execute(store.db);
  assert.ok(wal.syncedGen > before);
  const syncs = wal.syncs;
  for (let i = 0; i < 5; i++) await sql`select count(*) as n from t`.execute(store.db);
  await store.db.transaction().execute(async (tx) => sql`select 1`.execute(tx));
  assert.ok(wal.syncs - syncs <= 1, 'reads make no fsync (a read-only COMMIT may share one)');
});

test('an UPDATE … RETURNING outside a transaction is a write: it waits for its fsync', async () => {
  // a statement that returns rows is a "reader" to SQLite; revoking sessions runs so
  const wal = store.wal!;
  const before = wal.writtenGen;
  const r = await sql<{ id: number }>`update t set v = v || '!' where id = 1 returning id`.execute(store.db);
  assert.deepEqual(r.rows, [{ id: 1 }]);
  assert.ok(wal.writtenGen > before, 'the write reached the log as a write');
  assert.ok(wal.syncedGen > before, 'an fsync after it has finished');
});

test('a failed transaction rolls back and the connection serves the next one', async () => {
  await assert.rejects(
    store.db.transaction().execute(async (tx) => {
      await sql`insert into t (v) values ('rolled back')`.execute(tx);
      throw new Error('boom');
    }),
    /boom/,
  );
  const n = await sql<{ n: number }>`select count(*) as n from t where v = 'rolled back'`.execute(store.db);
  assert.equal(n.rows[0]!.n, 0);
  await store.db.transaction().execute(async (tx) => sql`insert into t (v) values ('after')`.execute(tx));
});

test('every resolved write is there after the store is closed and reopened', async () => {
  await store.close();
  store = openStore({ kind: 'sqlite', path });
  const n = await sql<{ n: number }>`select count(*) as n from t`.execute(store.db);
  assert.equal(n.rows[0]!.n, 32);
});
