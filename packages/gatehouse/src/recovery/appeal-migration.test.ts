// The 0630 migration on a database that already holds duplicate pending sanction appeals (filed at the
// same moment before the database enforced one per freeze): the earliest stays pending, the others are
// closed (never deleted), and from then on the database refuses a second pending appeal. SQLite and
// PostgreSQL.
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { describe, test } from 'node:test';
import { openStore } from '../store/db.ts';
import { migratorFor } from '../store/index.ts';
import { postgresSkip, testConfig, type Backend } from '../testing/index.ts';

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`0630 one pending appeal per freeze, on ${backend}`, () => {
    test('existing duplicates: the earliest stays pending, the rest are closed; a new duplicate is refused', async (t) => {
      if (backend === 'postgres') {
        const skip = await postgresSkip();
        if (skip) return t.skip(skip);
      }
      const { config, cleanup } = await testConfig(backend);
      const store = openStore(config.database, { sqliteSynchronous: 'NORMAL' });
      try {
        // the store's own migrator (on PostgreSQL it looks at its own schema only: listing every schema
        // on the server fails when another test drops its schema meanwhile)
        const migrator = await migratorFor(store);
        const before = await migrator.migrateTo('0620_recovery_account_control');
        assert.equal(before.error, undefined);
        const db = store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
        await db
          .insertInto('accounts')
          .values({
            id: 'acct_dup',
            handle: 'dup',
            handle_key: 'dup',
            display_name: 'dup',
            password_hash: 'x',
            state: 'frozen',
            created_at: 1,
            updated_at: 1,
          })
          .execute();
        const appeal = (id: string, at: number, freezeAt = 100) => ({
          id,
          account_id: 'acct_dup',
          freeze_at: freezeAt,
          statement: '',
          ip: '198.51.100.1',
          device: 'd',
          state: 'pending',
          created_at: at,
        });
        await db
          .insertInto('recovery_operator_appeals')
          .values([appeal('apl_b', 20), appeal('apl_a', 10), appeal('apl_c', 20), appeal('apl_other', 5, 50)])
          .execute();
        const after = await migrator.migrateToLatest();
        assert.equal(after.error, undefined, String(after.error));
        const rows = await db
          .selectFrom('recovery_operator_appeals')
          .select(['id', 'state'])
          .orderBy('id')
          .execute();
        assert.deepEqual(
          rows.map((r) => `${String(r.id)}:${String(r.state)}`),
          ['apl_a:pending', 'apl_b:closed', 'apl_c:closed', 'apl_other:pending'],
        );
        await assert.rejects(
          db.insertInto('recovery_operator_appeals').values(appeal('apl_d', 30)).execute(),
          /unique|duplicate/i,
        );
      } finally {
        await store.close();
        await cleanup();
      }
    });
  });
}
