// The audit chain on SQLite and PostgreSQL: append and verify, every kind of tamper found where it
// happened, concurrent appends on one chain, and the operator actions of identity and keys recorded.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KeyService } from '../keys/index.ts';
import { postgresSkip, testIdentity, testStore, type Backend } from '../testing/index.ts';
import type { Store } from '../store/index.ts';
import {
  appendAuditInTx,
  appendAuditManyInTx,
  AuditService,
  entryHash,
  canonicalJson,
  GENESIS_HASH,
  operatorActor,
} from './index.ts';

const pgSkip = await postgresSkip();

test('canonical JSON sorts keys, drops undefined and is stable', () => {
  assert.equal(
    canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 1, y: '中' } }),
    '{"a":[true,null,"x"],"b":1,"d":{"y":"中","z":1}}',
  );
  assert.throws(() => canonicalJson({ n: NaN }));
});

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`audit on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let audit: AuditService;
    before(async () => {
      ({ store, cleanup } = await testStore(backend));
      audit = new AuditService(store.db);
    });
    after(async () => cleanup?.());

    /** Runs a tamper, checks what verify says, then restores the table as it was. */
    async function tampered(
      act: () => Promise<unknown>,
    ): Promise<Awaited<ReturnType<AuditService['verify']>>> {
      const rows = await store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
      const cp = await store.db.selectFrom('audit_checkpoint').selectAll().executeTakeFirstOrThrow();
      try {
        await act();
        return await audit.verify({ pageSize: 3 });
      } finally {
        await store.db.deleteFrom('audit_log').execute();
        await store.db.insertInto('audit_log').values(rows).execute();
        await store.db.updateTable('audit_checkpoint').set(cp).where('id', '=', 1).execute();
      }
    }

    test('an empty log verifies; appends chain from the genesis hash', async () => {
      assert.equal((await audit.verify()).ok, true);
      const first = await audit.append({
        actor: 'system',
        action: 'test.first',
        subject: 'acc_1',
        data: { b: 2, a: 1 },
      });
      assert.equal(first.seq, 1);
      const row = await store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '=', 1)
        .executeTakeFirstOrThrow();
      assert.equal(row.prev_hash, GENESIS_HASH);
      assert.equal(row.data, '{"a":1,"b":2}');
      assert.equal(row.hash, entryHash(GENESIS_HASH, row));
      for (let i = 2; i <= 10; i++)
        await audit.append({
          actor: operatorActor('00112233aabbccdd'),
          action: 'test.step',
          subject: `acc_${i % 3}`,
          data: { i },
        });
      const r = await audit.verify({ pageSize: 4 });
      assert.equal(r.ok, true, JSON.stringify(r.problems));
      assert.equal(r.count, 10);
      assert.deepEqual(r.head, { seq: 10, hash: r.checkpoint.hash });
      assert.deepEqual(
        (await audit.list({ subject: 'acc_1' })).map((e) => e.seq),
        [1, 4, 7, 10],
      );
      assert.deepEqual(
        (await audit.list({ after: 8 })).map((e) => e.seq),
        [9, 10],
      );
    });

    test('UPDATE of a row is found at that row', async () => {
      const r = await tampered(() =>
        store.db.updateTable('audit_log').set({ data: '{"i":999}' }).where('seq', '=', 5).execute(),
      );
      assert.equal(r.ok, false);
      assert.deepEqual(
        r.problems.map((p) => [p.kind, p.seq]),
        [['modified', 5]],
      );
      assert.equal(r.problems[0]!.found.length, 64);
    });

    test('UPDATE with a recomputed hash is found at the next row', async () => {
      const r = await tampered(async () => {
        const row = await store.db
          .selectFrom('audit_log')
          .selectAll()
          .where('seq', '=', 5)
          .executeTakeFirstOrThrow();
        const forged = { ...row, actor: 'system' };
        await store.db
          .updateTable('audit_log')
          .set({ actor: 'system', hash: entryHash(row.prev_hash, forged) })
          .where('seq', '=', 5)
          .execute();
      });
      assert.deepEqual(
        r.problems.map((p) => [p.kind, p.seq]),
        [['inserted', 6]],
      );
    });

    test('DELETE of a middle row is found with the missing seq', async () => {
      const r = await tampered(() => store.db.deleteFrom('audit_log').where('seq', 'in', [4, 5]).execute());
      assert.deepEqual(
        r.problems.map((p) => [p.kind, p.seq]),
        [['deleted', 4]],
      );
      assert.match(r.problems[0]!.detail, /4\.\.5 missing before seq 6/);
    });

    test('INSERT of a forged row is found, chained or not', async () => {
      const head = await audit.head();
      const forged = {
        seq: 11,
        at: 1,
        actor: 'system',
        action: 'account.unfreeze',
        subject: 'acc_1',
        data: '{}',
      };
      const unchained = await tampered(() =>
        store.db
          .insertInto('audit_log')
          .values({ ...forged, prev_hash: 'f'.repeat(64), hash: entryHash('f'.repeat(64), forged) })
          .execute(),
      );
      assert.deepEqual(
        unchained.problems.map((p) => [p.kind, p.seq]),
        [
          ['inserted', 11],
          ['inserted', 11],
        ],
      );
      const chained = await tampered(() =>
        store.db
          .insertInto('audit_log')
          .values({ ...forged, prev_hash: head.hash, hash: entryHash(head.hash, forged) })
          .execute(),
      );
      assert.deepEqual(
        chained.problems.map((p) => [p.kind, p.seq]),
        [['inserted', 11]],
      );
      assert.match(chained.problems[0]!.detail, /added behind the log's back/);
    });

    test('truncating the tail is found against the checkpoint', async () => {
      const r = await tampered(() => store.db.deleteFrom('audit_log').where('seq', '>', 7).execute());
      assert.deepEqual(
        r.problems.map((p) => [p.kind, p.seq]),
        [['truncated', 8]],
      );
      const all = await tampered(() => store.db.deleteFrom('audit_log').execute());
      assert.deepEqual(
        all.problems.map((p) => [p.kind, p.seq]),
        [['truncated', 1]],
      );
      assert.equal((await audit.verify()).ok, true, 'restored');
    });

    test('a consistent rewrite of the whole chain is found only against a head recorded outside', async () => {
      const anchor = await audit.head();
      const r = await tampered(async () => {
        // Rewrite seq 3 onwards and the checkpoint, consistently: the chain alone cannot tell.
        const rows = await store.db
          .selectFrom('audit_log')
          .selectAll()
          .where('seq', '>=', 3)
          .orderBy('seq')
          .execute();
        let prev = rows[0]!.prev_hash;
        await store.db.deleteFrom('audit_log').where('seq', '>=', 3).execute();
        for (const row of rows) {
          const forged = { ...row, actor: row.seq === 3 ? 'system' : row.actor, prev_hash: prev };
          forged.hash = entryHash(prev, forged);
          await store.db.insertInto('audit_log').values(forged).execute();
          prev = forged.hash;
        }
        await store.db.updateTable('audit_checkpoint').set({ head_hash: prev }).execute();
        assert.equal((await audit.verify()).ok, true, 'undetectable without an anchor');
      });
      assert.equal(r.ok, true);
      const anchored = await (async () => {
        const rows = await store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
        const cp = await store.db.selectFrom('audit_checkpoint').selectAll().executeTakeFirstOrThrow();
        try {
          let prev = rows[1]!.hash;
          await store.db.deleteFrom('audit_log').where('seq', '>=', 3).execute();
          for (const row of rows.slice(2)) {
            const forged = { ...row, subject: 'rewritten', prev_hash: prev };
            forged.hash = entryHash(prev, forged);
            await store.db.insertInto('audit_log').values(forged).execute();
            prev = forged.hash;
          }
          await store.db.updateTable('audit_checkpoint').set({ head_hash: prev }).execute();
          return await audit.verify({ anchors: [anchor] });
        } finally {
          await store.db.deleteFrom('audit_log').execute();
          await store.db.insertInto('audit_log').values(rows).execute();
          await store.db.updateTable('audit_checkpoint').set(cp).where('id', '=', 1).execute();
        }
      })();
      assert.deepEqual(
        anchored.problems.map((p) => [p.kind, p.seq]),
        [['modified', anchor.seq]],
      );
      assert.equal((await audit.verify({ anchors: [anchor] })).ok, true);
    });

    test('concurrent appends keep a single chain', async () => {
      const before = (await audit.head()).seq;
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.db.transaction().execute(async (tx) => {
            await appendAuditInTx(tx, {
              actor: 'system',
              action: 'test.concurrent',
              subject: `c${i % 4}`,
              data: { i },
            });
          }),
        ),
      );
      const r = await audit.verify();
      assert.equal(r.ok, true, JSON.stringify(r.problems));
      assert.equal(r.head.seq, before + 40);
      assert.equal(r.count, before + 40);
    });

    test('entries appended together chain exactly as one by one, concurrently with single appends', async () => {
      const before = (await audit.head()).seq;
      const entries = (n: number, k: number) =>
        Array.from({ length: n }, (_, i) => ({
          actor: 'policy:contain-hijack',
          action: 'test.many',
          subject: `m${k}`,
          data: { k, i },
          at: 1_700_000_000_000 + i,
        }));
      const out = await Promise.all([
        store.db.transaction().execute((tx) => appendAuditManyInTx(tx, entries(7, 0))),
        store.db.transaction().execute((tx) => appendAuditManyInTx(tx, entries(130, 1))),
        store.db
          .transaction()
          .execute((tx) => appendAuditInTx(tx, { actor: 'system', action: 'test.one', subject: 'm2' })),
        store.db.transaction().execute((tx) => appendAuditManyInTx(tx, [])),
      ]);
      assert.equal(out[0].length, 7);
      assert.equal(out[1].length, 130);
      assert.deepEqual(out[3], []);
      // each call's entries are consecutive, in the order given
      for (const xs of [out[0], out[1]])
        xs.forEach((x, i) => i > 0 && assert.equal(x.seq, xs[i - 1]!.seq + 1));
      const r = await audit.verify({ pageSize: 50 });
      assert.equal(r.ok, true, JSON.stringify(r.problems));
      assert.equal(r.head.seq, before + 138);
      assert.equal(r.checkpoint.count, r.count);
      const rows = (await audit.list({ subject: 'm1', limit: 500 })).sort((a, b) => a.seq - b.seq);
      assert.deepEqual(
        rows.map((e) => e.data.i),
        Array.from({ length: 130 }, (_, i) => i),
      );
      await assert.rejects(
        store.db
          .transaction()
          .execute((tx) =>
            appendAuditManyInTx(tx, [...entries(2, 3), { actor: 'x', action: '', subject: 'y' }]),
          ),
        /action/,
      );
      assert.equal((await audit.head()).seq, before + 138);
    });

    test('a rolled-back transaction leaves no entry', async () => {
      const before = await audit.head();
      await assert.rejects(
        store.db.transaction().execute(async (tx) => {
          await appendAuditInTx(tx, { actor: 'system', action: 'test.rollback', subject: 'x' });
          throw new Error('boom');
        }),
      );
      assert.deepEqual(await audit.head(), before);
      await assert.rejects(audit.append({ actor: '', action: 'x', subject: 'y' }), /actor/);
    });

    test('operator actions on accounts and keys are audited with their actor', async () => {
      const identity = testIdentity(store.db);
      const ctx = { ip: '198.51.100.1', userAgent: 'test' };
      const a = await identity.createAccount(
        { handle: 'audit.me', password: 'a long enough passphrase' },
        ctx,
      );
      const s1 = await identity.signIn({ handle: 'audit.me', password: 'a long enough passphrase' }, ctx);
      await identity.signIn({ handle: 'audit.me', password: 'a long enough passphrase' }, ctx);
      const op = operatorActor('0123456789abcdef');
      await identity.revokeSession(a.id, s1.session.id, 'operator', op);
      await identity.revokeAll(a.id, 'operator', op);
      await identity.freeze(a.id, 'hijack suspected', op);
      await identity.unfreeze(a.id, 'owner verified', op);
      await identity.freeze(a.id, 'again');
      await identity.deleteAccount(a.id, op);
      const keys = new KeyService(store.db);
      const { view } = await keys.create('k', ['audit:read'], op);
      await keys.revoke(view.id, op);
      const got = (await audit.list({ subject: a.id })).map((e) => [e.action, e.actor]);
      assert.deepEqual(got, [
        ['session.revoke', op],
        ['session.revoke', op],
        ['account.freeze', op],
        ['account.unfreeze', op],
        ['account.freeze', 'system'],
        ['account.delete', op],
      ]);
      // a freeze's audit entry names its kind too (issue 10: containment or sanction)
      assert.deepEqual((await audit.list({ subject: a.id }))[2]!.data, {
        reason: 'hijack suspected',
        kind: 'containment',
      });
      assert.deepEqual(
        (await audit.list({ subject: view.id })).map((e) => e.action),
        ['api_key.create', 'api_key.revoke'],
      );
      assert.equal((await audit.verify()).ok, true);
    });

    test('verifying while the system appends finds nothing wrong (rows newer than the first head read are not "inserted")', async () => {
      let written = 0;
      const writer = (async () => {
        for (; written < 60; written++)
          await audit.append({
            actor: 'system',
            action: 'test.live',
            subject: 'acc_live',
            data: { n: written },
          });
      })();
      const reports = [];
      // small pages so that every verify spans many reads while rows arrive
      while (written < 60 || reports.length < 3) reports.push(await audit.verify({ pageSize: 2 }));
      await writer;
      for (const r of reports) assert.equal(r.ok, true, JSON.stringify(r.problems));
      // and a deleted tail is still found after the head moved on
      const found = await tampered(async () => {
        const last = await store.db
          .selectFrom('audit_log')
          .select('seq')
          .orderBy('seq', 'desc')
          .limit(1)
          .executeTakeFirstOrThrow();
        await store.db.deleteFrom('audit_log').where('seq', '=', last.seq).execute();
      });
      assert.equal(found.ok, false);
      assert.ok(
        found.problems.some((p) => p.kind === 'truncated'),
        JSON.stringify(found.problems),
      );
    });
  });
}
