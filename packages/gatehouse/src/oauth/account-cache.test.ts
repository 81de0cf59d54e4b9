/**
 * The account cache of the provider and the resource API: a frozen account's tokens are refused at once
 * in this process even when the account was cached (identity's state hook), a read that still sees the
 * old state (on PostgreSQL, between the hook and the commit) is not cached, and another process's
 * freeze is seen once the entry ages out (the TTL bound), on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { describeBackends } from '../testing/backends.ts';
import { until } from '../testing/receiver.ts';
import { AccountCache } from './account-cache.ts';
import { addApp, codeFlow, fixture, rp, type Fixture } from './test-fixture.ts';

describe('AccountCache', () => {
  const setup = () => {
    const db = new Map<string, { state: string }>([['a', { state: 'active' }]]);
    let reads = 0;
    let t = 0;
    const c = new AccountCache(
      async (id) => {
        reads++;
        const r = db.get(id);
        return r ? { ...r } : undefined;
      },
      { ttlMs: 1000, holdMs: 5000, now: () => t },
    );
    return { c, db, reads: () => reads, tick: (ms: number) => (t += ms) };
  };

  test('reads once per TTL; unknown accounts are not cached', async () => {
    const { c, reads, tick } = setup();
    assert.equal((await c.get('a'))?.state, 'active');
    assert.equal((await c.get('a'))?.state, 'active');
    assert.equal(reads(), 1);
    tick(1000);
    await c.get('a');
    assert.equal(reads(), 2);
    assert.equal(await c.get('nobody'), undefined);
    assert.equal(await c.get('nobody'), undefined);
    assert.equal(reads(), 4);
  });

  test('a change forgets at once; rows with the old state are not cached until the new one is read', async () => {
    const { c, db, reads } = setup();
    await c.get('a');
    c.changing('a', 'frozen'); // the hook, inside the freeze's transaction (not committed yet)
    assert.equal((await c.get('a'))?.state, 'active', 'the old state, read before the commit');
    assert.equal((await c.get('a'))?.state, 'active', 'read again: it was not cached');
    assert.equal(reads(), 3);
    db.set('a', { state: 'frozen' }); // the commit
    assert.equal((await c.get('a'))?.state, 'frozen');
    assert.equal((await c.get('a'))?.state, 'frozen', 'the new state is cached');
    assert.equal(reads(), 4);
  });

  test('a read under way when the change began answers its request but is not cached', async () => {
    const { c, reads } = setup();
    const read = c.get('a');
    c.changing('a', 'active'); // an unfreeze committing while the read runs
    assert.equal((await read)?.state, 'active');
    await c.get('a');
    assert.equal(reads(), 2, 'the first read was not cached');
    await c.get('a');
    assert.equal(reads(), 2, 'the second read saw the new state and was cached');
  });

  test('a change that rolled back is cached again once the hold has passed', async () => {
    const { c, reads, tick } = setup();
    c.changing('a', 'frozen');
    await c.get('a');
    await c.get('a');
    assert.equal(reads(), 2);
    tick(5000);
    await c.get('a');
    await c.get('a');
    assert.equal(reads(), 3);
  });
});

// the two databases at once (each with its own Gatehouse): the tests within one stay in order; most of each is waiting for a cached entry to age out (the 1 s TTL)
describeBackends(
  'account cache over HTTP',
  (backend) => {
    let f: Fixture;
    before(async () => {
      f = await fixture(backend);
    });
    after(async () => {
      await f.cleanup();
    });

    const me = (token: string) =>
      fetch(`${f.url}/v1/apps/me`, { headers: { authorization: `Bearer ${token}` } });
    /** Userinfo and the resource API, each read twice: the account comes from the cache. */
    const warm = async (config: oidc.Configuration, token: string) => {
      const hits = f.gh.oauth.accounts.stats.hits;
      for (let i = 0; i < 2; i++) {
        await oidc.fetchUserInfo(config, token, oidc.skipSubjectCheck);
        assert.equal((await me(token)).status, 200);
      }
      assert.ok(f.gh.oauth.accounts.stats.hits > hits, 'the account was served from the cache');
    };
    /** A new app's tokens for the account, read until its account is cached. */
    const warmedToken = async () => {
      const config = await rp(f.url, await addApp(f.gh));
      const { tokens } = await codeFlow(f, config);
      await warm(config, tokens.access_token);
      return { config, tokens };
    };

    test('freezing the account: its cached tokens are refused at once, and work at once when unfrozen', async () => {
      const { config, tokens } = await warmedToken();
      await f.gh.identity.freeze(f.account.id, 'test freeze');
      try {
        await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck));
        assert.equal((await me(tokens.access_token)).status, 401);
      } finally {
        await f.gh.identity.unfreeze(f.account.id, 'test over');
      }
      await warm(config, tokens.access_token);
    });

    test("another process's freeze (the row changed under the cache) is seen once the entry ages out", async () => {
      const { config, tokens } = await warmedToken();
      const set = (state: 'frozen' | 'active') =>
        f.gh.store.db.updateTable('accounts').set({ state }).where('id', '=', f.account.id).execute();
      await set('frozen');
      try {
        await until(async () => (await me(tokens.access_token)).status === 401, 'refused after the TTL');
        await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck));
      } finally {
        await set('active');
      }
      await until(async () => (await me(tokens.access_token)).status === 200, 'served after the TTL');
    });
  },
  { atOnce: true },
);
