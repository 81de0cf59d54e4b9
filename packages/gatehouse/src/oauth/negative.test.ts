/**
 * The negative suite: every attack over HTTP, each refused with the error the specifications name,
 * and the owner's own path working beside it (openid-client as the relying party).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { hashToken } from '../crypto/index.ts';
import { TestBrowser } from './test-browser.ts';
import { addApp, authorise, codeFlow, fixture, REDIRECT, rp, type Fixture } from './test-fixture.ts';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let f: Fixture;

/** The OAuth error code of an openid-client failure (body error or WWW-Authenticate challenge). */
function errorOf(e: unknown): string | undefined {
  const x = e as { error?: string; cause?: Array<{ parameters?: { error?: string } }> };
  return x.error ?? (Array.isArray(x.cause) ? x.cause[0]?.parameters?.error : undefined);
}
before(async () => {
  f = await fixture('sqlite');
});
after(async () => {
  await f.cleanup();
});

/** The authorisation endpoint's answer: an error redirect to the app, or an error page. */
async function authorizeError(
  params: Record<string, string>,
): Promise<{ redirect?: URL; page?: string; status: number }> {
  const browser = new TestBrowser();
  const r = await browser.request(`${f.url}/oidc/auth?${new URLSearchParams(params)}`);
  if (r.status >= 300 && r.status < 400 && r.location) {
    const loc = new URL(r.location);
    if (loc.pathname.startsWith('/oidc/interaction')) return { status: r.status };
    return { redirect: loc, status: r.status };
  }
  return { page: r.body, status: r.status };
}

const S256 = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

async function base(app: { id: string }) {
  return {
    client_id: app.id,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'openid nickname',
    state: 's1',
  };
}

describe('refused at the authorisation endpoint', () => {
  test('missing PKCE → invalid_request (and the same request with S256 proceeds)', async () => {
    const app = await addApp(f.gh);
    const r = await authorizeError(await base(app));
    assert.equal(r.redirect?.searchParams.get('error'), 'invalid_request');
    assert.match(r.redirect!.searchParams.get('error_description')!, /PKCE/i);
    const ok = await authorizeError({
      ...(await base(app)),
      code_challenge: S256,
      code_challenge_method: 'S256',
    });
    assert.equal(ok.redirect, undefined, 'S256 goes on to the sign-in');
  });

  test('plain PKCE → invalid_request', async () => {
    const app = await addApp(f.gh);
    const r = await authorizeError({
      ...(await base(app)),
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'plain',
    });
    assert.equal(r.redirect?.searchParams.get('error'), 'invalid_request');
  });

  const mismatches: Array<[string, string]> = [
    ['trailing slash', `${REDIRECT}/`],
    ['extra query', `${REDIRECT}?next=/evil`],
    ['other path', 'http://127.0.0.1:9/cb2'],
    ['other port', 'http://127.0.0.1:10/cb'],
    ['upper-case host', 'http://LOCALHOST:9/cb'],
  ];
  for (const [what, uri] of mismatches)
    test(`redirect_uri mismatch (${what}) → invalid_redirect_uri on our page, never a redirect`, async () => {
      const app = await addApp(f.gh);
      const r = await authorizeError({
        ...(await base(app)),
        redirect_uri: uri,
        code_challenge: S256,
        code_challenge_method: 'S256',
      });
      assert.equal(r.redirect, undefined);
      assert.equal(r.status, 400);
      assert.match(r.page!, /id="error">invalid_redirect_uri</);
    });

  test('scope beyond the ceiling → invalid_scope; the friends scope needs a review', async () => {
    const app = await addApp(f.gh, { scopes: ['nickname', 'friends'] });
    const pkce = { code_challenge: S256, code_challenge_method: 'S256' };
    const r = await authorizeError({ ...(await base(app)), ...pkce, scope: 'openid nickname phone' });
    assert.equal(r.redirect?.searchParams.get('error'), 'invalid_scope');
    const unreviewed = await authorizeError({ ...(await base(app)), ...pkce, scope: 'openid friends' });
    assert.equal(unreviewed.redirect?.searchParams.get('error'), 'invalid_scope');
    await f.gh.oauth.registry.update(app.id, { reviewedScopes: ['friends'] });
    const reviewed = await authorizeError({ ...(await base(app)), ...pkce, scope: 'openid friends' });
    assert.equal(reviewed.redirect, undefined, 'after review the app may ask');
  });

  test('unknown client → invalid_client page; suspended client → invalid_client', async () => {
    const unknown = await authorizeError({
      client_id: 'app_AAAAAAAAAAAA',
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: S256,
      code_challenge_method: 'S256',
    });
    assert.equal(unknown.status, 400);
    assert.match(unknown.page!, /id="error">invalid_client</);
    const app = await addApp(f.gh);
    await f.gh.oauth.suspend(app.id, 'leaking user data', 'test');
    const r = await authorizeError({
      ...(await base(app)),
      code_challenge: S256,
      code_challenge_method: 'S256',
    });
    assert.match(r.page!, /id="error">invalid_client</);
  });
});

describe('device grant user codes', () => {
  test('guessing user codes is rate-limited per address (429 with Retry-After)', async () => {
    const browser = new TestBrowser();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 12; i++) {
      const page = await browser.request(`${f.url}/oidc/device`);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      const r = await browser.request(`${f.url}/oidc/device`, {
        form: { xsrf, user_code: `BCDF-GH${'JK'[i % 2]}${i % 10}` },
      });
      statuses.push(r.status);
      retryAfter = r.headers.get('retry-after');
    }
    assert.ok(Number(retryAfter) > 0, 'Retry-After on the refusal');
    assert.ok(
      statuses.slice(0, 10).every((s) => s !== 429),
      JSON.stringify(statuses),
    );
    assert.deepEqual(statuses.slice(10), [429, 429]);
  });
});

describe('refused at the token endpoint', () => {
  test('code reused → invalid_grant, and the tokens of its first use are revoked', async () => {
    const app = await addApp(f.gh);
    const config = await rp(f.url, app);
    const v = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid nickname offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(v),
      code_challenge_method: 'S256',
    });
    const cb = await authorise(new TestBrowser(), url.toString());
    const first = await oidc.authorizationCodeGrant(config, cb, {
      pkceCodeVerifier: v,
      expectedState: oidc.skipStateCheck,
    });
    await oidc.fetchUserInfo(config, first.access_token, oidc.skipSubjectCheck);
    await assert.rejects(
      oidc.authorizationCodeGrant(config, cb, { pkceCodeVerifier: v, expectedState: oidc.skipStateCheck }),
      (e: oidc.ResponseBodyError) => e.error === 'invalid_grant',
    );
    assert.equal((await oidc.tokenIntrospection(config, first.access_token)).active, false);
    await assert.rejects(
      oidc.refreshTokenGrant(config, first.refresh_token!),
      (e: oidc.ResponseBodyError) => e.error === 'invalid_grant',
    );
  });

  test('wrong code_verifier → invalid_grant', async () => {
    const app = await addApp(f.gh);
    const config = await rp(f.url, app);
    const v = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(v),
      code_challenge_method: 'S256',
    });
    const cb = await authorise(new TestBrowser(), url.toString());
    await assert.rejects(
      oidc.authorizationCodeGrant(config, cb, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: oidc.skipStateCheck,
      }),
      (e: oidc.ResponseBodyError) => e.error === 'invalid_grant',
    );
  });

  test('expired code → invalid_grant', async () => {
    const app = await addApp(f.gh);
    const config = await rp(f.url, app);
    const v = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(v),
      code_challenge_method: 'S256',
    });
    const cb = await authorise(new TestBrowser(), url.toString());
    // a minute passes: the stored code's expiry is moved into the past
    const id = hashToken(cb.searchParams.get('code')!);
    const row = await f.gh.store.db
      .selectFrom('oauth_models')
      .select('payload')
      .where('model', '=', 'AuthorizationCode')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const p = JSON.parse(row.payload) as { exp: number };
    p.exp = Math.floor(Date.now() / 1000) - 30;
    await f.gh.store.db
      .updateTable('oauth_models')
      .set({ payload: JSON.stringify(p) })
      .where('model', '=', 'AuthorizationCode')
      .where('id', '=', id)
      .execute();
    await assert.rejects(
      oidc.authorizationCodeGrant(config, cb, { pkceCodeVerifier: v, expectedState: oidc.skipStateCheck }),
      (e: oidc.ResponseBodyError) => e.error === 'invalid_grant',
    );
  });

  test('redirect_uri at the token endpoint differs from the authorisation → invalid_grant', async () => {
    const app = await addApp(f.gh, { redirectUris: [REDIRECT, 'http://127.0.0.1:9/cb-other'] });
    const config = await rp(f.url, app);
    const v = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(v),
      code_challenge_method: 'S256',
    });
    const cb = await authorise(new TestBrowser(), url.toString());
    const res = await fetch(`${f.url}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.id}:${app.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: cb.searchParams.get('code')!,
        redirect_uri: 'http://127.0.0.1:9/cb-other',
        code_verifier: v,
      }),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
  });

  test('refresh token reused → invalid_grant and the grant revoked', async () => {
    const app = await addApp(f.gh);
    const config = await rp(f.url, app);
    const { tokens } = await codeFlow(f, config);
    const next = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    await assert.rejects(
      oidc.refreshTokenGrant(config, tokens.refresh_token!),
      (e: oidc.ResponseBodyError) => e.error === 'invalid_grant',
    );
    await assert.rejects(
      oidc.refreshTokenGrant(config, next.refresh_token!),
      (e: oidc.ResponseBodyError) => e.error === 'invalid_grant',
    );
  });

  test('bad client authentication → invalid_client (wrong secret, none for a confidential app)', async () => {
    const app = await addApp(f.gh);
    const wrong = await rp(f.url, { id: app.id, secret: `${app.secret!.slice(0, -2)}xx` });
    const none = await rp(f.url, { id: app.id, secret: null });
    for (const config of [wrong, none])
      await assert.rejects(
        oidc.refreshTokenGrant(config, 'x'.repeat(43)),
        (e) => errorOf(e) === 'invalid_client',
      );
  });

  test('a suspended app cannot use its client credentials → invalid_client', async () => {
    const app = await addApp(f.gh);
    const config = await rp(f.url, app);
    const { tokens } = await codeFlow(f, config);
    await f.gh.oauth.suspend(app.id, 'test', 'test');
    await assert.rejects(
      oidc.refreshTokenGrant(config, tokens.refresh_token!),
      (e) => errorOf(e) === 'invalid_client',
    );
  });
});

describe('DPoP', () => {
  async function proof(
    key: KeyPair,
    claims: { htm: string; htu: string; ath?: string; jti?: string; iat?: number },
  ): Promise<string> {
    return new SignJWT({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) })
      .sign(key.privateKey);
  }

  async function bound() {
    const app = await addApp(f.gh, { kind: 'public' });
    const config = await rp(f.url, app);
    const key = (await generateKeyPair('ES256')) as KeyPair;
    const dpop = oidc.getDPoPHandle(config, key);
    const { tokens } = await codeFlow(f, config, { dpop });
    return { app, config, key, dpop, tokens };
  }

  test('public client without DPoP at the token endpoint → refused', async () => {
    const app = await addApp(f.gh, { kind: 'public' });
    const config = await rp(f.url, app);
    await assert.rejects(codeFlow(f, config), (e: oidc.ResponseBodyError) => {
      // oidc-provider answers invalid_grant ("DPoP proof JWT not provided") for a DPoP-bound client
      assert.equal(e.error, 'invalid_grant');
      return true;
    });
  });

  test('proof replayed, with the wrong key, or for another URL → refused at the resource API, userinfo and token endpoint', async () => {
    const { key, tokens } = await bound();
    const ath =
      hashToken(tokens.access_token) &&
      Buffer.from(
        await crypto.subtle.digest('SHA-256', new TextEncoder().encode(tokens.access_token)),
      ).toString('base64url');
    const url = `${f.url}/v1/apps/me`;
    const call = (p: string, target = url) =>
      fetch(target, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: p } });
    // the owner's own request works
    const good = await proof(key, { htm: 'GET', htu: url, ath });
    const ok = await call(good);
    assert.equal(ok.status, 200);
    // replay of that very proof
    const replay = await call(good);
    assert.equal(replay.status, 401);
    assert.equal(((await replay.json()) as { error: string }).error, 'invalid_dpop_proof');
    assert.match(replay.headers.get('www-authenticate')!, /invalid_dpop_proof/);
    // another key
    const other = (await generateKeyPair('ES256')) as KeyPair;
    const wrongKey = await call(await proof(other, { htm: 'GET', htu: url, ath }));
    assert.equal(((await wrongKey.json()) as { error: string }).error, 'invalid_dpop_proof');
    // another URL
    const elsewhere = await call(await proof(key, { htm: 'GET', htu: `${f.url}/v1/apps/me/friends`, ath }));
    assert.equal(((await elsewhere.json()) as { error: string }).error, 'invalid_dpop_proof');
    // another method
    const post = await call(await proof(key, { htm: 'POST', htu: url, ath }));
    assert.equal(((await post.json()) as { error: string }).error, 'invalid_dpop_proof');
    // stale
    const stale = await call(
      await proof(key, { htm: 'GET', htu: url, ath, iat: Math.floor(Date.now() / 1000) - 3600 }),
    );
    assert.equal(((await stale.json()) as { error: string }).error, 'invalid_dpop_proof');
    // the bound token as a plain bearer token
    const bearer = await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(((await bearer.json()) as { error: string }).error, 'invalid_token');

    // userinfo (the provider): replay and wrong key
    const me = `${f.url}/oidc/me`;
    const uiProof = await proof(key, { htm: 'GET', htu: me, ath });
    const u1 = await fetch(me, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: uiProof } });
    assert.equal(u1.status, 200);
    const u2 = await fetch(me, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: uiProof } });
    assert.equal(u2.status, 401);
    assert.match(u2.headers.get('www-authenticate')!, /invalid_token|invalid_dpop_proof/);
    const u3 = await fetch(me, {
      headers: {
        authorization: `DPoP ${tokens.access_token}`,
        dpop: await proof(other, { htm: 'GET', htu: me, ath }),
      },
    });
    assert.equal(u3.status, 401);
    const u4 = await fetch(me, {
      headers: {
        authorization: `DPoP ${tokens.access_token}`,
        dpop: await proof(key, { htm: 'GET', htu: `${f.url}/oidc/token`, ath }),
      },
    });
    assert.equal(u4.status, 401);
    assert.match(u4.headers.get('www-authenticate')!, /invalid_dpop_proof/);
  });

  test('refresh with another key than the token is bound to → invalid_grant; a replayed proof → refused', async () => {
    const { app, key, tokens } = await bound();
    const token = `${f.url}/oidc/token`;
    const post = (p: string, rt: string) =>
      fetch(token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: p },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: app.id }),
      });
    const other = (await generateKeyPair('ES256')) as KeyPair;
    const wrong = await post(await proof(other, { htm: 'POST', htu: token }), tokens.refresh_token!);
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_grant');
    const p = await proof(key, { htm: 'POST', htu: token });
    const first = await post(p, tokens.refresh_token!);
    assert.equal(first.status, 200);
    const next = ((await first.json()) as { refresh_token: string }).refresh_token;
    const replay = await post(p, next);
    assert.equal(replay.status, 400);
    assert.match(((await replay.json()) as { error: string }).error, /invalid_dpop_proof|invalid_grant/);
    assert.equal((await calculateJwkThumbprint(await exportJWK(key.publicKey))) !== '', true);
  });
});
