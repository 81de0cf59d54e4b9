// Passkey and authenticator-app (TOTP) verification inside an appeal, over HTTP on SQLite and PostgreSQL:
// the owner's own older passkey and app verify and the appeal goes on to restored; a replayed code, an
// assertion made for another challenge and an intruder's own passkey or app, enrolled during the
// takeover (issue 10: factors added inside the compromise window, or still cooling off, do not count),
// are refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postgresSkip, type Backend } from '../testing/index.ts';
import {
  addPasskey,
  addTotp,
  age,
  appeal,
  DAY,
  harness,
  INTRUDER,
  ok,
  OWNER,
  passkeySignIn,
  PASSWORD,
  refused,
  signIn,
  signUp,
  totp,
  walkToRestored,
  type From,
  type Harness,
} from './attack-harness.ts';

/** Moves the account's passkeys and authenticator app back in time (tests cannot wait out a cooling-off). */
async function ageSigninFactors(h: Harness, accountId: string, days: number) {
  const d = days * DAY;
  const db = h.gh.store.db;
  await db
    .updateTable('passkeys')
    .set((eb) => ({ created_at: eb('created_at', '-', d) }))
    .where('account_id', '=', accountId)
    .execute();
  await db
    .updateTable('totp_factors')
    .set((eb) => ({ created_at: eb('created_at', '-', d), confirmed_at: eb('confirmed_at', '-', d) }))
    .where('account_id', '=', accountId)
    .execute();
}

/** The password and a live code of the owner's app, relayed by a phishing page: the intruder's token. */
async function relayedSignIn(h: Harness, handle: string, secret: string): Promise<string> {
  const step = refused(
    await h.call('POST', '/v1/auth/signin', { body: { handle, password: PASSWORD }, from: INTRUDER }),
    401,
    'SIGNIN_SECOND_FACTOR_REQUIRED',
  ).json as { challenge: string };
  return ok(
    await h.call('POST', '/v1/auth/signin/second-factor', {
      body: { challenge: step.challenge, method: 'totp', code: totp(secret, 1) },
      from: INTRUDER,
    }),
  ).json.token as string;
}

async function contain(h: Harness, accountId: string) {
  ok(
    await h.call('POST', `/v1/accounts/${accountId}/freeze`, {
      key: h.op,
      body: { kind: 'containment', reason: 'taken over' },
    }),
  );
}

const methods = (r: { json: Record<string, unknown> }) =>
  Object.fromEntries(
    (r.json.methods as Array<{ kind: string; available: boolean }>).map((m) => [m.kind, m.available]),
  );

const answer = (h: Harness, token: string, body: unknown, from: From = OWNER) =>
  h.call('POST', '/v1/recovery/case/verification/answer', { token, from, body });

function suite(backend: Backend) {
  describe(`passkey and authenticator app in an appeal on ${backend}`, () => {
    let h: Harness; // production defaults: a new factor counts after 7 days
    let h0: Harness; // no cooling-off: only the compromise window keeps the intruder's factors out
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend);
      h0 = await harness(backend, { recoveryFactorCoolingOffHours: 0 });
    });
    after(async () => {
      await h?.cleanup();
      await h0?.cleanup();
    });

    test('the owner’s own authenticator app, set up long ago, verifies the appeal (a spent or wrong code does not)', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `sf.totp.${backend}`);
      const token = await signIn(h, a.handle);
      const app = await addTotp(h, token, OWNER);
      await age(h, a.id, 30);
      await ageSigninFactors(h, a.id, 30);
      await contain(h, a.id);

      const { token: c, reply } = await appeal(h, a.handle, OWNER);
      assert.equal(methods(reply).totp, true);
      assert.equal(methods(reply).passkey, false, 'no passkey on this account');
      const started = ok(
        await h.call('POST', '/v1/recovery/case/verification', { token: c, body: { method: 'totp' } }),
      );
      assert.match((started.json.instructions as { zh: string }).zh, /身份验证器/);
      refused(await answer(h, c, { code: '000000' }), 401, 'RECOVERY_CODE_INVALID');
      // the code that confirmed the app was seen once: it never works again
      refused(await answer(h, c, { code: app.first }), 401, 'RECOVERY_CODE_INVALID');
      const next = totp(app.secret, 1);
      const v = ok(await answer(h, c, { code: next }));
      assert.equal(v.json.outcome, 'verified');
      assert.equal((v.json.case as { state: string }).state, 'verified');

      await walkToRestored(h, c, 'lantern harbour violet 2031');
      const acct = ok(await h.call('GET', `/v1/accounts/${a.id}`, { key: h.op })).json;
      assert.equal(acct.state, 'active');
    });

    test('the owner’s own passkey, added long ago, verifies the appeal; an assertion for another challenge does not', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `sf.passkey.${backend}`);
      const token = await signIn(h, a.handle);
      const key = await addPasskey(h, token, OWNER, 'my phone');
      await age(h, a.id, 30);
      await ageSigninFactors(h, a.id, 30);
      await contain(h, a.id);

      const { token: c, reply } = await appeal(h, a.handle, OWNER);
      assert.equal(methods(reply).passkey, true);
      const started = ok(
        await h.call('POST', '/v1/recovery/case/verification', { token: c, body: { method: 'passkey' } }),
      );
      const opts = started.json.webauthn as { challenge: string; allowCredentials: Array<{ id: string }> };
      assert.deepEqual(
        opts.allowCredentials.map((x) => x.id),
        [key.id],
      );
      // signed by the right key, but for a challenge this case never issued (e.g. relayed from a sign-in)
      refused(
        await answer(h, c, { credential: key.assert('bm90LXRoaXMtY2FzZQ') }),
        401,
        'RECOVERY_CODE_INVALID',
      );
      refused(await answer(h, c, { credential: { id: key.id } }), 401, 'RECOVERY_CODE_INVALID');
      const good = key.assert(opts.challenge);
      const v = ok(await answer(h, c, { credential: good }));
      assert.equal(v.json.outcome, 'verified');
      // the challenge is spent: the same assertion again finds nothing to answer
      refused(await answer(h, c, { credential: good }), 409, 'RECOVERY_WRONG_STATE');
      await walkToRestored(h, c, 'copper meadow falcon 2032');
      assert.equal(ok(await h.call('GET', `/v1/accounts/${a.id}`, { key: h.op })).json.state, 'active');
    });

    test('attack: an intruder holding the owner’s session adds its own passkey; it does not verify the appeal, the owner’s does', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `sf.mixed.${backend}`);
      const token = await signIn(h, a.handle);
      const mine = await addPasskey(h, token, OWNER, 'my laptop');
      await age(h, a.id, 30);
      await ageSigninFactors(h, a.id, 30);
      // the intruder rides the owner's session (a stolen cookie), confirms the stolen password, adds a passkey
      ok(await h.call('POST', '/v1/me/reauth', { token, from: INTRUDER, body: { password: PASSWORD } }));
      const theirs = await addPasskey(h, token, INTRUDER, 'backup');
      await contain(h, a.id);

      const { token: it } = await appeal(h, a.handle, INTRUDER);
      const started = ok(
        await h.call('POST', '/v1/recovery/case/verification', {
          token: it,
          from: INTRUDER,
          body: { method: 'passkey' },
        }),
      );
      const opts = started.json.webauthn as { challenge: string; allowCredentials: Array<{ id: string }> };
      assert.deepEqual(
        opts.allowCredentials.map((x) => x.id),
        [mine.id],
        'only the passkey that counts is asked for',
      );
      // a genuine passkey of the account, signing this case's challenge: still refused
      refused(
        await answer(h, it, { credential: theirs.assert(opts.challenge) }, INTRUDER),
        401,
        'RECOVERY_CODE_INVALID',
      );
      const still = ok(await h.call('GET', '/v1/recovery/case', { token: it, from: INTRUDER }));
      assert.equal((still.json.case as { state: string }).state, 'verifying');

      // the owner's own appeal, with the owner's own passkey
      const { token: c } = await appeal(h, a.handle, OWNER, 'passkey');
      const o2 = ok(
        await h.call('POST', '/v1/recovery/case/verification', { token: c, body: { method: 'passkey' } }),
      ).json.webauthn as { challenge: string };
      assert.equal(
        ok(await answer(h, c, { credential: mine.assert(o2.challenge) })).json.outcome,
        'verified',
      );
    });

    test('attack: an intruder with the password enrols its own app and passkey during the takeover; neither counts for the appeal (no cooling-off: the window alone)', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h0, `sf.window.${backend}`);
      await signIn(h0, a.handle);
      await age(h0, a.id, 30);
      // the intruder signs in from its own network with the stolen password and sets up its own factors
      const it = await signIn(h0, a.handle, INTRUDER);
      const app = await addTotp(h0, it, INTRUDER);
      const theirs = await addPasskey(h0, it, INTRUDER, 'my phone');
      await contain(h0, a.id);

      const { token: c, reply } = await appeal(h0, a.handle, INTRUDER);
      const basis = await h0.gh.store.db
        .selectFrom('recovery_cases')
        .select(['window_basis'])
        .where('account_id', '=', a.id)
        .executeTakeFirstOrThrow();
      assert.notEqual(basis.window_basis, 'default', 'the appeal knows when the compromise began');
      assert.equal(methods(reply).totp, false);
      assert.equal(methods(reply).passkey, false);
      for (const method of ['totp', 'passkey'])
        refused(
          await h0.call('POST', '/v1/recovery/case/verification', {
            token: c,
            from: INTRUDER,
            body: { method },
          }),
          409,
          'RECOVERY_METHOD_UNAVAILABLE',
        );
      // answering anyway (the case is not in a totp/passkey step): nothing verifies
      const r = await answer(h0, c, { code: totp(app.secret, 1) }, INTRUDER);
      assert.notEqual(r.status, 200);
      const r2 = await answer(h0, c, { credential: theirs.assert('AAAA') }, INTRUDER);
      assert.notEqual(r2.status, 200);
      const view = ok(await h0.call('GET', '/v1/recovery/case', { token: c, from: INTRUDER }));
      assert.notEqual((view.json.case as { state: string }).state, 'verified');
    });

    test('attack: the intruder swaps the owner’s passkey and app for its own; the restore takes the intruder’s passkey away and gives the owner’s back', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h0, `sf.swap.${backend}`);
      const token = await signIn(h0, a.handle);
      const codes = ok(await h0.call('POST', '/v1/me/recovery/codes', { token })).json.codes as string[];
      const app = await addTotp(h0, token, OWNER);
      const mine = await addPasskey(h0, token, OWNER, 'my laptop');
      await age(h0, a.id, 30);
      await ageSigninFactors(h0, a.id, 30);

      // a phishing page relays the password and a live code of the app: the intruder is in
      const it = await relayedSignIn(h0, a.handle, app.secret);
      ok(await h0.call('POST', '/v1/me/reauth', { token: it, from: INTRUDER, body: { password: PASSWORD } }));
      // it removes the owner's passkey and app and registers a passkey of its own
      const listed = ok(await h0.call('GET', '/v1/me/passkeys', { token: it, from: INTRUDER })).json
        .passkeys as Array<{ id: string }>;
      assert.deepEqual(
        listed.map((p) => p.id),
        [mine.id],
      );
      ok(await h0.call('DELETE', `/v1/me/passkeys/${mine.id}`, { token: it, from: INTRUDER }), 204);
      ok(await h0.call('DELETE', '/v1/me/totp', { token: it, from: INTRUDER }), 204);
      const theirs = await addPasskey(h0, it, INTRUDER, 'backup');
      // the intruder's passkey signs in on its own: left in place, it would be a way back in
      assert.equal((ok(await passkeySignIn(h0, theirs, INTRUDER)).json.account as { id: string }).id, a.id);
      await contain(h0, a.id);

      // the owner takes it back with a recovery code saved long ago
      const { token: c } = await appeal(h0, a.handle, OWNER, 'recovery_code');
      assert.equal(ok(await answer(h0, c, { code: codes[0] })).json.outcome, 'verified');
      const done = await walkToRestored(h0, c, 'amber valley kestrel 2033');
      const report = done.json.report as {
        signInFactors: {
          passkeysRemoved: string[];
          passkeysRestored: string[];
          totpRemoved: boolean;
          totpRestored: boolean;
        } | null;
      };
      assert.deepEqual(report.signInFactors, {
        passkeysRemoved: [theirs.id.slice(0, 32)],
        passkeysRestored: [mine.id.slice(0, 32)],
        totpRemoved: false,
        totpRestored: true,
        passkeysLeftRemoved: [],
        totpLeftRemoved: false,
      });

      // the intruder's passkey no longer opens the account; the owner's does again
      const denied = await passkeySignIn(h0, theirs, INTRUDER);
      assert.equal(denied.status, 401);
      assert.equal(denied.json.code, 'PASSKEY_INVALID');
      const back = ok(await passkeySignIn(h0, mine, OWNER));
      assert.equal((back.json.account as { id: string }).id, a.id);
      const factors = ok(await h0.call('GET', '/v1/me/second-factors', { token: back.json.token as string }))
        .json as { totp: { enrolled: boolean; confirmedAt: number | null }; passkeys: Array<{ id: string }> };
      assert.equal(factors.totp.enrolled, true, 'the owner’s authenticator app is back');
      assert.notEqual(factors.totp.confirmedAt, null);
      assert.deepEqual(
        factors.passkeys.map((p) => p.id),
        [mine.id],
      );
      const audit = ok(await h0.call('GET', '/v1/audit?limit=200', { key: h0.op })).json.entries as Array<{
        action: string;
        subject: string;
      }>;
      assert.ok(audit.some((e) => e.action === 'second_factors.reverted' && e.subject === a.id));
    });

    test('a passkey the owner removed from their own older session during the takeover (a lost phone) stays removed; the one the intruder removed comes back', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h0, `sf.lost.${backend}`);
      const token = await signIn(h0, a.handle);
      const codes = ok(await h0.call('POST', '/v1/me/recovery/codes', { token })).json.codes as string[];
      const app = await addTotp(h0, token, OWNER);
      const phone = await addPasskey(h0, token, OWNER, 'old phone');
      const laptop = await addPasskey(h0, token, OWNER, 'laptop');
      await age(h0, a.id, 30);
      await ageSigninFactors(h0, a.id, 30);

      // the intruder gets in with the password and a relayed code: the compromise window begins
      const it = await relayedSignIn(h0, a.handle, app.secret);
      // meanwhile the owner, on their own laptop session from before, removes the passkey of a lost phone
      ok(await h0.call('POST', '/v1/me/reauth', { token, from: OWNER, body: { password: PASSWORD } }));
      ok(await h0.call('DELETE', `/v1/me/passkeys/${phone.id}`, { token, from: OWNER }), 204);
      // and the intruder removes the laptop's passkey
      ok(await h0.call('POST', '/v1/me/reauth', { token: it, from: INTRUDER, body: { password: PASSWORD } }));
      ok(await h0.call('DELETE', `/v1/me/passkeys/${laptop.id}`, { token: it, from: INTRUDER }), 204);
      await contain(h0, a.id);

      const { token: c } = await appeal(h0, a.handle, OWNER, 'recovery_code');
      assert.equal(ok(await answer(h0, c, { code: codes[0] })).json.outcome, 'verified');
      const done = await walkToRestored(h0, c, 'willow orchard heron 2034');
      const report = done.json.report as { signInFactors: Record<string, unknown> | null };
      assert.deepEqual(report.signInFactors, {
        passkeysRemoved: [],
        passkeysRestored: [laptop.id.slice(0, 32)],
        totpRemoved: false,
        totpRestored: false,
        passkeysLeftRemoved: [phone.id.slice(0, 32)],
        totpLeftRemoved: false,
      });
      // whoever holds the lost phone cannot sign in with it; the laptop's passkey works again
      const lost = await passkeySignIn(h0, phone, INTRUDER);
      assert.equal(lost.status, 401);
      assert.equal(lost.json.code, 'PASSKEY_INVALID');
      assert.equal((ok(await passkeySignIn(h0, laptop, OWNER)).json.account as { id: string }).id, a.id);
      // the owner's report says what was left and why, in both languages
      for (const lang of ['en', 'zh'] as const) {
        const text = ok(
          await h0.call('GET', `/v1/recovery/case/report?format=markdown&lang=${lang}`, {
            token: c,
            from: OWNER,
          }),
        );
        assert.match(text.text, lang === 'en' ? /Not put back.*1 passkeys/ : /未恢复.*通行密钥 1 个/);
      }
    });
  });
}

suite('sqlite');
suite('postgres');
