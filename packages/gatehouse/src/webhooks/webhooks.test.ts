import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifyWebhook } from '@gatehouse/sdk';
import { auditSink } from '../audit/index.ts';
import type { AuditSink, PlatformDelivery } from '../response/index.ts';
import type { GatehouseError } from '../errors/index.ts';
import { createGatehouse, type Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { postgresSkip, testConfig, testGatehouse, type Backend } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import { racing } from '../testing/interleave.ts';
import { sql } from 'kysely';
import {
  enqueueInTx,
  resolveSecretKey,
  SecretBox,
  WebhookDispatcher,
  webhookDelivery,
  type DispatcherOptions,
} from './index.ts';

type Mode = 'up' | '503' | 'down' | 'ack-lost' | 'redirect';

/** A small real message for transport tests: its `message` field carries the test's counter. */
const probe = (account: string, message: number | string) => ({
  type: 'message.release' as const,
  account,
  payload: { message: String(message), account },
});

/**
 * A platform back end: verifies every request with the SDK, applies each message's effect once (it
 * dedupes on webhook-id), and can be down (connection refused), failing (503), losing acks (applies the
 * effect, then answers 500) or redirecting.
 */
class Receiver {
  mode: Mode = 'up';
  secrets: string[] = [];
  /** The clock the receiver checks webhook-timestamp against (the dispatcher's, in these tests). */
  clock: { t: number } | undefined;
  requests = 0;
  signatureHeaders: string[] = [];
  readonly seen = new Set<string>();
  readonly effects: Array<{ id: string; type: string; account?: string; data: Record<string, unknown> }> = [];
  private server: Server | undefined;
  port = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = undefined;
  }

  /** Resolves once `n` effects were applied. */
  waitFor(n: number): Promise<void> {
    if (this.effects.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.requests++;
    if (this.mode === '503') return void res.writeHead(503).end('busy');
    if (this.mode === 'redirect') return void res.writeHead(302, { location: 'http://127.0.0.1:1/' }).end();
    const raw = Buffer.concat(chunks);
    this.signatureHeaders.push(String(req.headers['webhook-signature']));
    let msg;
    try {
      msg = verifyWebhook(this.secrets, req.headers, raw, this.clock ? { now: this.clock.t } : {});
    } catch {
      return void res.writeHead(400).end('bad signature');
    }
    if (!this.seen.has(msg.id)) {
      this.seen.add(msg.id);
      this.effects.push(msg);
      for (const w of this.waiters.filter((x) => this.effects.length >= x.n)) w.resolve();
    }
    res.writeHead(this.mode === 'ack-lost' ? 500 : 204).end();
  }
}

/** A dispatcher with a hand-driven clock over a Gatehouse's database. */
function manualDispatcher(
  gh: Gatehouse,
  clock: { t: number },
  rx: Receiver,
  over: Partial<DispatcherOptions> = {},
) {
  rx.clock = clock;
  return new WebhookDispatcher(gh.store.db, new SecretBox(resolveSecretKey(gh.config)), {
    concurrency: 8,
    timeoutMs: 5000,
    retryBaseMs: 1000,
    retryCapMs: 60_000,
    maxAttempts: 100,
    maxAgeMs: 3_600_000 * 24,
    pollMs: 1000,
    // the test receiver is http on 127.0.0.1 (development settings of the test config)
    targets: { allowHttp: gh.config.webhookAllowHttp, allowLoopback: gh.config.webhookAllowLoopback },
    now: () => clock.t,
    ...over,
  });
}

test('the delivery and audit adapters fit the response part: one transaction, both written or neither', async () => {
  const { gh, cleanup } = await testGatehouse('sqlite');
  try {
    const delivery: PlatformDelivery = webhookDelivery;
    const sink: AuditSink = auditSink;
    await gh.webhooks.addEndpoint({ url: 'http://127.0.0.1:9/hooks', types: ['account.*'] });
    const act = (account: string, fail: boolean) =>
      gh.store.db.transaction().execute(async (tx) => {
        await delivery.enqueueInTx(tx, {
          type: 'account.frozen',
          account,
          payload: {
            account,
            by: 'gatehouse',
            kind: 'containment',
            reason: 'test',
            reasons: [],
            decision: null,
            notice: { en: 'frozen', zh: '已冻结' },
          },
        });
        await sink.appendInTx(tx, {
          actor: 'policy:test',
          action: 'freeze_account',
          subject: account,
          data: {},
        });
        if (fail) throw new Error('the action failed');
      });
    await act('acct-kept', false);
    await assert.rejects(act('acct-rolled-back', true), /the action failed/);
    const messages = await gh.store.db.selectFrom('webhook_messages').select(['id', 'account']).execute();
    assert.deepEqual(
      messages.map((m) => m.account),
      ['acct-kept'],
    );
    const deliveries = await gh.store.db.selectFrom('webhook_deliveries').select('message_id').execute();
    assert.deepEqual(
      deliveries.map((d) => d.message_id),
      [messages[0]!.id],
      'one delivery for the one endpoint',
    );
    const audit = await gh.store.db
      .selectFrom('audit_log')
      .select(['action', 'subject'])
      .where('action', '=', 'freeze_account')
      .execute();
    assert.deepEqual(audit, [{ action: 'freeze_account', subject: 'acct-kept' }]);
  } finally {
    await cleanup();
  }
});

const pgSkip = await postgresSkip();

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`webhook delivery on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let gh: Gatehouse;
    let cleanup: () => Promise<void>;
    const rx = new Receiver();
    before(async () => {
      ({ gh, cleanup } = await testGatehouse(backend));
      await rx.listen();
    });
    after(async () => {
      await rx.close();
      await cleanup();
    });

    test('secrets: shown once, sealed at rest under a generated 0600 key file', async () => {
      const { endpoint, secret } = await gh.webhooks.addEndpoint({ url: rx.url, types: ['message.*'] });
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
      const row = await gh.store.db
        .selectFrom('webhook_endpoints')
        .selectAll()
        .where('id', '=', endpoint.id)
        .executeTakeFirstOrThrow();
      assert.ok(!row.secret_enc.includes(secret.slice(6)));
      assert.match(row.secret_enc, /^v1\./);
      assert.equal(statSync(join(gh.config.dataDir, 'secret.key')).mode & 0o777, 0o600);
      assert.ok(!JSON.stringify(await gh.webhooks.listEndpoints()).includes(secret));
      await gh.webhooks.remove(endpoint.id);
    });

    test('a receiver that is down, then failing, then losing acks, then up gets everything once, in order per account', async () => {
      const clock = { t: 1_900_000_000_000 };
      const d = manualDispatcher(gh, clock, rx, { random: () => 1 });
      const { endpoint, secret } = await gh.webhooks.addEndpoint({ url: rx.url, types: ['message.release'] });
      rx.secrets = [secret];
      const accounts = ['acc_a', 'acc_b', 'acc_c'];
      for (let n = 0; n < 10; n++)
        for (const account of accounts) await gh.webhooks.send({ ...probe(account, n), at: clock.t });
      await gh.webhooks.send({ type: 'message.expire', payload: { message: 'm', account: '' }, at: clock.t });

      rx.mode = '503';
      await d.flush();
      assert.equal(rx.requests, 3, 'one head per account queue, the rest wait behind it');
      const port = rx.port;
      await rx.close();
      rx.mode = 'down';
      clock.t += 2000;
      await d.flush();
      const heads = await gh.store.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('endpoint_id', '=', endpoint.id)
        .where('attempts', '>', 0)
        .execute();
      assert.equal(heads.length, 3);
      for (const h of heads) {
        assert.equal(h.attempts, 2);
        // a stable code only (issue 10: no address, port or system error text read back)
        assert.equal(h.last_error, 'unreachable');
        // random() = 1: the delay is the ceiling, base * 2^(attempts-1).
        assert.equal(h.next_attempt_at, clock.t + 2000);
      }
      const attempts = await gh.webhooks.deliveries(heads[0]!.message_id);
      assert.deepEqual(
        attempts[0]!.attempts.map((a) => a.status),
        [503, null],
      );
      clock.t += 1000;
      await d.flush();
      assert.equal(rx.effects.length, 0, 'not due yet: nothing sent');

      rx.port = port;
      await rx.listen();
      rx.mode = 'ack-lost';
      clock.t += 1000;
      await d.flush();
      assert.equal(rx.effects.length, 3, 'applied, but the acks were lost');
      rx.mode = 'up';
      clock.t += 60_000;
      await d.flush();
      assert.equal(rx.effects.length, 30);
      for (const account of accounts) {
        assert.deepEqual(
          rx.effects.filter((e) => e.account === account).map((e) => Number(e.data.message)),
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        );
      }
      assert.ok(rx.requests > 33, 'retries happened');
      assert.equal(
        await gh.store.db
          .selectFrom('webhook_deliveries')
          .select('seq')
          .where('state', '=', 'pending')
          .execute()
          .then((r) => r.length),
        0,
      );
      await gh.webhooks.remove(endpoint.id);
    });

    test('after max attempts a delivery is dead-lettered (redirects are failures); replay delivers in order', async () => {
      const clock = { t: 1_900_000_100_000 };
      const d = manualDispatcher(gh, clock, rx, { maxAttempts: 3 });
      const { endpoint, secret } = await gh.webhooks.addEndpoint({ url: rx.url, types: ['message.release'] });
      rx.secrets = [secret];
      const ids: string[] = [];
      for (let n = 0; n < 3; n++)
        ids.push((await gh.webhooks.send({ ...probe('acc_d', n), at: clock.t })).id);
      rx.mode = 'redirect';
      for (let i = 0; i < 12; i++) {
        await d.flush();
        clock.t += 120_000;
      }
      const dead = await gh.webhooks.dead({ endpoint: endpoint.id });
      assert.deepEqual(
        dead.map((x) => x.messageId),
        ids,
      );
      assert.equal(dead[0]!.attempts, 3, JSON.stringify(dead));
      assert.equal(dead[0]!.lastStatus, 302);
      assert.match(dead[0]!.lastError!, /redirects are not followed/);
      rx.mode = 'up';
      const before = rx.effects.length;
      assert.equal((await gh.webhooks.replay({ messageIds: [ids[1]!, ids[2]!] })).replayed, 2);
      assert.equal((await gh.webhooks.replay({ all: true, endpoint: endpoint.id })).replayed, 1);
      await d.flush();
      assert.deepEqual(
        rx.effects.slice(before).map((e) => e.id),
        ids,
      );
      assert.equal((await gh.webhooks.dead({ endpoint: endpoint.id })).length, 0);
      const audit = await gh.audit.list({ subject: endpoint.id });
      assert.deepEqual(
        audit.map((a) => a.action),
        ['webhook_endpoint.create', 'webhook.replay'],
      );
      await gh.webhooks.remove(endpoint.id);
    });

    test('the feed is in commit order even when transactions overlap', async () => {
      const before = (await gh.webhooks.feed(undefined, 1000)).next;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: (pid: number) => void;
      const inA = new Promise<number>((r) => (entered = r));
      const a = gh.store.db.transaction().execute(async (tx) => {
        const pid =
          backend === 'postgres'
            ? (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)).rows[0]!.pid
            : 0;
        const r = await enqueueInTx(tx, probe('acc_o', 'a'));
        entered(pid);
        await gate;
        return r;
      });
      const aPid = await inA;
      let bDone = false;
      let b!: Promise<{ id: string }>;
      if (backend === 'postgres') {
        // positive signal: B is waiting for a lock A holds (or, without the append-order lock, B is done)
        const raced = await racing(gh.store.db, aPid, async () => {
          b = gh.store.db.transaction().execute((tx) => enqueueInTx(tx, probe('acc_o', 'b')));
          await b;
          bDone = true;
        });
        void raced.done.catch(() => undefined);
        // B waits for A: a feed reader can never see B's message and then A's with a lower seq.
        assert.equal(bDone, false);
        assert.deepEqual((await gh.webhooks.feed(before)).messages, [], 'nothing visible before commit');
      } else {
        // SQLite has one connection: B queues behind the open transaction by construction
        b = gh.store.db.transaction().execute((tx) => enqueueInTx(tx, probe('acc_o', 'b')));
      }
      release();
      const [ra, rb] = await Promise.all([a, b]);
      assert.deepEqual(
        (await gh.webhooks.feed(before)).messages.map((m) => m.id),
        [ra.id, rb.id],
      );
    });

    test('a burst of wake-ups costs one look; a wake-up still delivers promptly and in order', async () => {
      const clock = { t: Date.now() };
      const d = manualDispatcher(gh, clock, rx, { pollMs: 60_000, wakeMs: 5 });
      const { endpoint, secret } = await gh.webhooks.addEndpoint({ url: rx.url, types: ['message.release'] });
      try {
        rx.secrets = [secret];
        rx.mode = 'up';
        await d.flush(); // nothing left over from earlier tests
        const looks = d.looks;
        d.start();
        for (let i = 0; i < 100; i++) d.poke(); // a hundred commits in one burst
        await until(() => d.idle && d.looks > looks, 'the burst handled');
        assert.equal(d.looks - looks, 1, 'one query for the whole burst');
        const seen = rx.effects.length;
        for (let i = 0; i < 12; i++) {
          await gh.webhooks.send({ ...probe(`acc_w${i % 3}`, i), at: clock.t });
          d.poke();
        }
        await rx.waitFor(seen + 12);
        for (let a = 0; a < 3; a++)
          assert.deepEqual(
            rx.effects
              .slice(seen)
              .filter((e) => e.account === `acc_w${a}`)
              .map((e) => Number(e.data.message)),
            [0, 1, 2, 3].map((k) => a + 3 * k),
            'each account in order',
          );
      } finally {
        await d.stop();
        await gh.webhooks.remove(endpoint.id);
      }
    });

    test('two dispatchers on one database never send a delivery twice', async () => {
      const clock = { t: Date.now() };
      const d1 = manualDispatcher(gh, clock, rx);
      const d2 = manualDispatcher(gh, clock, rx);
      const { endpoint, secret } = await gh.webhooks.addEndpoint({ url: rx.url, types: ['message.release'] });
      rx.secrets = [secret];
      rx.mode = 'up';
      const before = rx.requests;
      for (let i = 0; i < 40; i++) await gh.webhooks.send({ ...probe(`acc_p${i % 8}`, i), at: clock.t });
      await Promise.all([d1.flush(), d2.flush(), d1.flush()]);
      assert.equal(rx.requests - before, 40);
      for (let a = 0; a < 8; a++)
        assert.deepEqual(
          rx.effects.filter((e) => e.account === `acc_p${a}`).map((e) => Number(e.data.message)),
          [0, 1, 2, 3, 4].map((k) => a + 8 * k),
        );
      await gh.webhooks.remove(endpoint.id);
    });

    test('finished deliveries and their messages are pruned after the retention; dead letters stay', async () => {
      const clock = { t: Date.now() };
      const d = manualDispatcher(gh, clock, rx, { maxAttempts: 1, retentionMs: 30 * 86_400_000 });
      const { endpoint, secret } = await gh.webhooks.addEndpoint({ url: rx.url, types: ['message.*'] });
      rx.secrets = [secret];
      rx.mode = 'up';
      const ok = await gh.webhooks.send({ ...probe('acc_r', 'ok'), at: clock.t });
      await d.flush();
      rx.mode = '503';
      const dead = await gh.webhooks.send({ ...probe('acc_r', 'dead'), at: clock.t });
      await d.flush();
      rx.mode = 'up';
      clock.t += 29 * 86_400_000;
      await d.prune();
      assert.equal((await gh.webhooks.deliveries(ok.id)).length, 1, 'not yet');
      clock.t += 2 * 86_400_000;
      const r = await d.prune();
      assert.ok(r.deliveries >= 1 && r.messages >= 1);
      await assert.rejects(
        gh.webhooks.deliveries(ok.id),
        (e: GatehouseError) => e.code === 'WEBHOOK_MESSAGE_NOT_FOUND',
      );
      assert.deepEqual(
        (await gh.webhooks.dead({ endpoint: endpoint.id })).map((x) => x.messageId),
        [dead.id],
      );
      const feed = (await gh.webhooks.feed(undefined, 1000)).messages.map((m) => m.id);
      assert.ok(!feed.includes(ok.id) && feed.includes(dead.id));
      await gh.webhooks.remove(endpoint.id);
    });

    test('a dispatcher with the wrong secret key records a failed attempt and sends nothing', async () => {
      const clock = { t: Date.now() };
      const wrong = new WebhookDispatcher(gh.store.db, new SecretBox(Buffer.alloc(32, 9)), {
        concurrency: 2,
        timeoutMs: 1000,
        retryBaseMs: 1000,
        retryCapMs: 1000,
        maxAttempts: 5,
        maxAgeMs: 3_600_000,
        pollMs: 1000,
        now: () => clock.t,
      });
      const { endpoint } = await gh.webhooks.addEndpoint({ url: rx.url, types: ['message.release'] });
      const before = rx.requests;
      const m = await gh.webhooks.send({ ...probe('acc_w', 'w'), at: clock.t });
      await wrong.flush();
      assert.equal(rx.requests, before);
      const [delivery] = await gh.webhooks.deliveries(m.id);
      assert.match(delivery!.attempts[0]!.error!, /cannot be decrypted/);
      await gh.webhooks.remove(endpoint.id);
    });

    test('after a rotation messages carry both signatures until the old secret expires', async () => {
      const clock = { t: Date.now() };
      const d = manualDispatcher(gh, clock, rx);
      const { endpoint, secret: oldSecret } = await gh.webhooks.addEndpoint({
        url: rx.url,
        types: ['message.release'],
      });
      const { secret: newSecret, endpoint: rotated } = await gh.webhooks.rotate(endpoint.id);
      assert.notEqual(newSecret, oldSecret);
      assert.ok(rotated.previousSecretExpiresAt! > Date.now());
      rx.mode = 'up';
      rx.secrets = [oldSecret];
      rx.signatureHeaders.length = 0;
      const a = await gh.webhooks.send({
        type: 'message.release',
        payload: { message: 'k1', account: '' },
        at: clock.t,
      });
      await d.flush();
      assert.equal(rx.signatureHeaders.at(-1)!.split(' ').length, 2);
      assert.ok(rx.seen.has(a.id), 'the old secret alone verifies');
      rx.secrets = [newSecret];
      await gh.webhooks.send({
        type: 'message.release',
        payload: { message: 'k2', account: '' },
        at: clock.t,
      });
      await d.flush();
      assert.equal(rx.signatureHeaders.length, 2);
      clock.t += 25 * 3_600_000;
      rx.secrets = [oldSecret];
      const c = await gh.webhooks.send({
        type: 'message.release',
        payload: { message: 'k3', account: '' },
        at: clock.t,
      });
      await d.flush();
      assert.equal(rx.signatureHeaders.at(-1)!.split(' ').length, 1);
      assert.ok(!rx.seen.has(c.id), 'the expired secret no longer verifies');
      await gh.webhooks.remove(endpoint.id);
    });
  });
}

test('a message committed just before the process is killed is delivered after restart', async () => {
  const { config, cleanup } = await testConfig('sqlite', { sqliteSynchronous: 'FULL', webhookPollMs: 50 });
  const rx = new Receiver();
  await rx.listen();
  try {
    const gh1 = await createGatehouse(config, { log: createLogger('silent') });
    const { secret } = await gh1.webhooks.addEndpoint({ url: rx.url });
    rx.secrets = [secret];
    await gh1.close();
    const gatehouseTs = fileURLToPath(new URL('../gatehouse.ts', import.meta.url));
    const configTs = fileURLToPath(new URL('../config/index.ts', import.meta.url));
    const webhooksTs = fileURLToPath(new URL('./index.ts', import.meta.url));
    const child = `
      const { createGatehouse } = await import(${JSON.stringify(gatehouseTs)});
      const { loadConfig } = await import(${JSON.stringify(configTs)});
      const { enqueueInTx } = await import(${JSON.stringify(webhooksTs)});
      const config = loadConfig({ env: {}, overrides: { dataDir: ${JSON.stringify(config.dataDir)}, logLevel: 'silent' } });
      const gh = await createGatehouse(config);
      const r = await gh.store.db.transaction().execute((tx) =>
        enqueueInTx(tx, { type: 'message.release', account: 'acc_crash', payload: { message: 'hijack', account: 'acc_crash' } }));
      process.stdout.write(r.id);
      process.kill(process.pid, 'SIGKILL');
    `;
    const r = spawnSync(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', child],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^msg_/);
    assert.equal(rx.requests, 0);
    const gh2 = await createGatehouse(config, { log: createLogger('silent') });
    gh2.start();
    await rx.waitFor(1);
    await gh2.close();
    assert.equal(rx.effects[0]!.id, id);
    assert.deepEqual(rx.effects[0]!.data, { message: 'hijack', account: 'acc_crash' });
  } finally {
    await rx.close();
    await cleanup();
  }
});

test('enqueueInTx rolls back with its transaction', async () => {
  const { gh, cleanup } = await testGatehouse('sqlite');
  try {
    await gh.webhooks.addEndpoint({ url: 'http://127.0.0.1:9/x' });
    await assert.rejects(
      gh.store.db.transaction().execute(async (tx) => {
        await enqueueInTx(tx, probe('acc_x', 'x'));
        throw new Error('decision failed');
      }),
    );
    assert.equal((await gh.webhooks.feed(undefined)).messages.length, 0);
    assert.equal((await gh.store.db.selectFrom('webhook_deliveries').selectAll().execute()).length, 0);
  } finally {
    await cleanup();
  }
});
