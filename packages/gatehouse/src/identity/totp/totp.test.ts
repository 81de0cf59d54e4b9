// Issue 12 item 5, over HTTP on SQLite and PostgreSQL: an authenticator app (TOTP) enrolled by QR code and
// confirmed by a first code; once an account has it, a password sign-in from a new device or network gets
// no session until a second factor (TOTP or a recovery code) answers a short-lived single-use challenge.
// Attacks: the stolen password alone, guessed codes, codes outside the drift window, a replayed code, a
// replayed or exhausted challenge, a burst of answers, removal without re-authentication.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSync } from 'otplib';
import {
  age,
  harness,
  INTRUDER,
  ok,
  OWNER,
  PASSWORD,
  refused,
  signUp,
  STRANGER,
  type Harness,
} from '../../recovery/attack-harness.ts';
import { postgresSkip, type Backend } from '../../testing/index.ts';

const code = (secret: string, offsetSteps = 0) =>
  generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });

/** Signs up, signs in (token + device token), enrols and confirms TOTP. */
async function enrolled(h: Harness, handle: string) {
  const a = await signUp(h, handle);
  const first = ok(
    await h.call('POST', '/v1/auth/signin', { body: { handle, password: PASSWORD }, from: OWNER }),
  );
  const token = first.json.token as string;
  const deviceToken = first.json.deviceToken as string;
  const e = ok(await h.call('POST', '/v1/me/totp', { token }));
  const secret = e.json.secret as string;
  return { ...a, token, deviceToken, secret, enrolment: e.json };
}

async function askSecondFactor(h: Harness, handle: string, from: { ip: string; ua: string }) {
  const r = refused(
    await h.call('POST', '/v1/auth/signin', { body: { handle, password: PASSWORD }, from }),
    401,
    'SIGNIN_SECOND_FACTOR_REQUIRED',
  );
  return r.json as {
    challenge: string;
    methods: string[];
    why: string[];
    signals: Array<{ name: string; value: string; en: string; zh: string }>;
    expiresAt: number;
  };
}

const liveSessions = (h: Harness, account: string) =>
  h.gh.store.db
    .selectFrom('sessions')
    .select('id')
    .where('account_id', '=', account)
    .where('revoked_at', 'is', null)
    .execute();

function suite(backend: Backend) {
  describe(`TOTP second factor on ${backend}`, () => {
    let h: Harness;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend, { secondFactorMaxPerAccount: 6 });
    });
    after(async () => h?.cleanup());

    test('enrolment by QR code, confirmed by a first code; the secret is sealed at rest', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await enrolled(h, `totp.enrol.${backend}`);
      assert.match(o.enrolment.otpauthUri as string, /^otpauth:\/\/totp\/Gatehouse:totp\.enrol/);
      assert.match(o.enrolment.qrSvg as string, /^<svg[^>]*>/);
      assert.match(o.enrolment.qrDataUrl as string, /^data:image\/png;base64,/);
      // not a second factor until confirmed: the password alone still works from anywhere
      ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: o.handle, password: PASSWORD },
          from: STRANGER,
        }),
      );
      refused(
        await h.call('POST', '/v1/me/totp/confirm', { token: o.token, body: { code: '000000' } }),
        401,
        'SECOND_FACTOR_INVALID',
      );
      ok(await h.call('POST', '/v1/me/totp/confirm', { token: o.token, body: { code: code(o.secret) } }));
      const row = await h.gh.store.db
        .selectFrom('totp_factors')
        .selectAll()
        .where('account_id', '=', o.id)
        .executeTakeFirstOrThrow();
      assert.match(row.secret_sealed, /^v1\./);
      assert.ok(!row.secret_sealed.includes(o.secret));
      const status = ok(await h.call('GET', '/v1/me/second-factors', { token: o.token }));
      assert.equal((status.json.totp as { enrolled: boolean }).enrolled, true);
      // a second enrolment over a confirmed one is refused
      refused(await h.call('POST', '/v1/me/totp', { token: o.token }), 409, 'TOTP_ALREADY_ENROLLED');
    });

    test('the stolen password from a new network gets no session; guessed codes end the challenge', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await enrolled(h, `totp.steal.${backend}`);
      ok(await h.call('POST', '/v1/me/totp/confirm', { token: o.token, body: { code: code(o.secret) } }));
      const before = (await liveSessions(h, o.id)).length;
      const step = await askSecondFactor(h, o.handle, INTRUDER);
      assert.deepEqual(step.methods.sort(), ['recovery_code', 'totp']);
      assert.ok(step.why.includes('new_network') && step.why.includes('new_device'));
      // the held sign-in explains itself: each signal with its value, zh and en
      assert.deepEqual(
        step.signals.map((x) => [x.name, x.value]),
        [
          ['new_device', step.signals[0]!.value],
          ['new_network', '203.0.113.0/24'],
        ],
      );
      assert.ok(step.signals.every((x) => x.en.length > 0 && x.zh.length > 0 && x.value !== ''));
      assert.equal((await liveSessions(h, o.id)).length, before, 'no session before the second factor');
      for (const guess of ['123456', '654321', '111111', '999999', '424242'])
        refused(
          await h.call('POST', '/v1/auth/signin/second-factor', {
            body: { challenge: step.challenge, method: 'totp', code: guess },
            from: INTRUDER,
          }),
          401,
          'SECOND_FACTOR_INVALID',
        );
      // five wrong answers ended the challenge: even the right code cannot use it any more
      refused(
        await h.call('POST', '/v1/auth/signin/second-factor', {
          body: { challenge: step.challenge, method: 'totp', code: code(o.secret, 1) },
          from: INTRUDER,
        }),
        401,
        'SIGNIN_CHALLENGE_INVALID',
      );
      // a forged challenge token
      refused(
        await h.call('POST', '/v1/auth/signin/second-factor', {
          body: { challenge: `ghc_${'A'.repeat(43)}`, method: 'totp', code: code(o.secret) },
          from: INTRUDER,
        }),
        401,
        'SIGNIN_CHALLENGE_INVALID',
      );
      assert.equal((await liveSessions(h, o.id)).length, before);
    });

    test('the owner: same device and network passes; elsewhere a code within ±1 step works once', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await enrolled(h, `totp.owner.${backend}`);
      ok(await h.call('POST', '/v1/me/totp/confirm', { token: o.token, body: { code: code(o.secret) } }));
      // the owner's own device and network: no extra step
      ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: o.handle, password: PASSWORD, deviceToken: o.deviceToken },
          from: OWNER,
        }),
      );
      // the same device on a new network is asked
      const travel = { ip: '100.64.9.9', ua: OWNER.ua };
      const s1 = refused(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: o.handle, password: PASSWORD, deviceToken: o.deviceToken },
          from: travel,
        }),
        401,
        'SIGNIN_SECOND_FACTOR_REQUIRED',
      ).json as { challenge: string; why: string[] };
      assert.deepEqual(s1.why, ['new_network']);
      // outside the drift window: 3 steps behind or ahead
      for (const off of [-3, 3])
        refused(
          await h.call('POST', '/v1/auth/signin/second-factor', {
            body: { challenge: s1.challenge, method: 'totp', code: code(o.secret, off) },
            from: travel,
          }),
          401,
          'SECOND_FACTOR_INVALID',
        );
      // one step ahead (a fast phone clock) is inside the window
      const ahead = code(o.secret, 1);
      const r = ok(
        await h.call('POST', '/v1/auth/signin/second-factor', {
          body: { challenge: s1.challenge, method: 'totp', code: ahead },
          from: travel,
        }),
      );
      const token = r.json.token as string;
      assert.match(token, /^ghs_/);
      const sid = (r.json.session as { id: string }).id;
      const row = await h.gh.store.db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', sid)
        .executeTakeFirstOrThrow();
      assert.ok(row.step_up_at !== null, 'the session proved a second factor');
      // the challenge was single use
      refused(
        await h.call('POST', '/v1/auth/signin/second-factor', {
          body: { challenge: s1.challenge, method: 'totp', code: ahead },
          from: travel,
        }),
        401,
        'SIGNIN_CHALLENGE_INVALID',
      );
      // the same code replayed on a fresh challenge (a relay that saw it) is refused, and so is the
      // code of the current step (already passed: the accepted one was later)
      const s2 = await askSecondFactor(h, o.handle, INTRUDER);
      for (const c of [ahead, code(o.secret)])
        refused(
          await h.call('POST', '/v1/auth/signin/second-factor', {
            body: { challenge: s2.challenge, method: 'totp', code: c },
            from: INTRUDER,
          }),
          401,
          'SECOND_FACTOR_INVALID',
        );
    });

    test('concurrent replays of one code: exactly one session', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await enrolled(h, `totp.race.${backend}`);
      ok(await h.call('POST', '/v1/me/totp/confirm', { token: o.token, body: { code: code(o.secret) } }));
      const from = { ip: '100.64.20.1', ua: OWNER.ua };
      const steps = await Promise.all([1, 2, 3].map(() => askSecondFactor(h, o.handle, from)));
      const c = code(o.secret, 1);
      const answers = await Promise.all(
        steps.map((s) =>
          h.call('POST', '/v1/auth/signin/second-factor', {
            body: { challenge: s.challenge, method: 'totp', code: c },
            from,
          }),
        ),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401, 401]);
    });

    test('a recovery code is a second factor, once', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await enrolled(h, `totp.rc.${backend}`);
      ok(await h.call('POST', '/v1/me/totp/confirm', { token: o.token, body: { code: code(o.secret) } }));
      const codes = ok(await h.call('POST', '/v1/me/recovery/codes', { token: o.token })).json
        .codes as string[];
      await age(h, o.id, 30); // past the cooling-off of new recovery codes
      const from = { ip: '100.64.30.1', ua: STRANGER.ua };
      const s1 = await askSecondFactor(h, o.handle, from);
      const r = ok(
        await h.call('POST', '/v1/auth/signin/second-factor', {
          body: { challenge: s1.challenge, method: 'recovery_code', code: codes[0], mode: 'cookie' },
          from,
        }),
      );
      assert.ok(r.json.csrfToken, 'cookie mode answers with the CSRF token');
      assert.match(r.headers.get('set-cookie') ?? '', /gh_session=ghs_/);
      const s2 = await askSecondFactor(h, o.handle, INTRUDER);
      refused(
        await h.call('POST', '/v1/auth/signin/second-factor', {
          body: { challenge: s2.challenge, method: 'recovery_code', code: codes[0] },
          from: INTRUDER,
        }),
        401,
        'SECOND_FACTOR_INVALID',
      );
    });

    test('answers are counted per account before they are checked (Retry-After)', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await enrolled(h, `totp.limit.${backend}`);
      ok(await h.call('POST', '/v1/me/totp/confirm', { token: o.token, body: { code: code(o.secret) } }));
      // six wrong answers over two challenges and two networks spend the account's allowance (6)
      for (const ip of ['203.0.113.70', '192.0.2.71']) {
        const s = await askSecondFactor(h, o.handle, { ip, ua: INTRUDER.ua });
        for (let i = 0; i < 3; i++)
          refused(
            await h.call('POST', '/v1/auth/signin/second-factor', {
              body: { challenge: s.challenge, method: 'totp', code: `00000${i}` },
              from: { ip, ua: INTRUDER.ua },
            }),
            401,
            'SECOND_FACTOR_INVALID',
          );
      }
      const s = await askSecondFactor(h, o.handle, { ip: '198.18.0.9', ua: INTRUDER.ua });
      const limited = refused(
        await h.call('POST', '/v1/auth/signin/second-factor', {
          body: { challenge: s.challenge, method: 'totp', code: code(o.secret, 1) },
          from: { ip: '198.18.0.9', ua: INTRUDER.ua },
        }),
        429,
        'RATE_LIMITED',
      );
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    });

    test('step-up with the authenticator app: once per code, guesses refused', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await enrolled(h, `totp.stepup.${backend}`);
      ok(await h.call('POST', '/v1/me/totp/confirm', { token: o.token, body: { code: code(o.secret) } }));
      refused(
        await h.call('POST', '/v1/me/step-up/totp', { token: o.token, body: { code: '314159' } }),
        401,
        'SECOND_FACTOR_INVALID',
      );
      const c = code(o.secret, 1);
      const r = ok(await h.call('POST', '/v1/me/step-up/totp', { token: o.token, body: { code: c } }));
      const row = await h.gh.store.db
        .selectFrom('sessions')
        .select('step_up_at')
        .where('account_id', '=', o.id)
        .where('step_up_at', 'is not', null)
        .executeTakeFirstOrThrow();
      assert.ok(Math.abs(Number(row.step_up_at) - (r.json.steppedUpAt as number)) < 5_000);
      refused(
        await h.call('POST', '/v1/me/step-up/totp', { token: o.token, body: { code: c } }),
        401,
        'SECOND_FACTOR_INVALID',
      );
    });

    test('removal needs re-authentication; afterwards the password alone signs in again', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await enrolled(h, `totp.remove.${backend}`);
      ok(await h.call('POST', '/v1/me/totp/confirm', { token: o.token, body: { code: code(o.secret) } }));
      // the session is an hour old: its password proof has lapsed (a stolen session cannot remove it)
      await h.gh.store.db
        .updateTable('sessions')
        .set((eb) => ({ created_at: eb('created_at', '-', 3_600_000) }))
        .where('account_id', '=', o.id)
        .execute();
      refused(await h.call('DELETE', '/v1/me/totp', { token: o.token }), 403, 'REAUTH_REQUIRED');
      await askSecondFactor(h, o.handle, INTRUDER);
      ok(await h.call('POST', '/v1/me/reauth', { token: o.token, body: { password: PASSWORD } }));
      ok(await h.call('DELETE', '/v1/me/totp', { token: o.token }), 204);
      refused(await h.call('DELETE', '/v1/me/totp', { token: o.token }), 404, 'TOTP_NOT_ENROLLED');
      ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: o.handle, password: PASSWORD },
          from: { ip: '100.64.40.1', ua: STRANGER.ua },
        }),
      );
    });
  });
}

suite('sqlite');
suite('postgres');
