// On SQLite a whole-number LIMIT or OFFSET is written into the SQL (a bound one made SQLite compile the
// cached statement again at every run); anything else is still bound, and every query answers as before.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { testStore } from '../testing/index.ts';
import type { Store } from './index.ts';

let s: { store: Store; cleanup: () => Promise<void> };
before(async () => {
  s = await testStore('sqlite');
  const db = s.store.db;
  for (let i = 0; i < 5; i++)
    await db
      .insertInto('rate_counters')
      .values({ key: `lim.${i}`, window_start: i, count: i, last_at: 0, expires_at: 0 })
      .execute();
});
after(() => s.cleanup());

test('a whole-number limit and offset are in the SQL, the rows the same', async () => {
  const db = s.store.db;
  const q = db.selectFrom('rate_counters').select('key').where('key', 'like', 'lim.%').orderBy('key');
  const c = q.limit(2).offset(1).compile();
  assert.match(c.sql, / limit 2 offset 1$/);
  assert.deepEqual(c.parameters, ['lim.%']);
  assert.deepEqual(
    (await q.limit(2).offset(1).execute()).map((r) => r.key),
    ['lim.1', 'lim.2'],
  );
});

test('any other limit is bound as before', async () => {
  const db = s.store.db;
  const q = db.selectFrom('rate_counters').select('key').where('key', 'like', 'lim.%').orderBy('key');
  const fraction = q.limit(1.5 as number).compile();
  assert.match(fraction.sql, / limit \?$/);
  const expr = q.limit(sql<number>`1 + 1`).compile();
  assert.match(expr.sql, / limit 1 \+ 1$/);
  assert.deepEqual(
    (await q.limit(sql<number>`1 + 1`).execute()).map((r) => r.key),
    ['lim.0', 'lim.1'],
  );
});
