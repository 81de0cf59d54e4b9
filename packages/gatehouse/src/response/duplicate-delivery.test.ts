// Delivery is at least once: on PostgreSQL two workers can handle ONE decision at the same time (a
// redelivery after a crash, two consumers). Whatever the interleaving, the decision acts once: one
// action record per kind, one webhook per effect, one audit entry, one freeze and one session revoke —
// on the single path (the first containment) and on the batch path (a contained account's later
// messages, the same batch delivered twice at once, and a batch naming a decision twice).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatehouseClient } from '@gatehouse/sdk';
import type { BusEvent } from '../bus/index.ts';
import { ordinaryDay, postgresSkip, testGatehouse, type Backend } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import { isRepeat } from './runner.ts';
import type { DecisionInput } from './types.ts';

const PHONE = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';
const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/99.0 Safari/537.36';

for (const backend of ['postgres', 'sqlite'] as Backend[]) {
  test(`${backend}: one decision delivered several times at once acts once`, async (t) => {
    if (backend === 'postgres') {
      const skip = await postgresSkip();
      if (skip) return t.skip(skip);
    }
    const { gh, cleanup } = await testGatehouse(backend, { responseBatchMs: 50 });
    try {
      const url = await gh.listen();
      const key = (await gh.keys.create('platform', ['events:write', 'accounts:read'])).key;
      // the system's own handling is held back: the test delivers every decision itself, concurrently
      const response = gh.response;
      const handle = response.handle.bind(response);
      const handleBatch = response.handleBatch.bind(response);
      response.handle = async () => [];
      response.handleBatch = async () => undefined;
      const decisions: DecisionInput[] = [];
      gh.bus.subscribe('decision.made', (e: BusEvent) => void decisions.push(e.decision as DecisionInput));
      const identity = gh.identity;
      const calls = { freeze: 0, revoke: 0 };
      const freeze = identity.freeze.bind(identity);
      identity.freeze = (...a: Parameters<typeof freeze>) => (calls.freeze++, freeze(...a));
      const revokeSession = identity.revokeSession.bind(identity);
      identity.revokeSession = (...a: Parameters<typeof revokeSession>) => (
        calls.revoke++,
        revokeSession(...a)
      );
      const revokeAll = identity.revokeAll.bind(identity);
      identity.revokeAll = (...a: Parameters<typeof revokeAll>) => (calls.revoke++, revokeAll(...a));

      const post = (path: string, body: unknown) =>
        fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(body),
        });
      const owner = new GatehouseClient({ baseUrl: url, userAgent: PHONE });
      const acc = await owner.createAccount({
        handle: 'mei',
        displayName: '美美',
        password: 'spring tide 2026',
      });
      const own = await owner.signIn({ handle: 'mei', password: 'spring tide 2026' });
      const { events, friends } = ordinaryDay(acc.id, own.session.id);
      await post('/v1/events', { events });
      await gh.engine.drain();
      const intr = await new GatehouseClient({ baseUrl: url, userAgent: DESKTOP }).signIn({
        handle: 'mei',
        password: 'spring tide 2026',
      });
      await gh.drainer.drain();
      await gh.engine.drain();
      // the intruder's blast reached the platform (reported, say, after a check timed out)
      const blast = friends.slice(0, 8).map((f, i) => ({
        id: `x-${i}`,
        type: 'message.sent',
        time: Date.now(),
        account: acc.id,
        session: intr.session.id,
        recipients: [f],
        text: '免费领取Q币和游戏皮肤，扫码登录 http://qq-login-game.com/free 马上到账',
        client: { kind: 'desktop', name: 'QQ-PC', version: '9.7' },
      }));
      await post('/v1/events', { events: blast });
      await gh.engine.drain();
      await gh.drainer.drain();
      const ofAccount = () => decisions.filter((d) => d.account === acc.id && d.action === 'contain');
      await until(() => ofAccount().some((d) => !isRepeat(d)) && ofAccount().some(isRepeat), 'decisions');
      const first = ofAccount().find((d) => !isRepeat(d))!;
      const later = ofAccount().filter(isRepeat);

      // the first containment, three times at once
      await Promise.all([handle(first), handle(first), handle(first)]);
      // the later decisions: the same batch twice at once, and once naming each decision twice
      await Promise.all([handleBatch(later), handleBatch(later), handleBatch([...later, ...later])]);
      await gh.drainer.drain();

      const actions = await gh.store.db
        .selectFrom('response_actions')
        .select(['decision_id', 'kind'])
        .where('account', '=', acc.id)
        .execute();
      const perKind = new Map<string, number>();
      for (const a of actions)
        perKind.set(`${a.decision_id}|${a.kind}`, (perKind.get(`${a.decision_id}|${a.kind}`) ?? 0) + 1);
      for (const [k, n] of perKind) assert.equal(n, 1, `${k}: one action record`);
      assert.ok(actions.some((a) => a.decision_id === first.id && a.kind === 'freeze_account'));

      const hooks = await gh.store.db
        .selectFrom('webhook_messages')
        .select(['type', 'body'])
        .where('account', '=', acc.id)
        .execute();
      const ofType = (type: string) => hooks.filter((h) => h.type === type);
      assert.equal(ofType('account.frozen').length, 1, 'one freeze webhook');
      assert.equal(ofType('sessions.revoke').length, 1, 'one session revoke webhook');
      const retracted = new Map<string, number>();
      for (const h of ofType('message.retract')) {
        const data = (JSON.parse(h.body) as { data: { message: string; messages?: Array<{ id: string }> } })
          .data;
        for (const id of data.messages?.map((m) => m.id) ?? [data.message])
          retracted.set(id, (retracted.get(id) ?? 0) + 1);
      }
      for (const m of blast) assert.equal(retracted.get(m.id), 1, `${m.id}: retracted once`);
      // each decision warns in one webhook at most (the first containment's warning covers what the
      // session had sent when it ran; a later decision's, its own delivered message)
      const warns = ofType('recipients.warn').map(
        (h) => (JSON.parse(h.body) as { data: { decision: string; decisions?: string[] } }).data,
      );
      assert.ok(warns.length >= 1);
      for (const d of [first, ...later])
        assert.ok(
          warns.filter((w) => w.decision === d.id || w.decisions?.includes(d.id)).length <= 1,
          `${d.id}: warned about once`,
        );
      const warned = new Set(warns.flatMap((w) => (w as unknown as { recipients: string[] }).recipients));
      for (const f of friends.slice(0, 8)) assert.ok(warned.has(f), `${f}: warned`);

      const audit = await gh.store.db
        .selectFrom('audit_log')
        .select(['action', 'data'])
        .where('subject', '=', acc.id)
        .execute();
      // one audit entry per (action, decision): the batch entry names each later decision once
      const entries = new Map<string, number>();
      for (const a of audit) {
        const d = JSON.parse(a.data) as { decision?: string; decisions?: string[] };
        for (const id of d.decisions ?? (d.decision ? [d.decision] : []))
          entries.set(`${a.action}|${id}`, (entries.get(`${a.action}|${id}`) ?? 0) + 1);
      }
      for (const [k, n] of entries) assert.equal(n, 1, `${k}: one audit entry`);
      for (const d of later) assert.equal(entries.get(`batch|${d.id}`), 1, `${d.id}: in one batch entry`);
      assert.equal(entries.get(`freeze_account|${first.id}`), 1);
      assert.equal((await gh.audit.verify()).ok, true);

      assert.equal(calls.freeze, 1, 'frozen once');
      // the intruder's session ended once by revoke_sessions and once as a grant (revoke_grants), by the
      // first containment only
      assert.equal(calls.revoke, 2, 'sessions revoked by the first containment only');
      assert.equal((await gh.identity.getAccount(acc.id)).state, 'frozen');
    } finally {
      await cleanup();
    }
  });
}
