// Statements compiled once (store/compiled.ts), on SQLite and PostgreSQL: later calls bind their own
// values and see what the built query would; constants of the shape stay; a record with a value left out
// is a shape of its own; a builder that derives a value from one (a hash, a default) or writes it into the
// SQL is not cached and still answers right; inside a transaction a rollback undoes the statement.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { postgresSkip, testStore, type Backend } from '../testing/index.ts';
import { precompiled } from './compiled.ts';
import type { Db, Store } from './index.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const upsert = precompiled((q, p: { key: string; now: number; step?: number | undefined }) =>
  q
    .insertInto('rate_counters')
    .values({ key: p.key, window_start: p.now, count: 1, last_at: p.now, expires_at: p.now })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet((eb) => ({ count: eb('rate_counters.count', '+', p.step ?? 1), last_at: p.now })),
    ),
);
const find = precompiled((q, p: { key: string; min: number }) =>
  q.selectFrom('rate_counters').selectAll().where('key', '=', p.key).where('count', '>=', p.min),
);

async function rows(db: Db) {
  const r = await db
    .selectFrom('rate_counters')
    .selectAll()
    .where('key', 'like', 'pc.%')
    .orderBy('key')
    .execute();
  return r.map((x) => [x.key, Number(x.window_start), Number(x.count), Number(x.last_at)]);
}

function suite(backend: Backend) {
  describe(`compiled statements on ${backend}`, () => {
    let s: { store: Store; cleanup: () => Promise<void> } | undefined;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (!skip) s = await testStore(backend);
    });
    after(async () => s?.cleanup());

    test('values bound at each call, constants kept, a value left out is a shape of its own', async (tt) => {
      if (skip) return tt.skip(skip);
      const db = s!.store.db;
      for (let i = 0; i < 3; i++) await upsert(db, { key: `pc.${i}`, now: 100 + i });
      await upsert(db, { key: 'pc.1', now: 200 });
      await upsert(db, { key: 'pc.1', now: 300, step: 5 });
      await upsert(db, { key: 'pc.2', now: 400, step: undefined });
      assert.deepEqual(await rows(db), [
        ['pc.0', 100, 1, 100],
        ['pc.1', 101, 7, 300],
        ['pc.2', 102, 2, 400],
      ]);
      assert.equal((await find(db, { key: 'pc.1', min: 7 })).rows.length, 1);
      assert.equal((await find(db, { key: 'pc.1', min: 8 })).rows.length, 0);
      assert.equal((await find(db, { key: 'pc.0', min: 1 })).rows[0]!.key, 'pc.0');
      assert.equal(upsert.fixedShapes(db), 2, 'with and without a step');
      assert.equal(find.fixedShapes(db), 1);
    });

    test('in a transaction: a rollback undoes the statement', async (tt) => {
      if (skip) return tt.skip(skip);
      const db = s!.store.db;
      await db
        .transaction()
        .execute(async (tx) => {
          await upsert(tx, { key: 'pc.tx', now: 9 });
          assert.equal((await find(tx, { key: 'pc.tx', min: 1 })).rows.length, 1);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      assert.equal((await find(db, { key: 'pc.tx', min: 0 })).rows.length, 0);
    });

    test('a value derived from a placeholder or written into the SQL: built at every call', async (tt) => {
      if (skip) return tt.skip(skip);
      const db = s!.store.db;
      const hashed = precompiled((q, p: { name: string }) =>
        q
          .selectFrom('rate_counters')
          .select('key')
          .where('key', '=', `pc.${sha(p.name)}`),
      );
      await upsert(db, { key: `pc.${sha('one')}`, now: 1 });
      await upsert(db, { key: `pc.${sha('two')}`, now: 1 });
      assert.equal((await hashed(db, { name: 'one' })).rows.length, 1);
      assert.equal((await hashed(db, { name: 'two' })).rows.length, 1);
      assert.equal((await hashed(db, { name: 'three' })).rows.length, 0);
      const literal = precompiled((q, p: { key: string }) =>
        q.selectFrom('rate_counters').select('key').where(sql.lit(p.key), '=', sql.ref<string>('key')),
      );
      assert.equal((await literal(db, { key: `pc.${sha('two')}` })).rows.length, 1);
      assert.equal((await literal(db, { key: 'pc.nothing' })).rows.length, 0);
      assert.equal(hashed.fixedShapes(db), 0);
      assert.equal(literal.fixedShapes(db), 0);
    });
  });
}

suite('sqlite');
suite('postgres');
