// Issue 12 item 2, over HTTP: a probation session (from a mismatched QR approval) cannot authorise a
// third-party app — the consent step answers SESSION_ON_PROBATION — while the owner's ordinary session
// authorises it as before.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addApp, authorise, fixture, rp, type Fixture } from '../../oauth/test-fixture.ts';
import { TestBrowser } from '../../oauth/test-browser.ts';
import * as oidc from 'openid-client';
import { postgresSkip, type Backend } from '../../testing/index.ts';

function suite(backend: Backend) {
  describe(`probation and third-party apps on ${backend}`, () => {
    let f: Fixture;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      f = await fixture(backend);
    });
    after(async () => f?.cleanup());

    /** A browser holding a session of alice's (on probation or not). */
    async function browserWith(probation: boolean) {
      const account = (await f.gh.store.db
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', f.account.id)
        .executeTakeFirstOrThrow())!;
      const ctx = { ip: '203.0.113.66', userAgent: 'Mozilla/5.0 (Linux; Android 14) Chrome/126.0' };
      const { token } = await f.gh.identity.startSession(account, 'qr', ctx, undefined, {
        ...(probation
          ? { probation: { until: Date.now() + 86_400_000, reason: 'qr_network_mismatch' } }
          : {}),
      });
      const b = new TestBrowser();
      b.cookies.push({ name: '__Host-gh_session', value: token, path: '/', host: new URL(f.url).host });
      return b;
    }

    async function authUrl() {
      const config = await rp(f.url, await addApp(f.gh));
      return oidc
        .buildAuthorizationUrl(config, {
          redirect_uri: 'http://127.0.0.1:9/cb',
          scope: 'openid nickname',
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
          state: oidc.randomState(),
          prompt: 'consent',
        })
        .toString();
    }

    test('the probation session’s consent is refused; the owner’s is not', async (tt) => {
      if (skip) return tt.skip(skip);
      await assert.rejects(authorise(await browserWith(true), await authUrl()), /403.*SESSION_ON_PROBATION/s);
      const cb = await authorise(await browserWith(false), await authUrl());
      assert.ok(cb.searchParams.get('code'), cb.toString());
    });
  });
}

suite('sqlite');
suite('postgres');
