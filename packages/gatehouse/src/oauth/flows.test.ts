/**
 * Every flow with openid-client as the relying party, over HTTP, on SQLite and PostgreSQL: code + PKCE,
 * pairwise subjects, refresh rotation, revocation, introspection, PAR, DPoP for public clients, the
 * device grant with its confirmation page, RP-initiated and back-channel logout, key rotation.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { postgresSkip, type Backend } from '../testing/index.ts';
import { readForm, TestBrowser } from './test-browser.ts';
import {
  addApp,
  addDeviceApp,
  authorise,
  codeFlow,
  fixture,
  PASSWORD,
  REDIRECT,
  rp,
  type Fixture,
} from './test-fixture.ts';

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`oauth flows (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : undefined;
    let f: Fixture;
    before(async () => {
      if (!skip) f = await fixture(backend);
    });
    after(async () => {
      if (!skip) await f.cleanup();
    });

    test(
      'discovery at /.well-known/openid-configuration names every endpoint and only S256',
      { skip },
      async () => {
        const res = await fetch(`${f.url}/.well-known/openid-configuration`);
        assert.equal(res.status, 200);
        const d = (await res.json()) as Record<string, unknown>;
        assert.equal(d.issuer, f.url);
        assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
        assert.deepEqual(d.subject_types_supported, ['pairwise']);
        for (const k of [
          'authorization_endpoint',
          'token_endpoint',
          'userinfo_endpoint',
          'jwks_uri',
          'revocation_endpoint',
          'introspection_endpoint',
          'end_session_endpoint',
          'pushed_authorization_request_endpoint',
          'device_authorization_endpoint',
        ])
          assert.ok(typeof d[k] === 'string', k);
        assert.equal(d.backchannel_logout_supported, true);
        assert.ok((d.dpop_signing_alg_values_supported as string[]).includes('ES256'));
        assert.ok(!(d.scopes_supported as string[]).includes('profile'));
      },
    );

    test(
      'code + PKCE: id token and userinfo carry only the granted fields, under a pairwise sub',
      { skip },
      async () => {
        const app = await addApp(f.gh);
        const config = await rp(f.url, app);
        const { tokens } = await codeFlow(f, config, { scope: 'openid nickname friend_count' });
        const claims = tokens.claims()!;
        assert.notEqual(claims.sub, f.account.id, 'the sub is not the account id');
        assert.equal(
          claims.nickname,
          undefined,
          'the id token carries no profile claims when an access token is issued',
        );
        const ui = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        assert.deepEqual(Object.keys(ui).sort(), ['friend_count', 'nickname', 'sub']);
        assert.equal(ui.nickname, 'Alice 爱丽丝');
        assert.equal(tokens.refresh_token, undefined, 'no offline_access asked: no refresh token');
      },
    );

    test(
      'pairwise: the same user gets unlinkable subs in two sectors and the same sub within one',
      { skip },
      async () => {
        const a = await addApp(f.gh);
        const b = await addApp(f.gh, { redirectUris: ['http://localhost:9/cb'] });
        const a2 = await addApp(f.gh);
        const subA = (await codeFlow(f, await rp(f.url, a), { scope: 'openid' })).tokens.claims()!.sub;
        const subA2 = (await codeFlow(f, await rp(f.url, a2), { scope: 'openid' })).tokens.claims()!.sub;
        const cb = await rp(f.url, b);
        const browser = new TestBrowser();
        const v = oidc.randomPKCECodeVerifier();
        const url = oidc.buildAuthorizationUrl(cb, {
          redirect_uri: 'http://localhost:9/cb',
          scope: 'openid',
          code_challenge: await oidc.calculatePKCECodeChallenge(v),
          code_challenge_method: 'S256',
        });
        const back = await authorise(browser, url.toString(), { stopAt: 'http://localhost:9/cb' });
        const tb = await oidc.authorizationCodeGrant(cb, back, {
          pkceCodeVerifier: v,
          expectedState: oidc.skipStateCheck,
        });
        assert.equal(subA, subA2, 'same sector (redirect host), same sub');
        assert.notEqual(subA, tb.claims()!.sub, 'another sector, another sub');
      },
    );

    test(
      'refresh rotation: each use rotates; reusing an old refresh token revokes the whole grant',
      { skip },
      async () => {
        const app = await addApp(f.gh);
        const config = await rp(f.url, app);
        const { tokens } = await codeFlow(f, config);
        assert.ok(tokens.refresh_token);
        const second = await oidc.refreshTokenGrant(config, tokens.refresh_token);
        assert.notEqual(second.refresh_token, tokens.refresh_token);
        const third = await oidc.refreshTokenGrant(config, second.refresh_token!);
        await oidc.fetchUserInfo(config, third.access_token, oidc.skipSubjectCheck);
        // an attacker replays the first refresh token
        await assert.rejects(
          oidc.refreshTokenGrant(config, tokens.refresh_token),
          (e: oidc.ResponseBodyError) => {
            assert.equal(e.error, 'invalid_grant');
            return true;
          },
        );
        // the legitimate chain is gone too: the grant was revoked
        await assert.rejects(
          oidc.refreshTokenGrant(config, third.refresh_token!),
          (e: oidc.ResponseBodyError) => e.error === 'invalid_grant',
        );
        await assert.rejects(
          oidc.fetchUserInfo(config, third.access_token, oidc.skipSubjectCheck),
          (e: oidc.WWWAuthenticateChallengeError) =>
            e.cause.some((c) => c.parameters.error === 'invalid_token'),
        );
        const intro = await oidc.tokenIntrospection(config, third.access_token);
        assert.equal(intro.active, false);
      },
    );

    test('revocation and introspection', { skip }, async () => {
      const app = await addApp(f.gh);
      const config = await rp(f.url, app);
      const { tokens } = await codeFlow(f, config);
      const intro = await oidc.tokenIntrospection(config, tokens.access_token);
      assert.equal(intro.active, true);
      assert.equal(intro.client_id, app.id);
      assert.equal(intro.scope, 'openid nickname friend_count offline_access');
      await oidc.tokenRevocation(config, tokens.access_token);
      assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
      await oidc.tokenRevocation(config, tokens.refresh_token!);
      await assert.rejects(
        oidc.refreshTokenGrant(config, tokens.refresh_token!),
        (e: oidc.ResponseBodyError) => e.error === 'invalid_grant',
      );
      // another app cannot introspect this app's tokens
      const other = await rp(f.url, await addApp(f.gh));
      const fresh = (await codeFlow(f, config)).tokens;
      assert.equal((await oidc.tokenIntrospection(other, fresh.access_token)).active, false);
    });

    test('PAR: a pushed request authorises like a direct one', { skip }, async () => {
      const app = await addApp(f.gh);
      const config = await rp(f.url, app);
      const { tokens, callback } = await codeFlow(f, config, { par: true, scope: 'openid nickname' });
      assert.ok(callback.searchParams.get('code'));
      const ui = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
      assert.equal(ui.nickname, 'Alice 爱丽丝');
    });

    test('public client: DPoP-bound tokens; the resource API wants the proof', { skip }, async () => {
      const app = await addApp(f.gh, { kind: 'public' });
      assert.equal(app.secret, null);
      const config = await rp(f.url, app);
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
      const { tokens } = await codeFlow(f, config, { dpop, par: true });
      assert.equal(tokens.token_type.toLowerCase(), 'dpop');
      const ui = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub, { DPoP: dpop });
      assert.equal(ui.nickname, 'Alice 爱丽丝');
      const r = await oidc.fetchProtectedResource(
        config,
        tokens.access_token,
        new URL(`${f.url}/v1/apps/me`),
        'GET',
        undefined,
        undefined,
        {
          DPoP: dpop,
        },
      );
      assert.equal(r.status, 200);
      const body = (await r.json()) as { sub: string; fields: Record<string, unknown> };
      assert.equal(body.sub, tokens.claims()!.sub);
      assert.deepEqual(Object.keys(body.fields).sort(), ['friend_count', 'nickname']);
      const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop });
      assert.equal(rotated.token_type.toLowerCase(), 'dpop');
    });

    test(
      'device grant: the confirmation page names the app and the origin and asks; codes are single-use',
      { skip },
      async () => {
        const { app, close } = await addDeviceApp(f.gh);
        after(close);
        const config = await rp(f.url, app);
        const start = await oidc.initiateDeviceAuthorization(config, { scope: 'openid nickname' });
        assert.match(start.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
        const browser = new TestBrowser({ headers: { 'accept-language': 'zh-CN,zh;q=0.9' } });
        // signed in through Gatehouse (cookie mode) in this browser
        const s = await fetch(`${f.url}/v1/auth/signin`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': browser.userAgent },
          body: JSON.stringify({ handle: 'alice', password: PASSWORD, mode: 'cookie' }),
        });
        assert.equal(s.status, 200);
        const token = s.headers.getSetCookie().find((c) => c.startsWith('__Host-gh_session='))!;
        browser.cookies.push({
          name: '__Host-gh_session',
          value: token.split(';')[0]!.split('=')[1]!,
          path: '/',
          host: new URL(f.url).host,
        });
        const input = await browser.request(start.verification_uri);
        const form = readForm(input.body);
        const confirm = await browser.request(new URL(form.action, f.url).toString(), {
          form: { ...form.fields, user_code: start.user_code.toLowerCase().replace('-', ' ') },
        });
        assert.equal(confirm.status, 200);
        assert.match(confirm.body, /这个请求是你在面前的设备上发起的吗/);
        assert.match(confirm.body, /id="app-name">小游戏</);
        assert.match(confirm.body, /id="app-unverified"/);
        assert.match(confirm.body, /id="device-origin">127\.0\.0\.1</);
        assert.match(confirm.body, /id="device-ua">openid-client/, 'the requesting device is described');
        const cform = readForm(confirm.body, 'op.deviceConfirmForm');
        const done = await browser.follow(new URL(cform.action, f.url).toString(), 'never', {
          form: cform.fields,
        });
        assert.ok('page' in done);
        // Gatehouse's session signs the user in: the next page is the consent, not a password form
        assert.doesNotMatch(done.page, /name="password"/);
        const consent = readForm(done.page);
        const finished = await browser.follow(new URL(consent.action, f.url).toString(), 'never', {
          form: { csrf: String(consent.fields.csrf), decision: 'allow', scope: ['nickname'] },
        });
        assert.ok('page' in finished && /完成|Done/.test(finished.page));
        // the user has answered before the device polls: its first poll gets the tokens (openid-client
        // would first wait the grant's interval, 5 s, for nothing)
        const tokens = await oidc.pollDeviceAuthorizationGrant(config, { ...start, interval: 0 });
        const ui = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
        assert.equal(ui.nickname, 'Alice 爱丽丝');
        // the user code cannot be used again
        const again = await browser.request(new URL(form.action, f.url).toString(), {
          form: {
            ...readForm((await browser.request(start.verification_uri)).body).fields,
            user_code: start.user_code,
          },
        });
        assert.match(again.body, /代码错误或已过期|wrong or has expired|error/);
      },
    );

    test('device grant: answering No aborts it (access_denied at the device)', { skip }, async () => {
      const { app, close } = await addDeviceApp(f.gh);
      after(close);
      const config = await rp(f.url, app);
      const start = await oidc.initiateDeviceAuthorization(config, { scope: 'openid nickname' });
      const browser = new TestBrowser();
      const form = readForm((await browser.request(start.verification_uri)).body);
      const confirm = await browser.request(new URL(form.action, f.url).toString(), {
        form: { ...form.fields, user_code: start.user_code },
      });
      assert.match(confirm.body, /Did you start this on a device in front of you\?/);
      const cform = readForm(confirm.body, 'op.deviceConfirmForm');
      await browser.request(new URL(cform.action, f.url).toString(), {
        form: { ...cform.fields, abort: 'yes' },
      });
      // answered before the device polls: its first poll gets the refusal (no interval to wait first)
      await assert.rejects(
        oidc.pollDeviceAuthorizationGrant(config, { ...start, interval: 0 }),
        (e: oidc.ResponseBodyError) => {
          assert.equal(e.error, 'access_denied');
          return true;
        },
      );
    });

    test('RP-initiated logout and back-channel logout to the app', { skip }, async () => {
      const received: string[] = [];
      let notify: () => void = () => undefined;
      const rpServer = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          received.push(new URLSearchParams(body).get('logout_token') ?? '');
          res.writeHead(200).end();
          notify();
        });
      });
      await new Promise<void>((r) => rpServer.listen(0, '127.0.0.1', r));
      try {
        const port = (rpServer.address() as AddressInfo).port;
        const app = await addApp(f.gh, { backchannelLogoutUri: `http://127.0.0.1:${port}/backchannel` });
        const config = await rp(f.url, app);
        const { tokens, browser } = await codeFlow(f, config, { scope: 'openid nickname' });
        const end = oidc.buildEndSessionUrl(config, {
          id_token_hint: tokens.id_token!,
          post_logout_redirect_uri: 'http://127.0.0.1:9/bye',
          state: 'st1',
        });
        const arrived = new Promise<void>((r) => (notify = r));
        const page = await browser.follow(end.toString(), 'http://127.0.0.1:9/bye');
        assert.ok('page' in page);
        const form = readForm(page.page, 'op.logoutForm');
        const out = await browser.follow(new URL(form.action, f.url).toString(), 'http://127.0.0.1:9/bye', {
          form: { ...form.fields, logout: 'yes' },
        });
        assert.ok('stopped' in out && new URL(out.stopped).searchParams.get('state') === 'st1');
        await arrived;
        const jwks = createRemoteJWKSet(new URL(`${f.url}/oidc/jwks`));
        const { payload } = await jwtVerify(received[0]!, jwks, { issuer: f.url, audience: app.id });
        assert.equal(payload.sub, tokens.claims()!.sub);
        assert.ok(
          (payload.events as Record<string, unknown>)['http://schemas.openid.net/event/backchannel-logout'],
        );
      } finally {
        rpServer.close();
      }
    });

    test(
      'key rotation: new tokens signed by the new key; the old key stays published',
      { skip },
      async () => {
        const app = await addApp(f.gh);
        const config = await rp(f.url, app);
        const before = (await codeFlow(f, config, { scope: 'openid' })).tokens.id_token!;
        const oldKid = decodeProtectedHeader(before).kid;
        await f.gh.oauth.rotateKeys();
        const config2 = await rp(f.url, app);
        const afterToken = (await codeFlow(f, config2, { scope: 'openid' })).tokens.id_token!;
        const newKid = decodeProtectedHeader(afterToken).kid;
        assert.notEqual(newKid, oldKid);
        const jwks = createRemoteJWKSet(new URL(`${f.url}/oidc/jwks`));
        await jwtVerify(before, jwks, { issuer: f.url });
        await jwtVerify(afterToken, jwks, { issuer: f.url });
        const stored = await f.gh.store.db.selectFrom('oauth_keys').select(['jwk_enc']).execute();
        for (const k of stored)
          assert.ok(k.jwk_enc.startsWith('v1.') && !k.jwk_enc.includes('"d"'), 'private keys sealed');
      },
    );
  });
}

test('REDIRECT is loopback (no network beyond the machine)', () => {
  assert.match(REDIRECT, /^http:\/\/127\.0\.0\.1:/);
});
