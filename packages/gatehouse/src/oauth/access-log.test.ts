/**
 * The data-access log answers a read only once its row is durable, on SQLite and PostgreSQL: reads of
 * one turn share one transaction; a read whose row cannot be written fails; over HTTP, the row of every
 * userinfo and resource read is in the table when the app has its answer (nothing flushed by hand).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import type { Store } from '../store/index.ts';
import type { Db } from '../store/db.ts';
import { postgresSkip, testStore, type Backend } from '../testing/index.ts';
import { AccessLog, type AccessRecord } from './access-log.ts';
import { addApp, codeFlow, fixture, rp, type Fixture } from './test-fixture.ts';

const read = (i: number): AccessRecord => ({
  client: 'app_x',
  account: `acc_${i}`,
  grant: null,
  resource: 'userinfo',
  fields: ['nickname'],
  ip: '203.0.113.7',
  at: 1000 + i,
});

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`oauth access log (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : undefined;
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      if (skip) return;
      ({ store, cleanup } = await testStore(backend));
    });
    after(async () => {
      if (!skip) await cleanup();
    });

    test(
      'each read settles after the commit that holds its row; one turn, one transaction',
      { skip },
      async () => {
        let commits = 0;
        const log = new AccessLog(store.db, { flushMs: 0, onCommit: () => commits++ });
        const count = async () =>
          Number(
            (
              await store.db
                .selectFrom('oauth_access_log')
                .select((e) => e.fn.countAll().as('n'))
                .where('client_id', '=', 'app_x')
                .executeTakeFirstOrThrow()
            ).n,
          );
        const before = await count();
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            log.record(read(i)).then(async () => {
              // settled: its row is there for any reader
              assert.ok((await count()) > before);
            }),
          ),
        );
        assert.equal(await count(), before + 20);
        assert.equal(commits, 1, 'the reads of one turn share one commit');
        await log.close();
      },
    );

    test('the rows of one commit keep their order and values', { skip }, async () => {
      const log = new AccessLog(store.db, { flushMs: 0 });
      const batch = Array.from({ length: 7 }, (_, i) => ({
        ...read(i),
        client: 'app_order',
        grant: i % 2 ? `grant_${i}` : null,
        fields: i % 3 ? ['nickname', 'avatar'] : [],
        ip: i % 2 ? '203.0.113.7' : '2001:db8::1',
        at: 1_700_000_000_000 + i,
      }));
      await Promise.all(batch.map((r) => log.record(r)));
      const rows = await store.db
        .selectFrom('oauth_access_log')
        .selectAll()
        .where('client_id', '=', 'app_order')
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        rows.map((r) => [r.account_id, r.grant_id, JSON.parse(r.fields), r.ip, r.at, r.resource]),
        batch.map((r) => [r.account, r.grant, r.fields, r.ip, r.at, r.resource]),
      );
      assert.ok(rows.every((r) => typeof r.at === 'number' && r.network.length > 0));
      await log.close();
    });

    test('a read whose row cannot be written fails (the app gets no data)', { skip }, async () => {
      const failing = {
        transaction: () => ({
          execute: async () => {
            throw new Error('disk full');
          },
        }),
      } as unknown as Db;
      const log = new AccessLog(failing, { flushMs: 0 });
      await assert.rejects(log.record(read(1)), /disk full/);
      await log.flush();
    });
  });

  describe(`oauth access log over HTTP (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : undefined;
    let f: Fixture;
    before(async () => {
      if (!skip) f = await fixture(backend);
    });
    after(async () => {
      if (!skip) await f.cleanup();
    });

    test('the row of every read is written when the read is answered', { skip }, async () => {
      const app = await addApp(f.gh);
      const config = await rp(f.url, app);
      const { tokens } = await codeFlow(f, config, { scope: 'openid nickname' });
      const rows = () =>
        f.gh.store.db
          .selectFrom('oauth_access_log')
          .select(['resource', 'fields'])
          .where('client_id', '=', app.id)
          .orderBy('seq')
          .execute();
      await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck);
      assert.deepEqual(await rows(), [{ resource: 'userinfo', fields: '["nickname"]' }]);
      const r = await fetch(`${f.url}/v1/apps/me`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      assert.equal(r.status, 200);
      assert.deepEqual(
        (await rows()).map((x) => x.resource),
        ['userinfo', 'profile'],
      );
    });
  });
}
