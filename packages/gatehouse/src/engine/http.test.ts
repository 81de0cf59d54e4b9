// Over real HTTP, on SQLite and on PostgreSQL: event ingestion (idempotency, per-event rejections,
// bounds, durability across a restart), the pre-send check (its exact answers: allow, block for a
// blocklisted link, hold for a throttled account), the risk timeline, campaigns, identity events joining
// the stream, and the SDK's batching EventsClient.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EventsClient } from '@gatehouse/sdk';
import { parseDomainList } from '../content/url/index.ts';
import type { Config } from '../config/index.ts';
import { createContentAnalyzer } from './content.ts';
import type { EngineControl, MessageLog } from '../response/index.ts';
import { createGatehouse, type Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { ordinaryDay, postgresSkip, testConfig, type Backend } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';

// the real content parts, with an operator blocklist
const content = createContentAnalyzer({ url: { block: parseDomainList('bet-888.com').list } });

const client = { kind: 'mobile', name: 'QQ', version: '9.0' };
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

const pgSkip = await postgresSkip();

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`engine over HTTP (${backend})`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let gh: Gatehouse;
    let url: string;
    let key: string;
    let writeKey: string;
    let config: Config;
    let dropConfig: () => Promise<void>;

    async function boot(): Promise<void> {
      gh = await createGatehouse(config, { log: createLogger('silent'), engineContent: content });
      url = await gh.listen();
    }

    before(async () => {
      ({ config, cleanup: dropConfig } = await testConfig(
        backend,
        { engineSnapshotSeconds: 0 },
        { migrated: true },
      ));
      await boot();
      key = (await gh.keys.create('engine test', ['events:write', 'accounts:read'])).key;
      writeKey = (await gh.keys.create('engine operator', ['accounts:write'])).key;
    });
    after(async () => {
      await gh?.close();
      await dropConfig?.();
    });

    async function post(path: string, body: unknown, k = key) {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${k}` },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return {
        status: res.status,
        json: (await res.json()) as Record<string, unknown> & { results?: Array<Record<string, unknown>> },
      };
    }
    async function get(path: string) {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    }

    describe('events', () => {
      test('idempotent by client id: duplicates within and across batches are answered "duplicate"', async () => {
        const a = await post('/v1/events', {
          events: [msg('dup-1', 'alice'), msg('dup-2', 'alice'), msg('dup-1', 'alice')],
        });
        assert.equal(a.status, 200);
        assert.deepEqual(
          a.json.results!.map((r) => r.status),
          ['accepted', 'accepted', 'duplicate'],
        );
        const b = await post('/v1/events', { events: [msg('dup-2', 'alice'), msg('dup-3', 'alice')] });
        assert.deepEqual(
          b.json.results!.map((r) => r.status),
          ['duplicate', 'accepted'],
        );
        assert.equal(b.json.accepted, 1);
        assert.equal(b.json.duplicates, 1);
      });

      test('bad events are rejected one by one with a reason; the batch never fails', async () => {
        const now = Date.now();
        const r = await post('/v1/events', {
          events: [
            { id: 'bad-1', type: 'message.exploded', time: now, account: 'a' },
            { id: 'bad-2', type: 'friend.added', time: now, account: 'a' },
            msg('bad-3', 'a', { time: now + 3_600_000 }),
            msg('bad-4', 'a', { time: now - 3 * 86_400_000 }),
            msg('bad-5', 'a', { recipients: new Array(100_000).fill('x') }),
            msg('bad-big-text', 'a', { text: '长'.repeat(400_000) }),
            'not an object',
            null,
            msg('bad-6', 'a', { time: 'yesterday' }),
            { id: 'x'.repeat(200), type: 'friend.added', time: now, account: 'a', friend: 'b' },
            msg('ok-1', 'a'),
          ],
        });
        assert.equal(r.status, 200);
        const by = r.json.results!.map((x) => `${x.status}:${x.reason ?? ''}`);
        assert.deepEqual(by, [
          'rejected:unknown_type',
          'rejected:invalid_event',
          'rejected:too_far_in_future',
          'rejected:too_old',
          'rejected:recipients_too_many',
          'rejected:text_too_long',
          'rejected:invalid_event',
          'rejected:invalid_event',
          'rejected:invalid_event',
          'rejected:invalid_event',
          'accepted:',
        ]);
        assert.equal(r.json.results![0]!.id, 'bad-1');
      });

      test('whole-request problems: auth, empty or oversized batches, non-JSON', async () => {
        assert.equal((await post('/v1/events', { events: [msg('n1', 'a')] }, 'ghk_nope')).status, 401);
        assert.equal((await post('/v1/events', { events: [] })).status, 400);
        assert.equal(
          (await post('/v1/events', { events: Array.from({ length: 1001 }, (_, i) => msg(`m${i}`, 'a')) }))
            .status,
          400,
        );
        const nj = await post('/v1/events', '{"events": [');
        assert.equal(nj.status, 400);
        assert.equal(nj.json.code, 'INVALID_JSON');
        // a full batch of 1,000 ordinary events fits the body limit
        const full = await post('/v1/events', {
          events: Array.from({ length: 1000 }, (_, i) => msg(`full-${i}`, `acct${i % 50}`)),
        });
        assert.equal(full.status, 200);
        assert.equal(full.json.accepted, 1000);
      });

      test('pre-send check: allow, hold/block with reasons, duplicate ids answered once, bad input is a 400', async () => {
        const ok = await post('/v1/check/message', msg('chk-1', 'bob'));
        assert.equal(ok.status, 200);
        assert.equal(ok.json.verdict, 'allow');
        const bad = await post(
          '/v1/check/message',
          msg('chk-2', 'bob', { text: '澳门首家线上赌场 百家乐 首充送888 https://bet-888.com/x' }),
        );
        assert.equal(bad.json.verdict, 'block', JSON.stringify(bad.json));
        const reasons = bad.json.reasons as Array<{ signal: string; zh: string }>;
        assert.ok(
          reasons.some((x) => x.signal === 'url_blocked'),
          JSON.stringify(reasons),
        );
        assert.ok(reasons.every((x) => x.zh.length > 0));
        const again = await post('/v1/check/message', msg('chk-2', 'bob'));
        assert.equal(again.json.duplicate, true);
        assert.equal(again.json.verdict, bad.json.verdict);
        const invalid = await post('/v1/check/message', { id: 'chk-3', account: 'bob' });
        assert.equal(invalid.status, 400);
        assert.equal(invalid.json.code, 'EVENT_INVALID');
        // the checked message is recorded in the account's timeline with its decision
        const risk = await until(async () => {
          const r = await get('/v1/accounts/bob/risk');
          const evs = r.json.events as Array<{ id: string }>;
          const ds = r.json.decisions as Array<{ eventId: string }>;
          return evs?.some((e) => e.id === 'chk-2') && ds?.some((d) => d.eventId === 'chk-2') ? r : undefined;
        }, 'the check to be recorded');
        assert.equal(risk.status, 200);
      });

      test('pre-send check: a blocklisted link is "block" in ordinary words too, on a subdomain, from a quiet account', async () => {
        for (const [id, text] of [
          ['bl-1', '周末的照片都在这里 https://bet-888.com/album/2024'],
          ['bl-2', 'look at this www.bet-888.com'],
          ['bl-3', '下载链接：https://cdn.bet-888.com/app.apk 记得装'],
        ] as const) {
          const r = await post('/v1/check/message', msg(id, `quiet-${id}`, { text }));
          assert.equal(r.status, 200);
          assert.equal(r.json.verdict, 'block', `${text}: ${JSON.stringify(r.json)}`);
          const reasons = r.json.reasons as Array<{ signal: string }>;
          assert.ok(
            reasons.some((x) => x.signal === 'url_blocked'),
            JSON.stringify(reasons),
          );
        }
        // from an owner's usual phone after an ordinary day too (familiar context needs clean content)
        const { events } = ordinaryDay('owner-bl', 'owner-bl-session');
        assert.equal((await post('/v1/events', { events })).json.accepted, events.length);
        await gh.engine.drain();
        const owner = await post(
          '/v1/check/message',
          msg('bl-owner', 'owner-bl', {
            session: 'owner-bl-session',
            recipients: ['friend-1'],
            text: '今晚的比赛在这里看 https://bet-888.com/live',
          }),
        );
        assert.equal(owner.json.verdict, 'block', JSON.stringify(owner.json));
        // the same words without the link are allowed
        const clean = await post(
          '/v1/check/message',
          msg('bl-clean', 'quiet-bl-clean', { text: '周末的照片都在这里' }),
        );
        assert.equal(clean.json.verdict, 'allow');
      });

      test('pre-send check: a throttled account gets "hold" once past its rate, with the throttle as the reason', async () => {
        const ctx = { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' };
        const acc = await gh.identity.createAccount(
          { handle: `throttled.${backend}`, password: 'a long enough passphrase 7' },
          ctx,
        );
        const ok = await post('/v1/check/message', msg('thr-0', acc.id));
        assert.equal(ok.json.verdict, 'allow', 'not throttled yet');
        const steps = await gh.response.handle({
          id: 'dec-thr',
          account: acc.id,
          session: 'suspect-session',
          time: Date.now(),
          action: 'block',
          risk: 0.98,
          eventType: 'message.sent',
          eventId: 'ev-thr',
          signals: [],
          reasons: [],
        });
        assert.ok(
          steps.some((x) => x.kind === 'throttle_account' && x.status === 'done'),
          JSON.stringify(steps),
        );
        const verdicts: string[] = [];
        let held: { reasons: Array<{ signal: string; en: string; zh: string }> } | undefined;
        for (let i = 1; i <= 4; i++) {
          const r = await post('/v1/check/message', msg(`thr-${i}`, acc.id));
          assert.equal(r.status, 200);
          verdicts.push(String(r.json.verdict));
          if (r.json.verdict === 'hold') held ??= r.json as never;
        }
        assert.deepEqual(verdicts, ['allow', 'allow', 'hold', 'hold'], 'two a minute, then held');
        assert.equal(held!.reasons[0]!.signal, 'throttled');
        assert.match(held!.reasons[0]!.zh, /每分钟最多 2 条/);
        assert.ok(held!.reasons[0]!.en.length > 0);
        // another account is not affected
        const other = await post('/v1/check/message', msg('thr-other', `not-${acc.id}`));
        assert.equal(other.json.verdict, 'allow');
      });

      test('campaigns: accounts breaking their habits with the same link text form a campaign; list and get it', async () => {
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
              text: '免费领取游戏皮肤，登录验证账号 http://qq-gift.top/l',
              client: { kind: 'bot', name: 'autoclick', version: '1' },
            }),
          );
        const r = await post('/v1/events', { events });
        assert.equal(r.json.accepted, events.length);
        const list = await until(async () => {
          const c = await get('/v1/campaigns');
          return (c.json.campaigns as unknown[]).length > 0
            ? (c.json.campaigns as Array<{ id: string; memberCount: number }>)
            : undefined;
        }, 'a campaign');
        assert.ok(list[0]!.memberCount >= 5);
        const one = await get(`/v1/campaigns/${list[0]!.id}`);
        assert.equal(one.status, 200);
        assert.equal(one.json.id, list[0]!.id);
        const q = await post(`/v1/campaigns/${list[0]!.id}/status`, { status: 'quarantined' }, writeKey);
        assert.equal(q.status, 200);
        assert.equal(q.json.status, 'quarantined');
        assert.equal(
          (await post(`/v1/campaigns/${list[0]!.id}/status`, { status: 'quarantined' })).status,
          403,
        );
        const none = await get('/v1/campaigns/cmp_nope');
        assert.equal(none.status, 404);
        assert.equal(none.json.code, 'CAMPAIGN_NOT_FOUND');
        // the event log serves the response part (MessageLog) and the engine its controls (EngineControl)
        const log: MessageLog = gh.engine.messageLog;
        const control: EngineControl = gh.engine.control;
        const sent = await log.sentBy('camp5', { since: 0, limit: 100 });
        assert.equal(sent.length, 26);
        assert.deepEqual(sent.at(-1)!.recipients, ['s1', 's2', 's3', 's4']);
        assert.ok((await log.compromiseStart('camp5', undefined, Date.now())) <= Date.now());
        control.quarantine('d:qq-gift.top');
        // decisions are persisted by the consumer after the campaign forms in memory: wait for them
        const ds = await until(async () => {
          const risk = await get('/v1/accounts/camp5/risk');
          const d = risk.json.decisions as Array<{ action: string; signals: Array<{ name: string }> }>;
          return d.length > 0 ? d : undefined;
        }, "camp5's decisions");
        assert.ok(ds[0]!.signals.length > 0);
      });

      test('identity sign-ins join the engine stream', async () => {
        const ctx = { ip: '198.51.100.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' };
        const acc = await gh.identity.createAccount(
          { handle: 'engine.carol', password: 'a long enough passphrase 9' },
          ctx,
        );
        await gh.identity.signIn({ handle: 'engine.carol', password: 'a long enough passphrase 9' }, ctx);
        const r = await until(async () => {
          const x = await get(`/v1/accounts/${acc.id}/risk`);
          const st = x.json.state as { lastSession: { network: string } | null } | null;
          return st?.lastSession ? st : undefined;
        }, 'the sign-in to reach the engine');
        assert.equal(r.lastSession!.network, '198.51.100.0/24');
      });

      test('SDK EventsClient batches, retries and reports rejections; close() flushes', async () => {
        const rejected: string[] = [];
        const c = new EventsClient({
          baseUrl: url,
          apiKey: key,
          batchSize: 50,
          flushIntervalMs: 20,
          onRejected: (r) => rejected.push(...r.map((x) => String(x.result.reason))),
        });
        for (let i = 0; i < 120; i++) await c.send(msg(`sdk-${i}`, 'dave') as never);
        await c.send({ id: 'sdk-bad', type: 'friend.added', time: Date.now(), account: 'dave' } as never);
        await c.close();
        assert.equal(c.stats.accepted, 120);
        assert.deepEqual(rejected, ['invalid_event']);
        const check = await new EventsClient({ baseUrl: url, apiKey: key }).checkMessage(
          msg('sdk-chk', 'dave') as never,
        );
        assert.equal(check.verdict, 'allow');
      });

      test('durability: acknowledged events and engine state survive a restart', async () => {
        const r = await post('/v1/events', { events: [msg('dur-1', 'erin'), msg('dur-2', 'erin')] });
        assert.equal(r.json.accepted, 2);
        await gh.close();
        await boot();
        const risk = await get('/v1/accounts/erin/risk');
        assert.equal(risk.status, 200);
        const ids = (risk.json.events as Array<{ id: string }>).map((e) => e.id);
        assert.ok(ids.includes('dur-1') && ids.includes('dur-2'));
        const st = risk.json.state as { profile: { messages: number } };
        assert.equal(st.profile.messages, 2);
        // and the same ids are still duplicates
        const again = await post('/v1/events', { events: [msg('dur-1', 'erin')] });
        assert.equal(again.json.duplicates, 1);
      });
    });

    describe('storage', () => {
      test('odd text is stored or rejected cleanly, the consumer persists decisions, replay rebuilds the state', async () => {
        const send = async (events: unknown[]) =>
          (await post('/v1/events', { events })).json as {
            accepted: number;
            duplicates: number;
            results: Array<{ status: string; reason?: string }>;
          };
        const spam = { text: '澳门首家线上赌场 百家乐 https://bet-888.com/x' };
        const odd = await send([
          msg('st-nul\u0000', 'stacct'),
          msg('st-text-nul', 'stacct', { text: 'a\u0000b \ud800' }),
        ]);
        assert.deepEqual(
          odd.results.map((r) => `${r.status}:${r.reason ?? ''}`),
          ['rejected:invalid_event', 'accepted:'],
        );
        const a = await send([
          msg('st-1', 'stacct'),
          msg('st-2', 'stacct', spam),
          msg('st-1', 'stacct'),
          msg('st-3', 'stacct', { time: Date.now() + 86_400_000 }),
        ]);
        assert.deepEqual(
          a.results.map((r) => r.status),
          ['accepted', 'accepted', 'duplicate', 'rejected'],
        );
        const b = await send([msg('st-2', 'stacct')]);
        assert.equal(b.duplicates, 1);
        await gh.engine.drain();
        const risk = await gh.engine.accountRisk('stacct');
        assert.equal(risk.events.length, 3);
        assert.ok(risk.decisions.some((d) => d.eventId === 'st-2'));
        // one clock reading for both views: decayed figures must not differ by the replay's duration
        const at = Date.now();
        const before = JSON.stringify(gh.engine.engine.accountRisk('stacct', at)?.profile);
        const r = await gh.engine.replayAll();
        assert.ok(r.events >= 3);
        assert.equal(JSON.stringify(gh.engine.engine.accountRisk('stacct', at)?.profile), before);
      });
    });

    describe('crash recovery', () => {
      test('without a snapshot the state is rebuilt from the log, pre-send checks included', async () => {
        const c1 = await post('/v1/check/message', msg('crash-chk-1', 'frank'));
        assert.equal(c1.status, 200);
        await post('/v1/events', { events: [msg('crash-1', 'frank')] });
        await gh.close();
        rmSync(join(config.dataDir, 'engine', 'snapshot.json.gz'), { force: true });
        await boot();
        const risk = await get('/v1/accounts/frank/risk');
        const st = risk.json.state as { profile: { messages: number } };
        assert.equal(st.profile.messages, 2);
      });
    });
  });
}
