// Issue 10, attack 6, and re-authentication, over HTTP: "was this you? – yes" is accepted only from a
// session that predates the suspicious activity and is not suspected, or after a step-up with a recovery
// code that counts; recovery factors change only after a recent proof of the password.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  age,
  harness,
  INTRUDER,
  ok,
  OWNER,
  PASSWORD,
  refused,
  settledOwner,
  signIn,
  type Harness,
} from '../recovery/attack-harness.ts';

let h: Harness;
before(async () => {
  // the production minimum score: the strength test below needs the zxcvbn estimate (testing/index.ts)
  h = await harness('sqlite', { passwordMinScore: 3 });
});
after(async () => h?.cleanup());

/** The engine's decision about a message of the intruder's session (the response part asks the owner). */
async function suspect(account: string, session: string, id: string): Promise<string> {
  const steps = await h.gh.response.handle({
    id,
    account,
    session,
    time: Date.now(),
    action: 'hold',
    risk: 0.9,
    eventType: 'message.sent',
    eventId: `msg-${id}`,
    signals: [],
    reasons: [{ signal: 'new_client', en: 'a new device', zh: '新设备' }],
  });
  const c = steps.find((s) => s.kind === 'challenge_owner');
  assert.ok(c, JSON.stringify(steps));
  return c.detail.challenge as string;
}

describe('attack 6: "was this you?"', () => {
  test('refused from the suspected session and from any session newer than the activity; the owner answers', async () => {
    const owner = await settledOwner(h, 'wang.lei');
    const it = await signIn(h, owner.handle, INTRUDER);
    const itSession = ok(await h.call('GET', '/v1/me/sessions', { token: it, from: INTRUDER })).json
      .sessions as Array<{
      id: string;
      current: boolean;
    }>;
    const ch = await suspect(owner.id, itSession.find((s) => s.current)!.id, 'dec-att6-1');
    refused(
      await h.call('POST', `/v1/me/challenges/${ch}`, {
        token: it,
        from: INTRUDER,
        body: { answer: 'was_me' },
      }),
      403,
      'CHALLENGE_SUSPECTED_SESSION',
    );
    // The intruder signs in again and answers from the fresh session: refused with a clear error.
    const fresh = await signIn(h, owner.handle, INTRUDER);
    const tooNew = refused(
      await h.call('POST', `/v1/me/challenges/${ch}`, {
        token: fresh,
        from: INTRUDER,
        body: { answer: 'was_me' },
      }),
      403,
      'CHALLENGE_SESSION_TOO_NEW',
    );
    assert.equal(tooNew.json.stepUpPath, '/v1/me/step-up');
    // A recovery code the intruder just made does not count for a step-up.
    const itCodes = ok(await h.call('POST', '/v1/me/recovery/codes', { token: fresh, from: INTRUDER })).json
      .codes as string[];
    refused(
      await h.call('POST', '/v1/me/step-up', {
        token: fresh,
        from: INTRUDER,
        body: { recoveryCode: itCodes[0] },
      }),
      401,
      'RECOVERY_CODE_INVALID',
    );
    refused(
      await h.call('POST', `/v1/me/challenges/${ch}`, {
        token: fresh,
        from: INTRUDER,
        body: { answer: 'was_me' },
      }),
      403,
      'CHALLENGE_SESSION_TOO_NEW',
    );
    // The owner's own session, from before it all, answers.
    const yes = ok(
      await h.call('POST', `/v1/me/challenges/${ch}`, { token: owner.token, body: { answer: 'was_me' } }),
    );
    assert.equal(yes.json.status, 'was_me');
  });

  test('the owner on a new device steps up with a saved recovery code, then answers; "not me" needs nothing', async () => {
    const owner = await settledOwner(h, 'wang.fang');
    const it = await signIn(h, owner.handle, INTRUDER);
    const sid = (
      ok(await h.call('GET', '/v1/me/sessions', { token: it, from: INTRUDER })).json.sessions as Array<{
        id: string;
        current: boolean;
      }>
    ).find((s) => s.current)!.id;
    const ch = await suspect(owner.id, sid, 'dec-att6-2');
    const phone = await signIn(h, owner.handle, OWNER);
    refused(
      await h.call('POST', `/v1/me/challenges/${ch}`, { token: phone, body: { answer: 'was_me' } }),
      403,
      'CHALLENGE_SESSION_TOO_NEW',
    );
    ok(await h.call('POST', '/v1/me/step-up', { token: phone, body: { recoveryCode: owner.codes[4] } }));
    ok(await h.call('POST', `/v1/me/challenges/${ch}`, { token: phone, body: { answer: 'was_me' } }));
    // the code is spent
    refused(
      await h.call('POST', '/v1/me/step-up', { token: phone, body: { recoveryCode: owner.codes[4] } }),
      401,
      'RECOVERY_CODE_INVALID',
    );
    // "this wasn't me" contains, from any of the owner's sessions
    const ch2 = await suspect(owner.id, sid, 'dec-att6-3');
    const no = ok(
      await h.call('POST', `/v1/me/challenges/${ch2}`, { token: phone, body: { answer: 'not_me' } }),
    );
    assert.equal(no.json.status, 'not_me');
  });
});

describe('re-authentication before recovery changes', () => {
  test('an old session (a stolen cookie) cannot change recovery factors until the password is proved again', async () => {
    const owner = await settledOwner(h, 'reauth.me');
    await age(h, owner.id, 1); // the session is a day old: its sign-in no longer counts as a proof
    const stale = refused(
      await h.call('POST', '/v1/me/recovery/codes', { token: owner.token }),
      403,
      'REAUTH_REQUIRED',
    );
    assert.equal(stale.json.reauthPath, '/v1/me/reauth');
    refused(
      await h.call('PUT', '/v1/me/recovery/friends', { token: owner.token, body: { handles: [] } }),
      403,
      'REAUTH_REQUIRED',
    );
    refused(
      await h.call('POST', '/v1/me/reauth', { token: owner.token, body: { password: 'not the password' } }),
      401,
      'INVALID_CREDENTIALS',
    );
    const r = ok(await h.call('POST', '/v1/me/reauth', { token: owner.token, body: { password: PASSWORD } }));
    assert.ok((r.json.reauthenticatedUntil as number) > Date.now());
    ok(await h.call('POST', '/v1/me/recovery/codes', { token: owner.token }));
  });
});

describe('password strength at sign-up and change (breached list and zxcvbn, zh/en reasons)', () => {
  test('weak and breached passwords are refused with reasons; a strong one passes; the change is announced', async () => {
    const weak = refused(
      await h.call('POST', '/v1/accounts', { body: { handle: 'weak.pw', password: 'iloveyou2024' } }),
      400,
      'WEAK_PASSWORD',
    );
    const reason = (weak.json.reasons as Array<{ code: string; en: string; zh: string }>)[0]!;
    assert.equal(reason.code, 'guessable');
    assert.ok(reason.zh.length > 0 && reason.en.length > 0);
    const breached = refused(
      await h.call('POST', '/v1/accounts', { body: { handle: 'weak.pw', password: 'Baseball1' } }),
      400,
      'WEAK_PASSWORD',
    );
    assert.equal((breached.json.reasons as Array<{ code: string }>)[0]!.code, 'breached');
    ok(await h.call('POST', '/v1/accounts', { body: { handle: 'weak.pw', password: PASSWORD } }), 201);
    const tok = await signIn(h, 'weak.pw');
    refused(
      await h.call('POST', '/v1/me/password', {
        token: tok,
        body: { currentPassword: PASSWORD, newPassword: 'password123' },
      }),
      400,
      'WEAK_PASSWORD',
    );
    ok(
      await h.call('POST', '/v1/me/password', {
        token: tok,
        body: { currentPassword: PASSWORD, newPassword: 'saffron tide kettle 42' },
      }),
    );
    const types = (await h.gh.webhooks.feed(undefined, 1000)).messages.map((m) => m.type);
    assert.ok(types.includes('password.changed'));
  });
});
