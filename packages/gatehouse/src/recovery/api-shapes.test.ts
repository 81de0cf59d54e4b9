// Issue 20, item 5, over HTTP: every step of an appeal answers one shape ({case: {…, next}, …}); a
// refused session review names the session that causes it (an already-ended intruder session under
// `revoke` is fine); a session's device is the SDK's Device object in the API too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Device } from '@gatehouse/sdk';
import {
  appeal,
  harness,
  INTRUDER,
  ok,
  OWNER,
  refused,
  settledOwner,
  signIn,
  type Harness,
} from './attack-harness.ts';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => h?.cleanup());

function stepShape(body: Record<string, unknown>, state: string) {
  const c = body.case as { state: string; next: { step: string; en: string; zh: string } };
  assert.ok(c, `no case in ${JSON.stringify(body).slice(0, 200)}`);
  assert.equal(c.state, state);
  assert.ok(c.next.step && c.next.en && c.next.zh);
  return c;
}

test('one shape for every step; the review names the real undecided session; devices are objects', async () => {
  const owner = await settledOwner(h, 'shape.owner');
  const it = await signIn(h, owner.handle, INTRUDER);
  const intruderSession = (
    ok(await h.call('GET', '/v1/me/sessions', { token: it, from: INTRUDER })).json.sessions as Array<{
      id: string;
    }>
  )[0]!.id;
  ok(
    await h.call('POST', `/v1/accounts/${owner.id}/freeze`, {
      key: h.op,
      body: { reason: 'hijack', kind: 'containment' },
    }),
  );

  const { token, reply } = await appeal(h, owner.handle, OWNER);
  assert.equal(stepShape(reply.json, 'opened').next.step, 'choose_method');
  const started = ok(
    await h.call('POST', '/v1/recovery/case/verification', { token, body: { method: 'recovery_code' } }),
  );
  assert.equal(stepShape(started.json, 'verifying').next.step, 'answer');
  const answered = ok(
    await h.call('POST', '/v1/recovery/case/verification/answer', { token, body: { code: owner.codes[0] } }),
  );
  assert.equal(stepShape(answered.json, 'verified').next.step, 'pledge');
  assert.equal(answered.json.outcome, 'verified');
  const pledge = ok(await h.call('GET', '/v1/recovery/pledge'));
  const pledged = ok(
    await h.call('POST', '/v1/recovery/case/pledge', {
      token,
      body: { version: pledge.json.version, accept: true },
    }),
  );
  assert.equal(stepShape(pledged.json, 'pledged').next.step, 'password');
  const pw = ok(
    await h.call('POST', '/v1/recovery/case/password', {
      token,
      body: { newPassword: 'tangerine lantern 2029' },
    }),
  );
  assert.equal(stepShape(pw.json, 'pledged').next.step, 'review_sessions');
  assert.equal(typeof pw.json.revokedSessions, 'number');

  // A live session the review must decide (written directly: a session started through identity on
  // a contained account is ended at once by the response part).
  const t = Date.now();
  const live = { id: 'ses_shapeLiveOne0001' };
  await h.gh.store.db
    .insertInto('sessions')
    .values({
      id: live.id,
      account_id: owner.id,
      token_hash: 'f'.repeat(64),
      method: 'password',
      user_agent: OWNER.ua,
      device: JSON.stringify({ label: 'Chrome 126 on Windows 10', browser: 'Chrome 126', os: 'Windows 10' }),
      ip: OWNER.ip,
      created_at: t,
      last_seen_at: t,
      expires_at: t + 86_400_000,
      revoked_at: null,
      revoked_reason: null,
      reauth_at: null,
      step_up_at: null,
    })
    .execute();
  const review = ok(await h.call('GET', '/v1/recovery/case/sessions', { token }));
  const sessions = review.json.sessions as Array<{ id: string; device: unknown; live: boolean }>;
  for (const s of sessions) assert.ok(Device.safeParse(s.device).success, JSON.stringify(s.device));
  assert.equal(sessions.find((s) => s.id === intruderSession)!.live, false);
  // The intruder's ended session under revoke is fine; the refusal names the live undecided one.
  const undecided = refused(
    await h.call('POST', '/v1/recovery/case/sessions/review', {
      token,
      body: { keep: [], revoke: [intruderSession] },
    }),
    400,
    'RECOVERY_SESSIONS_UNDECIDED',
  );
  assert.deepEqual(undecided.json.undecided, [live.id]);
  assert.deepEqual(undecided.json.unknown, []);
  assert.match(String(undecided.json.detail), new RegExp(`not decided: ${live.id} \\(Chrome 126 on Windows`));
  assert.ok(!String(undecided.json.detail).includes(intruderSession));
  const reviewed = ok(
    await h.call('POST', '/v1/recovery/case/sessions/review', {
      token,
      body: { keep: [live.id], revoke: [intruderSession] },
    }),
  );
  assert.equal(stepShape(reviewed.json, 'pledged').next.step, 'finish');
  const done = ok(await h.call('POST', '/v1/recovery/case/finish', { token }));
  assert.equal(stepShape(done.json, 'restored').next.step, 'done');
  assert.ok(done.json.report);
  const hist = await h.gh.recovery.history((done.json.case as { id: string }).id);
  assert.deepEqual(hist.find((e) => e.step === 'sessions_reviewed')!.details.alreadyEnded, [intruderSession]);
});
