// A first containment's steps (freeze, revoke, retract, warn, quarantine, notify) commit in ONE
// transaction, each still with its own action record, audit entry and `action.taken`; a step that
// fails there does not take the others down (each then runs alone, as before). SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { IdentityService } from '../identity/index.ts';
import { createLogger } from '../log/index.ts';
import type { Db } from '../store/db.ts';
import type { Store } from '../store/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { testIdentity, testStore } from '../testing/index.ts';
import { PolicyManager } from './policy-manager.ts';
import { ResponseService, type PlatformMessage, type ResponseDecision } from './service.ts';

const ctx = { ip: '198.51.100.4', userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/126.0' };
const KINDS = [
  'freeze_account',
  'revoke_sessions',
  'revoke_grants',
  'retract_messages',
  'warn_recipients',
  'quarantine_content',
  'notify_owner',
];

/** The database with its transactions counted (the response service's own, not identity's). */
function counted(db: Db): { db: Db; txs: () => number } {
  let n = 0;
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop === 'transaction')
        return () => {
          n++;
          return target.transaction();
        };
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db: wrapped, txs: () => n };
}

describeBackends('first containment', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let identity: IdentityService;
  let now = 1_900_000_000_000;
  before(async () => {
    ({ store, cleanup } = await testStore(backend));
    identity = testIdentity(store.db, { now: () => now });
  });
  after(async () => cleanup?.());

  async function setup(handle: string, failOn?: string) {
    now += 3_600_000;
    const acc = await identity.createAccount(
      { handle, displayName: '王芳', password: 'owner password 1' },
      ctx,
    );
    now += 2 * 3_600_000;
    const intruder = await identity.signIn(
      { handle, password: 'owner password 1' },
      { ip: '203.0.113.66', userAgent: 'Mozilla/5.0 (Linux; Android 9) Chrome/90.0 Mobile' },
    );
    const sent: PlatformMessage[] = [];
    const audit: Array<{ action: string; data: unknown }> = [];
    const notified: string[] = [];
    const quarantined = new Set<string>();
    const { db, txs } = counted(store.db);
    const svc = new ResponseService({
      db,
      log: createLogger('silent'),
      identity,
      policy: new PolicyManager(''),
      grants: [],
      now: () => now,
      messages: {
        sentBy: async () => [
          { id: `${handle}-m1`, time: now - 1000, session: intruder.session.id, recipients: ['f1', 'f2'] },
          { id: `${handle}-m2`, time: now - 500, session: intruder.session.id, recipients: ['f3'] },
        ],
        compromiseStart: async (_a: string, _s: string | undefined, at: number) => at - 60_000,
      },
      delivery: {
        enqueueInTx: async (_tx: unknown, m: PlatformMessage) => {
          if (m.type === failOn) throw new Error(`the platform queue refused ${m.type}`);
          sent.push(m);
        },
      },
      audit: {
        appendInTx: async (_tx: unknown, e: { action: string; data: unknown }) => void audit.push(e),
        appendManyInTx: async (_tx: unknown, es: Array<{ action: string; data: unknown }>) =>
          void audit.push(...es),
      },
      engine: {
        release: () => undefined,
        quarantine: (k: string) => void quarantined.add(k),
        unquarantine: (k: string) => void quarantined.delete(k),
      },
      notifier: { notify: async (a: string) => (notified.push(a), { channel: 'log' }) },
    });
    const d: ResponseDecision = {
      id: `dec-${handle}`,
      account: acc.id,
      session: intruder.session.id,
      time: now,
      action: 'contain',
      risk: 0.999,
      eventType: 'message.sent',
      eventId: `msg-${handle}`,
      signals: [{ name: 'signin_qr', value: 1, logOdds: 0.8, reason: { en: 'QR sign-in', zh: '扫码登录' } }],
      reasons: [{ signal: 'url_lookalike', en: 'lookalike link', zh: '仿冒链接' }],
      fingerprints: ['d:qq-login-game.com'],
    };
    const actions = async () =>
      store.db
        .selectFrom('response_actions')
        .select(['kind', 'status'])
        .where('decision_id', '=', d.id)
        .execute();
    const taken = async () =>
      (
        await store.db
          .selectFrom('outbox')
          .select('payload')
          .where('type', '=', 'action.taken')
          .where('account', '=', acc.id)
          .execute()
      ).map((r) => (JSON.parse(r.payload) as { action: { kind: string; decision: string } }).action);
    return { acc, svc, d, sent, audit, notified, quarantined, txs, actions, taken };
  }

  test('commits its seven steps in one transaction, each named in its record, audit entry and webhook', async () => {
    const s = await setup('wang.fang1');
    const steps = await s.svc.handle(s.d);
    assert.deepEqual(
      steps.map((x) => `${x.kind}:${x.status}`),
      KINDS.map((k) => `${k}:done`),
    );
    assert.equal(s.txs(), 1, 'one transaction for the whole containment');
    assert.deepEqual((await s.actions()).map((a) => a.kind).sort(), [...KINDS].sort());
    assert.deepEqual(
      s.audit.map((e) => e.action),
      KINDS,
    );
    for (const e of s.audit) assert.equal((e.data as { decision: string }).decision, s.d.id);
    const taken = await s.taken();
    assert.deepEqual(taken.map((a) => a.kind).sort(), [...KINDS].sort());
    for (const a of taken) assert.equal(a.decision, s.d.id);
    // the effects: frozen, retracted and warned by name, quarantined, the owner told
    assert.equal((await identity.getAccount(s.acc.id)).state, 'frozen');
    assert.deepEqual(
      s.sent.filter((m) => m.type === 'message.retract').map((m) => m.payload.message),
      ['wang.fang1-m1', 'wang.fang1-m2'],
    );
    assert.deepEqual(s.sent.find((m) => m.type === 'recipients.warn')!.payload.recipients, [
      'f1',
      'f2',
      'f3',
    ]);
    assert.deepEqual([...s.quarantined], ['d:qq-login-game.com']);
    assert.deepEqual(s.notified, [s.acc.id]);

    // redelivered: nothing again, and no transaction
    const again = await s.svc.handle(s.d);
    assert.ok(again.every((x) => x.status === 'skipped'));
    assert.equal(s.txs(), 1);
    assert.equal((await s.actions()).length, KINDS.length);
  });

  test('a step failing inside the joint transaction fails alone; the others are done once', async () => {
    const s = await setup('wang.fang2', 'message.retract');
    const steps = await s.svc.handle(s.d);
    assert.deepEqual(
      steps.map((x) => `${x.kind}:${x.status}`),
      KINDS.map((k) => `${k}:${k === 'retract_messages' ? 'failed' : 'done'}`),
    );
    const rows = await s.actions();
    assert.deepEqual(rows.map((a) => a.kind).sort(), KINDS.filter((k) => k !== 'retract_messages').sort());
    // (the fake platform queue is not transactional: what the rolled-back transaction enqueued is in
    // `sent` too; the outbox is the real record)
    assert.deepEqual(
      (await s.taken()).map((a) => a.kind).sort(),
      KINDS.filter((k) => k !== 'retract_messages').sort(),
      'each done step named once',
    );
    assert.deepEqual(s.notified, [s.acc.id]);
    assert.equal((await identity.getAccount(s.acc.id)).state, 'frozen');
  });
});
