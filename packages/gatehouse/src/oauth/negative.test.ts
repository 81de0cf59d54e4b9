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
import { fileBackend } from '../testing/backends.ts';
import { TestBrowser } from './test-browser.ts';
import {
  addApp,
  addDeviceApp,
  authorise,
  codeFlow,
  fixture,
  REDIRECT,
  rp,
  type Fixture,
} from './test-fixture.ts';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let f: Fixture;

/** The OAuth error code of an openid-client failure (body error or WWW-Authenticate challenge). */
function errorOf(e: unknown): string | undefined {
  const x = e as { error?: string; cause?: Array<{ parameters?: { error?: string } }> };
  return x.error ?? (Array.isArray(x.cause) ? x.cause[0]?.parameters?.error : undefined);
}
before(async () => {
  // SQLite here; PostgreSQL when negative.postgres.test.ts loads this file
  f = await fixture(fileBackend(import.meta));
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

  test('a client assertion (private_key_jwt) used twice → invalid_client; a fresh one passes', async () => {
    const { app, close } = await addDeviceApp(f.gh);
    try {
      const meta = (await (await fetch(`${f.url}/.well-known/openid-configuration`)).json()) as {
        issuer: string;
        device_authorization_endpoint: string;
      };
      const assertion = () =>
        new SignJWT({ jti: randomUUID() })
          .setProtectedHeader({ alg: 'ES256', kid: 'device-app-1' })
          .setIssuer(app.id)
          .setSubject(app.id)
          .setAudience(meta.issuer)
          .setIssuedAt()
          .setExpirationTime('1m')
          .sign(app.key);
      const ask = (jwt: string) =>
        fetch(meta.device_authorization_endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            client_id: app.id,
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: jwt,
            scope: 'openid nickname',
          }),
        });
      const once = await assertion();
      assert.equal((await ask(once)).status, 200);
      const again = await ask(once);
      assert.equal(again.status, 401);
      assert.equal(((await again.json()) as { error: string }).error, 'invalid_client');
      assert.equal((await ask(await assertion())).status, 200, 'the app itself is not refused');
    } finally {
      await close();
    }
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

  /**
   * A resource server's refusal (RFC 6750 §3, RFC 9449 §7.1): 401, one challenge of `scheme` whose
   * error is `error`, and the same error in the body.
   */
  async function challenged(res: Response, scheme: 'DPoP' | 'Bearer', error: string): Promise<void> {
    assert.equal(res.status, 401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.equal(challenge.split(' ')[0], scheme, challenge);
    assert.deepEqual(
      [...challenge.matchAll(/\berror="([^"]*)"/g)].map((m) => m[1]),
      [error],
      challenge,
    );
    assert.equal(((await res.json()) as { error: string }).error, error);
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
    await challenged(await call(good), 'DPoP', 'invalid_dpop_proof');
    // another key
    const other = (await generateKeyPair('ES256')) as KeyPair;
    await challenged(
      await call(await proof(other, { htm: 'GET', htu: url, ath })),
      'DPoP',
      'invalid_dpop_proof',
    );
    // another URL
    const elsewhere = await call(await proof(key, { htm: 'GET', htu: `${f.url}/v1/apps/me/friends`, ath }));
    await challenged(elsewhere, 'DPoP', 'invalid_dpop_proof');
    // another method
    await challenged(
      await call(await proof(key, { htm: 'POST', htu: url, ath })),
      'DPoP',
      'invalid_dpop_proof',
    );
    // stale
    const stale = await call(
      await proof(key, { htm: 'GET', htu: url, ath, iat: Math.floor(Date.now() / 1000) - 3600 }),
    );
    await challenged(stale, 'DPoP', 'invalid_dpop_proof');
    // the bound token as a plain bearer token
    const bearer = await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    await challenged(bearer, 'Bearer', 'invalid_token');

    // userinfo (the provider): replay, wrong key, another URL
    const me = `${f.url}/oidc/me`;
    const userinfo = (p: string) =>
      fetch(me, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: p } });
    const uiProof = await proof(key, { htm: 'GET', htu: me, ath });
    assert.equal((await userinfo(uiProof)).status, 200);
    // a replayed proof is an invalid proof (RFC 9449 §7.1, §11.1): the adapter's replay refusal
    await challenged(await userinfo(uiProof), 'DPoP', 'invalid_dpop_proof');
    // a proof whose key is not the token's cnf.jkt: the token is not bound to it (RFC 9449 §7.1)
    await challenged(
      await userinfo(await proof(other, { htm: 'GET', htu: me, ath })),
      'DPoP',
      'invalid_token',
    );
    const tokenUrl = `${f.url}/oidc/token`;
    await challenged(
      await userinfo(await proof(key, { htm: 'GET', htu: tokenUrl, ath })),
      'DPoP',
      'invalid_dpop_proof',
    );
    // the token itself is good: with a fresh proof of its own key userinfo answers
    assert.equal((await userinfo(await proof(key, { htm: 'GET', htu: me, ath }))).status, 200);
  });

  test('refresh with another key than the token is bound to → invalid_grant; a replayed proof, or one for another URL or method → refused', async () => {
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
    /** The token endpoint's refusal (RFC 6749 §5.2): 400 with this error (and description, when given). */
    const refused = async (res: Response, error: string, description?: string) => {
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: string; error_description: string };
      assert.equal(body.error, error);
      if (description !== undefined) assert.equal(body.error_description, description);
    };
    // each refusal below is of the proof alone: `next` is live (a fresh proof redeems it at the end)
    // replay of a proof already used: an invalid proof (RFC 9449 §5, §11.1), not an invalid grant
    await refused(await post(p, next), 'invalid_dpop_proof');
    // a proof for another URL (htu) or another method (htm): invalid_dpop_proof (RFC 9449 §4.3, §5)
    const elsewhere = await proof(key, { htm: 'POST', htu: `${f.url}/oidc/me` });
    await refused(await post(elsewhere, next), 'invalid_dpop_proof', 'DPoP proof htu mismatch');
    await refused(
      await post(await proof(key, { htm: 'GET', htu: token }), next),
      'invalid_dpop_proof',
      'DPoP proof htm mismatch',
    );
    const last = await post(await proof(key, { htm: 'POST', htu: token }), next);
    assert.equal(last.status, 200, 'the refresh token was good: the proof was what was refused');
    assert.equal((await calculateJwkThumbprint(await exportJWK(key.publicKey))) !== '', true);
  });
});
