/**
 * One browser test: Debian's Chromium driven by playwright-core. Two people in two browser contexts
 * sign up, become friends and exchange a message; then Gatehouse's signed webhooks retract it and warn
 * the recipient, who sees the "retracted" placeholder and the warning banner. Skips (visibly) when
 * /usr/bin/chromium is absent, unless GATEHOUSE_REQUIRE_SERVICES=1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { testBrowser } from '../../../packages/gatehouse/src/testing/browser.ts';
import { startEnv, type Env } from './testing.ts';

const CHROMIUM = '/usr/bin/chromium';
// A 24x24 blue PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAIAAABvFaqvAAAAH0lEQVR4nGOQz39NFcQwatCoQaMGjRo0atCoQQNvEACA01Buax/V4gAAAABJRU5ErkJggg==',
  'base64',
);
const REQUIRE = process.env.GATEHOUSE_REQUIRE_SERVICES === '1';
let skip: string | false = false;
if (!existsSync(CHROMIUM)) {
  if (REQUIRE)
    throw new Error(`Chromium is required (GATEHOUSE_REQUIRE_SERVICES=1) but ${CHROMIUM} is missing`);
  skip = `${CHROMIUM} not found (apt-get install -y chromium): skipping the browser test`;
  console.log(`# SKIP ${skip}`);
}

/** Where the test leaves its screenshot. */
export const SCREENSHOT = join(tmpdir(), 'gatehouse-chat-browser.png');

let env: Env;
let browser: Browser;

before(async () => {
  if (skip) return;
  env = await startEnv({ registerWebhooks: true });
  browser = await testBrowser();
});
after(async () => {
  await browser?.close();
  await env?.cleanup();
});

async function signUp(page: Page, handle: string, name: string): Promise<void> {
  await page.goto(env.url);
  await page.click('#tab-signup');
  await page.fill('#handle', handle);
  await page.fill('#displayName', name);
  await page.fill('#password', 'correct horse battery staple 42');
  await page.click('#auth-submit');
  await page.waitForSelector('#chat:not([hidden])');
  await page.waitForSelector('body[data-ws="open"]');
}

test(
  'two people chat in Chromium; retract, warn and freeze webhooks show placeholder, warning and frozen banners',
  { skip },
  async () => {
    const a = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 720 } });
    const b = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1100, height: 720 } });
    const alice = await a.newPage();
    const bob = await b.newPage();
    await signUp(alice, 'alice', 'Alice');
    await signUp(bob, 'bob', 'Bob 小明');
    // the language follows navigator.language
    assert.equal(await bob.textContent('#tab-signin'), '登录');
    assert.equal(await alice.textContent('#send-btn'), 'Send');

    await alice.fill('#friend-handle', 'bob');
    await alice.click('[data-testid="friend-add"]');
    await alice.click('[data-testid="friend-bob"]');
    // bob's friend list updates over the WebSocket; he opens the conversation before the message comes
    await bob.click('[data-testid="friend-alice"]');

    // a normal message with an image first
    await alice.setInputFiles('#image', { name: 'dot.png', mimeType: 'image/png', buffer: PNG });
    await alice.fill('#text', 'Lunch photo 午饭');
    await alice.click('#send-btn');
    const img = bob.locator('[data-testid="message"] img.image');
    await img.waitFor();
    assert.ok(await img.evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0));

    const text = 'Our trip photos: http://photos.example/album 相册在这里';
    await alice.fill('#text', text);
    await alice.click('#send-btn');
    const msg = bob.locator('[data-testid="message"]').last();
    await msg.locator('a[href="http://photos.example/album"]').waitFor();
    assert.match((await msg.textContent()) ?? '', /trip photos/);
    const messageId = await msg.getAttribute('data-id');
    assert.ok(messageId);
    const aliceId = await alice.evaluate(
      async () => ((await (await fetch('/api/me')).json()) as { user: { id: string } }).user.id,
    );

    const hooks: Array<Parameters<typeof env.deliver>[0]> = [
      {
        type: 'message.retract',
        account: aliceId,
        data: {
          message: messageId,
          account: aliceId,
          recipients: [],
          group: null,
          decision: 'dec_b',
          notice: { en: 'A message from Alice was withdrawn.', zh: 'Alice 的一条消息已被撤回。' },
        },
      },
      {
        type: 'recipients.warn',
        account: aliceId,
        data: {
          account: aliceId,
          recipients: [],
          groups: [],
          messages: [messageId],
          decision: 'dec_b',
          warning: {
            en: "This message was sent by someone who took over Alice's account. Do not transfer money or open its links.",
            zh: '这条消息是盗用Alice账号的人发送的。请勿转账，也不要打开其中的链接。',
          },
        },
      },
      {
        type: 'account.frozen',
        account: aliceId,
        data: {
          account: aliceId,
          by: 'gatehouse',
          kind: 'containment',
          decision: 'dec_b',
          reason: 'url_lookalike, new_recipients',
          reasons: [
            {
              signal: 'url_lookalike',
              en: 'This message links to a site made to look like steam (steamcomunety.com).',
              zh: '这条消息中的链接模仿了 steam（steamcomunety.com）。',
            },
            {
              signal: 'new_recipients',
              en: '9 of the 10 people it went to had never had a message from this account.',
              zh: '收到消息的 10 人中，有 9 人此前从未收到过该账号的消息。',
            },
          ],
          notice: {
            en: 'Your account Alice was frozen because someone else took it over. Open an appeal to get your account back.',
            zh: '你的账号 Alice 已被冻结，因为它被他人盗用。请提交申诉以找回账号。',
          },
        },
      },
    ];
    // Gatehouse sends them (outbox + dispatcher, signed); the chat verifies them with the SDK
    for (const h of hooks) await env.deliver(h);

    await bob.locator('[data-testid="retracted"]').waitFor();
    assert.equal(await bob.locator('a[href="http://photos.example/album"]').count(), 0);
    const banner = bob.locator('[data-testid="warning-banner"]');
    await banner.waitFor();
    assert.match((await banner.textContent()) ?? '', /盗用Alice账号/);
    // the sender's own view shows the placeholder too
    await alice.locator('[data-testid="retracted"]').waitFor();

    // the hijacked sender's account is frozen: banner, and the send box is disabled
    await alice.locator('[data-testid="frozen-banner"]').waitFor();
    assert.match((await alice.textContent('#frozen')) ?? '', /appeal|申诉/i);
    // why, in plain words in the reader's language — never the signal codes
    const why = (await alice.textContent('[data-testid="frozen-reasons"]')) ?? '';
    assert.ok(/模仿了 steam（steamcomunety\.com）|made to look like steam/.test(why), why);
    assert.doesNotMatch(why, /url_lookalike|new_recipients/);
    // and a link to Gatehouse's appeal flow for this account
    const href = (await alice.getAttribute('[data-testid="appeal-link"]', 'href')) ?? '';
    assert.match(href, /\/me\/appeal\?handle=alice&lang=/);
    assert.equal(await alice.isDisabled('#send-btn'), true);

    await bob.screenshot({ path: SCREENSHOT });
    await alice.screenshot({ path: SCREENSHOT.replace('.png', '-frozen.png') });
    console.log(`# screenshots: ${SCREENSHOT}, ${SCREENSHOT.replace('.png', '-frozen.png')}`);
    await a.close();
    await b.close();
  },
);
