// Several dispatchers on one PostgreSQL (issue 16 item 1): two Gatehouse processes' worth of outbox
// drainers, webhook dispatchers and notice dispatchers race over the same rows; every event reaches one
// bus once, every webhook is delivered once, every notice is sent once, and a dead dispatcher's claims
// (the drain lease, a leased webhook delivery, a leased notice) are taken over. SQLite is one process:
// its drainer runs without a lease (bus/outbox.test.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createGatehouse, type Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import type { Config } from '../config/index.ts';
import { testSmtp, type TestSmtp } from '../notify/testing.ts';
import { postgresSkip, testConfig } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import { outboxStore } from './index.ts';

const pgSkip = await postgresSkip();

/** A receiver that counts every request per webhook-id (no de-duplication: a second delivery shows). */
async function countingReceiver() {
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      counts.set(id, (counts.get(id) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    counts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const ev = (id: string) => ({
  id,
  type: 'app.access' as const,
  time: Date.now(),
  account: `acct-${id}`,
  client: 'app_two_dispatchers',
  fields: ['nickname'],
  reads: 1,
});

describe('two dispatchers on one PostgreSQL', { skip: pgSkip }, () => {
  let config: Config;
  let cleanup: () => Promise<void>;
  let smtp: TestSmtp;
  let rx: Awaited<ReturnType<typeof countingReceiver>>;
  const ghs: Gatehouse[] = [];
  /** Deliveries of each outbox event to a bus, over both processes. */
  const busCounts = new Map<string, number>();

  before(async () => {
    smtp = await testSmtp();
    rx = await countingReceiver();
    ({ config, cleanup } = await testConfig(
      'postgres',
      {
        ...smtp.settings(),
        outboxLeaseSeconds: 2,
        webhookPollMs: 50,
        notifyPollMs: 50,
        webhookConcurrency: 8,
      },
      { migrated: true },
    ));
  });
  let started = false;
  async function startAll() {
    if (started) return;
    started = true;
    for (const gh of ghs) await gh.start();
  }
  after(async () => {
    for (const gh of ghs) await gh.close();
    await rx?.close();
    await smtp?.close();
    await cleanup?.();
  });

  test('a drainer that dies holding the drain lease is replaced once the lease lapses', async () => {
    const gatehouseTs = fileURLToPath(new URL('../gatehouse.ts', import.meta.url));
    const configTs = fileURLToPath(new URL('../config/index.ts', import.meta.url));
    const storeTs = fileURLToPath(new URL('./store.ts', import.meta.url));
    const url = config.database.kind === 'postgres' ? config.database.url : '';
    // the two survivors exist (not started: they do not drain yet)
    for (let i = 0; i < 2; i++) {
      const gh = await createGatehouse(config, { log: createLogger('silent') });
      gh.bus.subscribe('app.access', (e) => void busCounts.set(e.id, (busCounts.get(e.id) ?? 0) + 1));
      ghs.push(gh);
    }
    const db = ghs[0]!.store.db;
    // the child starts (its drainer takes the lease), says so, and is SIGKILLed: nothing released
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        '--input-type=module',
        '-e',
        `
        const { createGatehouse } = await import(${JSON.stringify(gatehouseTs)});
        const { loadConfig } = await import(${JSON.stringify(configTs)});
        const { outboxStore } = await import(${JSON.stringify(storeTs)});
        const config = loadConfig({ env: {}, overrides: { dataDir: ${JSON.stringify(config.dataDir)}, databaseUrl: ${JSON.stringify(url)}, logLevel: 'silent', outboxLeaseSeconds: 2, port: 0 } });
        const gh = await createGatehouse(config);
        await gh.start();
        for (;;) {
          const l = await outboxStore.drainLease(gh.store.db);
          if (l) { process.stdout.write('held ' + l.owner + '\\n'); break; }
          await new Promise((r) => setTimeout(r, 20));
        }
        setInterval(() => undefined, 1000);
        `,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await until(() => out.includes('held '), 'the child to hold the drain lease');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const dead = await outboxStore.drainLease(db);
    assert.ok(dead && out.includes(dead.owner), 'the dead child holds the lease');
    await startAll();
    await db.transaction().execute((tx) => outboxStore.append(tx, [ev('after-death')]));
    await until(() => busCounts.get('after-death') === 1, 'a survivor to publish after the lease lapsed');
    // (the lease is timed on the database's clock; this machine's clock is the same one)
    assert.ok(Date.now() >= Number(dead.until) - 200, 'taken over only after the dead lease ran out');
    const held = await outboxStore.drainLease(db);
    assert.ok(held && held.owner !== dead.owner, 'a survivor holds the lease now');
    assert.ok(ghs.filter((g) => g.drainer.active).length === 1, 'one of the two drains, the other stands by');
  });

  test('racing over the same rows: each event on one bus once, each webhook delivered once, each notice sent once', async () => {
    await startAll();
    const [a, b] = ghs as [Gatehouse, Gatehouse];
    const { secret } = await a.webhooks.addEndpoint({ url: rx.url, types: ['message.release'] });
    assert.ok(secret);
    const EVENTS = 300;
    const HOOKS = 200;
    const NOTICES = 40;
    // both processes commit at the same time; each one's commits poke its own dispatchers
    await Promise.all(
      [a, b].map(async (gh, side) => {
        for (let i = side; i < Math.max(EVENTS, HOOKS, NOTICES); i += 2) {
          if (i < EVENTS)
            await gh.store.db.transaction().execute((tx) => outboxStore.append(tx, [ev(`race-${i}`)]));
          if (i < HOOKS)
            await gh.webhooks.send({
              type: 'message.release',
              account: `acc_${i % 20}`,
              payload: { message: `m${i}`, account: `acc_${i % 20}` },
            });
          if (i < NOTICES)
            await gh.notify.enqueue({
              kind: 'password.changed',
              account: `acc_notice_${i}`,
              params: { at: Date.now(), via: 'settings', sessionsEnded: 0 },
              to: [{ channel: 'email', address: `owner${i}@example.test` }],
            });
          gh.drainer.poke();
        }
      }),
    );
    await until(
      () => [...busCounts.keys()].filter((k) => k.startsWith('race-')).length === EVENTS,
      'every event on a bus',
    );
    await until(() => rx.counts.size === HOOKS, 'every webhook delivered');
    await until(() => smtp.received.length >= NOTICES, 'every notice sent');
    // then wait for both to be idle, so a second delivery would have happened by now
    await until(
      async () =>
        (
          await a.store.db
            .selectFrom('webhook_deliveries')
            .select('seq')
            .where('state', '=', 'pending')
            .execute()
        ).length === 0 &&
        (
          await a.store.db
            .selectFrom('notify_deliveries')
            .select('seq')
            .where('state', '=', 'pending')
            .execute()
        ).length === 0 &&
        (await outboxStore.countUnpublished(a.store.db)) === 0,
      'nothing pending',
    );
    await a.drainer.drain();
    await b.drainer.drain();
    await Promise.all([a, b].map((gh) => gh.webhooks.dispatcher?.flush()));
    const twice = [...busCounts].filter(([k, n]) => k.startsWith('race-') && n !== 1);
    assert.deepEqual(twice, [], 'each event reached one bus once');
    assert.deepEqual(
      [...rx.counts].filter(([, n]) => n !== 1),
      [],
      'each webhook delivered once',
    );
    const perAddress = new Map<string, number>();
    for (const m of smtp.received) for (const to of m.to) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
    assert.equal(perAddress.size, NOTICES);
    assert.deepEqual(
      [...perAddress].filter(([, n]) => n !== 1),
      [],
      'each notice sent once',
    );
    const by = [a, b].map((gh) => gh.webhooks.dispatcher?.delivered ?? 0);
    assert.equal(by[0]! + by[1]!, HOOKS);
    console.log(`# webhooks delivered by each dispatcher: ${by.join(' / ')}`);
  });

  test("a dead dispatcher's leased webhook delivery and notice are taken over when their leases run out", async () => {
    const [a] = ghs as [Gatehouse, Gatehouse];
    const db = a.store.db;
    const leaseUntil = Date.now() + 1500;
    // claimed by a dispatcher that died at once: leased in the transaction that enqueued them
    const { enqueueInTx } = await import('../webhooks/index.ts');
    const { enqueueNoticeInTx } = await import('../notify/enqueue.ts');
    let hook = '';
    await db.transaction().execute(async (tx) => {
      hook = (
        await enqueueInTx(tx, {
          type: 'message.release',
          account: 'acc_orphan',
          payload: { message: 'orphan', account: 'acc_orphan' },
        })
      ).id;
      await tx
        .updateTable('webhook_deliveries')
        .set({ lease_until: leaseUntil })
        .where('message_id', '=', hook)
        .execute();
      const n = await enqueueNoticeInTx(tx, {
        kind: 'password.changed',
        account: 'acc_orphan',
        params: { at: Date.now(), via: 'settings', sessionsEnded: 0 },
        to: [{ channel: 'email', address: 'orphan@example.test' }],
      });
      await tx
        .updateTable('notify_notices')
        .set({ lease_until: leaseUntil })
        .where('id', '=', n.id)
        .execute();
    });
    for (const gh of ghs) gh.notify.poke();
    await until(() => rx.counts.get(hook) === 1, 'the orphaned webhook delivered');
    await until(
      () => smtp.received.some((m) => m.to.includes('orphan@example.test')),
      'the orphaned notice sent',
    );
    assert.ok(Date.now() >= leaseUntil, 'not before the dead claim ran out');
    await Promise.all(ghs.map((gh) => gh.webhooks.dispatcher?.flush()));
    assert.equal(rx.counts.get(hook), 1);
    assert.equal(smtp.received.filter((m) => m.to.includes('orphan@example.test')).length, 1);
  });
});
