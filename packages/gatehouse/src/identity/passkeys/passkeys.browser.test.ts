// Issue 12 item 4, in Debian's Chromium (playwright-core) with the CDP virtual authenticator, against
// Gatehouse over HTTP on SQLite and PostgreSQL: passkeys registered under names (several per account),
// used as the first factor and as the second factor after a password, removed only after
// re-authentication. Attacks: a replayed assertion, a tampered one, another account's passkey answering
// the victim's second-factor step, removal by a stale session. The browser is the WebAuthn client on a
// tiny page served by the test on localhost; the HTTP calls are the test's own.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  harness,
  INTRUDER,
  ok,
  OWNER,
  PASSWORD,
  refused,
  signUp,
  type Harness,
} from '../../recovery/attack-harness.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../../testing/browser.ts';
import { postgresSkip, REQUIRE_SERVICES, type Backend } from '../../testing/index.ts';

let browserSkip: string | undefined;
if (!existsSync(CHROMIUM)) {
  if (REQUIRE_SERVICES)
    throw new Error(`Chromium is required (GATEHOUSE_REQUIRE_SERVICES=1) but ${CHROMIUM} is missing`);
  browserSkip = `${CHROMIUM} not found: skipping the passkey browser test`;
  console.log(`# SKIP ${browserSkip}`);
}

let page: Server;
let pageOrigin: string;
let browser: Browser;

before(async () => {
  if (browserSkip) return;
  page = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>passkey test</title><p>passkeys</p>');
  });
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
  pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  page?.close();
});

/** A browser tab with its own platform authenticator (user verification on, presence automatic). */
async function authenticatorTab(ctx: BrowserContext): Promise<Page> {
  const tab = await ctx.newPage();
  await tab.goto(`${pageOrigin}/`);
  const cdp = await ctx.newCDPSession(tab);
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
  return tab;
}

/** The page's WebAuthn API, typed for the test (the project compiles without the DOM library). */
interface PageWebAuthn {
  PublicKeyCredential: {
    parseCreationOptionsFromJSON(j: unknown): unknown;
    parseRequestOptionsFromJSON(j: unknown): unknown;
  };
  navigator: {
    credentials: {
      create(o: { publicKey: unknown }): Promise<{ toJSON(): unknown } | null>;
      get(o: { publicKey: unknown }): Promise<{ toJSON(): unknown } | null>;
    };
  };
}

/** navigator.credentials.create in the tab (brought to the front: WebAuthn needs focus). */
async function create(tab: Page, options: unknown) {
  await tab.bringToFront();
  return (await tab.evaluate(async (o) => {
    const w = globalThis as unknown as PageWebAuthn;
    const publicKey = w.PublicKeyCredential.parseCreationOptionsFromJSON(o);
    return (await w.navigator.credentials.create({ publicKey }))!.toJSON();
  }, options)) as Record<string, unknown>;
}

async function get(tab: Page, options: unknown) {
  await tab.bringToFront();
  return (await tab.evaluate(async (o) => {
    const w = globalThis as unknown as PageWebAuthn;
    const publicKey = w.PublicKeyCredential.parseRequestOptionsFromJSON(o);
    return (await w.navigator.credentials.get({ publicKey }))!.toJSON();
  }, options)) as Record<string, unknown>;
}

function suite(backend: Backend) {
  describe(`passkeys in Chromium on ${backend}`, () => {
    let h: Harness;
    let skip: string | undefined;
    let ctx: BrowserContext;
    before(async () => {
      skip = browserSkip;
      if (!skip && backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend, { passkeyRpId: 'localhost', passkeyOrigins: pageOrigin });
      ctx = await browser.newContext();
    });
    after(async () => {
      await ctx?.close();
      await h?.cleanup();
    });

    async function register(token: string, tab: Page, name: string) {
      const o = ok(await h.call('POST', '/v1/me/passkeys/options', { token, body: { name } })).json as {
        ceremony: string;
        options: unknown;
      };
      const credential = await create(tab, o.options);
      return ok(
        await h.call('POST', '/v1/me/passkeys', { token, body: { ceremony: o.ceremony, credential } }),
        201,
      ).json as { id: string; name: string };
    }

    test('several named passkeys; first factor; replayed and tampered assertions refused', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `pk.first.${backend}`);
      const token = ok(
        await h.call('POST', '/v1/auth/signin', { body: { handle: a.handle, password: PASSWORD } }),
      ).json.token as string;
      const phone = await authenticatorTab(ctx);
      const laptop = await authenticatorTab(ctx);
      const p1 = await register(token, phone, 'Phone');
      const p2 = await register(token, laptop, '工作电脑');
      const list = ok(await h.call('GET', '/v1/me/passkeys', { token })).json.passkeys as Array<{
        id: string;
        name: string;
      }>;
      assert.deepEqual(
        list.map((p) => p.name),
        ['Phone', '工作电脑'],
      );
      assert.deepEqual(list.map((p) => p.id).sort(), [p1.id, p2.id].sort());

      // first factor: a discoverable passkey, no handle typed
      const o = ok(await h.call('POST', '/v1/auth/passkey/options', { from: OWNER })).json as {
        ceremony: string;
        options: unknown;
      };
      const assertion = await get(phone, o.options);
      const s = ok(
        await h.call('POST', '/v1/auth/passkey', {
          body: { ceremony: o.ceremony, credential: assertion },
          from: OWNER,
        }),
      );
      assert.equal((s.json.account as { id: string }).id, a.id);
      assert.equal((s.json.session as { method: string }).method, 'passkey');
      // the same assertion again: the ceremony is spent, and a fresh one wants a fresh signature
      refused(
        await h.call('POST', '/v1/auth/passkey', {
          body: { ceremony: o.ceremony, credential: assertion },
          from: INTRUDER,
        }),
        401,
        'SIGNIN_CHALLENGE_INVALID',
      );
      const o2 = ok(await h.call('POST', '/v1/auth/passkey/options', { from: INTRUDER })).json as {
        ceremony: string;
      };
      refused(
        await h.call('POST', '/v1/auth/passkey', {
          body: { ceremony: o2.ceremony, credential: assertion },
          from: INTRUDER,
        }),
        401,
        'PASSKEY_INVALID',
      );
      // an assertion whose client data claims another origin (a phishing page's) does not verify
      const o3 = ok(await h.call('POST', '/v1/auth/passkey/options', { from: OWNER })).json as {
        ceremony: string;
        options: unknown;
      };
      const fresh = await get(laptop, o3.options);
      const response = fresh.response as { clientDataJSON: string };
      const cd = JSON.parse(Buffer.from(response.clientDataJSON, 'base64url').toString()) as {
        origin: string;
      };
      cd.origin = 'https://qq-login.example';
      const forged = {
        ...fresh,
        response: { ...response, clientDataJSON: Buffer.from(JSON.stringify(cd)).toString('base64url') },
      };
      refused(
        await h.call('POST', '/v1/auth/passkey', {
          body: { ceremony: o3.ceremony, credential: forged },
          from: INTRUDER,
        }),
        401,
        'PASSKEY_INVALID',
      );
      // the genuine one still works on that ceremony (the forgery did not spend it)
      ok(
        await h.call('POST', '/v1/auth/passkey', {
          body: { ceremony: o3.ceremony, credential: fresh, mode: 'cookie' },
          from: OWNER,
        }),
      );
    });

    test('second factor after a password from a new network; another account’s passkey cannot answer', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `pk.second.${backend}`);
      const token = ok(
        await h.call('POST', '/v1/auth/signin', { body: { handle: a.handle, password: PASSWORD } }),
      ).json.token as string;
      const phone = await authenticatorTab(ctx);
      await register(token, phone, 'Phone');
      // the intruder has the password and a passkey of their own account
      const mule = await signUp(h, `pk.mule.${backend}`, INTRUDER);
      const muleToken = ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: mule.handle, password: PASSWORD },
          from: INTRUDER,
        }),
      ).json.token as string;
      const intruderTab = await authenticatorTab(ctx);
      await register(muleToken, intruderTab, 'mine');

      const step = refused(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: a.handle, password: PASSWORD },
          from: INTRUDER,
        }),
        401,
        'SIGNIN_SECOND_FACTOR_REQUIRED',
      ).json as { challenge: string; methods: string[] };
      assert.deepEqual(step.methods, ['passkey', 'recovery_code']);
      const so = ok(
        await h.call('POST', '/v1/auth/signin/second-factor/passkey', {
          body: { challenge: step.challenge },
          from: INTRUDER,
        }),
      ).json as { options: { allowCredentials: unknown[] } };
      assert.equal(so.options.allowCredentials.length, 1);
      // the intruder signs the victim's challenge with their own passkey (dropping allowCredentials)
      const mine = await get(intruderTab, { ...so.options, allowCredentials: [] });
      refused(
        await h.call('POST', '/v1/auth/signin/second-factor', {
          body: { challenge: step.challenge, method: 'passkey', credential: mine },
          from: INTRUDER,
        }),
        401,
        'SECOND_FACTOR_INVALID',
      );
      // the owner, travelling, answers with the phone's passkey
      const travel = { ip: '100.64.50.5', ua: OWNER.ua };
      const ownStep = refused(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: a.handle, password: PASSWORD },
          from: travel,
        }),
        401,
        'SIGNIN_SECOND_FACTOR_REQUIRED',
      ).json as { challenge: string };
      const oo = ok(
        await h.call('POST', '/v1/auth/signin/second-factor/passkey', {
          body: { challenge: ownStep.challenge },
          from: travel,
        }),
      ).json as { options: unknown };
      const r = ok(
        await h.call('POST', '/v1/auth/signin/second-factor', {
          body: { challenge: ownStep.challenge, method: 'passkey', credential: await get(phone, oo.options) },
          from: travel,
        }),
      );
      assert.equal((r.json.account as { id: string }).id, a.id);
    });

    test('removal needs re-authentication, and only the owner’s own passkeys', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `pk.remove.${backend}`);
      const token = ok(
        await h.call('POST', '/v1/auth/signin', { body: { handle: a.handle, password: PASSWORD } }),
      ).json.token as string;
      const tab = await authenticatorTab(ctx);
      const p = await register(token, tab, 'Phone');
      const other = await signUp(h, `pk.remove2.${backend}`);
      const otherToken = ok(
        await h.call('POST', '/v1/auth/signin', { body: { handle: other.handle, password: PASSWORD } }),
      ).json.token as string;
      refused(
        await h.call('DELETE', `/v1/me/passkeys/${encodeURIComponent(p.id)}`, { token: otherToken }),
        404,
        'PASSKEY_NOT_FOUND',
      );
      await h.gh.store.db
        .updateTable('sessions')
        .set((eb) => ({ created_at: eb('created_at', '-', 3_600_000) }))
        .where('account_id', '=', a.id)
        .execute();
      refused(
        await h.call('DELETE', `/v1/me/passkeys/${encodeURIComponent(p.id)}`, { token }),
        403,
        'REAUTH_REQUIRED',
      );
      refused(
        await h.call('POST', '/v1/me/passkeys/options', { token, body: { name: 'another' } }),
        403,
        'REAUTH_REQUIRED',
      );
      ok(await h.call('POST', '/v1/me/reauth', { token, body: { password: PASSWORD } }));
      ok(await h.call('DELETE', `/v1/me/passkeys/${encodeURIComponent(p.id)}`, { token }), 204);
      assert.deepEqual(ok(await h.call('GET', '/v1/me/passkeys', { token })).json.passkeys, []);
    });
  });
}

suite('sqlite');
suite('postgres');
