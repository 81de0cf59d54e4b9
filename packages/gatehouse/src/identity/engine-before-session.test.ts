// Over HTTP, on SQLite and PostgreSQL (issue 12 item 6): a password sign-in on a device the account never
// used asks the engine before any session exists. The intruders hold the right passwords; the owners
// sign in where they always do.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  addPasskey,
  addTotp,
  harness,
  INTRUDER,
  ok,
  OWNER,
  passkeySignIn,
  PASSWORD,
  refused,
  signUp,
  STRANGER,
  totp,
  type Harness,
} from '../recovery/attack-harness.ts';
import { SoftAuthenticator } from '../recovery/soft-authenticator.ts';
import { DEFAULT_POLICY_FILE } from '../response/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { until } from '../testing/receiver.ts';

/** A password sign-in over HTTP (the right password), from `from`, with anything else the body carries. */
const signin = (h: Harness, handle: string, from: { ip: string; ua: string }, extra: object = {}) =>
  h.call('POST', '/v1/auth/signin', { body: { handle, password: PASSWORD, ...extra }, from });

/** An account whose owner signed in once on their own device and network; its device token. */
async function settled(h: Harness, handle: string, i: number) {
  const from = { ip: `198.51.${100 + i}.7`, ua: OWNER.ua };
  const a = await signUp(h, handle, from);
  const first = ok(
    await h.call('POST', '/v1/auth/signin', { body: { handle, password: PASSWORD, mode: 'token' }, from }),
  );
  return { ...a, from, device: first.json.deviceToken as string, token: first.json.token as string };
}

const session = (r: { json: Record<string, unknown> }) =>
  r.json.session as { id: string; probationUntil: number | null };

/**
 * The intruder holds the password and relays the owner's app code (a phishing page), signs in on its own
 * device, comes back on it, and the engine contains the account for the later session's message: the
 * response's `forgetsBy` actions make the account and the notice part forget the intruder's device and
 * network, and only those.
 */
async function containedIntruder(h: Harness, label: string, forgetsBy: string[]) {
  const a = await settled(h, `forget.${label}`, 0);
  // the owner's authenticator app, enrolled from their own session before anything happened
  const app = await addTotp(h, a.token, a.from);
  // the intruder has the password and the owner's app codes (a relayed phishing page): its device and
  // network become known to the account with this session
  const step = refused(
    await signin(h, a.handle, INTRUDER, { mode: 'token' }),
    401,
    'SIGNIN_SECOND_FACTOR_REQUIRED',
  ).json as { challenge: string };
  const entered = ok(
    await h.call('POST', '/v1/auth/signin/second-factor', {
      body: { challenge: step.challenge, method: 'totp', code: totp(app.secret, 1), mode: 'token' },
      from: INTRUDER,
    }),
  ).json;
  const intruderDevice = entered.deviceToken as string;
  // it comes back on that device (known now: no second factor), and this later session is the one
  // whose message the engine contains
  const sessionId = (
    ok(await signin(h, a.handle, INTRUDER, { deviceToken: intruderDevice })).json.session as {
      id: string;
    }
  ).id;
  const contexts = () =>
    h.gh.store.db
      .selectFrom('known_contexts')
      .select(['kind', 'key'])
      .where('account_id', '=', a.id)
      .orderBy('kind')
      .orderBy('key')
      .execute();
  const before = await contexts();
  const taught = () =>
    h.gh.store.db
      .selectFrom('notify_known_contexts')
      .select(['kind', 'value', 'first_session'])
      .where('account_id', '=', a.id)
      .execute();
  const firstIntruder = (entered.session as { id: string }).id;
  assert.ok(
    (await taught()).some((c) => c.first_session === firstIntruder),
    'its first session taught the notice part its device and network',
  );
  assert.ok(
    before.some((c) => c.key === '203.0.113.0/24'),
    JSON.stringify(before),
  );
  // the engine contains the account for a message of that session
  const steps = await h.gh.response.handle({
    id: `dec-forget-${label}`,
    account: a.id,
    session: sessionId,
    time: Date.now(),
    action: 'contain',
    risk: 0.99,
    eventType: 'message.sent',
    eventId: `msg-forget-${label}`,
    signals: [],
    reasons: [{ signal: 'new_client', en: 'a new device', zh: '新设备' }],
  });
  assert.deepEqual(
    steps
      .filter((x) => ['revoke_sessions', 'freeze_account', 'forget_device'].includes(x.kind))
      .filter((x) => x.status === 'done' && x.mode === 'enforce')
      .map((x) => x.kind),
    forgetsBy,
    JSON.stringify(steps),
  );
  const after = await contexts();
  assert.equal(after.length, before.length - 2, 'its device and its network are forgotten');
  assert.ok(!after.some((c) => c.key === '203.0.113.0/24'));
  assert.ok(
    after.some((c) => c.key === '198.51.100.0/24'),
    'the owner’s network stays known',
  );
  // and what those sessions taught the new-sign-in notice (the notify part, through action.taken)
  await until(
    async () => !(await taught()).some((c) => c.first_session === firstIntruder),
    'the notice part to forget what the intruder device’s first session taught it',
  );
  assert.ok((await taught()).length > 0, 'the owner’s contexts stay');
  return { a, intruderDevice };
}

/** A harness on a policy whose one enforced rule answers `contain` with `actions` (YAML lines), and a cleanup. */
async function containOnly(backend: Parameters<typeof harness>[0], id: string, actions: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-policy-'));
  const policyFile = join(dir, `${id}.yaml`);
  writeFileSync(
    policyFile,
    [
      'version: 1',
      `description: ${id}`,
      'defaults:',
      '  mode: enforce',
      'rules:',
      `  - id: ${id}`,
      '    when:',
      '      decision: [contain]',
      '    actions:',
      ...actions.map((a) => `      - ${a}`),
      '    stop: true',
      '',
    ].join('\n'),
  );
  const h = await harness(backend, { policyFile });
  return {
    h,
    done: async () => {
      await h.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeBackends('the engine asked before the session', (backend) => {
  test('a wave of new-device sign-ins on one network: the next stranger with a right password gets a probation session, the owner on their own device a full one', async () => {
    const h = await harness(backend);
    try {
      const accounts = [];
      for (let i = 0; i < 8; i++) accounts.push(await settled(h, `wave.${backend}.${i}`, i));
      const stranger = (i: number) => ({ ip: `203.0.113.${20 + i}`, ua: INTRUDER.ua });
      // five accounts signed in on new devices from one /24 within minutes: below the wave, full sessions
      for (let i = 0; i < 5; i++) {
        const r = ok(await signin(h, accounts[i]!.handle, stranger(i)));
        assert.equal(session(r).probationUntil, null, `sign-in ${i} before the wave`);
      }
      // the sixth: the engine sees the wave before the session is made
      const sixth = ok(await signin(h, accounts[5]!.handle, stranger(5), { mode: 'token' }));
      const probation = session(sixth).probationUntil;
      assert.ok(probation !== null && probation > Date.now() + 23 * 3_600_000, String(probation));
      const intr = { token: sixth.json.token as string, from: stranger(5) };
      refused(
        await h.call('POST', '/v1/me/password', {
          ...intr,
          body: { currentPassword: PASSWORD, newPassword: 'a brand new secret phrase 77' },
        }),
        403,
        'SESSION_ON_PROBATION',
      );
      refused(await h.call('POST', '/v1/me/recovery/codes', intr), 403, 'SESSION_ON_PROBATION');
      // its device and network stay unknown to the account: its next sign-in is asked again
      const again = ok(
        await signin(h, accounts[5]!.handle, stranger(5), { deviceToken: sixth.json.deviceToken }),
      );
      assert.notEqual(session(again).probationUntil, null);
      // nor can it vouch for itself
      refused(
        await h.call('POST', `/v1/me/sessions/${session(sixth).id}/confirm`, intr),
        403,
        'SESSION_ON_PROBATION',
      );
      // the owner, from their older session, vouches for it: the restrictions end
      const vouched = ok(
        await h.call('POST', `/v1/me/sessions/${session(sixth).id}/confirm`, {
          token: accounts[5]!.token,
          from: accounts[5]!.from,
        }),
      );
      assert.equal(vouched.json.probationUntil, null);
      ok(await h.call('POST', '/v1/me/recovery/codes', intr));

      // the owners: on their own device (its token sent back) on the wave's network too, a full session
      const owner = accounts[6]!;
      const home = ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: owner.handle, password: PASSWORD, deviceToken: owner.device },
          from: { ip: '203.0.113.99', ua: OWNER.ua },
        }),
      );
      assert.equal(session(home).probationUntil, null);
      const mine = { token: home.json.token as string, from: { ip: '203.0.113.99', ua: OWNER.ua } };
      ok(await h.call('POST', '/v1/me/recovery/codes', mine));
      // and an owner signing in on a new phone at home (their own network, no wave there)
      const newPhone = ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: accounts[7]!.handle, password: PASSWORD },
          from: { ...accounts[7]!.from, ua: INTRUDER.ua },
        }),
      );
      assert.equal(session(newPhone).probationUntil, null);
    } finally {
      await h.cleanup();
    }
  });

  test('an account the engine contains: a right password on a new device is refused with the engine’s reason; the owner’s device, and the account once released, sign in', async () => {
    const h = await harness(backend);
    try {
      const a = await settled(h, `held.${backend}`, 0);
      h.gh.engine.engine.markVictim(a.id);
      // a stranger without the password learns nothing of it: the engine is asked only after a right one
      const stranger = refused(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: a.handle, password: 'not the password at all 1' },
          from: INTRUDER,
        }),
        401,
        'INVALID_CREDENTIALS',
      );
      assert.equal(stranger.json.signals, undefined);
      assert.equal((await h.gh.identity.signins(a.id, 1))[0]!.reason, 'wrong_password');
      const r = refused(await signin(h, a.handle, INTRUDER), 403, 'SIGNIN_RISK_DENIED');
      const signals = (r.json.signals ?? []) as Array<{ name: string; en: string; zh: string }>;
      assert.deepEqual(
        signals.map((s) => s.name),
        ['engine_contained'],
      );
      assert.ok(signals[0]!.en.length > 0 && /[\u4e00-\u9fff]/.test(signals[0]!.zh));
      const history = await h.gh.identity.signins(a.id, 1);
      assert.equal(history[0]!.reason, 'risk_denied');
      // the owner's own device is not asked
      ok(await signin(h, a.handle, a.from, { deviceToken: a.device }));
      h.gh.engine.engine.release(a.id);
      ok(await signin(h, a.handle, INTRUDER));
    } finally {
      await h.cleanup();
    }
  });

  test('attack: factors the intruder added while holding the account (its own authenticator app and passkey) get no session on a new device once the engine contains it; the owner on their own device does', async () => {
    const h = await harness(backend);
    try {
      const a = await settled(h, `own.factors.${backend}`, 0);
      // the intruder signs in with the stolen password on its own device, then adds its own factors
      const intr = {
        token: ok(await signin(h, a.handle, INTRUDER, { mode: 'token' })).json.token as string,
        from: INTRUDER,
      };
      const app = await addTotp(h, intr.token, INTRUDER);
      const key = await addPasskey(h, intr.token, INTRUDER, 'mine now');
      // before the engine holds anything, they work (a new device asks for the app, and gets it)
      const elsewhere = { ip: '203.0.113.77', ua: INTRUDER.ua };
      ok(await passkeySignIn(h, key, elsewhere));
      // the engine contains the account
      h.gh.engine.engine.markVictim(a.id);
      // the password with the intruder's app: refused before any second-factor step, with the reason
      const r = refused(await signin(h, a.handle, elsewhere), 403, 'SIGNIN_RISK_DENIED');
      assert.deepEqual(
        ((r.json.signals ?? []) as Array<{ name: string }>).map((x) => x.name),
        ['engine_contained'],
      );
      assert.equal(r.json.challenge, undefined, 'no second-factor step to answer with its own app');
      // its passkey on a new device: refused the same way, and recorded
      const p = refused(await passkeySignIn(h, key, elsewhere), 403, 'SIGNIN_RISK_DENIED');
      assert.deepEqual(
        ((p.json.signals ?? []) as Array<{ name: string }>).map((x) => x.name),
        ['engine_contained'],
      );
      const last = (await h.gh.identity.signins(a.id, 1))[0]!;
      assert.equal(last.reason, 'risk_denied');
      assert.equal(last.method, 'passkey');
      // a stranger's passkey the account never registered learns nothing of the containment
      const stranger = new SoftAuthenticator(new URL(h.url).hostname, new URL(h.url).origin);
      const s = refused(await passkeySignIn(h, stranger, STRANGER), 401, 'PASSKEY_INVALID');
      assert.equal(s.json.signals, undefined);
      // the owner, on the device they always use: the password alone (known device and network)
      ok(await signin(h, a.handle, a.from, { deviceToken: a.device }));
      // released: the factors sign in again (recovery, not the engine, is what removes them)
      h.gh.engine.engine.release(a.id);
      ok(await passkeySignIn(h, key, elsewhere));
      const step = refused(await signin(h, a.handle, elsewhere), 401, 'SIGNIN_SECOND_FACTOR_REQUIRED')
        .json as { challenge: string };
      ok(
        await h.call('POST', '/v1/auth/signin/second-factor', {
          body: { challenge: step.challenge, method: 'totp', code: totp(app.secret, 1) },
          from: elsewhere,
        }),
      );
    } finally {
      await h.cleanup();
    }
  });

  test('attack: containment forgets the device and network the intruder’s session brought; back with the password from them later, it is a stranger again (asked for the owner’s app), the owner’s device still known', async () => {
    const h = await harness(backend);
    try {
      const { a, intruderDevice } = await containedIntruder(h, backend, [
        'freeze_account',
        'revoke_sessions',
      ]);
      // the owner takes the account back (recovery ends the freeze) and the engine lets it go
      await h.gh.identity.unfreeze(a.id, 'recovered');
      h.gh.engine.engine.release(a.id);
      // the intruder again, with the password, its old device token, from its old network: a stranger,
      // asked for the owner's app (which it no longer has)
      const again = refused(
        await signin(h, a.handle, INTRUDER, { deviceToken: intruderDevice }),
        401,
        'SIGNIN_SECOND_FACTOR_REQUIRED',
      ).json as { why: string[] };
      assert.ok(again.why.includes('new_device') && again.why.includes('new_network'), JSON.stringify(again));
      // the owner on their own device: known, no second factor asked
      ok(await signin(h, a.handle, a.from, { deviceToken: a.device }));
    } finally {
      await h.cleanup();
    }
  });

  test('attack: a policy that only freezes forgets the intruder’s device and network all the same', async () => {
    const { h, done } = await containOnly(backend, 'freeze-only', ['freeze_account: { kind: containment }']);
    try {
      await containedIntruder(h, `freeze.${backend}`, ['freeze_account']);
    } finally {
      await done();
    }
  });

  test('attack: a contain rule that only holds and throttles still forgets the intruder’s device (an implied forget_device step): back on it with the password while contained, it is refused; the owner on their own device signs in', async () => {
    const { h, done } = await containOnly(backend, 'hold-only', [
      'hold_message: { expiresIn: 24h }',
      'throttle_account: { messagesPerMinute: 2, duration: 1h }',
    ]);
    try {
      const { a, intruderDevice } = await containedIntruder(h, `hold.${backend}`, ['forget_device']);
      // the engine judged the containment itself (no freeze tells it): it keeps the account contained
      h.gh.engine.engine.markVictim(a.id);
      const r = refused(
        await signin(h, a.handle, INTRUDER, { deviceToken: intruderDevice }),
        403,
        'SIGNIN_RISK_DENIED',
      );
      assert.ok(JSON.stringify(r.json).includes('engine_contained'), JSON.stringify(r.json));
      ok(await signin(h, a.handle, a.from, { deviceToken: a.device }));
    } finally {
      await done();
    }
  });

  test('under a dry-run policy the engine refuses no sign-in and puts none on probation (it is logged as what would have happened)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-policy-'));
    const policyFile = join(dir, 'dry-run.yaml');
    const text = readFileSync(DEFAULT_POLICY_FILE, 'utf8');
    assert.ok(text.includes('  mode: enforce'));
    writeFileSync(policyFile, text.replace('  mode: enforce', '  mode: dry-run'));
    const h = await harness(backend, { policyFile });
    try {
      const a = await settled(h, `dry.${backend}`, 0);
      h.gh.engine.engine.markVictim(a.id);
      // switched on in dry-run, Gatehouse changes nothing for the account's people
      ok(await signin(h, a.handle, INTRUDER));
      // nor does a wave of new-device sign-ins on one network put anyone on probation (the first test:
      // the sixth gets probation under the enforcing default)
      const accounts = [];
      for (let i = 0; i < 7; i++) accounts.push(await settled(h, `dry.wave.${backend}.${i}`, i + 1));
      for (let i = 0; i < 7; i++) {
        const r = ok(await signin(h, accounts[i]!.handle, { ip: `203.0.113.${40 + i}`, ua: INTRUDER.ua }));
        assert.equal(session(r).probationUntil, null, `sign-in ${i} in dry-run`);
      }
    } finally {
      await h.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
