/**
 * Passkeys in Chromium (issue 12 item 8), through the chat's pages with a CDP virtual authenticator
 * (WebAuthn.enable + WebAuthn.addVirtualAuthenticator): the owner adds a passkey in the chat's settings,
 * signs out, and signs in with the passkey alone (no handle, no password). The chat runs on localhost
 * (a WebAuthn relying party id must be a domain); Gatehouse's passkeyRpId and passkeyOrigins name it.
 * Skips (visibly) when /usr/bin/chromium is absent, unless GATEHOUSE_REQUIRE_SERVICES=1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { testBrowser } from '../../../packages/gatehouse/src/testing/browser.ts';
import { freePort, startEnv, type Env } from './testing.ts';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRE = process.env.GATEHOUSE_REQUIRE_SERVICES === '1';
let skip: string | false = false;
if (!existsSync(CHROMIUM)) {
  if (REQUIRE)
    throw new Error(`Chromium is required (GATEHOUSE_REQUIRE_SERVICES=1) but ${CHROMIUM} is missing`);
  skip = `${CHROMIUM} not found: skipping the passkey browser test`;
  console.log(`# SKIP ${skip}`);
}

let env: Env;
let browser: Browser;
let origin = '';
before(async () => {
  if (skip) return;
  const port = await freePort();
  origin = `http://localhost:${port}`;
  env = await startEnv({
    port,
    trustProxy: true,
    gatehouseConfig: { trustProxy: true, passkeyRpId: 'localhost', passkeyOrigins: origin },
  });
  browser = await testBrowser();
});
after(async () => {
  await browser?.close();
  await env?.cleanup();
});

test(
  'passkeys in Chromium: added in the settings, then a sign-in with the passkey alone',
  { skip },
  async () => {
    const ctx = await browser.newContext({
      locale: 'en-US',
      extraHTTPHeaders: { 'x-forwarded-for': '198.51.100.31' },
    });
    const p = await ctx.newPage();
    const cdp = await ctx.newCDPSession(p);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await p.goto(`${origin}/`);
    await p.click('#tab-signup');
    await p.fill('#handle', 'keyowner');
    await p.fill('#password', 'correct horse battery staple 42');
    await p.click('#auth-submit');
    await p.waitForSelector('#chat:not([hidden])');

    await p.fill('[data-testid="passkey-name"]', 'my laptop');
    await p.click('[data-testid="passkey-add"]');
    await p.locator('[data-testid="passkey-status"]', { hasText: 'Passkey added: my laptop' }).waitFor();

    await p.click('#signout');
    await p.waitForSelector('#auth:not([hidden])');
    await p.click('[data-testid="passkey-signin"]');
    await p.waitForSelector('#chat:not([hidden])');
    assert.match((await p.textContent('[data-testid="me-name"]'))!, /@keyowner/);
  },
);
