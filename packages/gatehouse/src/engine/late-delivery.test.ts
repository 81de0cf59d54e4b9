// A platform whose pre-send check timed out delivers the message (fail open) and reports it through
// POST /v1/events with the same id — while Gatehouse did judge the check, a moment too late, and logged
// the message as stopped. The report tells Gatehouse the message reached its recipient: it is retracted
// and its recipient warned, as any delivered message of a contained account; one the platform did not
// report stays stopped (never retracted, nobody warned). On SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatehouseClient } from '@gatehouse/sdk';
import { describeBackends } from '../testing/backends.ts';
import { ordinaryDay, testGatehouse, testStore } from '../testing/index.ts';
import { writeCheckBatch } from './persist.ts';
import { createMessageLog } from './service-views.ts';
import { engineStore, type NewEvent } from './store.ts';
import type { Decision } from './types.ts';
import { until, webhookReceiver, type ReceivedWebhook } from '../testing/receiver.ts';

const PHONE = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';
const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/99.0 Safari/537.36';

/** The message ids a `message.retract` names (`message`, and every entry of a batch's `messages`). */
const named = (m: ReceivedWebhook): string[] => [
  m.data.message as string,
  ...((m.data.messages as Array<{ id: string }> | undefined) ?? []).map((x) => x.id),
];

describeBackends('late delivery', (backend) => {
  test('a message the check stopped, reported as delivered by a platform that failed open, is retracted and its recipient warned', async () => {
    const receiver = await webhookReceiver();
    const { gh, cleanup } = await testGatehouse(backend, { webhookPollMs: 20, responseBatchMs: 50 });
    try {
      receiver.setSecret((await gh.webhooks.addEndpoint({ url: receiver.url })).secret);
      const url = await gh.listen();
      const key = (await gh.keys.create('platform', ['events:write'])).key;
      const post = async (path: string, body: unknown) => {
        const r = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(body),
        });
        return (await r.json()) as Record<string, unknown>;
      };
      const owner = new GatehouseClient({ baseUrl: url, userAgent: PHONE });
      const acc = await owner.createAccount({
        handle: 'lina',
        displayName: '李娜',
        password: 'autumn leaves 2026',
      });
      const own = await owner.signIn({ handle: 'lina', password: 'autumn leaves 2026' });
      const { events, friends } = ordinaryDay(acc.id, own.session.id);
      await post('/v1/events', { events });
      await gh.engine.drain();
      const intr = await new GatehouseClient({ baseUrl: url, userAgent: DESKTOP }).signIn({
        handle: 'lina',
        password: 'autumn leaves 2026',
      });
      await gh.drainer.drain();
      await gh.engine.drain();
      // a message as the minimal platform sends it: the event id is its message id
      const msg = (id: string, to: string[]) => ({
        id,
        type: 'message.sent',
        time: Date.now(),
        account: acc.id,
        session: intr.session.id,
        recipients: to,
        text: '免费领取Q币和游戏皮肤，扫码登录 http://qq-login-game.com/free 马上到账',
        client: { kind: 'desktop', name: 'QQ-PC', version: '9.7' },
      });
      const first = await post('/v1/check/message', msg('b-0', friends.slice(0, 3)));
      assert.equal(first.action, 'contain', JSON.stringify(first));
      await gh.engine.flushChecks();
      await gh.drainer.drain();
      assert.equal((await gh.identity.getAccount(acc.id)).state, 'frozen');

      // Two more: both judged from memory and logged as stopped. The platform got the first answer in
      // time; the second came after its timeout, so it delivered that one and reported it.
      const [stopped, late] = [msg('stop-1', [friends[5]!]), msg('late-1', [friends[6]!])];
      for (const m of [stopped, late]) {
        const a = await post('/v1/check/message', m);
        assert.equal(a.verdict, 'block', JSON.stringify(a));
      }
      await gh.engine.flushChecks();
      await gh.drainer.drain();
      const reported = (await post('/v1/events', { events: [late] })) as {
        results: Array<{ status: string }>;
      };
      assert.equal(reported.results[0]!.status, 'duplicate', 'the id was logged by the check');
      await gh.engine.drain();
      await gh.drainer.drain();

      // recorded in the response's transaction: retracted, for the message's own id
      const retracted = await gh.store.db.selectFrom('retractions').select('message_id').execute();
      assert.deepEqual(
        retracted.map((r) => r.message_id).filter((id) => id === 'late-1' || id === 'stop-1'),
        ['late-1'],
        'the delivered message retracted; the stopped one never',
      );
      // …and told to the platform: the retraction, and a warning to the friend who got it
      await until(
        () => receiver.received.some((m) => m.type === 'message.retract' && named(m).includes('late-1')),
        'message.retract naming late-1',
      );
      const warned = await until(
        () =>
          receiver.received.find(
            (m) => m.type === 'recipients.warn' && (m.data.messages as string[]).includes('late-1'),
          ),
        'recipients.warn naming late-1',
      );
      assert.deepEqual(warned.data.recipients, [friends[6]]);
      assert.ok(
        !receiver.received.some(
          (m) =>
            (m.type === 'message.retract' && named(m).includes('stop-1')) ||
            (m.type === 'recipients.warn' && (m.data.recipients as string[]).includes(friends[5]!)),
        ),
        'the message the platform did stop: never retracted, its recipient never warned',
      );

      // the same report again (a platform's retry) changes nothing
      const hooks = async () =>
        (
          await gh.store.db
            .selectFrom('webhook_messages')
            .select('id')
            .where('account', '=', acc.id)
            .execute()
        ).length;
      const before = await hooks();
      await post('/v1/events', { events: [late] });
      await gh.engine.drain();
      await gh.drainer.drain();
      assert.equal(await hooks(), before);
    } finally {
      await cleanup();
      receiver.close();
    }
  });

  test('reported before the check record was written: the stop of the check does not hide a delivered message', async () => {
    const { store, cleanup } = await testStore(backend);
    try {
      const db = store.db;
      const t = Date.now() - 1000;
      const row = (id: string, origin: 'api' | 'check'): NewEvent => ({
        id,
        type: 'message.sent',
        account: 'acct-a',
        time: t,
        received_at: t,
        origin,
        payload: JSON.stringify({
          id,
          type: 'message.sent',
          time: t,
          account: 'acct-a',
          recipients: [`${id}-to`],
        }),
      });
      const contain = (id: string): Decision => ({
        id: `dec:${id}`,
        eventId: id,
        eventType: 'message.sent',
        account: 'acct-a',
        time: t,
        action: 'contain',
        logit: 9,
        risk: 0.9999,
        reasons: [],
        signals: [],
        checked: true,
      });
      // the platform's report of late-1 reached the log first (the check's group commit was slow)…
      await db.transaction().execute((tx) => engineStore.append(tx, [row('late-1', 'api')], backend));
      // …then the check's records: late-1 (already logged) and stop-1, both judged contain
      const dup = await writeCheckBatch(
        db,
        [row('late-1', 'check'), row('stop-1', 'check')],
        [contain('late-1'), contain('stop-1')],
        Date.now(),
        backend,
      );
      assert.deepEqual(dup, ['late-1']);
      const sent = await createMessageLog(db, () => undefined).sentBy('acct-a', { since: t - 1, limit: 10 });
      assert.deepEqual(
        sent.map((m) => m.id),
        ['late-1'],
        'the reported message was delivered; the other one the check stopped',
      );
      const published = await db.selectFrom('outbox').select(['id', 'payload']).execute();
      const late = published.find((r) => r.id === 'decision:late-1');
      assert.ok(late && !(JSON.parse(late.payload) as { decision: Decision }).decision.checked);
    } finally {
      await cleanup();
    }
  });
});
