// A transaction that finds the write lock taken by another connection to the same file (the check-log
// worker's) waits for it without blocking the event loop, on both SQLite drivers (group commit and
// NORMAL), then commits once the lock is free.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { tempDir } from '../testing/index.ts';
import { openStore } from './db.ts';

const dir = tempDir('gatehouse-begin-');
after(() => dir.cleanup());

for (const sync of ['FULL', 'NORMAL'] as const) {
  test(`${sync}: a transaction waiting for another connection's write lock lets the event loop run`, async () => {
    const path = join(dir.dir, `begin-${sync}.db`);
    const store = openStore({ kind: 'sqlite', path }, { sqliteSynchronous: sync });
    try {
      await sql`create table t (id integer primary key, v text not null)`.execute(store.db);
      const other = new Database(path);
      other.exec('begin immediate');
      other.exec(`insert into t (v) values ('other')`);
      let state = 'waiting';
      const tx = store.db
        .transaction()
        .execute(async (t) => {
          await t
            .insertInto('t' as never)
            .values({ v: 'mine' } as never)
            .execute();
        })
        .then(
          () => (state = 'committed'),
          (e: unknown) => (state = `failed: ${(e as Error).message}`),
        );
      // the loop turns (a blocked thread would sleep in SQLite's busy handler until its timeout)
      for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
      await new Promise<void>((r) => setTimeout(r, 1));
      assert.equal(state, 'waiting', 'the transaction waits for the lock');
      other.exec('commit');
      other.close();
      await tx;
      assert.equal(state, 'committed');
      const rows = await sql<{ v: string }>`select v from t order by id`.execute(store.db);
      assert.deepEqual(
        rows.rows.map((r) => r.v),
        ['other', 'mine'],
      );
      // the busy timeout is back for statements outside transactions
      const bt = await sql<{ timeout: number }>`pragma busy_timeout`.execute(store.db);
      assert.equal(bt.rows[0]!.timeout, 5000);
    } finally {
      await store.close();
    }
  });
}
