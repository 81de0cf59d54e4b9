import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { IdentityService } from '../identity/index.ts';
import { createLogger } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { testIdentity, testStore } from '../testing/index.ts';
import { parsePolicy } from './policy.ts';
import { PolicyManager } from './policy-manager.ts';
import { ResponseService, type ResponseDecision, type PlatformMessage, type SentMessage } from './service.ts';

// Unit test: the engine's message log, the webhook outbox, the audit log and the engine are fakes here;
// the identity core and the database are real.
const ctx = { ip: '198.51.100.4', userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/126.0' };

function fakes() {
  const sent: PlatformMessage[] = [];
  const audit: string[] = [];
  const engine = { quarantined: new Set<string>(), released: [] as string[] };
  const notified: string[] = [];
  const messages: SentMessage[] = [];
  return {
    sent,
    audit,
    engine,
    notified,
    messages,
    deps: {
      messages: {
        sentBy: async (account: string, o: { session?: string; since: number }) =>
          messages.filter((m) => m.time >= o.since && (!o.session || m.session === o.session)),
        compromiseStart: async (_a: string, _s: string | undefined, at: number) => at - 60_000,
      },
      delivery: { enqueueInTx: async (_tx: unknown, m: PlatformMessage) => void sent.push(m) },
      audit: {
        appendInTx: async (_tx: unknown, e: { action: string }) => void audit.push(e.action),
        appendManyInTx: async (_tx: unknown, es: Array<{ action: string }>) =>
          void audit.push(...es.map((e) => e.action)),
      },
      engine: {
        release: (a: string) => void engine.released.push(a),
        quarantine: (k: string) => void engine.quarantined.add(k),
        unquarantine: (k: string) => void engine.quarantined.delete(k),
      },
      notifier: { notify: async (a: string) => (notified.push(a), { channel: 'log' }) },
    },
  };
}

describeBackends('response service', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let identity: IdentityService;
  let now = 1_900_000_000_000;
  before(async () => {
    ({ store, cleanup } = await testStore(backend));
    identity = testIdentity(store.db, { now: () => now });
  });
  after(async () => cleanup?.());
  beforeEach(() => {
    now += 3_600_000;
  });

  async function victim(handle: string) {
    const acc = await identity.createAccount(
      { handle, displayName: '张华', password: 'owner password 1' },
      ctx,
    );
    const owner = await identity.signIn({ handle, password: 'owner password 1' }, ctx);
    // the owner's session is older than the intruder's (only such a session may say "it was me")
    now += 2 * 3_600_000;
    const intruder = await identity.signIn(
      { handle, password: 'owner password 1' },
      { ip: '203.0.113.66', userAgent: 'Mozilla/5.0 (Linux; Android 9) Chrome/90.0 Mobile' },
    );
    return { acc, owner, intruder };
  }

  function decision(
    account: string,
    session: string,
    action: ResponseDecision['action'],
    id: string,
    extra: Partial<ResponseDecision> = {},
  ): ResponseDecision {
    return {
      id,
      account,
      session,
      time: now,
      action,
      risk: 0.999,
      eventType: 'message.sent',
      eventId: `msg-${id}`,
      signals: [{ name: 'signin_qr', value: 1, logOdds: 0.8, reason: { en: 'QR sign-in', zh: '扫码登录' } }],
      reasons: [{ signal: 'url_lookalike', en: 'lookalike link', zh: '仿冒链接' }],
      fingerprints: ['d:qq-login-game.com', 't:abc123'],
      ...extra,
    };
  }

  test('contain: freeze, revoke the intruder session, retract and warn, quarantine, notify — once', async () => {
    const f = fakes();
    const { acc, owner, intruder } = await victim('zhang.hua1');
    f.messages.push(
      { id: 'm1', time: now - 1000, session: intruder.session.id, recipients: ['f1', 'f2'] },
      {
        id: 'm2',
        time: now - 500,
        session: intruder.session.id,
        recipients: ['f3'],
        group: { id: 'g1', memberCount: 80 },
      },
      { id: 'm0', time: now - 800, session: owner.session.id, recipients: ['f9'] },
    );
    const svc = new ResponseService({
      db: store.db,
      log: createLogger('silent'),
      identity,
      policy: new PolicyManager(''),
      grants: [],
      now: () => now,
      ...f.deps,
    });
    const steps = await svc.handle(decision(acc.id, intruder.session.id, 'contain', 'dec-1'));
    assert.deepEqual(
      steps.map((s) => `${s.kind}:${s.status}`),
      [
        'freeze_account:done',
        'revoke_sessions:done',
        'revoke_grants:done',
        'retract_messages:done',
        'warn_recipients:done',
        'quarantine_content:done',
        'notify_owner:done',
      ],
    );
    assert.equal((await identity.getAccount(acc.id)).state, 'frozen');
    const types = f.sent.map((m) => m.type);
    assert.ok(types.includes('account.frozen'));
    assert.deepEqual(
      f.sent.filter((m) => m.type === 'message.retract').map((m) => m.payload.message),
      ['m1', 'm2'],
      "only the intruder session's messages are retracted",
    );
    const warn = f.sent.find((m) => m.type === 'recipients.warn')!;
    assert.deepEqual(warn.payload.recipients, ['f1', 'f2', 'f3', 'f9']);
    assert.match(
      (warn.payload.warning as { en: string }).en,
      /took over 张华's account\. Do not transfer money or open its links\./,
    );
    assert.match((warn.payload.warning as Record<string, string>).zh!, /盗用张华账号/);
    assert.deepEqual([...f.engine.quarantined].sort(), ['d:qq-login-game.com', 't:abc123']);
    // the engine learns the containment from identity's account.frozen (the one channel), at the decision's time
    const frozen = await store.db
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'account.frozen')
      .where('account', '=', acc.id)
      .execute();
    assert.deepEqual(
      frozen.map((e) => {
        const p = JSON.parse(e.payload) as { kind?: string; decidedAt?: number };
        return [p.kind, p.decidedAt];
      }),
      [['containment', now]],
    );
    assert.deepEqual(f.notified, [acc.id]);
    assert.equal(f.audit.length, 7);

    const again = await svc.handle(decision(acc.id, intruder.session.id, 'contain', 'dec-1'));
    assert.ok(
      again.every((s) => s.status === 'skipped'),
      'a redelivered decision does not act twice',
    );
    assert.equal(f.sent.filter((m) => m.type === 'message.retract').length, 2);

    // Later messages of the contained intruder: no second freeze notice or owner notification; a
    // message the pre-send check stopped warns nobody; a delivered one (reported after the fact)
    // is retracted and warns only its own recipients.
    const count = (t: string) => f.sent.filter((m) => m.type === t).length;
    // what the engine sends for an account it already contains
    const contained = [
      { name: 'account_contained', value: 1, logOdds: 11, reason: { en: 'contained', zh: '已管控' } },
    ] as const;
    f.messages.push({ id: 'm3', time: now, session: intruder.session.id, recipients: ['f4'] });
    const blocked = await svc.handle(
      decision(acc.id, intruder.session.id, 'contain', 'dec-2', {
        eventId: 'm3',
        checked: true,
        signals: contained,
      }),
    );
    assert.equal(blocked.find((s) => s.kind === 'freeze_account')!.status, 'skipped');
    assert.equal(blocked.find((s) => s.kind === 'notify_owner')!.status, 'skipped');
    assert.deepEqual(blocked.find((s) => s.kind === 'revoke_sessions')!.detail, {
      reason: 'already_revoked',
    });
    assert.equal(count('sessions.revoke'), 1, 'the intruder session was revoked once');
    assert.equal(count('account.frozen'), 1);
    assert.equal(count('owner.notify'), 1);
    assert.equal(count('recipients.warn'), 1, 'the blocked message reached nobody');
    assert.deepEqual(f.notified, [acc.id]);
    f.messages.push({ id: 'm4', time: now, session: intruder.session.id, recipients: ['f5', 'f6'] });
    await svc.handle(
      decision(acc.id, intruder.session.id, 'contain', 'dec-3', { eventId: 'm4', signals: contained }),
    );
    assert.equal(count('recipients.warn'), 2);
    assert.deepEqual(f.sent.filter((m) => m.type === 'recipients.warn')[1]!.payload.recipients, ['f5', 'f6']);
    assert.deepEqual(
      f.sent.filter((m) => m.type === 'message.retract').map((m) => m.payload.message),
      ['m1', 'm2', 'm3', 'm4'],
    );
    assert.equal(count('account.frozen'), 1);
  });

  test('dry-run records exactly what would happen and changes nothing', async () => {
    const f = fakes();
    const { acc, intruder } = await victim('zhang.hua2');
    f.messages.push({ id: 'd1', time: now - 100, session: intruder.session.id, recipients: ['x'] });
    const policy = new PolicyManager('');
    const dry = parsePolicy(policy.current.text.replace('  mode: enforce', '  mode: dry-run'));
    Object.defineProperty(policy, 'current', { get: () => dry });
    const svc = new ResponseService({
      db: store.db,
      log: createLogger('silent'),
      identity,
      policy,
      grants: [],
      now: () => now,
      ...f.deps,
    });
    const steps = await svc.handle(decision(acc.id, intruder.session.id, 'contain', 'dec-dry'));
    assert.ok(steps.every((s) => s.mode === 'dry-run' && s.status === 'done'));
    assert.equal((await identity.getAccount(acc.id)).state, 'active');
    assert.equal((await identity.listSessions(acc.id)).length, 2);
    assert.deepEqual(f.sent, []);
    assert.equal(f.engine.quarantined.size, 0);
    assert.deepEqual(f.notified, []);
    const retract = steps.find((s) => s.kind === 'retract_messages')!;
    assert.deepEqual(retract.detail.messageIds, ['d1']);
    const rows = await svc.actions({ decisionId: 'dec-dry' });
    assert.equal(rows.length, 7);
    assert.ok(rows.every((r) => r.mode === 'dry-run'));
    assert.equal(
      await store.db.selectFrom('retractions').selectAll().where('account', '=', acc.id).executeTakeFirst(),
      undefined,
    );
    assert.ok(f.audit.every((a) => a.startsWith('dry-run:')));
  });

  test('hold + challenge; the suspected session cannot answer; "was me" releases; "not me" contains at once', async () => {
    const f = fakes();
    const { acc, owner, intruder } = await victim('zhang.hua3');
    const svc = new ResponseService({
      db: store.db,
      log: createLogger('silent'),
      identity,
      policy: new PolicyManager(''),
      grants: [],
      now: () => now,
      ...f.deps,
    });
    const steps = await svc.handle(decision(acc.id, intruder.session.id, 'hold', 'dec-hold'));
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['hold_message', 'challenge_owner'],
    );
    const challenge = steps[1]!.detail.challenge as string;
    await assert.rejects(
      svc.answerChallenge(challenge, 'was_me', { account: acc.id, session: intruder.session.id }),
      /CHALLENGE_SUSPECTED_SESSION|another of your sessions/,
    );
    const r = await svc.answerChallenge(challenge, 'was_me', { account: acc.id, session: owner.session.id });
    assert.equal(r.status, 'was_me');
    assert.ok(f.sent.some((m) => m.type === 'message.release' && m.payload.message === 'msg-dec-hold'));
    await assert.rejects(
      svc.answerChallenge(challenge, 'not_me', { account: acc.id, session: owner.session.id }),
      /already answered|CHALLENGE_CLOSED/,
    );

    const s2 = await svc.handle(decision(acc.id, intruder.session.id, 'hold', 'dec-hold-2'));
    const c2 = s2[1]!.detail.challenge as string;
    const denied = await svc.answerChallenge(c2, 'not_me', { account: acc.id, session: owner.session.id });
    assert.equal(denied.status, 'not_me');
    assert.equal((await identity.getAccount(acc.id)).state, 'frozen');
  });

  test('expired holds and quarantines are swept; live quarantines are restored after a restart', async () => {
    const f = fakes();
    const { acc, intruder } = await victim('zhang.hua4');
    const svc = new ResponseService({
      db: store.db,
      log: createLogger('silent'),
      identity,
      policy: new PolicyManager(''),
      grants: [],
      now: () => now,
      ...f.deps,
    });
    await svc.handle(decision(acc.id, intruder.session.id, 'hold', 'dec-sweep'));
    await svc.handle(
      decision(acc.id, intruder.session.id, 'block', 'dec-block', {
        campaigns: ['c1'],
        fingerprints: ['d:evil.example'],
      }),
    );
    assert.ok(f.engine.quarantined.has('d:evil.example'));
    const fresh = fakes();
    const restarted = new ResponseService({
      db: store.db,
      log: createLogger('silent'),
      identity,
      policy: new PolicyManager(''),
      grants: [],
      now: () => now,
      ...fresh.deps,
    });
    assert.ok((await restarted.restoreEngineState()) >= 1);
    assert.ok(fresh.engine.quarantined.has('d:evil.example'));
    now += 25 * 3_600_000;
    const swept = await restarted.sweep();
    assert.ok(swept.holdsExpired >= 1 && swept.quarantineLifted >= 1);
    assert.ok(fresh.sent.some((m) => m.type === 'message.expire'));
    assert.ok(!fresh.engine.quarantined.has('d:evil.example'));
  });
});

describeBackends('throttle gate', (backend) => {
  test('a throttled account may send its rate per minute; the pre-send gate holds the rest until the owner confirms', async () => {
    const { store, cleanup } = await testStore(backend);
    try {
      let now = 2_000_000_000_000;
      const identity = testIdentity(store.db, { now: () => now });
      const acc = await identity.createAccount({ handle: 'slow.down', password: 'owner password 1' }, ctx);
      const owner = await identity.signIn({ handle: 'slow.down', password: 'owner password 1' }, ctx);
      now += 3_600_000; // the suspicious activity comes later than the owner's own session
      const f = fakes();
      const svc = new ResponseService({
        db: store.db,
        log: createLogger('silent'),
        identity,
        policy: new PolicyManager(''),
        grants: [],
        now: () => now,
        ...f.deps,
      });
      assert.equal(svc.gate(acc.id, now), undefined, 'no throttle yet');
      const steps = await svc.handle({
        id: 'dec-throttle',
        account: acc.id,
        session: 'suspect',
        time: now,
        action: 'block',
        risk: 0.98,
        eventType: 'message.sent',
        eventId: 'ev-1',
        signals: [],
        reasons: [],
      });
      assert.ok(steps.some((s) => s.kind === 'throttle_account' && s.status === 'done'));
      assert.equal(svc.gate(acc.id, now), undefined);
      assert.equal(svc.gate(acc.id, now), undefined);
      const held = svc.gate(acc.id, now);
      assert.equal(held?.signal, 'throttled');
      assert.match(held!.zh, /每分钟最多 2 条/);
      now += 61_000;
      assert.equal(svc.gate(acc.id, now), undefined, 'a new minute');
      const restarted = new ResponseService({
        db: store.db,
        log: createLogger('silent'),
        identity,
        policy: new PolicyManager(''),
        grants: [],
        now: () => now,
        ...fakes().deps,
      });
      await restarted.restoreEngineState();
      restarted.gate(acc.id, now);
      restarted.gate(acc.id, now);
      assert.ok(restarted.gate(acc.id, now), 'throttles survive a restart');
      const challenge = steps.find((s) => s.kind === 'challenge_owner')!.detail.challenge as string;
      await restarted.answerChallenge(challenge, 'was_me', { account: acc.id, session: owner.session.id });
      assert.equal(restarted.gate(acc.id, now), undefined, '"was me" lifts the throttle');
    } finally {
      await cleanup();
    }
  });
});
