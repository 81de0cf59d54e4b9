import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { postgresSkip, testConfig, testGatehouse, testStore, type Backend } from '../testing/index.ts';
import { enqueueInTx } from '../webhooks/index.ts';
import type { Store } from '../store/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { crashChild, srcModule, type Crashed } from '../testing/crash-child.ts';
import { until } from '../testing/receiver.ts';
import { InProcessBus, OutboxDrainer, outboxStore, type BusEvent } from './index.ts';
import { outboxStatements } from './store.ts';

test('the in-process bus matches exact types, prefixes and "*", and survives a failing handler', async () => {
  const bus = new InProcessBus();
  const got: string[] = [];
  bus.subscribe('session.*', (e) => void got.push(`prefix:${e.type}`));
  bus.subscribe('login.failed', (e) => void got.push(`exact:${e.type}`));
  bus.subscribe('*', () => {
    throw new Error('handler bug');
  });
  const off = bus.subscribe('*', (e) => void got.push(`all:${e.type}`));
  await bus.publish({ id: '1', type: 'session.revoked', time: 1 });
  await bus.publish({ id: '2', type: 'login.failed', time: 2 });
  off();
  await bus.publish({ id: '3', type: 'sessionx', time: 3 });
  assert.deepEqual(got, [
    'prefix:session.revoked',
    'all:session.revoked',
    'exact:login.failed',
    'all:login.failed',
  ]);
});

const pgSkip = await postgresSkip();

/**
 * One child process for both databases (one Node start-up instead of two): it commits an account (and
 * its event) on each and dies by SIGKILL before any drain can run. Each backend's test reads its own.
 */
let crashed: Promise<Map<Backend, Crashed<string>>> | undefined;
const crashOnce = () =>
  (crashed ??= crashChild<string>(
    pgSkip,
    (dbs) => `
      const { createGatehouse } = await import(${srcModule('gatehouse.ts')});
      const { loadConfig } = await import(${srcModule('config/index.ts')});
      const ids = [];
      for (const db of ${JSON.stringify(dbs)}) {
        const config = loadConfig({ env: {}, overrides: { ...db, logLevel: 'silent', argon2MemoryKib: 8192, argon2Iterations: 1 } });
        const gh = await createGatehouse(config);
        const a = await gh.identity.createAccount({ handle: 'crash.victim', password: 'survives a crash' }, { ip: '127.0.0.1', userAgent: 'x' });
        ids.push(a.id);
      }
      process.stdout.write(JSON.stringify(ids));
      process.kill(process.pid, 'SIGKILL');
    `,
  ));

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`outbox (${backend})`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    test('an event committed just before the process is killed is published by the next start', async () => {
      const { config, cleanup, ...r } = (await crashOnce()).get(backend)!;
      try {
        assert.equal(r.signal, 'SIGKILL', r.stderr);
        const accountId = r.result ?? '';
        assert.match(accountId, /^acc_/);

        const gh = await createGatehouse(config, { log: createLogger('silent') });
        const seen: BusEvent[] = [];
        gh.bus.subscribe('account.*', (e) => {
          seen.push(e);
        });
        gh.start();
        await gh.drainer.drain();
        await gh.close();
        assert.equal(seen.filter((e) => e.type === 'account.created' && e.account === accountId).length, 1);
      } finally {
        await cleanup();
      }
    });

    test('events are published in commit order and each exactly once per drain', async () => {
      const { config, cleanup } = await testConfig(backend, {}, { migrated: true });
      const gh = await createGatehouse(config, { log: createLogger('silent') });
      try {
        const order: string[] = [];
        gh.bus.subscribe('account.created', (e) => void order.push(String(e.handle)));
        for (const h of ['first.one', 'second.one', 'third.one']) {
          await gh.identity.createAccount(
            { handle: h, password: 'a decent password' },
            { ip: '10.0.0.1', userAgent: '' },
          );
        }
        gh.start();
        await gh.drainer.drain();
        await gh.drainer.drain();
        assert.deepEqual(order, ['first.one', 'second.one', 'third.one']);
      } finally {
        await gh.close();
        await cleanup();
      }
    });

    test('the drainer records published rows at its flush and prunes old ones', async () => {
      const { config, cleanup } = await testConfig(backend, {}, { migrated: true });
      const gh = await createGatehouse(config, { log: createLogger('silent') });
      try {
        for (const h of ['p.one', 'p.two'])
          await gh.identity.createAccount(
            { handle: h, password: 'a decent password' },
            { ip: '10.0.0.2', userAgent: '' },
          );
        gh.start();
        await gh.drainer.drain();
        const rows = await gh.store.db.selectFrom('outbox').select(['seq', 'published_at']).execute();
        assert.ok(rows.length >= 2);
        assert.ok(rows.every((r) => r.published_at !== null));
        const { outboxStore } = await import('./store.ts');
        await outboxStore.prune(gh.store.db, Date.now() + 1);
        assert.equal((await gh.store.db.selectFrom('outbox').selectAll().execute()).length, 0);
      } finally {
        await gh.close();
        await cleanup();
      }
    });
  });
}

describeBackends('outbox drainer', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ store, cleanup } = await testStore(backend));
  });
  after(async () => cleanup?.());

  const silent = createLogger('silent');
  // any event of the catalogue does
  const ev = (id: string) => ({
    id,
    type: 'app.access' as const,
    time: Date.now(),
    account: `acct-${id}`,
    client: 'app_drain_test',
    fields: ['nickname'],
    reads: 1,
  });
  const append = (ids: string[]) =>
    store.db.transaction().execute((tx) => outboxStore.append(tx, ids.map(ev)));
  const publishedAt = async (ids: string[]) =>
    (await store.db.selectFrom('outbox').select(['id', 'published_at']).where('id', 'in', ids).execute()).map(
      (r) => r.published_at,
    );

  test('appends of one to a few events (statements compiled once) and of many: every event once, in order', async () => {
    const bus = new InProcessBus(silent);
    const seen: string[] = [];
    bus.subscribe('app.access', (e) => void seen.push(e.id));
    const d = new OutboxDrainer(store.db, bus, 3_600_000, silent);
    await d.drain();
    seen.length = 0;
    const all: string[] = [];
    for (const n of [1, 2, 3, 4, 6, 2, 1]) {
      const ids = Array.from({ length: n }, (_, i) => `shape-${all.length + i}`);
      all.push(...ids);
      await append(ids);
    }
    await d.drain();
    await d.stop();
    assert.deepEqual(seen, all);
    const rows = await store.db
      .selectFrom('outbox')
      .select(['id', 'account', 'type'])
      .where('id', 'in', all)
      .execute();
    assert.equal(rows.length, all.length);
    for (const r of rows) assert.deepEqual([r.type, r.account], ['app.access', `acct-${r.id}`]);
    assert.equal(outboxStatements.appendRows.fixedShapes(store.db), 4, 'one to four events');
    assert.equal(outboxStatements.unpublishedRows.fixedShapes(store.db), 1);
  });

  test('a backlog of several recording runs is recorded whole; pruning in runs deletes only old published rows', async () => {
    const bus = new InProcessBus(silent);
    const seen: string[] = [];
    bus.subscribe('app.access', (e) => void seen.push(e.id));
    await new OutboxDrainer(store.db, bus, 3_600_000, silent).drain();
    seen.length = 0;
    const ids = Array.from({ length: 700 }, (_, i) => `run-${i}`);
    for (let i = 0; i < ids.length; i += 100) await append(ids.slice(i, i + 100));
    // a new drainer knows nothing recorded: it starts from the oldest unrecorded row
    const d = new OutboxDrainer(store.db, bus, 3_600_000, silent);
    await d.drain();
    await d.stop();
    assert.deepEqual(seen, ids, 'every row once, in order');
    assert.ok(
      (await publishedAt(ids)).every((t) => t !== null),
      'all recorded',
    );
    await append(['run-unpublished']);
    const published = async () =>
      Number(
        (
          await store.db
            .selectFrom('outbox')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('published_at', 'is not', null)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await published();
    assert.equal(await outboxStore.prune(store.db, Date.now() + 1, 128), 128);
    assert.equal(await published(), before - 128);
    assert.equal(await outboxStore.prune(store.db, Date.now() + 1), before - 128);
    assert.equal(await published(), 0);
    assert.deepEqual(await publishedAt(['run-unpublished']), [null], 'an unpublished row is never pruned');
    assert.equal(await outboxStore.prune(store.db, 0), 0, 'nothing older than the epoch');
    await new OutboxDrainer(store.db, bus, 3_600_000, silent).drain();
  });

  test('a drain and pokes at the same moment (start, commits) publish each row once', async () => {
    const bus = new InProcessBus(silent);
    const seen: string[] = [];
    bus.subscribe('app.access', (e) => void seen.push(e.id));
    const d = new OutboxDrainer(store.db, bus, 3_600_000, silent);
    await d.drain();
    seen.length = 0;
    const ids = Array.from({ length: 40 }, (_, i) => `once-${i}`);
    await append(ids);
    const draining = d.drain();
    d.start();
    for (let i = 0; i < 5; i++) d.poke();
    await draining;
    await d.drain();
    await d.stop();
    assert.deepEqual([...seen].sort(), [...ids].sort(), 'every row once');
  });

  test('published but not yet recorded when the drainer stops uncleanly: the next drainer publishes it again (at least once)', async () => {
    const first = new InProcessBus(silent);
    const seen1: string[] = [];
    first.subscribe('app.access', (e) => void seen1.push(e.id));
    // a poll interval so long that, after its first flush, nothing is recorded before the "crash"
    const d1 = new OutboxDrainer(store.db, first, 3_600_000, silent);
    await d1.drain();
    seen1.length = 0;
    await append(['alo-1', 'alo-2']);
    // publish through the loop only, as a timer-driven drain would (drain() records at its end)
    d1.start();
    await until(() => seen1.length === 2, 'the first drainer to publish both');
    assert.deepEqual(await publishedAt(['alo-1', 'alo-2']), [null, null], 'not recorded yet');
    // the process dies here: no stop(), no flush
    const second = new InProcessBus(silent);
    const seen2: string[] = [];
    second.subscribe('app.access', (e) => void seen2.push(e.id));
    const d2 = new OutboxDrainer(store.db, second, 3_600_000, silent);
    await d2.drain();
    assert.deepEqual(seen2.filter((id) => id.startsWith('alo-')).sort(), ['alo-1', 'alo-2']);
    assert.ok((await publishedAt(['alo-1', 'alo-2'])).every((t) => t !== null));
    await d2.stop();
  });

  test('stop() records what was published; a failing handler does not hold back the events after it', async () => {
    await append(['stop-1', 'stop-2', 'stop-3']);
    const bus = new InProcessBus(silent);
    const seen: string[] = [];
    bus.subscribe('app.access', (e) => {
      if (e.id === 'stop-2') throw new Error('handler bug');
    });
    bus.subscribe('app.access', (e) => void seen.push(e.id));
    const d = new OutboxDrainer(store.db, bus, 3_600_000, silent);
    // not started yet (a process that opened Gatehouse for a CLI command): a poke publishes nothing
    d.poke();
    await d.stop(); // waits for any drain the poke started
    assert.equal(seen.length, 0, 'a drainer that was never started does not publish');
    d.start();
    await until(() => seen.includes('stop-3'), 'the third event');
    assert.deepEqual(
      seen.filter((id) => id.startsWith('stop-')),
      ['stop-1', 'stop-2', 'stop-3'],
    );
    await d.stop();
    assert.ok((await publishedAt(['stop-1', 'stop-2', 'stop-3'])).every((t) => t !== null));
    // a stopped drainer ignores pokes
    await append(['after-stop']);
    d.poke();
    assert.equal(await outboxStore.countUnpublished(store.db), 1);
  });

  test('a rolled-back append publishes nothing and leaves no gap that stalls the drainer', async () => {
    await assert.rejects(
      store.db.transaction().execute(async (tx) => {
        await outboxStore.append(tx, [ev('rolled-back')]);
        throw new Error('the state change failed');
      }),
    );
    await append(['after-rollback']);
    const bus = new InProcessBus(silent);
    const seen: string[] = [];
    bus.subscribe('app.access', (e) => void seen.push(e.id));
    const d = new OutboxDrainer(store.db, bus, 3_600_000, silent);
    await d.drain();
    assert.ok(seen.includes('after-rollback'));
    assert.ok(!seen.includes('rolled-back'));
    await d.stop();
  });
});

test('the catalogue: an event that drifts from its schema, or of no known type, is refused and rolls back its transaction; subscribers get their type', async () => {
  const { gh, cleanup } = await testGatehouse('sqlite');
  try {
    const before = await outboxStore.countUnpublished(gh.store.db);
    const invalid = (e: unknown) => (e as { code?: string }).code === 'BUS_EVENT_INVALID';
    // account.unfrozen without its reason (the drift issue 11 names), a decision without signals, no such type
    for (const bad of [
      { id: 'b1', type: 'account.unfrozen', time: 1, account: 'acc_1' },
      {
        id: 'b2',
        type: 'decision.made',
        time: 1,
        account: 'acc_1',
        decision: { id: 'dec:1', account: 'acc_1' },
      },
      { id: 'b3', type: 'no.such.event', time: 1, account: 'acc_1' },
    ])
      await assert.rejects(
        gh.store.db.transaction().execute(async (tx) => {
          await enqueueInTx(tx, {
            type: 'message.release',
            account: 'acc_1',
            payload: { message: 'm', account: 'acc_1' },
          });
          await outboxStore.append(tx, [bad as never]);
        }),
        invalid,
        bad.type,
      );
    assert.equal(await outboxStore.countUnpublished(gh.store.db), before, 'nothing was recorded');
    assert.equal((await gh.webhooks.feed(undefined)).messages.length, 0, 'the webhook rolled back too');
    // a webhook payload that drifts is refused the same way
    await assert.rejects(
      gh.store.db.transaction().execute((tx) =>
        enqueueInTx(tx, {
          type: 'account.unfrozen',
          account: 'acc_1',
          payload: { account: 'acc_1', reason: 'r', notice: { en: 'x', 'zh-CN': 'y' } } as never,
        }),
      ),
      (e: unknown) => (e as { code?: string }).code === 'WEBHOOK_PAYLOAD_INVALID',
    );
    // the owner's path: a well-formed event reaches a typed subscriber
    const got: string[] = [];
    gh.bus.subscribe('account.unfrozen', (e) => void got.push(`${e.account}: ${e.reason}`));
    await gh.store.db
      .transaction()
      .execute((tx) =>
        outboxStore.append(tx, [
          { id: 'ok1', type: 'account.unfrozen', time: 1, account: 'acc_1', reason: 'appeal restored' },
        ]),
      );
    await gh.drainer.drain();
    assert.deepEqual(got, ['acc_1: appeal restored']);
  } finally {
    await cleanup();
  }
});
