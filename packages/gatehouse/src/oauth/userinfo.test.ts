/**
 * Userinfo's fast path (userinfo.ts) against the provider's own route: the same answer, and every case
 * it must not serve — expired token, revoked grant, DPoP-bound token without or with a wrong proof,
 * suspended app, frozen account, a token without `openid` — refused with the provider's error.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sql } from 'kysely';
import { mint } from './mint.ts';
import { addApp, codeFlow, fixture, rp, type Fixture } from './test-fixture.ts';
import { userinfoStats } from './userinfo.ts';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let f: Fixture;
before(async () => {
  f = await fixture('sqlite');
});
after(async () => {
  await f.cleanup();
});

const me = () => `${f.url}/oidc/me`;
const get = (token: string, headers: Record<string, string> = {}) =>
  fetch(me(), { headers: { authorization: `Bearer ${token}`, ...headers } });
/** The provider's own route: a POST is never taken by the fast path. */
const viaProvider = (token: string) =>
  fetch(me(), { method: 'POST', headers: { authorization: `Bearer ${token}` } });

async function token(scope = 'openid nickname friend_count', input = {}) {
  const app = await addApp(f.gh, input);
  const m = await mint(await f.gh.oauth.provider(), { accountId: f.account.id, clientId: app.id, scope });
  return { app, grantId: m.grantId, value: await m.accessToken() };
}

/** The error of a refusal: the WWW-Authenticate challenge's error, as the provider sends it. */
const challenge = (r: Response) => /error="([a-z_]+)"/.exec(r.headers.get('www-authenticate') ?? '')?.[1];

/** Runs `fn` and returns how many userinfo answers the fast path gave and handed on meanwhile. */
async function counted(fn: () => Promise<void>) {
  const { served, handedOn } = userinfoStats;
  await fn();
  return { served: userinfoStats.served - served, handedOn: userinfoStats.handedOn - handedOn };
}

describe('userinfo fast path', () => {
  test("answers exactly as the provider's route does (body and headers) and logs the read", async () => {
    const t = await token();
    let fast: Response | undefined;
    const n = await counted(async () => {
      fast = await get(t.value);
    });
    assert.deepEqual(n, { served: 1, handedOn: 0 });
    const lib = await viaProvider(t.value);
    assert.equal(fast!.status, 200);
    assert.equal(lib.status, 200);
    const body = await fast!.json();
    assert.deepEqual(body, await lib.json());
    assert.deepEqual(Object.keys(body as object).sort(), ['friend_count', 'nickname', 'sub']);
    assert.notEqual((body as { sub: string }).sub, f.account.id, 'a pairwise subject');
    for (const h of [
      'cache-control',
      'vary',
      'access-control-allow-origin',
      'access-control-expose-headers',
      'content-type',
    ])
      assert.equal(fast!.headers.get(h), lib.headers.get(h), h);
    const log = await f.gh.oauth.accessLogOf(f.account.id, { client: t.app.id });
    assert.deepEqual(
      log.map((e) => [e.resource, e.fields.join(',')]),
      [
        ['userinfo', 'nickname,friend_count'],
        ['userinfo', 'nickname,friend_count'],
      ],
    );
  });

  test('declined fields stay out, as at the provider', async () => {
    const app = await addApp(f.gh);
    const config = await rp(f.url, app);
    const { tokens } = await codeFlow(f, config, {
      scope: 'openid nickname avatar',
      consent: (o) => o.filter((s) => s !== 'nickname'),
    });
    const fast = await get(tokens.access_token);
    const lib = await viaProvider(tokens.access_token);
    const body = (await fast.json()) as Record<string, unknown>;
    assert.deepEqual(body, await lib.json());
    assert.equal('nickname' in body, false);
  });

  test('an expired token → 401 invalid_token', async () => {
    const t = await token();
    assert.equal((await get(t.value)).status, 200);
    const past = Math.floor(Date.now() / 1000) - 60;
    // the stored row as the provider will read it after its expiry (SQLite's json_set)
    await sql`update oauth_models set payload = json_set(payload, '$.exp', ${past})
      where model = 'AccessToken' and grant_id = ${t.grantId}`.execute(f.gh.store.db);
    f.gh.oauth.tokens.clear();
    let r: Response | undefined;
    const n = await counted(async () => {
      r = await get(t.value);
    });
    assert.deepEqual(n, { served: 0, handedOn: 1 });
    assert.equal(r!.status, 401);
    assert.equal(challenge(r!), 'invalid_token');
  });

  test('a revoked grant → 401 at once', async () => {
    const t = await token();
    assert.equal((await get(t.value)).status, 200);
    await f.gh.oauth.revokeApp(f.account.id, t.app.id, 'test');
    const r = await get(t.value);
    assert.equal(r.status, 401);
    assert.equal(challenge(r), 'invalid_token');
  });

  test('a token of a suspended app → 401 at once (in this process)', async () => {
    const t = await token();
    assert.equal((await get(t.value)).status, 200);
    await f.gh.oauth.suspend(t.app.id, 'leaky', 'test');
    const r = await get(t.value);
    assert.equal(r.status, 401);
    assert.equal(challenge(r), 'invalid_token');
  });

  test("a frozen account's token → 401 at once", async () => {
    const t = await token();
    assert.equal((await get(t.value)).status, 200);
    await f.gh.identity.freeze(f.account.id, 'test freeze');
    try {
      const r = await get(t.value);
      assert.equal(r.status, 401);
      assert.equal(challenge(r), 'invalid_token');
    } finally {
      await f.gh.identity.unfreeze(f.account.id, 'test over');
    }
  });

  test('a token without openid → 403 insufficient_scope', async () => {
    const t = await token('nickname');
    const r = await get(t.value);
    assert.equal(r.status, 403);
    assert.equal(challenge(r), 'insufficient_scope');
  });

  test('a DPoP-bound token: as Bearer, without a proof, or with another key → refused; with its proof → served by the provider', async () => {
    const app = await addApp(f.gh, { kind: 'public' });
    const config = await rp(f.url, app);
    const key = (await generateKeyPair('ES256')) as KeyPair;
    const { getDPoPHandle } = await import('openid-client');
    const { tokens } = await codeFlow(f, config, { dpop: getDPoPHandle(config, key) });
    const ath = Buffer.from(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(tokens.access_token)),
    ).toString('base64url');
    const proof = async (k: KeyPair) =>
      new SignJWT({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), htm: 'GET', htu: me(), ath })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(k.publicKey) })
        .sign(k.privateKey);
    const n = await counted(async () => {
      const bearer = await get(tokens.access_token);
      assert.equal(bearer.status, 401);
      assert.equal(challenge(bearer), 'invalid_token');
      const noProof = await fetch(me(), { headers: { authorization: `DPoP ${tokens.access_token}` } });
      assert.equal(noProof.status, 400);
      const other = (await generateKeyPair('ES256')) as KeyPair;
      const wrong = await fetch(me(), {
        headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await proof(other) },
      });
      assert.equal(wrong.status, 401);
      assert.equal(challenge(wrong), 'invalid_token');
      const good = await fetch(me(), {
        headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await proof(key) },
      });
      assert.equal(good.status, 200);
    });
    // the Bearer use was looked at (and handed on); the DPoP requests went straight to the provider
    assert.deepEqual(n, { served: 0, handedOn: 1 });
  });

  test('an unknown token → 401 invalid_token', async () => {
    const r = await get('x'.repeat(43));
    assert.equal(r.status, 401);
    assert.equal(challenge(r), 'invalid_token');
  });
});
