/**
 * The kill switch, containment and recovery, and app anomalies, over HTTP on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import type { BusEvent } from '../bus/index.ts';
import { postgresSkip, type Backend } from '../testing/index.ts';
import { until, webhookReceiver, type ReceivedWebhook } from '../testing/receiver.ts';
import { mint } from './mint.ts';
import { OAuthGrantsPort } from './ports.ts';
import { TestBrowser } from './test-browser.ts';
import { addApp, codeFlow, fixture, PASSWORD, rp, type Fixture } from './test-fixture.ts';

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`kill switch (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : undefined;
    let f: Fixture;
    let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
    let received: ReceivedWebhook[];
    const bus: BusEvent[] = [];
    before(async () => {
      if (skip) return;
      receiver = await webhookReceiver();
      received = receiver.received;
      f = await fixture(backend, { webhookPollMs: 20, trustProxy: true });
      receiver.setSecret((await f.gh.webhooks.addEndpoint({ url: receiver.url })).secret);
      f.gh.bus.subscribe('app.*', (e) => void bus.push(e));
    });
    after(async () => {
      if (skip) return;
      await f.cleanup();
      receiver.close();
    });

    test(
      'an operator suspends a leaky app: every token dies, each user is told what it read, an incident lists them',
      { skip },
      async () => {
        const key = (await f.gh.keys.create('ops', ['apps:write', 'apps:read'])).key;
        const ops = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        const reg = await fetch(`${f.url}/v1/oauth/apps`, {
          method: 'POST',
          headers: ops,
          body: JSON.stringify({
            name: { en: 'Leaky Quiz', zh: '泄露测验' },
            redirectUris: ['http://127.0.0.1:9/cb'],
            scopes: ['nickname', 'region', 'offline_access'],
          }),
        });
        assert.equal(reg.status, 201);
        const { app, clientSecret } = (await reg.json()) as { app: { id: string }; clientSecret: string };
        const config = await rp(f.url, { id: app.id, secret: clientSecret });
        const { tokens } = await codeFlow(f, config, { scope: 'openid nickname offline_access' });
        await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
        // a second user who authorised it but was never read
        const bob = await f.gh.identity.createAccount(
          { handle: 'bob', password: PASSWORD },
          { ip: '127.0.0.1', userAgent: 'x' },
        );
        const provider = await f.gh.oauth.provider();
        await mint(provider, { accountId: bob.id, clientId: app.id, scope: 'openid region' });
        await until(
          () => bus.some((e) => e.type === 'app.authorised' && e.account === f.account.id),
          'app.authorised',
        );

        const res = await fetch(`${f.url}/v1/oauth/apps/${app.id}/suspend`, {
          method: 'POST',
          headers: ops,
          body: JSON.stringify({ reason: 'sold user data' }),
        });
        assert.equal(res.status, 200);
        const r = (await res.json()) as { users: number; incident: string; app: { status: string } };
        assert.equal(r.app.status, 'suspended');
        assert.equal(r.users, 2);
        // nothing of the app works any more
        await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck));
        await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!));
        const direct = await fetch(`${f.url}/v1/apps/me`, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
        assert.equal(direct.status, 401);
        const rows = await f.gh.store.db
          .selectFrom('oauth_models')
          .select('model')
          .where('client_id', '=', app.id)
          .execute();
        assert.deepEqual(
          rows.filter((x) => x.model !== 'Session'),
          [],
          'no token, code or grant of the app left',
        );
        // each user is told, in both languages, with the fields read from them
        const notices = await until(() => {
          const m = received.filter((w) => w.type === 'app.suspended');
          return m.length >= 2 && m;
        }, 'app.suspended webhooks');
        const alice = notices.find((w) => w.data.account === f.account.id)!;
        assert.deepEqual(alice.data.fieldsRead, ['nickname']);
        assert.match((alice.data.notice as { zh: string }).zh, /泄露测验/);
        assert.match((alice.data.notice as { en: string }).en, /It had read: nickname/);
        const bobs = notices.find((w) => w.data.account === bob.id)!;
        assert.deepEqual(bobs.data.fieldsRead, []);
        assert.match((bobs.data.notice as { en: string }).en, /had not read any/);
        await until(
          () => bus.filter((e) => e.type === 'app.suspended').length >= 2,
          'app.suspended bus events',
        );
        // the incident names the affected users and what was read
        const inc = await f.gh.incidents.get(r.incident);
        assert.equal(inc.kind, 'app_suspended');
        assert.deepEqual(inc.accounts.map((a) => a.account).sort(), [f.account.id, bob.id].sort());
        assert.deepEqual(inc.facts.app?.fieldsRead, { nickname: 1 });
        const notice = await f.gh.incidents.export(r.incident);
        assert.match(notice.markdown, /Leaky Quiz/);
        assert.match(notice.json.dataInvolved['zh-CN'].join(''), /nickname/);
        const audit = await f.gh.audit.list({ subject: app.id });
        assert.ok(audit.some((e) => e.action === 'oauth.app.suspend'));
        // suspending twice is refused; resuming lets new authorisations in, old tokens stay dead
        const twice = await fetch(`${f.url}/v1/oauth/apps/${app.id}/suspend`, {
          method: 'POST',
          headers: ops,
          body: JSON.stringify({ reason: 'x' }),
        });
        assert.equal(twice.status, 409);
        const resumed = await fetch(`${f.url}/v1/oauth/apps/${app.id}/resume`, {
          method: 'POST',
          headers: ops,
          body: JSON.stringify({ reason: 'fixed' }),
        });
        assert.equal(resumed.status, 200);
        await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck));
        const fresh = await codeFlow(f, config, { scope: 'openid nickname' });
        await oidc.fetchUserInfo(config, fresh.tokens.access_token, fresh.tokens.claims()!.sub);
      },
    );

    test(
      "containment revokes the grants the intruder's session authorised (revoke_grants), not the owner's",
      { skip },
      async () => {
        const ctx = { ip: '127.0.0.1', userAgent: 'x' };
        await f.gh.identity.createAccount({ handle: 'dana', password: PASSWORD }, ctx);
        const own = await addApp(f.gh, { name: { en: 'Owner App', zh: '号主应用' } });
        const evil = await addApp(f.gh, { name: { en: 'Evil App', zh: '恶意应用' } });
        const owner = new TestBrowser();
        const intruder = new TestBrowser({ userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/120 intruder' });
        const fd = { ...f, account: { id: (await f.gh.identity.findByHandle('dana'))!.id, handle: 'dana' } };
        const all = (o: string[]) => o;
        const ownerConfig = await rp(f.url, own);
        const evilConfig = await rp(f.url, evil);
        const a = await codeFlowAs(fd, ownerConfig, owner, 'dana', all);
        const b = await codeFlowAs(fd, evilConfig, intruder, 'dana', all);
        const intruderSession = (await f.gh.identity.authenticate(intruder.cookie('__Host-gh_session')!))
          .session.id;
        await f.gh.response.handle({
          id: 'dec-test-1',
          account: fd.account.id,
          session: intruderSession,
          time: Date.now(),
          action: 'contain',
          risk: 0.99,
          eventType: 'message.sent',
          eventId: 'ev-1',
          signals: [],
          reasons: [],
        });
        await assert.rejects(oidc.fetchUserInfo(evilConfig, b.access_token, oidc.skipSubjectCheck));
        const apps = await f.gh.oauth.userApps(fd.account.id);
        assert.deepEqual(
          apps.map((x) => x.client),
          [own.id],
          "the owner's own app stays authorised",
        );
        assert.ok(a.access_token);
      },
    );

    test(
      'recovery review: apps authorised or used in the window, and which read what',
      { skip },
      async () => {
        const app = await addApp(f.gh, {
          name: { en: 'Window App', zh: '窗口应用' },
          scopes: ['nickname', 'region'],
        });
        const config = await rp(f.url, app);
        const start = Date.now() - 1000;
        const { tokens } = await codeFlow(f, config, { scope: 'openid nickname region' });
        await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
        const port = new OAuthGrantsPort(f.gh.oauth);
        const list = await port.list(f.account.id, { start, end: Date.now() + 1000 });
        const mine = list.find((g) => g.client === app.id)!;
        assert.equal(mine.authorisedDuringWindow, true);
        assert.equal(mine.usedDuringWindow, true);
        const reads = await port.readsDuring(f.account.id, start, Date.now() + 1000);
        // alice has no region on record: only the nickname was actually read
        assert.deepEqual(reads.find((r) => r.client === app.id)?.fields, ['nickname']);
        const before = await port.list(f.account.id, { start: 0, end: start - 5000 });
        assert.equal(before.find((g) => g.client === app.id)?.authorisedDuringWindow, false);
        await port.revoke(f.account.id, mine.id);
        assert.ok(!(await port.list(f.account.id)).some((g) => g.id === mine.id));
      },
    );

    test(
      "anomalies: an app reading many users' friend lists, and one token used from many networks, open incidents",
      { skip },
      async () => {
        const app = await addApp(f.gh, {
          scopes: ['friends'],
          reviewedScopes: ['friends'],
          rateLimitPerMinute: 100_000,
        });
        const provider = await f.gh.oauth.provider();
        const tokens: string[] = [];
        for (let i = 0; i < 32; i++) {
          const acc = await f.gh.identity.createAccount(
            { handle: `scraped${i}`, password: PASSWORD },
            { ip: `10.9.${i}.1`, userAgent: 'x' },
          );
          tokens.push(
            await (
              await mint(provider, { accountId: acc.id, clientId: app.id, scope: 'openid friends' })
            ).accessToken(),
          );
        }
        for (const t of tokens) {
          const r = await fetch(`${f.url}/v1/apps/me/friends`, {
            headers: { authorization: `Bearer ${t}`, 'x-forwarded-for': '203.0.113.7' },
          });
          assert.equal(r.status, 200);
        }
        const breadth = await until(
          async () =>
            (await f.gh.incidents.list()).find(
              (i) => i.kind === 'app_anomaly' && i.facts.app?.client === app.id,
            ),
          'breadth incident',
        );
        const detail = await f.gh.incidents.get(breadth.id);
        const tl = detail.timeline.find((x) => x.kind === 'app.anomaly.app_reading_breadth')!;
        assert.ok((tl.data.signals as Array<{ name: string }>).some((s) => s.name === 'app_friends_breadth'));
        assert.ok(detail.accounts.length >= 30);
        // one stolen token replayed from four networks
        for (const ip of ['198.51.100.1', '192.0.2.9', '100.64.3.3', '172.20.1.1'])
          await fetch(`${f.url}/v1/apps/me/friends`, {
            headers: { authorization: `Bearer ${tokens[0]}`, 'x-forwarded-for': ip },
          });
        await until(
          async () =>
            (await f.gh.incidents.list()).find(
              (i) => i.kind === 'app_anomaly' && /networks/.test(i.title) && i.facts.app?.client === app.id,
            ),
          'network incident',
        );
        await until(
          () => bus.some((e) => e.type === 'app.anomaly' && e.client === app.id),
          'app.anomaly event',
        );
        await until(
          () => bus.some((e) => e.type === 'app.access' && e.client === app.id),
          'app.access event',
        );
      },
    );
  });
}

async function codeFlowAs(
  f: Fixture,
  config: oidc.Configuration,
  browser: TestBrowser,
  handle: string,
  consent: (o: string[]) => string[],
) {
  const { authorise } = await import('./test-fixture.ts');
  const { REDIRECT } = await import('./test-fixture.ts');
  const v = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid nickname',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(v),
    code_challenge_method: 'S256',
  });
  const cb = await authorise(browser, url.toString(), { handle, consent });
  void f;
  return oidc.authorizationCodeGrant(config, cb, { pkceCodeVerifier: v, expectedState: oidc.skipStateCheck });
}
