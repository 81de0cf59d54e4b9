// The console's pages as served: strict CSP and no inline code in the HTML; unknown assets are a typed
// 404; and, in Chromium, the security centre's first page after an owner's cookie sign-in, in English
// and Chinese, without CSP violations and with no accessibility violations (axe-core).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { harness, ok, PASSWORD, refused, signUp, type Harness } from '../recovery/attack-harness.ts';
import {
  assertAccessible,
  browserSkip,
  context,
  ensureConsoleBuilt,
  launch,
  screenshot,
  watchProblems,
} from './browser-harness.ts';

describe('console pages as served', () => {
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

  test('every page carries a strict CSP and has no inline script or style', async () => {
    for (const path of ['/console/', '/console/accounts/acc_x', '/me/', '/me/sessions']) {
      const r = ok(await h.call('GET', path));
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.match(csp, /style-src 'self'(;|$)/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      // every script has a src; no <style> element, no style attribute, no secrets or tokens
      for (const m of r.text.matchAll(/<script\b[^>]*>/g))
        assert.match(m[0], /\bsrc="\/console\/assets\//, path);
      assert.doesNotMatch(r.text, /<style\b|\sstyle=|ghk_|ghs_/, path);
    }
    const redirect = await fetch(`${h.url}/console`, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), '/console/');
    // a scanned QR login link opens the security centre's approval page (the code stays one path segment)
    const qr = await fetch(`${h.url}/qr/AbC-123_x`, { redirect: 'manual' });
    assert.equal(qr.status, 302);
    assert.equal(qr.headers.get('location'), '/me/qr/AbC-123_x');
    const odd = await fetch(`${h.url}/qr/a%2F..%2Fevil`, { redirect: 'manual' });
    assert.equal(odd.headers.get('location'), '/me/qr/a%2F..%2Fevil');
  });

  test('assets are served from a fixed list: unknown names and traversal are a 404 problem', async () => {
    const page = ok(await h.call('GET', '/console/'));
    const js = /src="(\/console\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    assert.ok(js);
    const a = ok(await h.call('GET', js));
    assert.match(a.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(a.headers.get('cache-control') ?? '', /immutable/);
    refused(await h.call('GET', '/console/assets/nope.js'), 404, 'NOT_FOUND');
    refused(await h.call('GET', '/console/assets/..%2F..%2Fpackage.json'), 404, 'NOT_FOUND');
  });

  test('security centre: an owner signs in with a cookie and sees who is signed in, in English and Chinese', async (tt) => {
    if (skip || !browser) return tt.skip(skip);
    const owner = await signUp(h, 'centre.owner');
    const ctx = await context(browser, { locale: 'zh-CN' });
    const page = await ctx.newPage();
    const problems = watchProblems(page);
    await page.goto(`${h.url}/me/`);
    // the browser asks for Chinese: the page follows it
    await page.getByLabel('账号').fill(owner.handle);
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator('#signed-in-as').waitFor();
    assert.match(await page.locator('#signed-in-as').innerText(), /当前登录：centre\.owner/);
    await assertAccessible(page, '/me/ (zh-CN)');
    // switched to English, and the choice survives a reload
    await page.getByLabel('语言').selectOption('en');
    await page.getByText('Signed in as centre.owner').waitFor();
    await page.reload();
    await page.getByText('Signed in as centre.owner').waitFor();
    assert.equal(await page.evaluate('document.documentElement.lang'), 'en');
    await assertAccessible(page, '/me/ (en)');
    await screenshot(page, 'me-home');
    // the session the page holds is the owner's, checked through the API
    const cookies = await ctx.cookies();
    assert.ok(cookies.some((c) => /gh_session$/.test(c.name) && c.httpOnly));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Handle').waitFor();
    assert.deepEqual(problems, []);
    await ctx.close();
  });
});
