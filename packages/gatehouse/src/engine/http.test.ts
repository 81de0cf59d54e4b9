// Over real HTTP: event ingestion (idempotency, per-event rejections, bounds, durability across a
// restart), the pre-send check, the risk timeline, campaigns, identity events joining the stream,
// and the SDK's batching EventsClient.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EventsClient } from '@gatehouse/sdk';
import { parseDomainList } from '../content/url/index.ts';
import { loadConfig } from '../config/index.ts';
import { createContentAnalyzer } from './content.ts';
import type { EngineControl, MessageLog } from '../response/index.ts';
import { createGatehouse, type Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { FAST_ARGON2, postgresSkip, tempDir, testConfig } from '../testing/index.ts';

let gh: Gatehouse;
let url: string;
let key: string;
let writeKey: string;
const tmp = tempDir('gatehouse-engine-http-');
const config = () =>
  loadConfig({
    env: {},
    overrides: {
      dataDir: tmp.dir,
      port: 0,
      logLevel: 'silent',
      sqliteSynchronous: 'NORMAL',
      outboxPollMs: 50,
      engineSnapshotSeconds: 0,
      ...FAST_ARGON2,
    },
  });

// the real content parts, with an operator blocklist
const content = createContentAnalyzer({ url: { block: parseDomainList('bet-888.com').list } });

async function boot(): Promise<void> {
  gh = await createGatehouse(config(), { log: createLogger('silent'), engineContent: content });
  url = await gh.listen();
}

before(async () => {
  await boot();
  key = (await gh.keys.create('engine test', ['events:write', 'accounts:read'])).key;
  writeKey = (await gh.keys.create('engine operator', ['accounts:write'])).key;
});
after(async () => {
  await gh?.close();
  tmp.cleanup();
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

async function until<T>(f: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('events over HTTP', () => {
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
        msg('ok-big-text', 'a', { text: '长'.repeat(400_000) }),
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
      'accepted:',
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
    assert.notEqual(bad.json.verdict, 'allow');
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
    assert.equal((await post(`/v1/campaigns/${list[0]!.id}/status`, { status: 'quarantined' })).status, 403);
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
    const risk = await get('/v1/accounts/camp5/risk');
    const ds = risk.json.decisions as Array<{
      action: string;
      signals: Array<{ name: string; logOdds: number }>;
    }>;
    assert.ok(ds.length > 0 && ds[0]!.signals.length > 0);
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

describe('events on PostgreSQL', () => {
  test('ingestion is durable and idempotent, the consumer persists decisions, replay rebuilds the state', async (t) => {
    const skip = await postgresSkip();
    if (skip) return t.skip(skip);
    const { config: pgConfig, cleanup: dropSchema } = await testConfig('postgres', {
      engineSnapshotSeconds: 0,
    });
    const pg = await createGatehouse(pgConfig, { log: createLogger('silent'), engineContent: content });
    const cleanup = async () => {
      await pg.close();
      await dropSchema();
    };
    try {
      const base = await pg.listen();
      const k = (await pg.keys.create('pg', ['events:write', 'accounts:read'])).key;
      const send = (events: unknown[]) =>
        fetch(`${base}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${k}` },
          body: JSON.stringify({ events }),
        }).then(
          (r) =>
            r.json() as Promise<{
              accepted: number;
              duplicates: number;
              results: Array<{ status: string; reason?: string }>;
            }>,
        );
      const spam = { text: '澳门首家线上赌场 百家乐 https://bet-888.com/x' };
      const odd = await send([
        msg('pg-nul\u0000', 'pgacct'),
        msg('pg-text-nul', 'pgacct', { text: 'a\u0000b \ud800' }),
      ]);
      assert.deepEqual(
        odd.results.map((r) => `${r.status}:${r.reason ?? ''}`),
        ['rejected:invalid_event', 'accepted:'],
      );
      const a = await send([
        msg('pg-1', 'pgacct'),
        msg('pg-2', 'pgacct', spam),
        msg('pg-1', 'pgacct'),
        msg('pg-3', 'pgacct', { time: Date.now() + 86_400_000 }),
      ]);
      assert.deepEqual(
        a.results.map((r) => r.status),
        ['accepted', 'accepted', 'duplicate', 'rejected'],
      );
      const b = await send([msg('pg-2', 'pgacct')]);
      assert.equal(b.duplicates, 1);
      await pg.engine.drain();
      const risk = await pg.engine.accountRisk('pgacct');
      assert.equal(risk.events.length, 3);
      assert.ok(risk.decisions.some((d) => d.eventId === 'pg-2'));
      // one clock reading for both views: decayed figures must not differ by the replay's duration
      const at = Date.now();
      const before = JSON.stringify(pg.engine.engine.accountRisk('pgacct', at)?.profile);
      const r = await pg.engine.replayAll();
      assert.equal(r.events, 3);
      assert.equal(JSON.stringify(pg.engine.engine.accountRisk('pgacct', at)?.profile), before);
    } finally {
      await cleanup();
    }
  });
});

describe('crash recovery', () => {
  test('without a snapshot the state is rebuilt from the log, pre-send checks included', async () => {
    const c1 = await post('/v1/check/message', msg('crash-chk-1', 'frank'));
    assert.equal(c1.status, 200);
    await post('/v1/events', { events: [msg('crash-1', 'frank')] });
    await gh.close();
    rmSync(join(tmp.dir, 'engine', 'snapshot.json.gz'), { force: true });
    await boot();
    const risk = await get('/v1/accounts/frank/risk');
    const st = risk.json.state as { profile: { messages: number } };
    assert.equal(st.profile.messages, 2);
  });
});
