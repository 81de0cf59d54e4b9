// A freeze and an intruder-session revocation are recorded in the action's transaction and applied at
// identity just after the commit. A process killed in between leaves the record alone: the next start
// applies the effect (and never undoes an owner's recovery that came later).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Gatehouse } from '../gatehouse.ts';
import { testGatehouse } from '../testing/index.ts';
import { responseStore } from './store.ts';

let gh: Gatehouse;
let cleanup: () => Promise<void>;
before(async () => {
  ({ gh, cleanup } = await testGatehouse('sqlite'));
});
after(async () => cleanup?.());

const ctx = { ip: '127.0.0.1', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' };

async function recorded(
  account: string,
  kind: 'freeze_account' | 'revoke_sessions' | 'forget_device',
  detail: object,
  at: number,
) {
  await responseStore.insertAction(gh.store.db, {
    id: `act_${kind}_${account}`,
    decision_id: `dec:${account}`,
    account,
    kind,
    rule: 'contain',
    mode: 'enforce',
    params: '{}',
    status: 'done',
    detail: JSON.stringify(detail),
    policy_hash: 'test',
    created_at: at,
  });
}

test('a recorded freeze and session revocation whose effects were lost are applied at start', async () => {
  const a = await gh.identity.createAccount(
    { handle: 'lost.effects', displayName: '周敏', password: 'lost effects 2026' },
    ctx,
  );
  const intr = await gh.identity.signIn({ handle: 'lost.effects', password: 'lost effects 2026' }, ctx);
  const t = Date.now();
  await recorded(a.id, 'freeze_account', { account: a.id, reason: 'url_lookalike', kind: 'containment' }, t);
  await recorded(a.id, 'revoke_sessions', { scope: 'intruder', session: intr.session.id }, t);
  assert.equal((await gh.identity.getAccount(a.id)).state, 'active');

  assert.ok((await gh.response.reapplyEffects()) >= 1);
  const after1 = await gh.identity.getAccount(a.id);
  assert.equal(after1.state, 'frozen');
  assert.equal(after1.freezeKind, 'containment');
  const sessions = await gh.store.db
    .selectFrom('sessions')
    .select('revoked_at')
    .where('id', '=', intr.session.id)
    .executeTakeFirstOrThrow();
  assert.notEqual(sessions.revoked_at, null);
  // a second start finds nothing left to do
  assert.equal(await gh.response.reapplyEffects(), 0);
});

/**
 * An account and the intruder's sign-in to it from 203.0.113.0/24 (the owner's network is 127.0.0.1's),
 * with what the account knows of its contexts.
 */
async function intruderSignedIn(handle: string, displayName: string, password: string) {
  const a = await gh.identity.createAccount({ handle, displayName, password }, ctx);
  const intr = await gh.identity.signIn({ handle, password }, { ...ctx, ip: '203.0.113.9' });
  const known = () =>
    gh.store.db.selectFrom('known_contexts').select(['kind', 'key']).where('account_id', '=', a.id).execute();
  return { a, intr, known };
}

test('a recorded containment freeze whose effects were lost forgets the intruder device’s contexts at start', async () => {
  const { a, intr, known } = await intruderSignedIn('lost.contexts', '王芳', 'lost contexts 2026');
  assert.ok((await known()).some((c) => c.key === '203.0.113.0/24'));
  await recorded(
    a.id,
    'freeze_account',
    { account: a.id, reason: 'url_lookalike', kind: 'containment', deviceSessions: [intr.session.id] },
    Date.now(),
  );
  assert.ok((await gh.response.reapplyEffects()) >= 1);
  assert.ok(!(await known()).some((c) => c.key === '203.0.113.0/24'), 'the intruder’s network is forgotten');
});

test('a recorded forget_device (a contain rule that neither froze nor revoked) whose effect was lost forgets the intruder device’s contexts at start', async () => {
  const { a, intr, known } = await intruderSignedIn('lost.forget', '李娜', 'lost forget 2026');
  assert.ok((await known()).some((c) => c.key === '203.0.113.0/24'));
  await recorded(
    a.id,
    'forget_device',
    { account: a.id, session: intr.session.id, deviceSessions: [intr.session.id] },
    Date.now(),
  );
  await gh.response.reapplyEffects();
  const left = await known();
  assert.ok(!left.some((c) => c.key === '203.0.113.0/24'), 'the intruder’s network is forgotten');
  assert.ok(!left.some((c) => c.kind === 'device'), 'and its device');
  assert.ok((await gh.identity.getAccount(a.id)).state === 'active', 'forgetting freezes nothing');
});

test('an account the owner recovered after the freeze is not frozen again', async () => {
  const a = await gh.identity.createAccount(
    { handle: 'recovered.owner', displayName: '陈静', password: 'recovered owner 2026' },
    ctx,
  );
  const t = Date.now() - 1000;
  await recorded(a.id, 'freeze_account', { account: a.id, reason: 'url_lookalike', kind: 'containment' }, t);
  await gh.identity.freeze(a.id, 'decision', undefined, { kind: 'containment' });
  await gh.identity.unfreeze(a.id, 'recovered by the owner');
  assert.equal(await gh.response.reapplyEffects(), 0);
  assert.equal((await gh.identity.getAccount(a.id)).state, 'active');
});
