/**
 * ID tokens carry `sub` and no field claim (the fields go to userinfo): the token endpoint does not read
 * the user's profile for them (provider.ts `findAccount`), while userinfo still gets every granted field.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { BENCH_REDIRECT, mint } from './mint.ts';
import { addApp, fixture, type Fixture } from './test-fixture.ts';

let f: Fixture;
before(async () => {
  f = await fixture('sqlite');
});
after(async () => {
  await f.cleanup();
});

describe('ID token claims', () => {
  test('the token endpoint reads no profile for the ID token; userinfo gets the granted fields', async () => {
    const app = await addApp(f.gh);
    const scope = 'openid nickname friend_count offline_access';
    const m = await mint(await f.gh.oauth.provider(), { accountId: f.account.id, clientId: app.id, scope });
    const uses: string[] = [];
    const claims = f.gh.oauth.claims.bind(f.gh.oauth);
    f.gh.oauth.claims = (i) => {
      uses.push(i.use);
      return claims(i);
    };
    const auth = `Basic ${Buffer.from(`${app.id}:${app.secret}`).toString('base64')}`;
    const token = async (body: Record<string, string>) => {
      const r = await fetch(`${f.url}/oidc/token`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
      assert.equal(r.status, 200);
      return (await r.json()) as { id_token: string; access_token: string; refresh_token: string };
    };
    const verifier = randomBytes(32).toString('base64url');
    const code = await token({
      grant_type: 'authorization_code',
      code: await m.code(verifier),
      redirect_uri: BENCH_REDIRECT,
      code_verifier: verifier,
    });
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: code.refresh_token });
    for (const t of [code, refreshed]) {
      const id = decodeJwt(t.id_token);
      assert.equal(typeof id.sub, 'string');
      assert.notEqual(id.sub, f.account.id, 'pairwise sub');
      assert.equal(id.nickname, undefined);
      assert.equal(id.friend_count, undefined);
    }
    assert.deepEqual(uses, [], 'no claims (profile) read for the two ID tokens');
    const ui = (await (
      await fetch(`${f.url}/oidc/me`, { headers: { authorization: `Bearer ${refreshed.access_token}` } })
    ).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(ui).sort(), ['friend_count', 'nickname', 'sub']);
    assert.equal(ui.sub, decodeJwt(refreshed.id_token).sub, 'the same pairwise sub in both');
    assert.deepEqual(uses, ['userinfo']);
  });
});
