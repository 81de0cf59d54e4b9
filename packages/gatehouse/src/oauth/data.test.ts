/**
 * Data minimisation over HTTP: field scopes, masked contacts, reviewed-only friend lists, the consent
 * page and its declinable fields, the resource API and its access log, users' apps, per-app limits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { until } from '../testing/receiver.ts';
import { readForm, TestBrowser } from './test-browser.ts';
import { addApp, codeFlow, fixture, PASSWORD, REDIRECT, rp, type Fixture } from './test-fixture.ts';

let f: Fixture;
let friendId: string;
before(async () => {
  f = await fixture('sqlite');
  const ctx = { ip: '127.0.0.1', userAgent: 'fixture' };
  friendId = (await f.gh.identity.createAccount({ handle: 'bob', password: PASSWORD }, ctx)).id;
  const key = (await f.gh.keys.create('platform', ['events:write'])).key;
  const t = Date.now() - 60_000;
  const events = [
    {
      id: 'p1',
      type: 'profile.changed',
      time: t,
      account: f.account.id,
      field: 'phone',
      new: '+8613812348000',
    },
    {
      id: 'p2',
      type: 'profile.changed',
      time: t,
      account: f.account.id,
      field: 'email',
      new: 'alice@example.com',
    },
    { id: 'p3', type: 'profile.changed', time: t, account: f.account.id, field: 'region', new: 'CN-31' },
    {
      id: 'p4',
      type: 'profile.changed',
      time: t,
      account: f.account.id,
      field: 'avatar',
      new: 'https://cdn.example/a.png',
    },
    { id: 'f1', type: 'friend.added', time: t, account: f.account.id, friend: friendId },
    { id: 'f2', type: 'friend.added', time: t, account: f.account.id, friend: 'platform-only-friend' },
    { id: 'f3', type: 'friend.added', time: t + 1, account: f.account.id, friend: 'ex-friend' },
    { id: 'f4', type: 'friend.removed', time: t + 2, account: f.account.id, friend: 'ex-friend' },
  ];
  const res = await fetch(`${f.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  assert.equal(res.status, 200, await res.text());
  await until(
    async () => (await f.gh.engine.eventLog.between(f.account.id, 0, Date.now())).length >= events.length,
    'events logged',
  );
});
after(async () => {
  await f.cleanup();
});

describe('claims carry only what each scope names', () => {
  test('contacts are masked for an unverified app, and for a verified one without review', async () => {
    for (const verified of [false, true]) {
      const app = await addApp(f.gh, {
        scopes: ['phone', 'email', 'region', 'avatar'],
        verified,
        reviewedScopes: [],
      });
      const config = await rp(f.url, app);
      const { tokens } = await codeFlow(f, config, { scope: 'openid phone email' });
      const ui = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
      assert.deepEqual(Object.keys(ui).sort(), ['email', 'phone_number', 'sub']);
      assert.equal(ui.phone_number, '+86 138****8000');
      assert.equal(ui.email, 'a***@example.com');
    }
  });

  test('a verified app with a reviewed contact scope gets it unmasked; the review alone is not enough', async () => {
    const reviewed = await addApp(f.gh, { scopes: ['phone'], verified: true, reviewedScopes: ['phone'] });
    let config = await rp(f.url, reviewed);
    let t = (await codeFlow(f, config, { scope: 'openid phone' })).tokens;
    assert.equal(
      (await oidc.fetchUserInfo(config, t.access_token, t.claims()!.sub)).phone_number,
      '+8613812348000',
    );
    const unverified = await addApp(f.gh, { scopes: ['phone'], verified: false, reviewedScopes: ['phone'] });
    config = await rp(f.url, unverified);
    t = (await codeFlow(f, config, { scope: 'openid phone' })).tokens;
    assert.equal(
      (await oidc.fetchUserInfo(config, t.access_token, t.claims()!.sub)).phone_number,
      '+86 138****8000',
    );
  });

  test('declined fields are neither in the token scope nor in any answer', async () => {
    const app = await addApp(f.gh, { scopes: ['nickname', 'region', 'avatar'] });
    const config = await rp(f.url, app);
    const { tokens } = await codeFlow(f, config, {
      scope: 'openid nickname region avatar',
      consent: (offered) => offered.filter((s) => s === 'region'),
    });
    assert.equal(tokens.scope, 'openid region');
    const ui = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    assert.deepEqual(Object.keys(ui).sort(), ['region', 'sub']);
    const r = await oidc.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL(`${f.url}/v1/apps/me`),
      'GET',
    );
    assert.deepEqual((await r.json()) as unknown, { sub: tokens.claims()!.sub, fields: { region: 'CN-31' } });
    // asking again for a declined field shows the consent page again, not a silent grant
    const again = new TestBrowser();
    const v = oidc.randomPKCECodeVerifier();
    const page = await again.follow(
      oidc
        .buildAuthorizationUrl(config, {
          redirect_uri: REDIRECT,
          scope: 'openid nickname',
          code_challenge: await oidc.calculatePKCECodeChallenge(v),
          code_challenge_method: 'S256',
        })
        .toString(),
      REDIRECT,
    );
    assert.ok('page' in page);
  });

  test('friends: pairwise ids only, only with the scope, only for reviewed apps', async () => {
    const app = await addApp(f.gh, {
      scopes: ['friends', 'friend_count'],
      reviewedScopes: ['friends'],
      verified: true,
    });
    const config = await rp(f.url, app);
    const { tokens } = await codeFlow(f, config, { scope: 'openid friends friend_count' });
    const ui = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    assert.equal(ui.friend_count, 2);
    const r = await oidc.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL(`${f.url}/v1/apps/me/friends`),
      'GET',
    );
    const body = (await r.json()) as { sub: string; friends: string[] };
    assert.equal(body.friends.length, 2);
    assert.ok(
      !body.friends.includes(friendId) && !body.friends.includes('platform-only-friend'),
      'no raw ids',
    );
    // bob's id in this app's namespace equals what the app would see as bob's sub
    const view = await f.gh.oauth.registry.get(app.id);
    assert.ok(body.friends.includes(f.gh.oauth.subFor(view, friendId)));
    // a token without the friends scope
    const narrow = (await codeFlow(f, config, { scope: 'openid friend_count' })).tokens;
    const denied = await fetch(`${f.url}/v1/apps/me/friends`, {
      headers: { authorization: `Bearer ${narrow.access_token}` },
    });
    assert.equal(denied.status, 403);
    assert.equal(((await denied.json()) as { error: string }).error, 'insufficient_scope');
    assert.match(denied.headers.get('www-authenticate')!, /insufficient_scope/);
  });
});

describe('the consent page', () => {
  test('names the app, says whether it is verified, lists each field with its own checkbox (zh and en)', async () => {
    const app = await addApp(f.gh, { scopes: ['nickname', 'phone', 'offline_access'] });
    const config = await rp(f.url, app);
    for (const [lang, name, unverified, phone] of [
      ['zh-CN', '小游戏', '未认证', '你的手机号（打码'],
      ['en', 'Mini Game', 'Not verified', 'Your phone number, masked'],
    ] as const) {
      const browser = new TestBrowser({ headers: { 'accept-language': lang } });
      const v = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid nickname phone offline_access',
        prompt: 'consent',
        code_challenge: await oidc.calculatePKCECodeChallenge(v),
        code_challenge_method: 'S256',
      });
      const login = await browser.follow(url.toString(), REDIRECT);
      assert.ok('page' in login);
      assert.match(login.page, new RegExp(`id="app-name">${name}<`));
      const form = readForm(login.page);
      const consent = await browser.follow(new URL(form.action, f.url).toString(), REDIRECT, {
        form: { ...form.fields, handle: 'alice', password: PASSWORD },
      });
      assert.ok('page' in consent);
      assert.match(consent.page, new RegExp(unverified));
      assert.match(consent.page, new RegExp(phone));
      const boxes = [...consent.page.matchAll(/type="checkbox" name="scope" value="([a-z_]+)"/g)].map(
        (m) => m[1],
      );
      assert.deepEqual(boxes, ['nickname', 'phone', 'offline_access']);
      assert.equal(consent.status, 200);
    }
  });

  test('the pages cannot be framed; a forged consent post without the CSRF token is refused', async () => {
    const app = await addApp(f.gh);
    const config = await rp(f.url, app);
    const browser = new TestBrowser();
    const v = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid nickname',
      code_challenge: await oidc.calculatePKCECodeChallenge(v),
      code_challenge_method: 'S256',
    });
    let r = await browser.request(url.toString());
    r = await browser.request(r.location!);
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.match(r.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
    const form = readForm(r.body);
    const forged = await browser.request(new URL(form.action, f.url).toString(), {
      form: { handle: 'alice', password: PASSWORD, csrf: 'x' },
    });
    assert.equal(forged.status, 403);
  });

  test('a wrong password re-shows the form with the error; the Gatehouse limits apply', async () => {
    const app = await addApp(f.gh);
    const config = await rp(f.url, app);
    const browser = new TestBrowser();
    const v = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(v),
      code_challenge_method: 'S256',
    });
    const page = await browser.follow(url.toString(), REDIRECT);
    assert.ok('page' in page);
    const form = readForm(page.page);
    const wrong = await browser.request(new URL(form.action, f.url).toString(), {
      form: { ...form.fields, handle: 'alice', password: 'not the password' },
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /Wrong handle or password/);
    const failures = await f.gh.identity.signins(f.account.id, 5);
    assert.equal(failures[0]!.reason, 'wrong_password', 'recorded in the sign-in history');
  });

  test('an account the engine contains: the sign-in page refuses a new device with the engine’s reason, in the reader’s language', async () => {
    const held = await f.gh.identity.createAccount(
      { handle: 'held.reader', password: PASSWORD },
      { ip: '127.0.0.1', userAgent: 'test' },
    );
    f.gh.engine.engine.markVictim(held.id);
    const app = await addApp(f.gh);
    const config = await rp(f.url, app);
    try {
      for (const [lang, words] of [
        ['zh-CN', /疑似被盗/],
        ['en', /suspected takeover/],
      ] as const) {
        const browser = new TestBrowser({ headers: { 'accept-language': lang } });
        const url = oidc.buildAuthorizationUrl(config, {
          redirect_uri: REDIRECT,
          scope: 'openid',
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        });
        const page = await browser.follow(url.toString(), REDIRECT);
        assert.ok('page' in page);
        const form = readForm(page.page);
        const refused = await browser.request(new URL(form.action, f.url).toString(), {
          form: { ...form.fields, handle: 'held.reader', password: PASSWORD },
        });
        assert.equal(refused.status, 403);
        assert.match(refused.body, words);
      }
    } finally {
      f.gh.engine.engine.release(held.id);
    }
  });
});

describe('what apps read, users can read', () => {
  test('every read is logged with fields, time and network; users list and revoke their apps', async () => {
    const app = await addApp(f.gh, { name: { en: 'Reader', zh: '读者' }, scopes: ['nickname', 'region'] });
    const config = await rp(f.url, app);
    const { tokens } = await codeFlow(f, config, { scope: 'openid nickname region' });
    await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    await oidc.fetchProtectedResource(config, tokens.access_token, new URL(`${f.url}/v1/apps/me`), 'GET');
    const signin = await fetch(`${f.url}/v1/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'alice', password: PASSWORD }),
    });
    const session = ((await signin.json()) as { token: string }).token;
    const auth = { authorization: `Bearer ${session}` };
    const log = (await (
      await fetch(`${f.url}/v1/me/apps/access?client=${app.id}`, { headers: auth })
    ).json()) as {
      access: Array<{ client: string; resource: string; fields: string[]; network: string; at: number }>;
    };
    assert.deepEqual(log.access.map((a) => [a.resource, a.fields.sort().join(',')]).sort(), [
      ['profile', 'nickname,region'],
      ['userinfo', 'nickname,region'],
    ]);
    assert.ok(log.access.every((a) => a.network === '127.0.0.0/24' && a.at > Date.now() - 60_000));
    const apps = (await (await fetch(`${f.url}/v1/me/apps`, { headers: auth })).json()) as {
      apps: Array<{ client: string; scopes: string[]; lastAccessAt: number | null; name: { zh: string } }>;
    };
    const mine = apps.apps.find((a) => a.client === app.id)!;
    assert.deepEqual(mine.scopes.sort(), ['nickname', 'openid', 'region']);
    assert.equal(mine.name.zh, '读者');
    assert.ok(mine.lastAccessAt);
    const del = await fetch(`${f.url}/v1/me/apps/${app.id}`, { method: 'DELETE', headers: auth });
    assert.equal(del.status, 200);
    await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck));
    const left = await f.gh.store.db
      .selectFrom('oauth_models')
      .select('model')
      .where('client_id', '=', app.id)
      .where('account_id', '=', f.account.id)
      .execute();
    assert.deepEqual(
      left.filter((r) => r.model !== 'Session'),
      [],
      'every token and the grant are gone',
    );
    const again = await fetch(`${f.url}/v1/me/apps/${app.id}`, { method: 'DELETE', headers: auth });
    assert.equal(again.status, 404);
    // another user cannot read alice's log through their own session
    const bob = await fetch(`${f.url}/v1/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'bob', password: PASSWORD }),
    });
    const bobAuth = { authorization: `Bearer ${((await bob.json()) as { token: string }).token}` };
    const bobLog = (await (await fetch(`${f.url}/v1/me/apps/access`, { headers: bobAuth })).json()) as {
      access: unknown[];
    };
    assert.equal(bobLog.access.length, 0);
  });

  test("per-app rate limit: reads beyond the app's limit get 429 with Retry-After", async () => {
    const app = await addApp(f.gh, { rateLimitPerMinute: 3 });
    const config = await rp(f.url, app);
    const { tokens } = await codeFlow(f, config, { scope: 'openid nickname' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await oidc.fetchProtectedResource(
        config,
        tokens.access_token,
        new URL(`${f.url}/v1/apps/me`),
        'GET',
      );
      statuses.push(r.status);
      if (r.status === 429) assert.ok(Number(r.headers.get('retry-after')) > 0);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  });

  test("a frozen account's tokens stop working at once", async () => {
    const ctx = { ip: '127.0.0.1', userAgent: 'fixture' };
    await f.gh.identity.createAccount({ handle: 'carol', password: PASSWORD }, ctx);
    const app = await addApp(f.gh);
    const config = await rp(f.url, app);
    const browser = new TestBrowser();
    const { tokens } = await codeFlow({ ...f }, config, {
      scope: 'openid nickname',
      browser,
      consent: (o) => o,
    });
    await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    await f.gh.identity.freeze(f.account.id, 'test freeze');
    try {
      const r = await fetch(`${f.url}/v1/apps/me`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      assert.equal(r.status, 401);
      await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck));
    } finally {
      await f.gh.identity.unfreeze(f.account.id, 'test over');
    }
  });
});
