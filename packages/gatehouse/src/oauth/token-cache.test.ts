/**
 * The token cache of the resource endpoints: a revoked token or grant is refused at once in this process
 * even when its row was cached; a read under way when something was forgotten cannot cache it back;
 * another process's deletion is seen once the entry ages out (the TTL bound), on SQLite and PostgreSQL.
 * The app registry's cache follows the same rule (a suspended app is never cached back as active).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { describeBackends } from '../testing/backends.ts';
import { until } from '../testing/receiver.ts';
import { addApp, codeFlow, fixture, rp, type Fixture } from './test-fixture.ts';
import { TokenCache } from './token-cache.ts';

describe('TokenCache', () => {
  test('a row read while something was forgotten is not cached', () => {
    const c = new TokenCache();
    const mark = c.mark();
    c.forgetGrant('g1');
    c.set('AccessToken', 'k1', { grantId: 'g1', clientId: 'app' }, mark);
    assert.equal(c.get('AccessToken', 'k1'), undefined);
    c.set('AccessToken', 'k1', { grantId: 'g1', clientId: 'app' }, c.mark());
    assert.deepEqual(c.get('AccessToken', 'k1'), { grantId: 'g1', clientId: 'app' });
  });

  test('forgetting by key, grant and app; copies out, never the cached object', () => {
    const c = new TokenCache();
    const put = (model: string, key: string, grantId: string, clientId: string) =>
      c.set(model, key, { grantId, clientId }, c.mark());
    put('AccessToken', 'a', 'g1', 'app1');
    put('AccessToken', 'b', 'g2', 'app1');
    put('AccessToken', 'c', 'g3', 'app2');
    put('Grant', 'g3', '', 'app2');
    const got = c.get('AccessToken', 'a')!;
    got.scope = 'changed';
    assert.equal(c.get('AccessToken', 'a')!.scope, undefined);
    c.forgetGrant('g1');
    assert.equal(c.get('AccessToken', 'a'), undefined);
    assert.ok(c.get('AccessToken', 'b'));
    c.forgetClient('app1');
    assert.equal(c.get('AccessToken', 'b'), undefined);
    assert.ok(c.get('AccessToken', 'c'));
    c.forgetGrant('g3');
    assert.equal(c.get('Grant', 'g3'), undefined);
    assert.equal(c.get('AccessToken', 'c'), undefined);
  });

  test('an entry lives at most ttlMs (the bound for another process), and the size is bounded', () => {
    let now = 1_000_000;
    const c = new TokenCache({ ttlMs: 1000, max: 2, now: () => now });
    c.set('AccessToken', 'a', { clientId: 'x' }, c.mark());
    now += 999;
    assert.ok(c.get('AccessToken', 'a'));
    now += 1;
    assert.equal(c.get('AccessToken', 'a'), undefined);
    for (const k of ['a', 'b', 'c']) c.set('AccessToken', k, { clientId: 'x' }, c.mark());
    assert.equal(c.get('AccessToken', 'a'), undefined);
    assert.ok(c.get('AccessToken', 'b') && c.get('AccessToken', 'c'));
  });
});

// the two databases at once (each with its own Gatehouse): the tests within one stay in order; most of each is waiting for a cached entry to age out (the 1 s TTL)
describeBackends(
  'token cache over HTTP',
  (backend) => {
    let f: Fixture;
    before(async () => {
      f = await fixture(backend);
    });
    after(async () => {
      await f.cleanup();
    });

    /** Userinfo and the resource API, each read twice: the second read must come from the cache. */
    const warm = async (config: oidc.Configuration, token: string) => {
      const hits = f.gh.oauth.tokens.stats.hits;
      for (let i = 0; i < 2; i++) {
        await oidc.fetchUserInfo(config, token, oidc.skipSubjectCheck);
        const r = await fetch(`${f.url}/v1/apps/me`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(r.status, 200);
      }
      assert.ok(f.gh.oauth.tokens.stats.hits > hits, 'the reads were served from the cache');
    };
    const refused = async (config: oidc.Configuration, token: string) => {
      await assert.rejects(oidc.fetchUserInfo(config, token, oidc.skipSubjectCheck));
      const r = await fetch(`${f.url}/v1/apps/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 401);
    };

    test('a user revoking the app: its cached tokens are refused at once', async () => {
      const app = await addApp(f.gh);
      const config = await rp(f.url, app);
      const { tokens } = await codeFlow(f, config);
      await warm(config, tokens.access_token);
      await f.gh.oauth.revokeApp(f.account.id, app.id, f.account.id);
      await refused(config, tokens.access_token);
    });

    test('revocation endpoint and refresh-token reuse: refused at once after cached reads', async () => {
      const app = await addApp(f.gh);
      const config = await rp(f.url, app);
      const a = (await codeFlow(f, config)).tokens;
      await warm(config, a.access_token);
      await oidc.tokenRevocation(config, a.access_token);
      await refused(config, a.access_token);
      // reuse of a rotated refresh token revokes the whole grant, the cached access token with it
      const b = (await codeFlow(f, config)).tokens;
      const next = await oidc.refreshTokenGrant(config, b.refresh_token!);
      await warm(config, next.access_token);
      await assert.rejects(oidc.refreshTokenGrant(config, b.refresh_token!));
      await refused(config, next.access_token);
    });

    test('containment revoking the grants: refused at once', async () => {
      const app = await addApp(f.gh);
      const config = await rp(f.url, app);
      const { tokens } = await codeFlow(f, config);
      await warm(config, tokens.access_token);
      const grants = (await f.gh.oauth.userApps(f.account.id)).flatMap((x) => x.grants);
      await f.gh.oauth.revokeGrantIds(f.account.id, grants, 'system', 'containment (all)');
      await refused(config, tokens.access_token);
    });

    test("another process's deletion (rows gone under the cache) is seen once the entry ages out", async () => {
      const app = await addApp(f.gh);
      const config = await rp(f.url, app);
      const { tokens } = await codeFlow(f, config);
      await warm(config, tokens.access_token);
      // what another process's revocation leaves: the rows gone, this process not told
      await f.gh.store.db.deleteFrom('oauth_models').where('client_id', '=', app.id).execute();
      await until(async () => {
        const r = await fetch(`${f.url}/v1/apps/me`, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
        return r.status === 401;
      }, 'the deleted token refused after the cache TTL');
      await refused(config, tokens.access_token);
    });

    test('the app registry: a row read while the app was forgotten (a suspension committing) is not cached', async () => {
      const app = await addApp(f.gh);
      const reg = f.gh.oauth.registry;
      reg.forget(app.id);
      const read = reg.cached(app.id); // a read under way…
      reg.forget(app.id); // …while a suspension commits and forgets the app
      assert.equal((await read)?.status, 'active', 'the read answers its own request');
      // the suspension's row, written without telling this registry again: the next read must see it
      await f.gh.store.db
        .updateTable('oauth_apps')
        .set({ status: 'suspended' })
        .where('id', '=', app.id)
        .execute();
      assert.equal((await reg.cached(app.id))?.status, 'suspended');
      assert.equal(await reg.clientMetadata(app.id), undefined, 'the provider is told the app is gone');
    });
  },
  { atOnce: true },
);
