// The campaign page and the appeals queue in Chromium, on SQLite. A real campaign forms from events over
// HTTP (six accounts with a day of ordinary history each send the same lure with a link); a responder
// sees its members, its content and its spread chart, quarantines it and lifts the quarantine, and the
// effect of each is checked through the pre-send check API. Two sanctioned owners appeal; the responder
// approves one and rejects the other; the account states and what each owner gets afterwards are checked
// through the API. An analyst and a viewer are refused both over HTTP. axe-core on each page, no CSP
// violation.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { harness, ok, PASSWORD, refused, signUp, type Harness } from '../recovery/attack-harness.ts';
import { tempDir } from '../testing/index.ts';
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
import { addOperator, codeOf, signInOperator, type TestOperator } from './test-operators.ts';

const skip = browserSkip();
const LURE = '免费领取游戏皮肤，登录验证账号 http://qq-gift.top/l';
const client = { kind: 'web', name: 'chat-web', version: '1' };

const msg = (id: string, account: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'message.sent',
  time: Date.now(),
  account,
  recipients: ['friend-1'],
  text: '今天晚上一起吃饭吗',
  client,
  ...extra,
});

describe('campaign page and appeals queue in Chromium', { skip }, () => {
  let h: Harness;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let problems: string[];
  let responder: TestOperator;
  let analyst: TestOperator;
  let viewer: TestOperator;
  let campaignId: string;
  let spared: { id: string; handle: string };
  let kept: { id: string; handle: string };
  const key = () => ({ key: h.op });
  const tmp = tempDir('gatehouse-campaign-');
  let policyFile: string;

  /** The pre-send check's signals for the lure from an account that never sent anything. */
  async function lureSignals(n: number): Promise<string[]> {
    const r = ok(
      await h.call('POST', '/v1/check/message', {
        key: h.op,
        body: msg(`chk-${n}`, `fresh-${n}`, { text: LURE }),
      }),
    );
    return (r.json.reasons as Array<{ signal: string }>).map((x) => x.signal);
  }

  before(async () => {
    ensureConsoleBuilt();
    // the shipped policy without its own quarantines: here only the operator quarantines the campaign
    // (with them, the contain decisions quarantine the lure's text and domain before anyone looks)
    const shipped = readFileSync(
      join(import.meta.dirname, '..', '..', 'config', 'policy.default.yaml'),
      'utf8',
    );
    policyFile = join(tmp.dir, 'policy.yaml');
    writeFileSync(policyFile, shipped.replace(/^\s*- quarantine_content.*$/gm, ''));
    h = await harness('sqlite', { policyFile });
    responder = await addOperator(h.gh, 'cq.responder', 'responder');
    analyst = await addOperator(h.gh, 'cq.analyst', 'analyst');
    viewer = await addOperator(h.gh, 'cq.viewer', 'viewer');

    // a campaign: six accounts with a day of ordinary history send the same lure from a bot client
    const now = Date.now();
    const events: unknown[] = [];
    for (let a = 0; a < 6; a++)
      for (let i = 0; i < 25; i++)
        events.push({
          ...msg(`hist-${a}-${i}`, `camp${a}`, { recipients: [`camp${a}-f${i % 4}`] }),
          time: now - 20 * 3_600_000 + i * 40 * 60_000,
        });
    for (let a = 0; a < 6; a++)
      events.push(
        msg(`blast-${a}`, `camp${a}`, {
          time: now - 60_000 + a * 1000,
          recipients: ['s1', 's2', 's3', 's4'],
          text: LURE,
          client: { kind: 'bot', name: 'autoclick', version: '1' },
        }),
      );
    ok(await h.call('POST', '/v1/events', { key: h.op, body: { events } }));
    campaignId = await until(async () => {
      const c = ok(await h.call('GET', '/v1/campaigns', key())).json.campaigns as Array<{
        id: string;
        memberCount: number;
      }>;
      return c.find((x) => x.memberCount >= 5)?.id;
    }, 'a campaign');

    // two owners under a sanction appeal to the operators
    spared = await signUp(h, 'cq.spared');
    kept = await signUp(h, 'cq.kept');
    for (const [a, statement] of [
      [spared, 'I did not send that, my little brother used my phone'],
      [kept, 'please unban me'],
    ] as const) {
      ok(
        await h.call('POST', `/v1/accounts/${a.id}/freeze`, {
          ...key(),
          body: { reason: 'spam: sold fake game skins' },
        }),
      );
      ok(await h.call('POST', '/v1/recovery/appeals', { body: { handle: a.handle, statement } }), 202);
    }

    browser = await launch();
    ctx = await context(browser);
    page = await ctx.newPage();
    problems = watchProblems(page);
    await page.goto(`${h.url}/console/`);
    await page.getByLabel('Operator name').fill(responder.handle);
    await page.getByLabel('Password').fill(responder.password);
    await page.getByLabel('Authenticator code').fill(codeOf(responder));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#operator').waitFor();
  });
  after(async () => {
    await browser?.close();
    await h?.cleanup();
    tmp.cleanup();
  });

  async function check(name: string, shot?: string) {
    await assertAccessible(page, name);
    if (shot) await screenshot(page, shot);
    assert.deepEqual(problems, [], `${name}: CSP violations or page errors`);
  }

  test('an analyst and a viewer can read but not quarantine a campaign or decide an appeal (over HTTP)', async () => {
    const appeals = ok(await h.call('GET', '/v1/recovery/operator-queue', key())).json.appeals as Array<{
      id: string;
    }>;
    assert.equal(appeals.length, 2);
    for (const op of [analyst, viewer]) {
      const c = await signInOperator(h.url, op);
      assert.equal((await c.call('GET', `/v1/campaigns/${campaignId}`)).status, 200);
      assert.equal((await c.call('GET', '/v1/recovery/operator-queue')).status, 200);
      for (const [path, body] of [
        [`/v1/campaigns/${campaignId}/status`, { status: 'quarantined' }],
        [`/v1/recovery/operator-queue/${appeals[0]!.id}/approve`, { note: 'looks fine' }],
        [`/v1/recovery/operator-queue/${appeals[1]!.id}/deny`, { note: 'no' }],
        // the containment appeals' operator routes, gated the same way
        ['/v1/recovery/cases/rc_any/approve', { note: 'documents checked' }],
        ['/v1/recovery/cases/rc_any/reject', { reason: 'no' }],
      ] as const) {
        const r = await c.call('POST', path, { body });
        assert.equal(r.status, 403, `${op.role} ${path}: ${r.text}`);
        assert.equal(r.json.code, 'OPERATOR_ROLE');
      }
    }
    // nothing changed
    const cmp = ok(await h.call('GET', `/v1/campaigns/${campaignId}`, key())).json;
    assert.equal(cmp.status, 'active');
    const pending = ok(await h.call('GET', '/v1/recovery/operator-queue', key())).json.appeals as unknown[];
    assert.equal(pending.length, 2);
    assert.equal(ok(await h.call('GET', `/v1/accounts/${spared.id}`, key())).json.state, 'frozen');
  });

  test('campaign page: members, content and spread; quarantine on and off, each checked through the API', async () => {
    await page.getByRole('link', { name: 'Incidents & campaigns' }).click();
    await page.locator(`#campaign-list a[href="/console/campaigns/${campaignId}"]`).click();
    await page.locator('#campaign-status').waitFor();
    assert.equal(await page.locator('#campaign-status').innerText(), 'active');
    // members and content
    for (let a = 0; a < 6; a++)
      await page
        .locator('#members')
        .getByRole('link', { name: `camp${a}`, exact: true })
        .waitFor();
    assert.match(await page.locator('#sample blockquote').innerText(), /qq-gift\.top|免费领取游戏皮肤/);
    // the spread over time: the chart is drawn, and its data counts the senders
    await page.locator('.chart canvas').first().waitFor();
    const spread = ok(await h.call('GET', `/v1/console/campaigns/${campaignId}/spread`, key())).json
      .buckets as Array<{ accounts: number; decisions: number }>;
    assert.ok(spread.reduce((n, b) => n + b.accounts, 0) >= 5, JSON.stringify(spread));
    await check('campaign', 'console-campaign');
    assert.ok(!(await lureSignals(1)).includes('content_quarantined'));

    // quarantine on: the campaign's content is blocked for everyone
    await page.locator('#quarantine-on').click();
    await page.locator('#quarantine-off').waitFor();
    assert.equal(await page.locator('#campaign-status').innerText(), 'quarantined');
    assert.equal(ok(await h.call('GET', `/v1/campaigns/${campaignId}`, key())).json.status, 'quarantined');
    const on = ok(
      await h.call('POST', '/v1/check/message', {
        key: h.op,
        body: msg('chk-on', 'fresh-on', { text: LURE }),
      }),
    ).json as { verdict: string; reasons: Array<{ signal: string }> };
    assert.ok(
      on.reasons.some((r) => r.signal === 'content_quarantined'),
      JSON.stringify(on),
    );
    assert.notEqual(on.verdict, 'allow');

    // quarantine off: the same content is judged on its own again
    await page.locator('#quarantine-off').click();
    await page.locator('#quarantine-on').waitFor();
    assert.equal(await page.locator('#campaign-status').innerText(), 'active');
    assert.equal(ok(await h.call('GET', `/v1/campaigns/${campaignId}`, key())).json.status, 'active');
    assert.ok(!(await lureSignals(2)).includes('content_quarantined'));
    // the operator's requests are in the audit log under their name
    const audit = ok(await h.call('GET', '/v1/audit?limit=1000', key())).json.entries as Array<{
      actor: string;
      data: { route?: string; status?: number };
    }>;
    assert.equal(
      audit.filter(
        (e) =>
          e.actor === 'operator:cq.responder' &&
          e.data.route === '/v1/campaigns/:id/status' &&
          e.data.status === 200,
      ).length,
      2,
    );
    await check('campaign after quarantine off');
  });

  test('appeals queue: one approved, one rejected; the accounts and the owners see the outcome', async () => {
    await page.getByRole('link', { name: 'Queues' }).click();
    const list = page.locator('#appeal-list');
    const item = (handle: string) => list.locator('li', { hasText: `@${handle}` });
    await item(spared.handle).getByText('my little brother').waitFor();
    await item(kept.handle).getByText('please unban me').waitFor();
    await check('queues with appeals');

    await item(spared.handle).getByLabel('Reason').fill('first offence, credible statement');
    await item(spared.handle).getByRole('button', { name: 'Approve (unfreeze)' }).click();
    await item(spared.handle).waitFor({ state: 'detached' }); // decided: off the pending list
    await item(kept.handle).getByLabel('Reason').fill('repeat seller of fake skins');
    await item(kept.handle).getByRole('button', { name: 'Reject' }).click();
    await item(kept.handle).waitFor({ state: 'detached' });

    // the accounts: one active again, one still under the sanction
    const a1 = ok(await h.call('GET', `/v1/accounts/${spared.id}`, key())).json;
    assert.equal(a1.state, 'active');
    const a2 = ok(await h.call('GET', `/v1/accounts/${kept.id}`, key())).json;
    assert.equal(a2.state, 'frozen');
    assert.equal(a2.freezeKind, 'sanction');
    // the queue records who decided, with the note
    const approved = ok(await h.call('GET', '/v1/recovery/operator-queue?state=approved', key())).json
      .appeals as Array<{ account: { id: string }; note: string; decidedBy: string }>;
    assert.deepEqual(
      approved.map((x) => [x.account.id, x.note]),
      [[spared.id, 'first offence, credible statement']],
    );
    const denied = ok(await h.call('GET', '/v1/recovery/operator-queue?state=denied', key())).json
      .appeals as Array<{ account: { id: string }; note: string }>;
    assert.deepEqual(
      denied.map((x) => [x.account.id, x.note]),
      [[kept.id, 'repeat seller of fake skins']],
    );

    // the owners' side: the approved owner signs in again and is active; the other is still refused
    const s1 = ok(
      await h.call('POST', '/v1/auth/signin', { body: { handle: spared.handle, password: PASSWORD } }),
    );
    const me = ok(await h.call('GET', '/v1/me', { token: s1.json.token as string })).json;
    assert.equal((me.account as { state: string } | undefined)?.state ?? me.state, 'active');
    refused(
      await h.call('POST', '/v1/auth/signin', { body: { handle: kept.handle, password: PASSWORD } }),
      403,
      'ACCOUNT_FROZEN',
    );
    // and the platform is told of the unfreeze (to tell its user); the rejected owner stays frozen there
    const feed = (await h.gh.webhooks.feed(undefined, 1000)).messages;
    assert.ok(feed.some((m) => m.type === 'account.unfrozen' && m.account === spared.id));
    assert.ok(!feed.some((m) => m.type === 'account.unfrozen' && m.account === kept.id));
    await check('queues after decisions');
  });
});
