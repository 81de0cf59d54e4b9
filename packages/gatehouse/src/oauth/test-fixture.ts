/**
 * Test-only: a listening Gatehouse with one user and apps, and an openid-client relying party per app.
 * Never imported by production code.
 */
import * as oidc from 'openid-client';
import type { Gatehouse } from '../gatehouse.ts';
import { testGatehouse, type Backend } from '../testing/index.ts';
import type { AppInput } from './registry.ts';
import type { OAuthAppsTable } from './schema.ts';
import { readForm, TestBrowser } from './test-browser.ts';

export const PASSWORD = 'correct horse battery staple 42';

export interface Fixture {
  gh: Gatehouse;
  url: string;
  account: { id: string; handle: string };
  cleanup: () => Promise<void>;
}

export async function fixture(
  backend: Backend = 'sqlite',
  extra: Parameters<typeof testGatehouse>[1] = {},
): Promise<Fixture> {
  const { gh, cleanup } = await testGatehouse(backend, { oauthFetchPrivateAddresses: true, ...extra });
  const url = await gh.listen();
  const ctx = { ip: '127.0.0.1', userAgent: 'fixture' };
  const a = await gh.identity.createAccount(
    { handle: 'alice', displayName: 'Alice 爱丽丝', password: PASSWORD },
    ctx,
  );
  return { gh, url, account: { id: a.id, handle: a.handle }, cleanup };
}

export const REDIRECT = 'http://127.0.0.1:9/cb';

/** An app's registry row, for the storage tests that run the adapter without a registry. */
export function appRow(id: string, status: OAuthAppsTable['status'] = 'active', at = 1): OAuthAppsTable {
  return {
    id,
    name: id,
    name_zh: id,
    kind: 'confidential',
    secret_enc: null,
    redirect_uris: '[]',
    post_logout_redirect_uris: '[]',
    grant_types: '["authorization_code"]',
    scopes: '[]',
    reviewed_scopes: '[]',
    verified: 0,
    backchannel_logout_uri: null,
    jwks_uri: null,
    rate_limit_per_minute: 600,
    status,
    status_reason: null,
    created_at: at,
    updated_at: at,
  };
}

export async function addApp(
  gh: Gatehouse,
  input: Partial<AppInput> = {},
): Promise<{ id: string; secret: string | null }> {
  const r = await gh.oauth.registry.add({
    name: { en: 'Mini Game', zh: '小游戏' },
    redirectUris: [REDIRECT],
    postLogoutRedirectUris: ['http://127.0.0.1:9/bye'],
    scopes: ['nickname', 'avatar', 'friend_count', 'offline_access'],
    ...input,
  });
  return { id: r.app.id, secret: r.clientSecret };
}

/** openid-client's configuration for an app (http allowed: loopback tests). */
export async function rp(
  url: string,
  app: { id: string; secret: string | null; key?: Parameters<typeof oidc.PrivateKeyJwt>[0] },
): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(url),
    app.id,
    undefined,
    app.key ? oidc.PrivateKeyJwt(app.key) : app.secret ? oidc.ClientSecretBasic(app.secret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
}

/**
 * Drives a browser from the authorisation URL through sign-in and consent to the callback. `consent`
 * chooses the ticked fields (default: as offered). Returns the callback URL.
 */
export async function authorise(
  browser: TestBrowser,
  authUrl: string,
  opts: {
    handle?: string;
    password?: string;
    consent?: (offered: string[]) => string[];
    stopAt?: string;
  } = {},
): Promise<URL> {
  const stopAt = opts.stopAt ?? REDIRECT;
  let r = await browser.follow(authUrl, stopAt);
  for (let step = 0; step < 5; step++) {
    if ('stopped' in r) return new URL(r.stopped);
    if (r.status !== 200) throw new Error(`page ${r.url} answered ${r.status}: ${r.page.slice(0, 400)}`);
    const form = readForm(r.page);
    const action = new URL(form.action, r.url).toString();
    if (form.fields.csrf !== undefined && r.page.includes('name="password"')) {
      r = await browser.follow(action, stopAt, {
        form: { ...form.fields, handle: opts.handle ?? 'alice', password: opts.password ?? PASSWORD },
      });
    } else if (action.endsWith('/confirm')) {
      const offered = ([] as string[]).concat(form.fields.scope ?? []);
      r = await browser.follow(action, stopAt, {
        form: {
          csrf: String(form.fields.csrf),
          decision: 'allow',
          scope: opts.consent ? opts.consent(offered) : offered,
        },
      });
    } else throw new Error(`unexpected page ${r.url}: ${r.page.slice(0, 400)}`);
  }
  throw new Error('authorisation did not finish');
}

/** Authorisation code flow with PKCE end to end; returns the tokens. */
export async function codeFlow(
  f: Fixture,
  config: oidc.Configuration,
  opts: {
    scope?: string;
    browser?: TestBrowser;
    consent?: (offered: string[]) => string[];
    dpop?: oidc.DPoPHandle;
    par?: boolean;
  } = {},
) {
  const browser = opts.browser ?? new TestBrowser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const params = {
    redirect_uri: REDIRECT,
    scope: opts.scope ?? 'openid nickname friend_count offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    prompt: 'consent',
  };
  const url = opts.par
    ? await oidc.buildAuthorizationUrlWithPAR(config, params, opts.dpop ? { DPoP: opts.dpop } : undefined)
    : oidc.buildAuthorizationUrl(config, params);
  const cb = await authorise(browser, url.toString(), opts.consent ? { consent: opts.consent } : {});
  const tokens = await oidc.authorizationCodeGrant(
    config,
    cb,
    { pkceCodeVerifier: verifier, expectedState: state },
    undefined,
    opts.dpop ? { DPoP: opts.dpop } : undefined,
  );
  return { tokens, browser, callback: cb, verifier };
}

/**
 * A device-grant app: its keys published by a JWKS server on loopback (private_key_jwt). Returns the app,
 * its private key and a close function.
 */
export async function addDeviceApp(gh: Gatehouse, input: Partial<AppInput> = {}) {
  const { generateKeyPair, exportJWK } = await import('jose');
  const { createServer } = await import('node:http');
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid: 'device-app-1' };
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const app = await addApp(gh, {
    grantTypes: ['authorization_code', 'device_code'],
    scopes: ['nickname'],
    jwksUri: `http://127.0.0.1:${port}/jwks`,
    ...input,
  });
  return { app: { ...app, key: privateKey }, close: () => new Promise<void>((r) => server.close(() => r())) };
}
