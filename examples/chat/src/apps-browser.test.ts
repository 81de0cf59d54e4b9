/**
 * "Sign in with Chat" in Debian's Chromium (playwright-core): a person signed in to the chat opens
 * Apps → Mini Game (the example third-party app, examples/mini-game), signs in at Gatehouse's provider,
 * declines one field on the consent page, and the game shows only the fields that were granted, under an
 * id unique to the game. Skips (visibly) when /usr/bin/chromium is absent, unless
 * GATEHOUSE_REQUIRE_SERVICES=1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { testBrowser } from '../../../packages/gatehouse/src/testing/browser.ts';
import { startMiniGame, type MiniGame } from '../../mini-game/src/app.ts';
import { parseAppLink } from './app.ts';
import { startEnv, type Env } from './testing.ts';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRE = process.env.GATEHOUSE_REQUIRE_SERVICES === '1';
let skip: string | false = false;
if (!existsSync(CHROMIUM)) {
  if (REQUIRE)
    throw new Error(`Chromium is required (GATEHOUSE_REQUIRE_SERVICES=1) but ${CHROMIUM} is missing`);
  skip = `${CHROMIUM} not found (apt-get install -y chromium): skipping the browser test`;
  console.log(`# SKIP ${skip}`);
}
const PASSWORD = 'correct horse battery staple 42';

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

let env: Env;
let game: MiniGame;
let clientId: string;
let browser: Browser;

before(async () => {
  if (skip) return;
  // the game's port is known before the chat starts: the chat lists it under Apps
  const gamePort = await freePort();
  env = await startEnv({ apps: [{ name: 'Mini Game 小游戏', url: `http://127.0.0.1:${gamePort}/` }] });
  // the operator registers the game at Gatehouse; the game starts with its credentials
  const { app, clientSecret } = await env.gh.oauth.registry.add({
    name: { en: 'Mini Game', zh: '小游戏' },
    redirectUris: [`http://127.0.0.1:${gamePort}/cb`],
    scopes: ['nickname', 'avatar', 'friend_count'],
  });
  clientId = app.id;
  game = await startMiniGame({
    issuer: env.ghUrl,
    clientId: app.id,
    clientSecret: clientSecret!,
    port: gamePort,
    allowInsecure: true,
  });
  browser = await testBrowser();
});
after(async () => {
  await browser?.close();
  await game?.close();
  await env?.cleanup();
});

test('--app-url NAME=URL: only http(s) links with a name', () => {
  assert.deepEqual(parseAppLink('Mini Game=http://127.0.0.1:3100/'), {
    name: 'Mini Game',
    url: 'http://127.0.0.1:3100/',
  });
  assert.deepEqual(parseAppLink('游戏=https://game.example/play?x=a=b'), {
    name: '游戏',
    url: 'https://game.example/play?x=a=b',
  });
  for (const bad of ['Mini Game', '=http://x.example/', 'Game=javascript:alert(1)', 'Game=ftp://x.example/'])
    assert.throws(() => parseAppLink(bad), /--app-url/, bad);
});

test(
  'signed-in chat user → Apps → Mini Game → Gatehouse consent (one field declined) → the game shows the granted fields only',
  { skip },
  async () => {
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1100, height: 720 } });
    const page = await ctx.newPage();
    await page.goto(env.url);
    await page.click('#tab-signup');
    await page.fill('#handle', 'gamer');
    await page.fill('#displayName', '游戏玩家');
    await page.fill('#password', PASSWORD);
    await page.click('#auth-submit');
    await page.waitForSelector('#chat:not([hidden])');

    // the Apps entry (zh: 应用) with the game, opening in a new tab
    assert.equal(await page.textContent('#apps-section h2'), '应用');
    const [tab] = await Promise.all([
      ctx.waitForEvent('page'),
      page.click('[data-testid="app-Mini Game 小游戏"]'),
    ]);
    await tab.waitForLoadState();
    await tab.click('#signin');

    // Gatehouse's sign-in page names the game; the chat account's handle and password sign in
    await tab.waitForSelector('input[name="password"]');
    assert.match((await tab.textContent('body')) ?? '', /小游戏/);
    await tab.fill('input[name="handle"]', 'gamer');
    await tab.fill('input[name="password"]', PASSWORD);
    await tab.click('button[type="submit"]');

    // the consent page: each field with its own checkbox; the avatar is declined
    await tab.waitForSelector('#consent');
    const offered = await tab.$$eval('input[name="scope"]', (els) =>
      els.map((e) => (e as unknown as { value: string }).value),
    );
    assert.deepEqual(offered, ['nickname', 'avatar', 'friend_count']);
    await tab.uncheck('input[name="scope"][value="avatar"]');
    await tab.click('button[value="allow"]');

    // back at the game: what it received, and nothing it was refused
    await tab.waitForSelector('#fields');
    assert.match(tab.url(), /\/me$/);
    assert.equal(await tab.textContent('[data-field="nickname"]'), '游戏玩家');
    assert.equal(await tab.textContent('[data-field="friend_count"]'), '0');
    assert.equal(await tab.locator('[data-field="avatar"]').count(), 0);
    assert.match((await tab.textContent('#declined')) ?? '', /avatar/);
    const sub = (await tab.textContent('#sub'))!;
    const me = await page.evaluate(
      async () => ((await (await fetch('/api/me')).json()) as { user: { id: string } }).user.id,
    );
    assert.notEqual(sub, me, "the game gets an id of its own, not the chat account's");

    // Gatehouse recorded the read in the user's access log: the granted fields only
    await env.gh.oauth.accessLog.flush();
    const log = await env.gh.oauth.accessLogOf(me, { client: clientId });
    assert.deepEqual(log[0]?.fields.sort(), ['friend_count', 'nickname']);

    await tab.screenshot({ path: join(tmpdir(), 'gatehouse-chat-apps.png') });
    await ctx.close();
  },
);
