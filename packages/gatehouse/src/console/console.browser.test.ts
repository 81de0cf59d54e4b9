// The operator console in Debian's Chromium (playwright-core), on SQLite: an operator signs in with
// password and authenticator code, and on every page does its main task; each result is checked through
// the API or the database, each page passes axe-core (WCAG 2 A/AA) and shows no CSP violation, and the
// main pages are saved as screenshots for docs/console.md.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { harness, ok, signIn, signUp, type Harness } from '../recovery/attack-harness.ts';
import { until } from '../testing/receiver.ts';
import {
  assertAccessible,
  browserSkip,
  context,
  ensureConsoleBuilt,
  launch,
  screenshot,
  watchProblems,
} from './browser-harness.ts';
import { addOperator, codeOf, type TestOperator } from './test-operators.ts';

const skip = browserSkip();

describe('operator console in Chromium', { skip }, () => {
  let h: Harness;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let problems: string[];
  let responder: TestOperator;
  let admin: TestOperator;
  let victim: { id: string; handle: string };
  let incidentId: string;
  let appId: string;
  let heldMessage: string;
  const key = () => ({ key: h.op });

  before(async () => {
    ensureConsoleBuilt();
    h = await harness('sqlite', {
      webhookAllowHttp: true,
      webhookAllowLoopback: true,
      webhookMaxAttempts: 1,
      webhookRetryBaseMs: 10,
    });
    responder = await addOperator(h.gh, 'ops.responder', 'responder');
    admin = await addOperator(h.gh, 'ops.admin', 'admin');
    victim = await signUp(h, 'console.victim');
    await signIn(h, victim.handle);
    // a webhook endpoint nobody listens on: the freeze's webhook becomes a dead letter
    ok(
      await h.call('POST', '/v1/webhooks/endpoints', {
        key: h.op,
        body: { url: 'http://127.0.0.1:9/hooks', description: 'platform (down)' },
      }),
      201,
    );
    // a message with a lookalike link from a brand-new account
    ok(
      await h.call('POST', '/v1/events', {
        key: h.op,
        body: {
          events: [
            {
              id: 'ev-held-1',
              type: 'message.sent',
              account: victim.id,
              time: Date.now(),
              messageId: 'msg-held-1',
              recipients: ['friend-1'],
              client: { kind: 'web', name: 'chat-web' },
              text: 'Claim your free skin at qq-login-game.com before midnight',
            },
          ],
        },
      }),
    );
    // the engine decides on it (a lookalike link from a new account) and the policy holds it
    heldMessage = await until(
      async () =>
        (await h.gh.store.db.selectFrom('holds').select(['message_id', 'status']).executeTakeFirst())
          ?.message_id,
      'the hold',
    );
    // three independent recipients report it: it goes to the operators' review queue
    ok(
      await h.call('POST', '/v1/events', {
        key: h.op,
        body: {
          events: [1, 2, 3].map((n) => ({
            id: `ev-report-${n}`,
            type: 'message.reported',
            account: `reporter-${n}`,
            time: Date.now(),
            messageId: 'ev-held-1',
            sender: victim.id,
            reason: 'scam',
          })),
        },
      }),
    );
    await until(async () => {
      const q = ok(await h.call('GET', '/v1/content/reports/queue', key())).json.items as unknown[];
      return q.length > 0;
    }, 'the reported text in the review queue');
    incidentId = await h.gh.incidents.onCampaign({
      id: 'cmp_console',
      kind: 'domain',
      key: 'd:qq-login-game.com',
      sample: 'qq-login-game.com',
      members: [victim.id],
      memberCount: 1,
      firstSeen: Date.now() - 60_000,
      lastSeen: Date.now(),
      status: 'active',
    });
    appId = (
      await h.gh.oauth.registry.add({
        name: { en: 'Lucky Draw', zh: '幸运抽奖' },
        redirectUris: ['https://draw.example/cb'],
        scopes: ['nickname', 'avatar'],
      })
    ).app.id;
    browser = await launch();
    ctx = await context(browser);
    page = await ctx.newPage();
    problems = watchProblems(page);
  });
  after(async () => {
    await browser?.close();
    await h?.cleanup();
  });

  async function check(name: string, shot = true) {
    await assertAccessible(page, name);
    if (shot) await screenshot(page, `console-${name}`);
    assert.deepEqual(problems, [], `${name}: CSP violations or page errors`);
  }

  test('sign-in with password and authenticator code, then the live overview', async () => {
    await page.goto(`${h.url}/console/`);
    await page.getByLabel('Operator name').waitFor();
    await check('signin');
    await page.getByLabel('Operator name').fill(responder.handle);
    await page.getByLabel('Password').fill(responder.password);
    await page.getByLabel('Authenticator code').fill(codeOf(responder));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#operator').waitFor();
    assert.match(await page.locator('#operator').innerText(), /ops\.responder/);
    await page.locator('#stat-holds').waitFor();
    assert.match(await page.locator('#stat-holds').innerText(), /^1\b/);
    assert.match(await page.locator('#stat-incidents').innerText(), /^1\b/);
    await page.locator('.chart canvas').first().waitFor();
    await check('overview');
  });

  test('queues: a reported text is confirmed as spam; the held message with its evidence is released', async () => {
    await page.getByRole('link', { name: 'Queues' }).click();
    const item = page.locator(`#hold-list li[data-message="${heldMessage}"]`);
    await item.getByText('Claim your free skin').waitFor();
    await check('queues');
    // the reported text: confirmed as spam (the model learns it), checked through the API
    const report = page.locator('#report-list li').first();
    await report.getByText('Claim your free skin').waitFor();
    await report.getByRole('button', { name: 'Spam', exact: true }).click();
    await until(async () => {
      const done = ok(await h.call('GET', '/v1/content/reports/queue?status=confirmed', key())).json
        .items as {
        decidedBy: string;
      }[];
      return done.length === 1;
    }, 'the report confirmed');
    await item.getByRole('button', { name: 'Release' }).click();
    await until(
      async () =>
        (
          await h.gh.store.db
            .selectFrom('holds')
            .select('status')
            .where('message_id', '=', heldMessage)
            .executeTakeFirst()
        )?.status === 'released',
      'the hold released',
    );
  });

  test('account page: freeze as containment with a reason; the overview shows it live', async () => {
    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByLabel('Account id or handle').fill(victim.handle);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#account-state').waitFor();
    assert.equal(await page.locator('#account-state').innerText(), 'active');
    await page.locator('#account-reason').fill('hijacked: sending a lookalike link to friends');
    // the risk timeline shows the engine's decision on the lookalike link with its reasons
    await page.locator('#decisions > li').first().waitFor();
    await page.locator('#freeze-containment').click();
    await page.locator('#freeze-kind').waitFor();
    const a = ok(await h.call('GET', `/v1/accounts/${victim.id}`, key()));
    assert.equal(a.json.state, 'frozen');
    assert.equal(a.json.freezeKind, 'containment');
    assert.equal(a.json.stateReason, 'hijacked: sending a lookalike link to friends');
    await check('account');
    // the overview's poll picks the containment up without a reload
    await page.getByRole('link', { name: 'Overview' }).click();
    await until(
      async () =>
        /^1\b/.test(
          await page
            .locator('#stat-containments')
            .innerText()
            .catch(() => ''),
        ),
      'the live containment count',
    );
  });

  test('incidents: timeline and affected accounts, a note, the zh notice export', async () => {
    await page.getByRole('link', { name: 'Incidents & campaigns' }).click();
    await page.locator('#incident-list a').first().click();
    await page.locator('#affected').getByText(victim.id).waitFor();
    await page.locator('#note-text').fill('Platform told; link domain reported to the registrar');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.locator('#note-list').getByText('link domain reported').waitFor();
    const inc = ok(await h.call('GET', `/v1/incidents/${incidentId}`, key()));
    const notes = inc.json.notes as { author: string; text: string }[];
    assert.ok(notes.some((n) => /registrar/.test(n.text)));
    await page.getByRole('button', { name: 'Notice (中文)' }).click();
    await page.locator('#notice-text').getByText('发生了什么').waitFor();
    await check('incident');
  });

  test('policy: the YAML in force and each rule with what it did in the last day', async () => {
    await page.getByRole('link', { name: 'Policy' }).click();
    await page.locator('#policy-yaml').getByText('hold-and-challenge').first().waitFor();
    // the hold above came from hold-and-challenge, enforced
    const row = page.locator('#rule-table tr[data-rule="hold-and-challenge"]');
    await until(async () => Number(await row.locator('.did').innerText()) >= 1, 'the rule count');
    await check('policy');
  });

  test('webhooks: the dead letter is listed and replayed', async () => {
    await until(async () => {
      const d = ok(await h.call('GET', '/v1/webhooks/dead', key())).json.deadLetters as unknown[];
      return d.length > 0;
    }, 'a dead letter');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.locator('#dead-list tbody tr').first().waitFor();
    await check('webhooks');
    await page.locator('#replay-all').click();
    // the replay is checked through the API: the operator's request is in the audit log, answered 200
    await until(async () => {
      const audit = ok(await h.call('GET', '/v1/audit?limit=1000', key())).json.entries as {
        actor: string;
        data: { route?: string; status?: number };
      }[];
      return audit.some(
        (e) =>
          e.actor === 'operator:ops.responder' &&
          e.data.route === '/v1/webhooks/replay' &&
          e.data.status === 200,
      );
    }, 'the replay in the audit log');
  });

  test('apps: the kill switch suspends an app, with a reason', async () => {
    await page.getByRole('link', { name: 'Apps' }).click();
    const card = page.locator(`#app-list li[data-app="${appId}"]`);
    await card.getByText('Lucky Draw').waitFor();
    await card.locator('input').fill('reading friend lists without consent');
    await card.getByRole('button', { name: 'Suspend (kill switch)' }).click();
    await card.getByText('Status: suspended').waitFor();
    const apps = ok(await h.call('GET', '/v1/oauth/apps', key())).json.apps as {
      id: string;
      status: string;
    }[];
    assert.equal(apps.find((x) => x.id === appId)?.status, 'suspended');
    await check('apps', false);
  });

  test('audit log: the operator actions are listed and the chain verifies', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('#audit-list').getByText('operator:ops.responder').first().waitFor();
    await page.locator('#verify').click();
    await page.locator('#verify-result').waitFor();
    assert.match(await page.locator('#verify-result').innerText(), /The chain verifies/);
    await check('audit');
  });

  test('keys and operators: a responder is refused; an admin creates a key (in Chinese, at phone width)', async () => {
    await page.getByRole('link', { name: 'Keys & operators' }).click();
    await page.getByText('Only an admin manages keys and operators.').waitFor();
    // the server refuses too, whatever the page shows
    const refusedKeys = await page.evaluate(async () => (await fetch('/v1/console/keys')).status);
    assert.equal(refusedKeys, 403);

    const phone = await context(browser, { locale: 'zh-CN', phone: true });
    const p = await phone.newPage();
    const pp = watchProblems(p);
    await p.goto(`${h.url}/console/access`);
    await p.getByLabel('运营账号').fill(admin.handle);
    await p.getByLabel('密码').fill(admin.password);
    await p.getByLabel('验证器动态码').fill(codeOf(admin));
    await p.getByRole('button', { name: '登录' }).click();
    await p.locator('#key-list').waitFor();
    await p.getByLabel('名称').fill('platform events');
    await p.getByLabel('权限范围').fill('events:write');
    await p.getByRole('button', { name: '创建密钥' }).click();
    await p.locator('#new-key').waitFor();
    const made = await p.locator('#new-key').innerText();
    assert.match(made, /^ghk_/);
    const keys = ok(await h.call('GET', '/v1/console/keys', key()));
    assert.ok(
      (keys.json.keys as { name: string; scopes: string[] }[]).some((k) => k.name === 'platform events'),
    );
    await assertAccessible(p, 'access (zh-CN, phone)');
    await screenshot(p, 'console-access-zh-phone');
    assert.deepEqual(pp, []);
    await phone.close();
  });
});
