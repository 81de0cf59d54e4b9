// The appeal page (/me/appeal) with the owner's own sign-in factors, in Chromium: a passkey (Chromium's
// virtual authenticator holds the owner's credential, registered a month before the takeover) in
// English, and an authenticator app's code in Chinese at phone width. Each reaches the pledge; the case
// is checked in the database (verified by that method); axe-core on the step, no CSP violation.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { generateSync } from 'otplib';
import type { Browser } from 'playwright-core';
import { age, harness, ok, signIn, signUp, DAY, type Harness } from '../recovery/attack-harness.ts';
import { SoftAuthenticator } from '../recovery/soft-authenticator.ts';
import {
  assertAccessible,
  browserSkip,
  context,
  ensureConsoleBuilt,
  launch,
  watchProblems,
} from './browser-harness.ts';

/** A free loopback port: WebAuthn needs the page on `localhost` (an IP is no relying party id). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function ageFactors(h: Harness, accountId: string) {
  const d = 30 * DAY;
  await h.gh.store.db
    .updateTable('passkeys')
    .set((eb) => ({ created_at: eb('created_at', '-', d) }))
    .where('account_id', '=', accountId)
    .execute();
  await h.gh.store.db
    .updateTable('totp_factors')
    .set((eb) => ({ created_at: eb('created_at', '-', d), confirmed_at: eb('confirmed_at', '-', d) }))
    .where('account_id', '=', accountId)
    .execute();
  await age(h, accountId, 30);
}

async function contain(h: Harness, accountId: string) {
  ok(
    await h.call('POST', `/v1/accounts/${accountId}/freeze`, {
      key: h.op,
      body: { kind: 'containment', reason: 'taken over' },
    }),
  );
}

async function caseOf(h: Harness, accountId: string) {
  return h.gh.store.db
    .selectFrom('recovery_cases')
    .select(['state', 'verified_by'])
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
}

describe('appeal with a passkey or an authenticator app in Chromium', () => {
  let h: Harness;
  let origin: string;
  let browser: Browser | undefined;
  const skip = browserSkip();
  before(async () => {
    ensureConsoleBuilt();
    for (let i = 0; ; i++) {
      const port = await freePort();
      try {
        h = await harness('sqlite', { port, publicUrl: `http://localhost:${port}` });
        origin = `http://localhost:${port}`;
        break;
      } catch (e) {
        if (i >= 3) throw e; // the port was taken in between: try another
      }
    }
    if (!skip) browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await h?.cleanup();
  });

  test('the owner proves it with a passkey added before the takeover (en)', async (tt) => {
    if (skip || !browser) return tt.skip(skip);
    const a = await signUp(h, 'appeal.passkey');
    const token = await signIn(h, a.handle);
    const o = ok(await h.call('POST', '/v1/me/passkeys/options', { token, body: { name: 'my phone' } })).json;
    const options = o.options as { challenge: string; rp: { id: string } };
    assert.equal(options.rp.id, 'localhost');
    const key = new SoftAuthenticator('localhost', origin);
    ok(
      await h.call('POST', '/v1/me/passkeys', {
        token,
        body: { ceremony: o.ceremony, credential: key.register(options.challenge) },
      }),
      201,
    );
    await ageFactors(h, a.id);
    await contain(h, a.id);

    const ctx = await context(browser, { locale: 'en-US' });
    const page = await ctx.newPage();
    const problems = watchProblems(page);
    // the owner's device holds the same credential
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: {
        credentialId: key.credentialId.toString('base64'),
        isResidentCredential: false,
        rpId: 'localhost',
        privateKey: key.privateKeyPkcs8(),
        signCount: 1,
      },
    });

    await page.goto(`${origin}/me/appeal?handle=${a.handle}&lang=en`);
    await page.getByRole('button', { name: 'Start the appeal' }).click();
    const use = page.getByRole('button', { name: 'Use this: My passkey' });
    await use.waitFor();
    await use.click();
    const usePasskey = page.getByRole('button', { name: 'Use my passkey' });
    await usePasskey.waitFor();
    await assertAccessible(page, 'appeal: passkey step (en)');
    await page.bringToFront(); // WebAuthn needs focus
    await usePasskey.click();
    await page.getByLabel('I have read and accept the pledge').waitFor();

    const c = await caseOf(h, a.id);
    assert.equal(c.state, 'verified');
    assert.equal(c.verified_by, 'passkey');
    assert.deepEqual(problems, []);
    await ctx.close();
  });

  test('the owner proves it with the authenticator app set up before the takeover (zh, phone)', async (tt) => {
    if (skip || !browser) return tt.skip(skip);
    const a = await signUp(h, 'appeal.totp');
    const token = await signIn(h, a.handle);
    const secret = ok(await h.call('POST', '/v1/me/totp', { token })).json.secret as string;
    ok(await h.call('POST', '/v1/me/totp/confirm', { token, body: { code: generateSync({ secret }) } }));
    await ageFactors(h, a.id);
    await contain(h, a.id);

    const ctx = await context(browser, { locale: 'zh-CN', phone: true });
    const page = await ctx.newPage();
    const problems = watchProblems(page);
    await page.goto(`${origin}/me/appeal?handle=${a.handle}&lang=zh-CN`);
    await page.getByRole('button', { name: '开始申诉' }).click();
    const use = page.getByRole('button', { name: '使用此方式: 我的身份验证器应用' });
    await use.waitFor();
    await use.click();
    await page.getByText('身份验证器应用中的 6 位验证码').waitFor();
    await assertAccessible(page, 'appeal: authenticator app step (zh, phone)');
    // the next time step's code (the one that confirmed the app was spent)
    const code = generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    await page.getByLabel('验证码', { exact: true }).fill(code);
    await page.getByRole('button', { name: '验证' }).click();
    await page.getByLabel('我已阅读并接受承诺书').waitFor();

    const c = await caseOf(h, a.id);
    assert.equal(c.state, 'verified');
    assert.equal(c.verified_by, 'totp');
    assert.deepEqual(problems, []);
    await ctx.close();
  });
});
