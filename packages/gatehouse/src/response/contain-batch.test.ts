// Over HTTP, on SQLite and PostgreSQL: once an account is contained, the intruder's later messages are
// stopped by the pre-send check from memory, and what they call for (retraction, quarantine) is done in
// one batch per account: one transaction, one audit entry, one webhook naming every message and
// recipient. Replaying the batch's decisions (a redelivery after a crash) does nothing twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatehouseClient } from '@gatehouse/sdk';
import type { BusEvent } from '../bus/index.ts';
import { ordinaryDay, postgresSkip, testGatehouse, type Backend } from '../testing/index.ts';
import { until, webhookReceiver } from '../testing/receiver.ts';
import type { DecisionInput } from './types.ts';

const PHONE = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';
const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/99.0 Safari/537.36';

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  test(`${backend}: a contained account's later messages are blocked at once and retracted in one batch`, async (t) => {
    if (backend === 'postgres') {
      const skip = await postgresSkip();
      if (skip) return t.skip(skip);
    }
    const receiver = await webhookReceiver();
    // a window long enough that the burst below lands in one batch on a busy machine
    const { gh, cleanup } = await testGatehouse(backend, { webhookPollMs: 20, responseBatchMs: 1500 });
    try {
      receiver.setSecret((await gh.webhooks.addEndpoint({ url: receiver.url })).secret);
      const url = await gh.listen();
      const key = (await gh.keys.create('platform', ['events:write', 'accounts:read', 'response:read'])).key;
      const decisions: DecisionInput[] = [];
      gh.bus.subscribe('decision.made', (e: BusEvent) => void decisions.push(e.decision as DecisionInput));
      const call = async (path: string, body: unknown) => {
        const r = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(body),
        });
        return (await r.json()) as { verdict: string; action: string; reasons: Array<{ signal: string }> };
      };

      const owner = new GatehouseClient({ baseUrl: url, userAgent: PHONE });
      const acc = await owner.createAccount({
        handle: 'lina',
        displayName: '李娜',
        password: 'autumn leaves 2026',
      });
      const own = await owner.signIn({ handle: 'lina', password: 'autumn leaves 2026' });
      const { events, friends } = ordinaryDay(acc.id, own.session.id);
      await call('/v1/events', { events });
      await gh.engine.drain();
      const intr = await new GatehouseClient({ baseUrl: url, userAgent: DESKTOP }).signIn({
        handle: 'lina',
        password: 'autumn leaves 2026',
      });
      await gh.drainer.drain();
      await gh.engine.drain();
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
      const first = await call('/v1/check/message', msg('b-0', friends));
      assert.equal(first.action, 'contain', JSON.stringify(first));
      // the first containment's work is done (it retracts what the session sent so far)
      await gh.engine.flushChecks();
      await gh.drainer.drain();
      assert.equal((await gh.identity.getAccount(acc.id)).state, 'frozen');

      // The intruder keeps blasting, one friend a message: every one is stopped by the check at once.
      const later = friends.slice(3, 15).map((f, i) => msg(`b-${i + 1}`, [f]));
      const answers = await Promise.all(later.map((m) => call('/v1/check/message', m)));
      for (const a of answers) {
        assert.equal(a.verdict, 'block', JSON.stringify(a));
        assert.ok(a.reasons.some((r) => r.signal === 'account_contained'));
      }
      // …and where the platform's check timed out, it delivered (failing open) and reported the message:
      // those reached their recipient and are retracted, together, in one batch.
      const delivered = friends.slice(3, 15).map((f, i) => msg(`d-${i + 1}`, [f]));
      await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ events: delivered }),
      });
      const ids = delivered.map((m) => m.id);
      const stopped = later.map((m) => m.id);
      // Retractions naming the later messages, until every one is named. On a loaded machine the burst can
      // straddle the batch window: a few batches are fine, one webhook per message is not.
      const retractsOf = () =>
        receiver.received.filter(
          (m) =>
            m.type === 'message.retract' &&
            Array.isArray(m.data.messages) &&
            (m.data.messages as Array<{ id: string }>).some((x) => ids.includes(x.id)),
        );
      const batches0 = await until(() => {
        const r = retractsOf();
        const named = new Set(r.flatMap((m) => (m.data.messages as Array<{ id: string }>).map((x) => x.id)));
        return ids.every((id) => named.has(id)) ? r : undefined;
      }, 'retractions naming every later message');
      assert.ok(batches0.length <= 3, `coalesced: ${batches0.length} webhooks for ${ids.length} messages`);
      assert.ok(
        batches0.some((m) => (m.data.messages as unknown[]).length >= ids.length / 2),
        'most of the burst in one webhook',
      );
      const named = batches0.flatMap((b) => (b.data.messages as Array<{ id: string }>).map((m) => m.id));
      assert.deepEqual([...named].sort(), [...ids].sort(), 'the webhooks name every later message once');
      assert.deepEqual(
        [...new Set(batches0.flatMap((b) => b.data.recipients as string[]))].sort(),
        friends.slice(3, 15).sort(),
        'and every recipient',
      );
      const decided = batches0.flatMap((b) => b.data.decisions as string[]);
      for (const id of ids) assert.ok(decided.includes(`dec:${id}`), id);
      await gh.drainer.drain();
      const retracts = receiver.received.filter((m) => m.type === 'message.retract');
      for (const id of stopped)
        assert.ok(
          !retracts.some(
            (m) =>
              m.data.message === id ||
              (m.data.messages as Array<{ id: string }> | undefined)?.some((x) => x.id === id),
          ),
          `${id} was stopped by the check: never retracted`,
        );
      for (const id of ids)
        assert.equal(
          retracts.filter((m) =>
            (m.data.messages as Array<{ id: string }> | undefined)?.some((x) => x.id === id),
          ).length,
          1,
          `${id} retracted once`,
        );
      assert.equal(
        receiver.received.filter((m) => m.type === 'account.frozen').length,
        1,
        'frozen (and told) once',
      );
      // one audit entry for the batch; every decision has its own record of the retraction
      const audit = await gh.store.db
        .selectFrom('audit_log')
        .select(['action', 'data'])
        .where('subject', '=', acc.id)
        .execute();
      const batches = audit.filter((a) => a.action === 'batch');
      assert.ok(batches.length >= 1, JSON.stringify(audit.map((a) => a.action)));
      const batched = batches.flatMap((b) => (JSON.parse(b.data) as { decisions: string[] }).decisions);
      for (const id of ids) assert.ok(batched.includes(`dec:${id}`), `${id} in a batch audit entry`);
      for (const id of ids) {
        const rows = await gh.response.actions({ decisionId: `dec:${id}` });
        assert.deepEqual(
          rows.map((r) => r.kind).sort(),
          // sessions and grants were revoked by the first containment, not again
          ['quarantine_content', 'retract_messages', 'warn_recipients'],
          id,
        );
      }

      // A redelivery of the same decisions (after a crash) does nothing twice.
      const again = decisions.filter((d) => ids.includes(d.eventId));
      assert.equal(again.length, 12);
      const hooks = () =>
        gh.store.db.selectFrom('webhook_messages').select('id').where('account', '=', acc.id).execute();
      const before = { hooks: (await hooks()).length, audit: audit.length };
      await gh.response.handleBatch(again);
      await gh.drainer.drain();
      const auditAfter = await gh.store.db
        .selectFrom('audit_log')
        .select('seq')
        .where('subject', '=', acc.id)
        .execute();
      assert.equal(auditAfter.length, before.audit);
      assert.equal((await hooks()).length, before.hooks);
      assert.equal((await gh.audit.verify()).ok, true);
    } finally {
      await cleanup();
      receiver.close();
    }
  });
}

test('postgres: the pre-send check answers while the response work is stuck behind a lock', async (t) => {
  const skip = await postgresSkip();
  if (skip) return t.skip(skip);
  const { gh, cleanup } = await testGatehouse('postgres', { responseBatchMs: 50 });
  const pg = await import('pg');
  const url = await gh.listen();
  const key = (await gh.keys.create('platform', ['events:write', 'accounts:read'])).key;
  const locker = new pg.default.Client({
    connectionString: (gh.config.database as { url: string }).url,
  });
  await locker.connect();
  let locked = false;
  try {
    const call = async (body: unknown) =>
      (await (
        await fetch(`${url}/v1/check/message`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(body),
        })
      ).json()) as { verdict: string; action: string; reasons: Array<{ signal: string }> };
    const owner = new GatehouseClient({ baseUrl: url, userAgent: PHONE });
    const acc = await owner.createAccount({
      handle: 'wei',
      displayName: '王伟',
      password: 'winter snow 2026',
    });
    const own = await owner.signIn({ handle: 'wei', password: 'winter snow 2026' });
    const { events, friends } = ordinaryDay(acc.id, own.session.id);
    await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ events }),
    });
    await gh.engine.drain();
    const intr = await new GatehouseClient({ baseUrl: url, userAgent: DESKTOP }).signIn({
      handle: 'wei',
      password: 'winter snow 2026',
    });
    await gh.drainer.drain();
    await gh.engine.drain();
    // the response part's tables are locked (a slow migration, a stuck transaction): its work waits
    await locker.query('begin');
    await locker.query('lock table response_actions in access exclusive mode');
    locked = true;
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
    assert.equal((await call(msg('w-0', friends))).action, 'contain');
    await until(() => gh.responseQueue.stats().depth > 0, 'the decision to wait in the response queue');
    // checks keep being answered, the contained account's at once, while nothing has been acted on
    for (let i = 1; i <= 10; i++) {
      const a = await call(msg(`w-${i}`, [friends[i]!]));
      assert.equal(a.verdict, 'block');
      assert.ok(a.reasons.some((r) => r.signal === 'account_contained'));
    }
    assert.equal((await gh.identity.getAccount(acc.id)).state, 'active', 'nothing acted yet');
    assert.ok(gh.responseQueue.stats().depth > 0);
    await locker.query('commit');
    locked = false;
    // the lock gone, the work catches up: frozen; the messages the check stopped reached nobody, so
    // nothing is retracted (issue 20)
    await gh.engine.flushChecks();
    await gh.drainer.drain();
    assert.equal((await gh.identity.getAccount(acc.id)).state, 'frozen');
    const actions = await gh.response.actions({ account: acc.id });
    assert.ok(actions.some((a) => a.kind === 'freeze_account' && a.status === 'done'));
    const retracted = await gh.store.db
      .selectFrom('retractions')
      .select('message_id')
      .where('account', '=', acc.id)
      .execute();
    assert.equal(retracted.length, 0);
  } finally {
    if (locked) await locker.query('rollback').catch(() => undefined);
    await locker.end();
    await cleanup();
  }
});
