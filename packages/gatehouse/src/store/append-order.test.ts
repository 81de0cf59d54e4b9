// Every log that is read "by seq after the last one read" (outbox, engine event log and its check-log
// writes, webhook feed, audit chain) keeps nothing back from its reader on PostgreSQL when two
// transactions interleave: transaction A takes the smaller seq and commits last, B takes the next one
// and tries to commit first, the reader runs in between, then A commits. Without the append-order
// locks B commits first, the reader moves past A's seq, and A is never read: each test here fails then.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { appendAuditInTx } from '../audit/index.ts';
import { InProcessBus, OutboxDrainer, outboxStore } from '../bus/index.ts';
import { createLogger } from '../log/index.ts';
import { notifyStore } from '../notify/store.ts';
import { enqueueNoticeInTx } from '../notify/enqueue.ts';
import { postgresSkip, tempDir, testStore } from '../testing/index.ts';
import { interleave } from '../testing/interleave.ts';
import { enqueueInTx } from '../webhooks/index.ts';
import { webhooksStore } from '../webhooks/store.ts';
import { EngineService } from '../engine/service.ts';
import { writeCheckBatch } from '../engine/persist.ts';
import { engineStore, type NewEvent } from '../engine/store.ts';
import type { Decision } from '../engine/types.ts';
import type { Store } from './index.ts';

const silent = createLogger('silent');

const pgSkip = await postgresSkip();

describe(
  'append order on PostgreSQL: a reader by seq never passes a row that commits late',
  { skip: pgSkip },
  () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await testStore('postgres'));
    });
    after(async () => cleanup?.());

    // any event of the catalogue does (the outbox checks every event against it)
    const ev = (id: string, account: string) => ({
      id,
      type: 'app.access' as const,
      time: Date.now(),
      account,
      client: 'app_order_test',
      fields: ['nickname'],
      reads: 1,
    });

    test('outbox: the drainer publishes A (seq 1) although B (seq 2) was ready first', async () => {
      const db = store.db;
      const bus = new InProcessBus(silent);
      const published: string[] = [];
      bus.subscribe('app.access', (e) => void published.push(e.id));
      const drainer = new OutboxDrainer(db, bus, 60_000, silent);
      try {
        await interleave(
          db,
          (tx) => outboxStore.append(tx, [ev('outbox-A', 'acct-a')]),
          () => db.transaction().execute((tx) => outboxStore.append(tx, [ev('outbox-B', 'acct-b')])),
          () => drainer.drain(),
        );
        await drainer.drain();
        assert.deepEqual(published, ['outbox-A', 'outbox-B'], 'both published, in seq order');
        const rows = await db
          .selectFrom('outbox')
          .select(['id', 'published_at'])
          .where('id', 'in', ['outbox-A', 'outbox-B'])
          .orderBy('seq')
          .execute();
        assert.deepEqual(
          rows.map((r) => r.id),
          ['outbox-A', 'outbox-B'],
          'seq order is commit order',
        );
        assert.ok(
          rows.every((r) => r.published_at !== null),
          'both recorded as published',
        );
      } finally {
        await drainer.stop();
      }
    });

    test('outbox: 40 concurrent appenders with drains running meanwhile lose nothing', async () => {
      const db = store.db;
      const bus = new InProcessBus(silent);
      const published = new Set<string>();
      bus.subscribe('app.access', (e) => void published.add(e.id));
      const drainer = new OutboxDrainer(db, bus, 60_000, silent);
      try {
        const ids = Array.from({ length: 40 }, (_, i) => `many-${i}`);
        await Promise.all([
          ...ids.map((id) =>
            db.transaction().execute((tx) => outboxStore.append(tx, [ev(id, `acct-${id}`)])),
          ),
          ...Array.from({ length: 10 }, () => drainer.drain()),
        ]);
        await drainer.drain();
        assert.deepEqual(
          ids.filter((id) => !published.has(id)),
          [],
          'every appended event reached the bus',
        );
      } finally {
        await drainer.stop();
      }
    });

    test('engine event log: the consumer applies A although B was ingested first', async () => {
      const db = store.db;
      const { dir, cleanup: rm } = tempDir();
      const svc = new EngineService({
        db,
        bus: new InProcessBus(silent),
        log: silent,
        dataDir: dir,
        snapshotSeconds: 0,
        dialect: 'postgres',
      });
      const now = Date.now();
      const event = (id: string, account: string) => ({
        id,
        type: 'message.sent',
        time: now,
        account,
        session: `s-${account}`,
        recipients: ['friend-1'],
        text: 'see you at the station',
        client: { kind: 'mobile', name: 'app', version: '1' },
      });
      const row = (id: string, account: string): NewEvent => ({
        id,
        type: 'message.sent',
        account,
        time: now,
        received_at: now,
        origin: 'api',
        payload: JSON.stringify(event(id, account)),
      });
      try {
        await svc.start();
        await interleave(
          db,
          (tx) => engineStore.append(tx, [row('log-A', 'acct-log-a')], 'postgres'),
          () => svc.ingest([event('log-B', 'acct-log-b')]),
          () => svc.drain(),
        );
        await svc.drain();
        assert.ok(svc.engine.accountRisk('acct-log-a'), 'the consumer applied A');
        assert.ok(svc.engine.accountRisk('acct-log-b'), 'the consumer applied B');
        assert.equal(svc.position, await engineStore.lastSeq(db));
      } finally {
        await svc.close();
        rm();
      }
    });

    test('check log: a pre-send check batch and its decision commit after an open append, not past it', async () => {
      const db = store.db;
      const now = Date.now();
      const row = (id: string, origin: string): NewEvent => ({
        id,
        type: 'message.sent',
        account: 'acct-check',
        time: now,
        received_at: now,
        origin,
        payload: '{}',
      });
      const decision: Decision = {
        id: 'dec-chk-B',
        eventId: 'chk-B',
        eventType: 'message.sent',
        account: 'acct-check',
        action: 'hold',
        risk: 0.9,
        logit: 2,
        time: now,
        reasons: [],
        signals: [],
      };
      let position = await engineStore.lastSeq(db);
      const seen: string[] = [];
      const read = async () => {
        for (const r of await engineStore.after(db, position, 100)) {
          seen.push(r.id);
          position = r.seq;
        }
      };
      await interleave(
        db,
        (tx) => engineStore.append(tx, [row('api-A', 'api')], 'postgres'),
        () => writeCheckBatch(db, [row('chk-B', 'check')], [decision], now, 'postgres'),
        read,
      );
      await read();
      assert.deepEqual(seen, ['api-A', 'chk-B'], 'a reader by seq sees both, in commit order');
      const outbox = await db.selectFrom('outbox').select('id').where('id', '=', 'decision:chk-B').execute();
      assert.equal(outbox.length, 1, "the check's decision is on the outbox");
    });

    test('webhook feed: a puller holding the cursor of the first page still gets A', async () => {
      const db = store.db;
      const msg = (id: string) => ({
        id,
        type: 'message.release' as const,
        account: `acct-${id}`,
        payload: { message: id, account: `acct-${id}` },
      });
      let cursor = (await webhooksStore.feed(db, 0, 10_000)).at(-1)?.seq ?? 0;
      const pulled: string[] = [];
      const pull = async () => {
        for (const m of await webhooksStore.feed(db, cursor, 100)) {
          pulled.push(m.id);
          cursor = m.seq;
        }
      };
      await interleave(
        db,
        (tx) => enqueueInTx(tx, msg('wh-A')),
        () => db.transaction().execute((tx) => enqueueInTx(tx, msg('wh-B'))),
        pull,
      );
      await pull();
      assert.deepEqual(pulled, ['wh-A', 'wh-B']);
    });

    test('audit chain: an entry that commits late is neither skipped by a reader nor forks the chain', async () => {
      const db = store.db;
      const entry = (subject: string) => ({ actor: 'test', action: 'test.append', subject });
      let cursor = Number(
        (
          await db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.max('seq').as('m'))
            .executeTakeFirst()
        )?.m ?? 0,
      );
      const read: string[] = [];
      const page = async () => {
        const rows = await db
          .selectFrom('audit_log')
          .select(['seq', 'subject'])
          .where('seq', '>', cursor)
          .orderBy('seq')
          .execute();
        for (const r of rows) {
          read.push(r.subject);
          cursor = r.seq;
        }
      };
      await interleave(
        db,
        (tx) => appendAuditInTx(tx, entry('audit-A')),
        () => db.transaction().execute((tx) => appendAuditInTx(tx, entry('audit-B'))),
        page,
      );
      await page();
      assert.deepEqual(read, ['audit-A', 'audit-B']);
      const chain = await db.selectFrom('audit_log').select(['prev_hash', 'hash']).orderBy('seq').execute();
      assert.equal(chain[1]!.prev_hash, chain[0]!.hash, 'B links to A');
    });

    test('notify: a notice that commits late is still planned (the planner claims by state, not by seq)', async () => {
      const db = store.db;
      const notice = (key: string) => ({
        kind: 'password.changed' as const,
        account: `acct-notify-${key}`,
        key,
        params: { at: Date.now(), via: 'settings' as const, sessionsEnded: 0 },
      });
      const claimed: string[] = [];
      const claim = async () => {
        const now = Date.now() + 1;
        claimed.push(...(await notifyStore.claimDueNotices(db, now, 100, now + 60_000)).map((c) => c.id));
      };
      await interleave(
        db,
        (tx) => enqueueNoticeInTx(tx, notice('late-A')),
        () => db.transaction().execute((tx) => enqueueNoticeInTx(tx, notice('early-B'))),
        claim,
      );
      await claim();
      assert.equal(claimed.length, 2, 'both notices claimed, once each');
      assert.equal(new Set(claimed).size, 2);
    });
  },
);
