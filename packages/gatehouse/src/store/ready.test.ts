// The database's readiness: not ready while migrations are pending (with their count), ready once they
// ran; a store that migrated is not asked for its migrations again (on PostgreSQL Kysely's migrator
// lists every table of every schema, which took longer than /readyz's time limit on a shared server).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeBackends } from '../testing/backends.ts';
import { testConfig } from '../testing/index.ts';
import { migrate, openStore, storeReadyCheck } from './index.ts';

describeBackends('database readiness', (backend) => {
  test('pending migrations make it not ready; after migrate it is ready and only pings', async () => {
    const { config, cleanup } = await testConfig(backend);
    const store = openStore(config.database, { sqliteSynchronous: 'NORMAL' });
    try {
      const before = await storeReadyCheck(store);
      assert.equal(before.ok, false);
      assert.ok((before.pendingMigrations as number) > 0, JSON.stringify(before));
      await migrate(store);
      const after = await storeReadyCheck(store);
      assert.deepEqual(after, { ok: true, dialect: store.dialect, pendingMigrations: 0 });
      // the database still has to answer: a closed store is not ready
      await store.close();
      await assert.rejects(storeReadyCheck(store));
    } finally {
      await store.close().catch(() => undefined);
      await cleanup();
    }
  });
});
