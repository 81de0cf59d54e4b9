/**
 * Group commit of the provider's writes, on SQLite and PostgreSQL: writes of one event-loop turn share
 * one transaction; none is acknowledged before its commit; a failing write fails only its own caller;
 * concurrent consumption of one code in one batch still lets exactly one win (the other revokes the grant).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../store/index.ts';
import { postgresSkip, testStore, type Backend } from '../testing/index.ts';
import { SecretBox } from '../webhooks/index.ts';
import { kyselyAdapter } from './adapter.ts';
import { GroupCommit } from './group-commit.ts';
import { oauthStore as q } from './store.ts';
import { appRow } from './test-fixture.ts';

const row = (id: string, grant: string | null = null) => ({
  model: 'AccessToken',
  id,
  payload: '{}',
  grant_id: grant,
  user_code: null,
  uid: null,
  client_id: 'app_x',
  account_id: 'acc_x',
  created_at: 1,
  expires_at: null,
  consumed_at: null,
});

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`oauth group commit (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : undefined;
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      if (skip) return;
      ({ store, cleanup } = await testStore(backend));
      await q.insertApp(store.db, appRow('app_x'));
    });
    after(async () => {
      if (!skip) await cleanup();
    });

    test(
      'writes of one turn share one commit, and each is visible once its promise settles',
      { skip },
      async () => {
        const gc = new GroupCommit(store.db);
        const ids = Array.from({ length: 20 }, (_, i) => `gc-share-${i}`);
        await Promise.all(
          ids.map((id) =>
            gc
              .write((tx) => q.upsertModel(tx, row(id)))
              .then(async () => {
                // acknowledged means committed: another connection's read sees it
                assert.ok(await q.findModel(store.db, 'AccessToken', id), id);
              }),
          ),
        );
        assert.deepEqual(gc.stats, { commits: 1, writes: 20 });
        // a write of a later turn gets its own commit
        await gc.write((tx) => q.upsertModel(tx, row('gc-share-later')));
        assert.deepEqual(gc.stats, { commits: 2, writes: 21 });
      },
    );

    test(
      'a failing write fails only its caller; the others of its batch are committed',
      { skip },
      async () => {
        const gc = new GroupCommit(store.db);
        const results = await Promise.allSettled([
          gc.write((tx) => q.upsertModel(tx, row('gc-ok-1'))),
          gc.write(async () => {
            throw new Error('this write is bad');
          }),
          gc.write((tx) => q.upsertModel(tx, row('gc-ok-2'))),
        ]);
        assert.deepEqual(
          results.map((r) => r.status),
          ['fulfilled', 'rejected', 'fulfilled'],
        );
        assert.match(String((results[1] as PromiseRejectedResult).reason), /this write is bad/);
        assert.ok(await q.findModel(store.db, 'AccessToken', 'gc-ok-1'));
        assert.ok(await q.findModel(store.db, 'AccessToken', 'gc-ok-2'));
      },
    );

    test(
      'two redemptions of one code in one batch: one wins, the other revokes the grant',
      { skip },
      async () => {
        const reuses: string[] = [];
        const A = kyselyAdapter(store.db, new SecretBox(Buffer.alloc(32, 3)), {
          client: async () => undefined,
          onReuse: async (_tx, r) => void reuses.push(`${r.model}:${r.grantId}`),
        });
        const codes = new A('AuthorizationCode');
        const tokens = new A('AccessToken');
        await codes.upsert('code-gc-1', { grantId: 'grant-gc-1', clientId: 'app_x', accountId: 'acc_x' }, 60);
        await tokens.upsert('at-gc-1', { grantId: 'grant-gc-1', clientId: 'app_x', accountId: 'acc_x' }, 60);
        const r = await Promise.allSettled([codes.consume('code-gc-1'), codes.consume('code-gc-1')]);
        assert.deepEqual(r.map((x) => x.status).sort(), ['fulfilled', 'rejected']);
        assert.match(
          String((r.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason),
          /invalid_grant/,
        );
        assert.deepEqual(reuses, ['AuthorizationCode:grant-gc-1']);
        assert.equal(await tokens.find('at-gc-1'), undefined, "the grant's tokens are gone");
      },
    );
  });
}
