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

for (const sync of ['FULL', 'NORMAL'] as const) {
  test(`${sync}: a write outside a transaction, waiting for another connection's write lock, lets the event loop run`, async () => {
    const path = join(dir.dir, `autocommit-${sync}.db`);
    const store = openStore({ kind: 'sqlite', path }, { sqliteSynchronous: sync });
    try {
      await sql`create table t (id integer primary key, v text not null)`.execute(store.db);
      await sql`insert into t (v) values ('first')`.execute(store.db);
      const other = new Database(path);
      other.exec('begin immediate');
      other.exec(`insert into t (v) values ('other')`);
      const states: string[] = [];
      const track = (name: string, p: Promise<unknown>) =>
        p.then(
          () => states.push(`${name} done`),
          (e: unknown) => states.push(`${name} failed: ${(e as Error).message}`),
        );
      const insert = track(
        'insert',
        store.db
          .insertInto('t' as never)
          .values({ v: 'mine' } as never)
          .execute(),
      );
      // the loop turns (a blocked thread would sleep in SQLite's busy handler until its timeout, and this
      // test's other connection, on the same thread, could never commit: the write would fail)
      for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
      await new Promise<void>((r) => setTimeout(r, 1));
      assert.deepEqual(states, [], 'the write waits for the lock');
      other.exec('commit');
      other.close();
      await insert;
      // an update outside a transaction after it: the lock is free, it runs at once
      await track('update', sql`update t set v = 'first!' where v = 'first'`.execute(store.db));
      assert.deepEqual(states, ['insert done', 'update done']);
      const rows = await sql<{ v: string }>`select v from t order by id`.execute(store.db);
      assert.deepEqual(
        rows.rows.map((r) => r.v),
        ['first!', 'other', 'mine'],
      );
      const bt = await sql<{ timeout: number }>`pragma busy_timeout`.execute(store.db);
      assert.equal(bt.rows[0]!.timeout, 5000, 'the busy timeout is back');
    } finally {
      await store.close();
    }
  });
}
