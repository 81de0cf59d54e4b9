// Issue 10, over real HTTP against a Gatehouse with trustProxy on and the production defaults of the
// account-control settings: each attack that used to work now fails, and the owner's own path works.
// (Attack 5, sign-in guessing, is in identity/signin-limits.test.ts; attack 6, "was this you?", in
// identity/challenge-trust.test.ts; attack 7, a sanctioned spammer's own appeal, in appeal-cooldown.test.ts.)
// attacks.postgres.test.ts runs the same suite on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  age,
  appeal,
  DAY,
  harness,
  INTRUDER,
  ok,
  OWNER,
  PASSWORD,
  refused,
  settledOwner,
  signIn,
  signUp,
  STRANGER,
  walkToRestored,
  type Harness,
} from './attack-harness.ts';
import { fileBackend } from '../testing/backends.ts';

let h: Harness;
let n = 0;
const uniq = (p: string) => `${p}${++n}`;

before(async () => {
  h = await harness(fileBackend(import.meta));
});
after(async () => h?.cleanup());

/** Friends who really are the owner's (set up long ago). */
async function friends(k: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < k; i++) out.push((await signUp(h, uniq('friend'))).handle);
  return out;
}

const caseOf = (r: { json: Record<string, unknown> }) => r.json.case as Record<string, unknown>;

describe('issue 10: account control an intruder can neither take nor keep', () => {
  test('attack 1: an intruder with the password replaces codes, friends and email, then appeals with them: refused; the owner takes the account back', async () => {
    const real = await friends(2);
    const puppets = await friends(2); // the intruder's sock puppets
    const email = `${uniq('owner')}@example.cn`;
    const owner = await settledOwner(h, uniq('hua'), { friends: real, email });
    const before = h.sender.alertsTo(email).length;

    // The intruder signs in with the stolen password and changes every recovery factor.
    const it = await signIn(h, owner.handle, INTRUDER);
    const itCodes = ok(await h.call('POST', '/v1/me/recovery/codes', { token: it, from: INTRUDER })).json
      .codes as string[];
    const fr = ok(
      await h.call('PUT', '/v1/me/recovery/friends', {
        token: it,
        from: INTRUDER,
        body: { handles: puppets },
      }),
    );
    assert.ok(
      (fr.json.usableFrom as number) > Date.now() + 6 * DAY,
      'new friends count only after the cooling-off',
    );
    const evil = 'intruder@evil.example';
    const ch = ok(
      await h.call('POST', '/v1/me/recovery/channels', {
        token: it,
        from: INTRUDER,
        body: { kind: 'email', address: evil },
      }),
      201,
    );
    const evilId = (ch.json.channel as { id: string }).id;
    ok(
      await h.call('POST', `/v1/me/recovery/channels/${evilId}/verify`, {
        token: it,
        from: INTRUDER,
        body: { code: h.sender.codeFor(evil) },
      }),
    );
    // Every change was announced at once: to the owner's existing email, and to the platform.
    const alerts = h.sender.alertsTo(email).slice(before);
    assert.equal(alerts.length, 3, 'codes, friends and the new email are each announced');
    assert.match(alerts[0]!.text.zh, /不是我本人/);
    const feed = (await h.gh.webhooks.feed(undefined, 1000)).messages.filter(
      (m) => m.type === 'recovery.factors_changed' && m.account === owner.id,
    );
    assert.deepEqual(
      feed.slice(-3).map((m) => (m.data as { factor: string }).factor),
      ['recovery_codes', 'trusted_friends', 'email'],
    );

    // The owner's one step: "this wasn't me" from the alert contains the account at once.
    const stop = ok(
      await h.call('POST', '/v1/recovery/not-me', { body: { token: alerts[0]!.stop }, from: OWNER }),
    );
    assert.equal(stop.json.contained, true);
    const frozen = ok(await h.call('GET', `/v1/accounts/${owner.id}`, { key: h.op })).json;
    assert.equal(frozen.state, 'frozen');
    assert.equal(frozen.freezeKind, 'containment');
    // every session ended with the containment: the intruder's too
    refused(await h.call('GET', '/v1/me', { token: it, from: INTRUDER }), 401, 'SESSION_INVALID');

    // The intruder appeals with what it set up: none of it counts.
    const { token: itCase } = await appeal(h, owner.handle, INTRUDER, 'recovery_code');
    refused(
      await h.call('POST', '/v1/recovery/case/verification/answer', {
        token: itCase,
        from: INTRUDER,
        body: { code: itCodes[0] },
      }),
      401,
      'RECOVERY_CODE_INVALID',
    );
    refused(
      await h.call('POST', '/v1/recovery/case/verification', {
        token: itCase,
        from: INTRUDER,
        body: { method: 'email_code', channel: evilId },
      }),
      404,
      'RECOVERY_CHANNEL_NOT_FOUND',
    );
    const mail = ok(
      await h.call('POST', '/v1/recovery/case/verification', {
        token: itCase,
        from: INTRUDER,
        body: { method: 'email_code' },
      }),
    );
    assert.equal(
      h.sender.sent.at(-1)!.address,
      email,
      "the code goes to the owner's email, not the intruder's",
    );
    assert.notEqual(mail.json.sentTo, undefined);
    const fcodes = ok(
      await h.call('POST', '/v1/recovery/case/verification', {
        token: itCase,
        from: INTRUDER,
        body: { method: 'trusted_friends' },
      }),
    ).json.friendCodes as Array<{ friend: string; code: string }>;
    assert.deepEqual(
      fcodes.map((f) => f.friend).sort(),
      [...real].sort(),
      'only the owner’s own friends are asked',
    );
    const puppet = await signIn(h, puppets[0]!, INTRUDER);
    refused(
      await h.call('POST', '/v1/me/recovery/vouch', {
        token: puppet,
        from: INTRUDER,
        body: { owner: owner.handle, code: fcodes[0]!.code },
      }),
      403,
      'RECOVERY_FRIEND_NOT_TRUSTED',
    );
    const pledge = ok(await h.call('GET', '/v1/recovery/pledge'));
    refused(
      await h.call('POST', '/v1/recovery/case/pledge', {
        token: itCase,
        from: INTRUDER,
        body: { version: pledge.json.version, accept: true },
      }),
      409,
      'RECOVERY_WRONG_STATE',
    );

    // The owner's own path: the saved code verifies, the account comes back, the intruder's case closes.
    const { token: mine } = await appeal(h, owner.handle, OWNER, 'recovery_code');
    const verified = ok(
      await h.call('POST', '/v1/recovery/case/verification/answer', {
        token: mine,
        body: { code: owner.codes[2] },
      }),
    );
    assert.equal(caseOf(verified).state, 'verified');
    const done = await walkToRestored(h, mine, 'lantern harbour tea 2031');
    assert.equal(caseOf(done).state, 'restored');
    assert.equal(
      caseOf(ok(await h.call('GET', '/v1/recovery/case', { token: itCase, from: INTRUDER }))).state,
      'superseded',
    );
    const back = await signIn(h, owner.handle, OWNER, 'lantern harbour tea 2031');
    refused(
      await h.call('POST', '/v1/auth/signin', {
        body: { handle: owner.handle, password: PASSWORD },
        from: INTRUDER,
      }),
      401,
      'INVALID_CREDENTIALS',
    );
    // What the intruder set up inside the window is undone; the owner's own set-up is back.
    assert.equal(ok(await h.call('GET', '/v1/me/recovery/codes', { token: back })).json.remaining, 9);
    assert.deepEqual(
      (
        ok(await h.call('GET', '/v1/me/recovery/friends', { token: back })).json.friends as Array<{
          handle: string;
        }>
      )
        .map((f) => f.handle)
        .sort(),
      [...real].sort(),
    );
    const chans = ok(await h.call('GET', '/v1/me/recovery/channels', { token: back })).json
      .channels as Array<{
      address: string;
    }>;
    assert.deepEqual(
      chans.map((c) => c.address),
      [email],
    );
  });

  test("attack 2: codes regenerated by an intruder never void the owner's saved code (cooling-off, and the window on its own)", async () => {
    for (const hh of [h, await harness(fileBackend(import.meta), { recoveryFactorCoolingOffHours: 0 })]) {
      const owner = await settledOwner(hh, uniq('wei'));
      const it = await signIn(hh, owner.handle, INTRUDER);
      const itCodes = ok(await hh.call('POST', '/v1/me/recovery/codes', { token: it, from: INTRUDER })).json
        .codes as string[];
      // Contained (an operator freezes the taken-over account as a containment).
      ok(
        await hh.call('POST', `/v1/accounts/${owner.id}/freeze`, {
          key: hh.op,
          body: { reason: 'hijack', kind: 'containment' },
        }),
      );
      const { token: itCase } = await appeal(hh, owner.handle, INTRUDER, 'recovery_code');
      refused(
        await hh.call('POST', '/v1/recovery/case/verification/answer', {
          token: itCase,
          from: INTRUDER,
          body: { code: itCodes[1] },
        }),
        401,
        'RECOVERY_CODE_INVALID',
      );
      const { token } = await appeal(hh, owner.handle, OWNER, 'recovery_code');
      const r = ok(
        await hh.call('POST', '/v1/recovery/case/verification/answer', {
          token,
          body: { code: owner.codes[0] },
        }),
      );
      assert.equal(caseOf(r).state, 'verified');
      if (hh !== h) await hh.cleanup();
    }
  });

  test("attack 3: a stranger's many appeals never block the owner's or an operator's; unstarted appeals expire in minutes", async () => {
    const owner = await settledOwner(h, uniq('lin'));
    ok(
      await h.call('POST', `/v1/accounts/${owner.id}/freeze`, {
        key: h.op,
        body: { reason: 'hijack', kind: 'containment' },
      }),
    );
    for (let i = 0; i < 3; i++) await appeal(h, owner.handle, STRANGER);
    refused(
      await h.call('POST', '/v1/recovery/appeals', { body: { handle: owner.handle }, from: STRANGER }),
      429,
      'RECOVERY_TOO_MANY_CASES',
    );
    const mine = await appeal(h, owner.handle, OWNER, 'recovery_code');
    assert.equal(caseOf(mine.reply).state, 'opened');
    const opc = ok(
      await h.call('POST', '/v1/recovery/cases', { key: h.op, body: { account: owner.id } }),
      201,
    );
    assert.equal(caseOf(opc).state, 'opened');
    const cases = ok(await h.call('GET', `/v1/recovery/cases?account=${owner.id}`, { key: h.op })).json
      .cases as Array<{
      openedBy: string;
      state: string;
      createdAt: number;
      expiresAt: number;
    }>;
    const strangers = cases.filter((c) => c.openedBy === 'owner' && c.state === 'opened');
    assert.ok(strangers.length >= 3);
    for (const c of strangers) assert.equal(c.expiresAt - c.createdAt, 15 * 60_000);
    // the owner's started appeal lives the whole case TTL
    assert.ok(cases.some((c) => c.state === 'verifying' && c.expiresAt - c.createdAt === 72 * 3_600_000));
    const r = ok(
      await h.call('POST', '/v1/recovery/case/verification/answer', {
        token: mine.token,
        body: { code: owner.codes[1] },
      }),
    );
    assert.equal(caseOf(r).state, 'verified');
  });

  test('attack 4: an unverified appellant sees only the state and the next step, never the report', async () => {
    const owner = await settledOwner(h, uniq('zhao'));
    const it = await signIn(h, owner.handle, INTRUDER);
    ok(await h.call('GET', '/v1/me', { token: it, from: INTRUDER }));
    ok(
      await h.call('POST', `/v1/accounts/${owner.id}/freeze`, {
        key: h.op,
        body: { reason: 'hijack', kind: 'containment' },
      }),
    );
    const { token, reply } = await appeal(h, owner.handle, STRANGER);
    const seen = caseOf(reply);
    assert.equal(seen.details, false);
    assert.equal(seen.account, null);
    assert.equal(seen.window, null);
    assert.deepEqual((seen.next as { step: string }).step, 'choose_method');
    const view = caseOf(ok(await h.call('GET', '/v1/recovery/case', { token, from: STRANGER })));
    assert.equal(view.account, null);
    assert.equal(view.window, null);
    refused(
      await h.call('GET', '/v1/recovery/case/report', { token, from: STRANGER }),
      403,
      'RECOVERY_NOT_VERIFIED',
    );
    refused(
      await h.call('GET', '/v1/recovery/case/report?format=markdown', { token, from: STRANGER }),
      403,
      'RECOVERY_NOT_VERIFIED',
    );
    refused(
      await h.call('GET', '/v1/recovery/case/sessions', { token, from: STRANGER }),
      409,
      'RECOVERY_WRONG_STATE',
    );
    // The owner, once verified, reads the whole report (with the intruder's sign-in in it).
    const { token: mine } = await appeal(h, owner.handle, OWNER, 'recovery_code');
    ok(
      await h.call('POST', '/v1/recovery/case/verification/answer', {
        token: mine,
        body: { code: owner.codes[0] },
      }),
    );
    const rep = ok(await h.call('GET', '/v1/recovery/case/report', { token: mine }));
    assert.equal((rep.json.entry as { ip: string }).ip, INTRUDER.ip);
    assert.equal((rep.json.account as { handle: string }).handle, owner.handle);
    assert.equal(caseOf(ok(await h.call('GET', '/v1/recovery/case', { token: mine }))).details, true);
  });

  test('attack 8: trusted friends see where an appeal comes from, the owner is alerted, and friends alone only go on after a delay', async () => {
    const real = await friends(3);
    const email = `${uniq('gao')}@example.cn`;
    const owner = await settledOwner(h, uniq('gao'), { friends: real, email });
    const it = await signIn(h, owner.handle, INTRUDER);
    ok(await h.call('GET', '/v1/me', { token: it, from: INTRUDER }));
    ok(
      await h.call('POST', `/v1/accounts/${owner.id}/freeze`, {
        key: h.op,
        body: { reason: 'hijack', kind: 'containment' },
      }),
    );
    const { token: itCase } = await appeal(h, owner.handle, INTRUDER);
    const codes = ok(
      await h.call('POST', '/v1/recovery/case/verification', {
        token: itCase,
        from: INTRUDER,
        body: { method: 'trusted_friends' },
      }),
    ).json.friendCodes as Array<{ friend: string; code: string }>;
    const alertsBefore = h.sender.alertsTo(email).length;
    // The intruder chats each friend "please enter ABCD-EFGH". The friend sees where the appeal comes from.
    for (const f of codes.slice(0, 2)) {
      const tok = await signIn(h, f.friend, OWNER);
      const reqs = ok(await h.call('GET', '/v1/me/recovery/vouch-requests', { token: tok })).json
        .requests as Array<{
        owner: string;
        origin: { network: string; device: string; country: string | null };
        warning: { en: string; zh: string };
      }>;
      const r = reqs.find((x) => x.owner === owner.handle)!;
      assert.equal(r.origin.network, '203.0.113.0/24');
      assert.match(r.origin.device, /Android/);
      assert.match(r.warning.zh, /聊天消息/);
      assert.match(r.warning.en, /chat message/);
      const v = ok(
        await h.call('POST', '/v1/me/recovery/vouch', {
          token: tok,
          body: { owner: owner.handle, code: f.code },
        }),
      );
      assert.equal((v.json.origin as { network: string }).network, '203.0.113.0/24');
    }
    const waiting = caseOf(ok(await h.call('GET', '/v1/recovery/case', { token: itCase, from: INTRUDER })));
    assert.equal(waiting.state, 'verified');
    const readyAt = waiting.readyAt as number;
    assert.ok(readyAt > Date.now() + 23 * 3_600_000, 'friends alone: the appeal waits a day');
    assert.equal((waiting.next as { step: string }).step, 'wait');
    const pledge = ok(await h.call('GET', '/v1/recovery/pledge'));
    const early = refused(
      await h.call('POST', '/v1/recovery/case/pledge', {
        token: itCase,
        from: INTRUDER,
        body: { version: pledge.json.version, accept: true },
      }),
      409,
      'RECOVERY_WAITING',
    );
    assert.ok(Number(early.headers.get('retry-after')) > 3600);
    // The owner's channels heard of each confirmation, with where it came from and a stop link.
    const alerts = h.sender.alertsTo(email).slice(alertsBefore);
    assert.ok(alerts.length >= 2);
    assert.match(alerts.at(-1)!.text.en, /203\.0\.113\.0\/24/);
    const stopped = ok(
      await h.call('POST', '/v1/recovery/not-me', { body: { token: alerts.at(-1)!.stop }, from: OWNER }),
    );
    assert.equal(stopped.json.appealStopped, true);
    assert.equal(
      caseOf(ok(await h.call('GET', '/v1/recovery/case', { token: itCase, from: INTRUDER }))).state,
      'rejected',
    );

    // The owner's own path: friends and the saved code together go on at once.
    const { token: mine } = await appeal(h, owner.handle, OWNER);
    const mineCodes = ok(
      await h.call('POST', '/v1/recovery/case/verification', {
        token: mine,
        body: { method: 'trusted_friends' },
      }),
    ).json.friendCodes as Array<{ friend: string; code: string }>;
    for (const f of mineCodes.slice(0, 2)) {
      const tok = await signIn(h, f.friend, OWNER);
      ok(
        await h.call('POST', '/v1/me/recovery/vouch', {
          token: tok,
          body: { owner: owner.handle, code: f.code },
        }),
      );
    }
    ok(
      await h.call('POST', '/v1/recovery/case/verification', {
        token: mine,
        body: { method: 'recovery_code' },
      }),
    );
    const both = caseOf(
      ok(
        await h.call('POST', '/v1/recovery/case/verification/answer', {
          token: mine,
          body: { code: owner.codes[0] },
        }),
      ),
    );
    assert.equal(both.readyAt, null);
    assert.equal(both.verifiedBy, 'trusted_friends+recovery_code');
    assert.equal(caseOf(await walkToRestored(h, mine, 'copper kite meadow 77')).state, 'restored');
  });

  test('attack 9: finishing one case closes every other; a left-open verified case cannot reset the restored account', async () => {
    const owner = await settledOwner(h, uniq('qian'));
    const it = await signIn(h, owner.handle, INTRUDER);
    ok(await h.call('GET', '/v1/me', { token: it, from: INTRUDER }));
    ok(
      await h.call('POST', `/v1/accounts/${owner.id}/freeze`, {
        key: h.op,
        body: { reason: 'hijack', kind: 'containment' },
      }),
    );
    // Two cases verified (say the owner on two devices, or an intruder who got one code): one is left open.
    const a = await appeal(h, owner.handle, OWNER, 'recovery_code');
    ok(
      await h.call('POST', '/v1/recovery/case/verification/answer', {
        token: a.token,
        body: { code: owner.codes[0] },
      }),
    );
    const pledge = ok(await h.call('GET', '/v1/recovery/pledge'));
    ok(
      await h.call('POST', '/v1/recovery/case/pledge', {
        token: a.token,
        body: { version: pledge.json.version, accept: true },
      }),
    );
    const other = { ip: '198.51.100.99', ua: STRANGER.ua };
    const b = await appeal(h, owner.handle, other, 'recovery_code');
    ok(
      await h.call('POST', '/v1/recovery/case/verification/answer', {
        token: b.token,
        from: other,
        body: { code: owner.codes[1] },
      }),
    );
    assert.equal(caseOf(await walkToRestored(h, b.token, 'violet orchard 5150', other)).state, 'restored');
    // The other case was closed with the account's restore.
    const left = caseOf(ok(await h.call('GET', '/v1/recovery/case', { token: a.token })));
    assert.equal(left.state, 'superseded');
    refused(
      await h.call('POST', '/v1/recovery/case/password', {
        token: a.token,
        body: { newPassword: 'someone else owns this 9' },
      }),
      409,
      'RECOVERY_WRONG_STATE',
    );
    await signIn(h, owner.handle, OWNER, 'violet orchard 5150');
    // An operator's unfreeze closes open cases too.
    ok(
      await h.call('POST', `/v1/accounts/${owner.id}/freeze`, {
        key: h.op,
        body: { reason: 'again', kind: 'containment' },
      }),
    );
    const c = await appeal(h, owner.handle, OWNER, 'recovery_code');
    ok(
      await h.call('POST', `/v1/accounts/${owner.id}/unfreeze`, {
        key: h.op,
        body: { reason: 'support checked' },
      }),
    );
    assert.equal(
      caseOf(ok(await h.call('GET', '/v1/recovery/case', { token: c.token }))).state,
      'superseded',
    );
    await age(h, owner.id, 0);
  });
});
