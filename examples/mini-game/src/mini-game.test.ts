/**
 * The mini game against a real Gatehouse over HTTP: "Sign in with Chat" → Gatehouse sign-in → consent
 * (one field declined) → callback → the game shows exactly the data it received; then the operator
 * switches the game off and it loses access.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { testGatehouse } from '../../../packages/gatehouse/src/testing/index.ts';
import { readForm, TestBrowser } from '../../../packages/gatehouse/src/oauth/test-browser.ts';
import { startMiniGame } from './app.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test('mini game: sign in with Chat, consent, the data shown; suspended, it loses access', async () => {
  const { gh, cleanup } = await testGatehouse('sqlite');
  try {
    const ghUrl = await gh.listen();
    await gh.identity.createAccount(
      { handle: 'player1', displayName: '玩家一号', password: 'long enough password 7' },
      { ip: '127.0.0.1', userAgent: 'test' },
    );
    const port = await freePort();
    const { app, clientSecret } = await gh.oauth.registry.add({
      name: { en: 'Mini Game', zh: '小游戏' },
      redirectUris: [`http://127.0.0.1:${port}/cb`],
      scopes: ['nickname', 'avatar', 'friend_count'],
    });
    const game = await startMiniGame({
      issuer: ghUrl,
      clientId: app.id,
      clientSecret: clientSecret!,
      port,
      allowInsecure: true,
    });
    try {
      const browser = new TestBrowser({ headers: { 'accept-language': 'zh-CN' } });
      const home = await browser.request(`${game.url}/`);
      assert.match(home.body, /Sign in with Chat/);
      // game → Gatehouse sign-in page
      let r = await browser.follow(`${game.url}/login`, 'never');
      assert.ok('page' in r && /name="password"/.test(r.page) && /小游戏/.test(r.page));
      let form = readForm(r.page);
      r = await browser.follow(new URL(form.action, ghUrl).toString(), 'never', {
        form: { ...form.fields, handle: 'player1', password: 'long enough password 7' },
      });
      // the consent page: the app, unverified, each field declinable
      assert.ok('page' in r && /id="app-unverified"/.test(r.page));
      form = readForm(r.page);
      assert.deepEqual(form.fields.scope, ['nickname', 'avatar', 'friend_count']);
      r = await browser.follow(new URL(form.action, ghUrl).toString(), 'never', {
        form: { csrf: String(form.fields.csrf), decision: 'allow', scope: ['nickname', 'friend_count'] },
      });
      // callback → the game's page with what it received
      assert.ok('page' in r, JSON.stringify(r).slice(0, 300));
      assert.match(r.url, /\/me$/);
      assert.match(r.page, /data-field="nickname">玩家一号</);
      assert.match(r.page, /data-field="friend_count">0</);
      assert.doesNotMatch(r.page, /data-field="avatar"/);
      assert.match(r.page, /id="declined">[^<]*avatar/);
      const sub = /id="sub">([^<]+)</.exec(r.page)![1]!;
      const player = await gh.identity.findByHandle('player1');
      assert.notEqual(sub, player!.id, 'a pairwise id, not the account id');
      // the read is in the player's access log
      const log = await gh.oauth.accessLogOf(player!.id, { client: app.id });
      assert.deepEqual(log[0]?.fields.sort(), ['friend_count', 'nickname']);
      // the platform switches the game off: the game loses access at once
      await gh.oauth.suspend(app.id, 'demo: leaking data', 'test');
      const after = await browser.request(`${game.url}/me`);
      assert.match(after.body, /id="revoked"/);
      const again = await browser.follow(`${game.url}/login`, 'never');
      assert.ok('page' in again);
      assert.match(again.page, /invalid_client/);
    } finally {
      await game.close();
    }
  } finally {
    await cleanup();
  }
});
