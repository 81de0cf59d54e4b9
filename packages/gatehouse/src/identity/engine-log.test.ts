// A sign-in reaches the engine through its event log, written in the sign-in's own transaction: in the
// log at commit (nothing to drain, nothing lost when the process stops right after), and no outbox row
// for the sign-in's events unless a bus subscriber asks for them. An identity event an older version
// left in the outbox still reaches the log, once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newEventId, outboxStore } from '../bus/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { testConfig } from '../testing/index.ts';

const ctx = { ip: '100.64.20.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' };

describeBackends('identity events in the engine log', (backend) => {
  test('a sign-in is in the engine log at its commit, with no outbox row for nobody', async () => {
    const { config, cleanup } = await testConfig(backend, {}, { migrated: true });
    const gh = await createGatehouse(config, { log: createLogger('silent') });
    try {
      await gh.start();
      const a = await gh.identity.createAccount(
        { handle: `log.${backend}`, password: 'a decent password' },
        ctx,
      );
      const s = await gh.identity.signIn({ handle: `log.${backend}`, password: 'a decent password' }, ctx);
      // committed with the session: read straight after, before any drain or poll
      const rows = await gh.store.db
        .selectFrom('events')
        .select(['type', 'origin', 'payload'])
        .where('account', '=', a.id)
        .execute();
      assert.deepEqual(
        rows.map((r) => [r.type, r.origin]),
        [['identity.login.succeeded', 'identity']],
      );
      assert.equal((JSON.parse(rows[0]!.payload) as { session: string }).session, s.session.id);
      const outbox = await gh.store.db
        .selectFrom('outbox')
        .select('type')
        .where('account', '=', a.id)
        .execute();
      assert.deepEqual(
        outbox.map((r) => r.type),
        ['account.created'],
      );
      // the engine applies it (the consumer was poked after the commit)
      await gh.engine.drain();
      assert.ok(gh.engine.engine.accountRisk(a.id, Date.now()), 'the engine knows the account');
    } finally {
      await gh.close();
      await cleanup();
    }
  });

  test('a bus subscriber still gets login.succeeded; an old outbox row reaches the log once', async () => {
    const { config, cleanup } = await testConfig(backend, {}, { migrated: true });
    const gh = await createGatehouse(config, { log: createLogger('silent') });
    try {
      const seen: string[] = [];
      gh.bus.subscribe('login.succeeded', (e) => void seen.push(e.session));
      await gh.identity.createAccount({ handle: `sub.${backend}`, password: 'a decent password' }, ctx);
      const s = await gh.identity.signIn({ handle: `sub.${backend}`, password: 'a decent password' }, ctx);
      // an identity event as a version before the engine's log wrote it: in the outbox only
      const old = {
        id: newEventId(),
        time: Date.now(),
        type: 'session.revoked' as const,
        account: s.account.id,
        session: s.session.id,
        reason: 'user' as const,
      };
      await gh.store.db.transaction().execute((tx) => outboxStore.append(tx, [old]));
      await gh.start();
      await gh.drainer.drain();
      await gh.engine.drain();
      assert.deepEqual(seen, [s.session.id]);
      const rows = await gh.store.db
        .selectFrom('events')
        .select(['id', 'type'])
        .where('account', '=', s.account.id)
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        rows.map((r) => r.type),
        ['identity.login.succeeded', 'identity.session.revoked'],
      );
      assert.equal(rows[1]!.id, `identity:${old.id}`);
    } finally {
      await gh.close();
      await cleanup();
    }
  });
});
