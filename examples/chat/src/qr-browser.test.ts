/**
 * "Sign in with a QR code" in Chromium (issue 12 item 8), through the chat's pages: a laptop beside the
 * owner's phone (same network) shows the QR code, the signed-in phone pastes the scanned link, reads
 * Gatehouse's context screen (Decline focused by default, approval needs "in front of me") and approves:
 * the laptop is signed in. Then the relay: a page on another network asks, the phone sees the warnings
 * (another network, probation) and declines: the requester is told, and nobody is signed in.
 * Skips (visibly) when /usr/bin/chromium is absent, unless GATEHOUSE_REQUIRE_SERVICES=1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { testBrowser } from '../../../packages/gatehouse/src/testing/browser.ts';
import { startEnv, type Env } from './testing.ts';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRE = process.env.GATEHOUSE_REQUIRE_SERVICES === '1';
let skip: string | false = false;
if (!existsSync(CHROMIUM)) {
  if (REQUIRE)
    throw new Error(`Chromium is required (GATEHOUSE_REQUIRE_SERVICES=1) but ${CHROMIUM} is missing`);
  skip = `${CHROMIUM} not found: skipping the QR browser test`;
  console.log(`# SKIP ${skip}`);
}

const PHONE_IP = '198.51.100.20';
const LAPTOP_IP = '198.51.100.77'; // the phone's /24
const INTRUDER_IP = '203.0.113.9';

let env: Env;
let browser: Browser;
before(async () => {
  if (skip) return;
  env = await startEnv({ trustProxy: true, gatehouseConfig: { trustProxy: true } });
  browser = await testBrowser();
});
after(async () => {
  await browser?.close();
  await env?.cleanup();
});

async function page(ip: string, locale = 'en-US'): Promise<Page> {
  const ctx = await browser.newContext({ locale, extraHTTPHeaders: { 'x-forwarded-for': ip } });
  return ctx.newPage();
}

/** The requesting page asks for a QR login; the link the QR code encodes. */
async function showQr(p: Page): Promise<string> {
  await p.goto(env.url);
  await p.click('[data-testid="qr-start"]');
  await p.waitForSelector('[data-testid="qr-panel"]:not([hidden])');
  const url = (await p.textContent('[data-testid="qr-url"]'))!;
  assert.match(url, /\/qr\/ghq_/);
  assert.match((await p.getAttribute('#qr-image', 'src'))!, /^data:image\/svg\+xml/);
  return url;
}

async function check(phone: Page, url: string): Promise<void> {
  await phone.fill('[data-testid="qr-code"]', url);
  await phone.click('[data-testid="qr-check"]');
  await phone.waitForSelector('[data-testid="qr-context"]:not([hidden])');
  await phone.locator('#qr-facts li').first().waitFor();
}

test(
  'QR sign-in in Chromium: the laptop beside the phone is approved; a relayed request is declined',
  { skip },
  async () => {
    const phone = await page(PHONE_IP);
    await phone.goto(env.url);
    await phone.click('#tab-signup');
    await phone.fill('#handle', 'qrowner');
    await phone.fill('#displayName', 'QR Owner');
    await phone.fill('#password', 'correct horse battery staple 42');
    await phone.click('#auth-submit');
    await phone.waitForSelector('#chat:not([hidden])');

    // the owner's laptop on the same network
    const laptop = await page(LAPTOP_IP);
    const url = await showQr(laptop);
    assert.match((await laptop.textContent('[data-testid="qr-status"]'))!, /Waiting/);
    await check(phone, url);
    const facts = (await phone.textContent('[data-testid="qr-facts"]'))!;
    assert.match(facts, /same network/i);
    assert.match(facts, /198\.51\.100\.0\/24/);
    assert.match((await phone.textContent('[data-testid="qr-question"]'))!, /in front of you/);
    assert.equal(await phone.locator('#qr-warnings li').count(), 0);
    // Decline is the default; approving needs "in front of me"
    assert.equal(
      await phone.locator('#qr-decline').evaluate((e) => e === e.ownerDocument.activeElement),
      true,
    );
    await phone.click('[data-testid="qr-approve"]');
    assert.match((await phone.textContent('[data-testid="qr-question"]'))!, /Tick/);
    await phone.check('[data-testid="qr-front"]');
    await phone.click('[data-testid="qr-approve"]');
    await phone.locator('[data-testid="qr-question"]', { hasText: 'Approved' }).waitFor();
    // the laptop proves its key and is signed in
    await laptop.waitForSelector('#chat:not([hidden])');
    assert.match((await laptop.textContent('[data-testid="me-name"]'))!, /@qrowner/);

    // the relay: a page on another network (in Chinese) asks; the phone sees why and declines
    const evil = await page(INTRUDER_IP, 'zh-CN');
    const relayed = await showQr(evil);
    // the first code's "same network" facts must not stand beside the relayed code while it
    // loads: hold the context request until the page has been looked at
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let asked!: () => void;
    const requested = new Promise<void>((r) => (asked = r));
    let continued!: () => void;
    const passed = new Promise<void>((r) => (continued = r));
    await phone.route('**/api/me/qr/context', async (route) => {
      asked();
      await held;
      await route.continue();
      continued();
    });
    await phone.fill('[data-testid="qr-code"]', relayed);
    await phone.click('[data-testid="qr-check"]');
    await requested;
    assert.equal(await phone.isHidden('[data-testid="qr-context"]'), true);
    assert.equal(await phone.locator('#qr-facts li').count(), 0);
    release();
    // unrouted only after the held request went on (unroute hands a request still held to the network
    // itself, and the handler's continue then finds it handled)
    await passed;
    await phone.unroute('**/api/me/qr/context');
    await phone.waitForSelector('[data-testid="qr-context"]:not([hidden])');
    await phone.locator('#qr-facts li').first().waitFor();
    assert.match((await phone.textContent('[data-testid="qr-facts"]'))!, /different network/);
    const signals = await phone
      .locator('#qr-warnings li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-signal')));
    assert.deepEqual(signals, ['qr_network_mismatch', 'probation']);
    await phone.click('[data-testid="qr-decline"]');
    await phone.locator('[data-testid="qr-question"]', { hasText: 'Declined' }).waitFor();
    await evil.locator('[data-testid="qr-status"]', { hasText: '登录已被拒绝。' }).waitFor();
    assert.equal(await evil.isHidden('#chat'), true);
    // a decided code is dead: checking it again shows Gatehouse's typed error, no context
    await phone.fill('[data-testid="qr-code"]', relayed);
    await phone.click('[data-testid="qr-check"]');
    await phone.locator('[data-testid="qr-question"].error').waitFor();
    assert.equal(await phone.locator('#qr-facts li').count(), 0);
  },
);
