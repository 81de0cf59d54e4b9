// The security centre (/me/) in Chromium at phone width: an owner signs in with the session cookie and
// does each page's main task — answers a "was this you?" question (its reasons in plain words), signs a
// stranger's session out, makes recovery codes, names trusted friends, proves an email address, sets up
// an authenticator app, approves a QR sign-in — each result checked through the API, axe-core on every
// page, no CSP violation, screenshots for docs/console.md.
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { generateSync } from 'otplib';
import type { Browser } from 'playwright-core';
import { explainSignal } from '../engine/index.ts';
import {
  harness,
  INTRUDER,
  ok,
  PASSWORD,
  signIn,
  signUp,
  STRANGER,
  type Harness,
} from '../recovery/attack-harness.ts';
import {
  assertAccessible,
  browserSkip,
  context,
  ensureConsoleBuilt,
  launch,
  screenshot,
  watchProblems,
} from './browser-harness.ts';

/** A "was this you?" question as the response part asks it for a held message with a lookalike link. */
async function askWasThisYou(h: Harness, account: string): Promise<void> {
  const look = {
    name: 'url_lookalike' as const,
    value: 'steamcomunety.com',
    facts: { brand: 'steamcommunity.com' },
    logOdds: 4,
  };
  const fresh = { name: 'new_link_domain' as const, value: 'steamcomunety.com', logOdds: 0.8 };
  const signals = [look, fresh].map((s) => ({ ...s, reason: explainSignal(s) }));
  await h.gh.response.handle({
    id: `dec:test-${account}`,
    eventId: `test-${account}`,
    eventType: 'message.sent',
    account,
    time: Date.now(),
    action: 'hold',
    risk: 0.9,
    signals,
    reasons: signals.map((s) => ({ signal: s.name, ...s.reason })),
  });
}

async function qrRequester() {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ]);
  const jwk = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
}

describe('security centre in Chromium', () => {
  let h: Harness;
  let browser: Browser | undefined;
  const skip = browserSkip();
  before(async () => {
    ensureConsoleBuilt();
    h = await harness('sqlite', { recoveryFactorCoolingOffHours: 0 });
    if (!skip) browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await h?.cleanup();
  });

  test('an owner signs in and does the main task of every page (phone width, zh and en)', async (tt) => {
    if (skip || !browser) return tt.skip(skip);
    const owner = await signUp(h, 'centre.owner');
    await signUp(h, 'friend.one');
    await signUp(h, 'friend.two');
    // someone else's session on the account (a new phone on another network)
    const strangerToken = await signIn(h, owner.handle, INTRUDER);
    // recovery codes saved long ago (they count at once here: no cooling-off in this test)
    const saved = ok(await h.call('POST', '/v1/me/recovery/codes', { token: await signIn(h, owner.handle) }))
      .json.codes as string[];

    const ctx = await context(browser, { locale: 'zh-CN', phone: true });
    const page = await ctx.newPage();
    const problems = watchProblems(page);
    await page.goto(`${h.url}/me/`);
    await page.getByLabel('账号').fill(owner.handle);
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator('#signed-in-as').waitFor();
    // a message is held after this session began (an answer from a session younger than the activity
    // would not count: challenge-trust.test.ts)
    await askWasThisYou(h, owner.id);
    await page.reload();

    // 1. the pending "was this you?" question, in plain Chinese with the values — not signal codes
    const q = page.locator('#questions [data-challenge]');
    await q.waitFor();
    const qText = await q.innerText();
    assert.match(qText, /这条消息中的链接模仿了 steamcommunity\.com（steamcomunety\.com）/);
    assert.doesNotMatch(qText, /url_lookalike|new_link_domain/);
    await assertAccessible(page, '/me/ with a question (zh-CN, phone)');
    await screenshot(page, 'me-questions');
    await page.getByRole('button', { name: '是我本人', exact: true }).click();
    // this browser's session began after the held message: it must prove more than the password
    await page.getByText(/本次登录晚于这些活动/).waitFor();
    await page.getByLabel('身份验证器验证码或恢复码').fill(saved[0]!);
    await page.getByRole('button', { name: '用此代码确认' }).click();
    await page.locator('#questions [role="status"]').waitFor();
    const pending = ok(await h.call('GET', '/v1/me/challenges', { token: strangerToken })).json
      .challenges as unknown[];
    assert.equal(pending.length, 0, 'answered: no question left');

    // 2. sessions: the stranger's session is listed with its device and address; sign it out
    await page.getByRole('link', { name: '会话' }).click();
    const stranger = page.locator('[data-session]').filter({ hasText: INTRUDER.ip });
    await stranger.waitFor();
    await page.locator('#signins table').waitFor();
    await assertAccessible(page, '/me/sessions (zh-CN, phone)');
    await screenshot(page, 'me-sessions');
    // this browser signed in after the stranger: a session this new cannot sign out an older one
    // (identity/session-age.ts), and the page says so in Chinese
    await stranger.getByRole('button', { name: /退出登录/ }).click();
    await page.getByText(/新登录的会话暂时不能让更早登录的会话退出/).waitFor();
    assert.equal((await h.call('GET', '/v1/me', { token: strangerToken })).status, 200, 'still signed in');
    // a day later it may
    await h.gh.store.db
      .updateTable('sessions')
      .set((eb) => ({ created_at: eb('created_at', '-', 25 * 3_600_000) }))
      .where('account_id', '=', owner.id)
      .execute();
    await stranger.getByRole('button', { name: /退出登录/ }).click();
    await stranger.waitFor({ state: 'detached' });
    assert.equal(
      (await h.call('GET', '/v1/me', { token: strangerToken })).status,
      401,
      'that session is over',
    );

    // the rest in English (the switch is remembered)
    await page.getByLabel('语言').selectOption('en');

    // 3. recovery: ten codes (a password sign-in a moment ago counts as the fresh proof), trusted
    // friends, and an email address proved with the code sent to it
    await page.getByRole('link', { name: 'Recovery' }).click();
    await page.getByRole('button', { name: 'Make 10 new codes' }).click();
    await page.locator('#new-codes li').nth(9).waitFor();
    const shown = await page.locator('#new-codes code').allInnerTexts();
    assert.equal(shown.length, 10);
    const codes = ok(await h.call('GET', '/v1/me/recovery/codes', { token: await signIn(h, owner.handle) }))
      .json as { remaining: number };
    assert.equal(codes.remaining, 10);
    await page.getByLabel('Friends’ handles').fill('friend.one\nfriend.two');
    await page.getByRole('button', { name: 'Save trusted friends' }).click();
    await page.getByLabel('Address or number').fill('centre.owner@example.com');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const code = page.getByLabel('Code sent to centre.owner@example.com');
    await code.waitFor();
    await code.fill(h.sender.codeFor('centre.owner@example.com'));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('[data-channel] .badge.ok').waitFor();
    const token = await signIn(h, owner.handle);
    const friends = ok(await h.call('GET', '/v1/me/recovery/friends', { token })).json as {
      friends: { handle: string }[];
    };
    assert.deepEqual(friends.friends.map((f) => f.handle).sort(), ['friend.one', 'friend.two']);
    const channels = ok(await h.call('GET', '/v1/me/recovery/channels', { token })).json as {
      channels: { address: string; verified: boolean }[];
    };
    assert.ok(channels.channels.some((c) => c.address === 'centre.owner@example.com' && c.verified));
    await assertAccessible(page, '/me/recovery (en, phone)');
    await screenshot(page, 'me-recovery');

    // 4. authenticator app: scan (the key is shown too), confirm with a first code
    await page.getByRole('link', { name: 'Passkeys and 2FA' }).click();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.getByRole('img', { name: 'QR code for the authenticator app' }).waitFor();
    const secret = /type the key: ([A-Z2-7]+)/.exec(await page.locator('#totp').innerText())?.[1];
    assert.ok(secret, 'the key is shown for typing');
    await assertAccessible(page, '/me/signin-methods (en, phone)');
    await screenshot(page, 'me-signin-methods');
    await page.getByLabel('The 6-digit code it shows').fill(generateSync({ secret }));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(/^On since/).waitFor();
    const factors = ok(await h.call('GET', '/v1/me/second-factors', { token })).json as {
      totp: { confirmedAt: number | null };
    };
    assert.ok(factors.totp.confirmedAt);

    // 5. apps: none authorised yet; the page says so
    await page.getByRole('link', { name: 'Apps' }).click();
    await page.locator('#access').waitFor();
    await assertAccessible(page, '/me/apps (en, phone)');

    // 6. a QR sign-in requested on another computer: the context, then approve
    const mint = ok(
      await h.call('POST', '/v1/auth/qr', { body: { publicKey: await qrRequester() }, from: STRANGER }),
      201,
    ).json as { id: string; code: string };
    await page.goto(`${h.url}/me/qr/${mint.code}`);
    await page
      .locator('#qr-ask')
      .getByText(/Network:/)
      .waitFor();
    await assertAccessible(page, '/me/qr (en, phone)');
    await screenshot(page, 'me-qr');
    // approving needs the owner to say the asking device is in front of them (declining does not)
    assert.equal(await page.getByRole('button', { name: 'Approve' }).isDisabled(), true);
    await page.getByLabel('The device asking is in front of me and I started this sign-in myself').check();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.locator('main [role="status"]').waitFor();
    const state = ok(await h.call('GET', `/v1/auth/qr/${mint.id}`, { from: STRANGER })).json as {
      state: string;
    };
    assert.equal(state.state, 'approved');

    assert.deepEqual(problems, []);
    await ctx.close();
  });
});
