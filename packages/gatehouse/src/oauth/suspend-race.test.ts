/**
 * The kill switch racing the token endpoint, over HTTP, on SQLite and PostgreSQL, with two Gatehouse
 * processes on one database: many code exchanges and refresh-token rotations of an app run in both while
 * the operator suspends it in one. No grant or token of the app may outlive the suspension, every
 * refusal is the spec's error (never a 500), and an app that was not suspended keeps working.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createGatehouse, type Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { postgresSkip, testConfig, type Backend } from '../testing/index.ts';
import { BENCH_REDIRECT, mint } from './mint.ts';
import { addApp, PASSWORD } from './test-fixture.ts';

type App = { id: string; secret: string | null };
type TokenAnswer = { status: number; body: Record<string, unknown> };

const basic = (app: App) =>
  `Basic ${Buffer.from(`${encodeURIComponent(app.id)}:${encodeURIComponent(app.secret ?? '')}`).toString('base64')}`;

async function post(url: string, app: App, form: Record<string, string>): Promise<TokenAnswer> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { authorization: basic(app), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

const token = (base: string, app: App, form: Record<string, string>) => post(`${base}/oidc/token`, app, form);
const active = async (base: string, app: App, t: string) => {
  const r = await post(`${base}/oidc/token/introspection`, app, { token: t });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.active === true;
};

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`suspension racing the token endpoint (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : undefined;
    let one: Gatehouse;
    let two: Gatehouse;
    const urls: string[] = [];
    let cleanup: () => Promise<void>;
    let accountId: string;
    before(async () => {
      if (skip) return;
      const c = await testConfig(backend, { oauthFetchPrivateAddresses: true }, { migrated: true });
      // two processes on one database: each has its own caches and its own provider
      one = await createGatehouse(c.config, { log: createLogger('silent') });
      two = await createGatehouse(c.config, { log: createLogger('silent') });
      urls.push(await one.listen(), await two.listen());
      cleanup = async () => {
        await Promise.all([one.close(), two.close()]);
        await c.cleanup();
      };
      accountId = (
        await one.identity.createAccount(
          { handle: 'alice', password: PASSWORD },
          { ip: '127.0.0.1', userAgent: 'race' },
        )
      ).id;
    });
    after(async () => {
      if (!skip) await cleanup();
    });

    test(
      'no grant or token of the app is saved after its suspension commits; refusals are invalid_grant/invalid_client',
      { skip },
      async () => {
        const input = { redirectUris: [BENCH_REDIRECT], scopes: ['nickname', 'offline_access'] };
        const leaky = await addApp(one, input);
        const bystander = await addApp(one, input);
        const provider = await one.oauth.provider();
        const scope = 'openid nickname offline_access';
        const g = await mint(provider, { accountId, clientId: leaky.id, scope });
        const other = await mint(provider, { accountId, clientId: bystander.id, scope });
        const CODES = 40;
        const CHAINS = 16;
        const codes = await Promise.all(
          Array.from({ length: CODES }, async () => {
            const verifier = randomBytes(32).toString('base64url');
            return { verifier, code: await g.code(verifier) };
          }),
        );
        const chains = await Promise.all(Array.from({ length: CHAINS }, () => g.refreshToken()));
        // both processes know the app (their registry caches hold it as active)
        for (const base of urls) {
          const warm = { grant_type: 'refresh_token', refresh_token: await g.refreshToken() };
          assert.equal((await token(base, leaky, warm)).status, 200);
        }

        const got: string[] = []; // every token handed out with a 200
        const refusals: TokenAnswer[] = [];
        let oks = 0;
        let startSuspension!: () => void;
        const suspensionMay = new Promise<void>((r) => (startSuspension = r));
        const answered = (r: TokenAnswer) => {
          if (r.status !== 200) {
            refusals.push(r);
            return false;
          }
          got.push(String(r.body.access_token));
          if (r.body.refresh_token) got.push(String(r.body.refresh_token));
          if (++oks === 12) startSuspension();
          return true;
        };
        let suspended = false;
        const exchanges = codes.map(async (c, i) => {
          // the later half waits for the suspension to start, so some are under way while it commits
          if (i >= CODES / 2) await suspensionMay;
          answered(
            await token(urls[i % 2]!, leaky, {
              grant_type: 'authorization_code',
              code: c.code,
              redirect_uri: BENCH_REDIRECT,
              code_verifier: c.verifier,
            }),
          );
        });
        const rotations = chains.map(async (rt, i) => {
          // each chain rotates its refresh token until refused (at the latest once the app is gone)
          for (let n = 0; n < 1000; n++) {
            const r = await token(urls[(i + n) % 2]!, leaky, {
              grant_type: 'refresh_token',
              refresh_token: rt,
            });
            if (!answered(r)) return;
            rt = String(r.body.refresh_token);
          }
          assert.fail('a refresh chain was never refused');
        });
        // the bystander keeps rotating in the other process all along
        let bystanderRt = await other.refreshToken();
        const bystanderRun = (async () => {
          do {
            const r = await token(urls[1]!, bystander, {
              grant_type: 'refresh_token',
              refresh_token: bystanderRt,
            });
            assert.equal(r.status, 200, JSON.stringify(r.body));
            bystanderRt = String(r.body.refresh_token);
          } while (!suspended);
        })();
        await suspensionMay;
        const result = await one.oauth.suspend(leaky.id, 'leaked user data', 'operator');
        suspended = true;
        await Promise.all([...exchanges, ...rotations, bystanderRun]);

        assert.ok(result.revoked > 0, 'the suspension revoked what had been issued');
        assert.ok(oks > 12 && refusals.length >= CHAINS, `${oks} issued, ${refusals.length} refused`);
        for (const r of refusals) {
          assert.ok(
            r.status === 400 || r.status === 401,
            `refused with ${r.status}: ${JSON.stringify(r.body)}`,
          );
          assert.ok(
            r.body.error === 'invalid_grant' || r.body.error === 'invalid_client',
            JSON.stringify(r.body),
          );
        }
        // nothing of the app is left: no grant, token or code
        const left = await one.store.db
          .selectFrom('oauth_models')
          .select(['model'])
          .where('client_id', '=', leaky.id)
          .where('model', '!=', 'Session')
          .execute();
        assert.deepEqual(
          left.map((x) => x.model),
          [],
          'rows of the suspended app saved concurrently with its suspension',
        );
        // every token handed out is dead: resumed, the app may introspect them again, and they are inactive
        await one.oauth.resume(leaky.id, 'fixed', 'operator');
        for (const t of got)
          assert.equal(await active(urls[0]!, leaky, t), false, 'a token outlived the suspension');
        // the owner's path: the resumed app works for new authorisations, and the bystander never stopped
        const fresh = await mint(provider, { accountId, clientId: leaky.id, scope });
        const verifier = randomBytes(32).toString('base64url');
        const r = await token(urls[0]!, leaky, {
          grant_type: 'authorization_code',
          code: await fresh.code(verifier),
          redirect_uri: BENCH_REDIRECT,
          code_verifier: verifier,
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(await active(urls[0]!, leaky, String(r.body.access_token)), true);
        assert.equal(await active(urls[0]!, bystander, bystanderRt), true);
      },
    );
  });
}
