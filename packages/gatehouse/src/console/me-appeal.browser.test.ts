// The appeal flow (/me/appeal) in Chromium at phone width, from the chat's frozen-banner link to
// restored: start with the handle, prove it with a saved recovery code, accept the pledge, a new
// password (a breached one refused first), review the sessions (the intruder's must go), finish, and
// read "what happened while you were out" — why in plain words, not codes. Checked through the API
// (the account is active, the old password no longer works, the new one does), axe-core on each step.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { explainSignal, type SignalName } from '../engine/index.ts';
import {
  age,
  harness,
  INTRUDER,
  ok,
  PASSWORD,
  settledOwner,
  signIn,
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

/** The response part contains the account as it does for an engine decision with these signals. */
async function contain(h: Harness, account: string, session: string): Promise<void> {
  const raw: Array<{
    name: SignalName;
    value: string | number;
    facts?: Record<string, string | number>;
    logOdds: number;
  }> = [
    {
      name: 'url_lookalike' as const,
      value: 'steamcomunety.com',
      facts: { brand: 'steamcommunity.com' },
      logOdds: 4,
    },
    { name: 'device_new' as const, value: 'Pixel 8', logOdds: 1 },
    { name: 'new_recipients' as const, value: 9, facts: { recipients: 10 }, logOdds: 1.5 },
  ];
  const signals = raw.map((s) => ({ ...s, reason: explainSignal(s) }));
  await h.gh.response.handle({
    id: `dec:appeal-${account}`,
    eventId: `appeal-${account}`,
    eventType: 'message.sent',
    account,
    session,
    time: Date.now(),
    action: 'contain',
    risk: 0.999,
    signals,
    reasons: signals.map((s) => ({ signal: s.name, ...s.reason })),
  });
}

async function step(page: Page, label: string, shot?: string) {
  await assertAccessible(page, label);
  if (shot) await screenshot(page, shot);
}

describe('appeal flow in Chromium', () => {
  let h: Harness;
  let browser: Browser | undefined;
  const skip = browserSkip();
  before(async () => {
    ensureConsoleBuilt();
    h = await harness('sqlite');
    if (!skip) browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await h?.cleanup();
  });

  test('a frozen owner takes the account back from the banner link to the report (phone, zh)', async (tt) => {
    if (skip || !browser) return tt.skip(skip);
    // an owner who saved recovery codes a month ago; then an intruder signs in and is contained
    const owner = await settledOwner(h, 'appeal.owner');
    await age(h, owner.id, 30);
    const intruderToken = await signIn(h, owner.handle, INTRUDER);
    const intruderSession = (
      ok(await h.call('GET', '/v1/me', { token: intruderToken })).json as { id: string }
    ).id;
    const sessions = ok(await h.call('GET', '/v1/me/sessions', { token: intruderToken })).json as {
      sessions: Array<{ id: string; current: boolean }>;
    };
    await contain(h, owner.id, sessions.sessions.find((s) => s.current)!.id ?? intruderSession);
    const frozen = ok(await h.call('GET', `/v1/accounts/${owner.id}`, { key: h.op })).json as {
      state: string;
    };
    assert.equal(frozen.state, 'frozen');

    const ctx = await context(browser, { locale: 'en-US', phone: true });
    const page = await ctx.newPage();
    const problems = watchProblems(page);
    // the chat's frozen banner links here with the handle and the reader's language
    await page.goto(`${h.url}/me/appeal?handle=${owner.handle}&lang=zh-CN`);
    await page.getByRole('button', { name: '开始申诉' }).waitFor();
    assert.equal(await page.getByLabel('你的账号').inputValue(), owner.handle);
    await step(page, 'appeal: start (zh, phone)', 'me-appeal-start');
    await page.getByRole('button', { name: '开始申诉' }).click();

    // prove it: a recovery code saved before the compromise
    const useCode = page.getByRole('button', { name: '使用此方式: 我保存的恢复码' });
    await useCode.waitFor();
    await step(page, 'appeal: choose a method (zh, phone)', 'me-appeal-verify');
    await useCode.click();
    await page.getByLabel('验证码', { exact: true }).fill('WRONG-CODE-0000');
    await page.getByRole('button', { name: '验证' }).click();
    await page.locator('#verify [role="alert"]').waitFor(); // a wrong code is refused, with its code
    assert.match(await page.locator('#verify [role="alert"]').innerText(), /RECOVERY_CODE_INVALID/);
    await page.getByLabel('验证码', { exact: true }).fill(owner.codes[0]!);
    await page.getByRole('button', { name: '验证' }).click();

    // the pledge
    const accept = page.getByLabel('我已阅读并接受承诺书');
    await accept.waitFor();
    await step(page, 'appeal: pledge (zh, phone)');
    await accept.check();
    await page.getByRole('button', { name: '承诺书' }).click();

    // a new password: the breached "password123" first, then the old one, then a good one
    const pw = page.getByRole('textbox', { name: '新密码' });
    await pw.waitFor();
    await pw.fill('password123');
    await page.getByRole('button', { name: '设置新密码' }).click();
    await page.locator('#password [role="alert"]').waitFor();
    assert.match(await page.locator('#password [role="alert"]').innerText(), /WEAK_PASSWORD/);
    await step(page, 'appeal: password refused (zh, phone)');
    const NEW = 'quiet harbour lantern 2027';
    await pw.fill(NEW);
    await page.getByRole('button', { name: '设置新密码' }).click();

    // the review: the intruder's session must go; nothing is kept
    const save = page.getByRole('button', { name: '保存检查结果' });
    await save.waitFor();
    await page.getByText('在账号被盗期间登录').first().waitFor();
    await step(page, 'appeal: review (zh, phone)', 'me-appeal-review');
    await save.click();

    // finish, and the report
    await page.getByRole('button', { name: '取回我的账号' }).click();
    await page.locator('#appeal-done').waitFor();
    const why = await page.locator('#report-why').innerText();
    assert.match(why, /这条消息中的链接模仿了 steamcommunity\.com（steamcomunety\.com）/);
    assert.doesNotMatch(why, /url_lookalike|device_new|new_recipients/);
    await step(page, 'appeal: report (zh, phone)', 'me-appeal-report');

    // checked through the API: active again, the intruder's session is over, the new password works
    const after = ok(await h.call('GET', `/v1/accounts/${owner.id}`, { key: h.op })).json as {
      state: string;
    };
    assert.equal(after.state, 'active');
    assert.equal((await h.call('GET', '/v1/me', { token: intruderToken })).status, 401);
    assert.equal(
      (await h.call('POST', '/v1/auth/signin', { body: { handle: owner.handle, password: PASSWORD } }))
        .status,
      401,
    );
    ok(await h.call('POST', '/v1/auth/signin', { body: { handle: owner.handle, password: NEW } }));
    assert.deepEqual(problems, []);
    await ctx.close();
  });
});
