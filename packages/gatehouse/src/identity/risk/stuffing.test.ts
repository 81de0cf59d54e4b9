// Issue 12 item 6, over HTTP on SQLite and PostgreSQL: risk is judged before the session exists. A right
// password from a device and network the account never used, while the sign-in counters show credential
// stuffing (one network failing on many handles, or one handle failing from many networks), gets no
// session: a second factor when the account has one, SIGNIN_RISK_DENIED (with the signals) otherwise. The
// owner on a known device or network, and anyone outside stuffing, signs in as before.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSync } from 'otplib';
import {
  harness,
  ok,
  OWNER,
  PASSWORD,
  refused,
  signUp,
  STRANGER,
  type Harness,
} from '../../recovery/attack-harness.ts';
import { postgresSkip, type Backend } from '../../testing/index.ts';

const BOT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36';

function suite(backend: Backend) {
  describe(`sign-in risk before the session on ${backend}`, () => {
    let h: Harness;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend, { signinStuffingNetworkFailures: 10, signinStuffingHandleFailures: 5 });
    });
    after(async () => h?.cleanup());

    const signin = (
      handle: string,
      from: { ip: string; ua: string },
      password = PASSWORD,
      deviceToken?: string,
    ) =>
      h.call('POST', '/v1/auth/signin', {
        body: { handle, password, ...(deviceToken ? { deviceToken } : {}) },
        from,
      });

    test('a stuffing network’s right guess is refused; the owner at home is not', async (tt) => {
      if (skip) return tt.skip(skip);
      const victim = await signUp(h, `stuffed.${backend}`);
      ok(await signin(victim.handle, OWNER)); // the owner's network is known
      const bot = { ip: '203.0.113.150', ua: BOT };
      // a combo list: wrong passwords for twelve handles, most of them not even accounts here
      for (let i = 0; i < 12; i++)
        refused(await signin(`combo.user.${i}.${backend}`, bot, `leaked-${i}`), 401, 'INVALID_CREDENTIALS');
      const denied = refused(await signin(victim.handle, bot), 403, 'SIGNIN_RISK_DENIED');
      const signals = denied.json.signals as Array<{ name: string; value: number; zh: string }>;
      assert.deepEqual(
        signals.map((s) => s.name),
        ['stuffing_network'],
      );
      assert.ok(signals[0]!.value >= 12 && signals[0]!.zh.length > 0);
      const rows = await h.gh.store.db
        .selectFrom('signins')
        .select(['reason', 'success'])
        .where('account_id', '=', victim.id)
        .orderBy('seq', 'desc')
        .limit(1)
        .execute();
      assert.deepEqual(rows, [{ reason: 'risk_denied', success: 0 }]);
      const live = await h.gh.store.db
        .selectFrom('sessions')
        .select('ip')
        .where('account_id', '=', victim.id)
        .execute();
      assert.ok(
        live.every((s) => s.ip !== bot.ip),
        'no session for the stuffing network',
      );
      ok(await signin(victim.handle, OWNER));
    });

    test('success after many failures from elsewhere is refused; the owner’s device is not', async (tt) => {
      if (skip) return tt.skip(skip);
      const victim = await signUp(h, `spread.${backend}`);
      const device = ok(await signin(victim.handle, OWNER)).json.deviceToken as string;
      for (let i = 0; i < 5; i++)
        refused(
          await signin(victim.handle, { ip: `192.0.2.${20 + i * 40}`, ua: BOT }, `guess-${i}`),
          401,
          'INVALID_CREDENTIALS',
        );
      // five /24s are one network here (192.0.2.0/24): spread over real different ones too
      for (let i = 0; i < 5; i++)
        refused(
          await signin(victim.handle, { ip: `100.${70 + i}.0.9`, ua: BOT }, `guess-b-${i}`),
          401,
          'INVALID_CREDENTIALS',
        );
      const d = refused(
        await signin(victim.handle, { ip: '100.99.1.1', ua: BOT }),
        403,
        'SIGNIN_RISK_DENIED',
      );
      assert.ok((d.json.signals as Array<{ name: string }>).some((s) => s.name === 'stuffing_handle'));
      // the owner travelling with their device token, and at home
      ok(await signin(victim.handle, { ip: '100.98.1.1', ua: OWNER.ua }, PASSWORD, device));
      ok(await signin(victim.handle, OWNER));
    });

    test('an account with a second factor is asked for it instead; a quiet new network signs in', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `stuffed.mfa.${backend}`);
      const token = ok(await signin(a.handle, OWNER)).json.token as string;
      const secret = ok(await h.call('POST', '/v1/me/totp', { token })).json.secret as string;
      ok(await h.call('POST', '/v1/me/totp/confirm', { token, body: { code: generateSync({ secret }) } }));
      const bot = { ip: '203.0.114.150', ua: BOT };
      for (let i = 0; i < 11; i++)
        refused(await signin(`combo2.user.${i}.${backend}`, bot, `leaked-${i}`), 401, 'INVALID_CREDENTIALS');
      refused(await signin(a.handle, bot), 401, 'SIGNIN_SECOND_FACTOR_REQUIRED');
      // control: an account without a second factor from a new, quiet network
      const b = await signUp(h, `quiet.${backend}`);
      ok(await signin(b.handle, STRANGER));
    });
  });
}

suite('sqlite');
suite('postgres');
