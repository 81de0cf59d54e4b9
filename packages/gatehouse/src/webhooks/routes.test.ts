// The webhook and audit operator routes over HTTP: endpoints, feed paging, replay, scopes, bad input.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FeedClient, GatehouseClient, type GatehouseApiError } from '@gatehouse/sdk';
import type { Gatehouse } from '../gatehouse.ts';
import { fileBackend } from '../testing/backends.ts';
import { testGatehouse } from '../testing/index.ts';

let gh: Gatehouse;
let cleanup: () => Promise<void>;
let url: string;
let writeKey: string;
let readKey: string;
let accountsKey: string;

before(async () => {
  ({ gh, cleanup } = await testGatehouse(fileBackend(import.meta)));
  url = await gh.listen();
  writeKey = (await gh.keys.create('hooks', ['webhooks:read', 'webhooks:write', 'audit:read'])).key;
  readKey = (await gh.keys.create('feed reader', ['webhooks:read'])).key;
  accountsKey = (await gh.keys.create('accounts', ['accounts:read'])).key;
});
after(async () => cleanup?.());

async function call(method: string, path: string, key: string | undefined, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

test('endpoints: add shows the secret once, list never; rotate; remove', async () => {
  const a = await call('POST', '/v1/webhooks/endpoints', writeKey, {
    url: 'https://platform.example/hooks',
    types: ['account.*'],
  });
  assert.equal(a.status, 201);
  const secret = a.json.secret as string;
  const id = (a.json.endpoint as { id: string }).id;
  assert.match(secret, /^whsec_/);
  const l = await call('GET', '/v1/webhooks/endpoints', readKey);
  assert.equal(l.status, 200);
  assert.ok(!JSON.stringify(l.json).includes(secret.slice(6)));
  const r = await call('POST', `/v1/webhooks/endpoints/${id}/rotate`, writeKey);
  assert.equal(r.status, 200);
  assert.notEqual(r.json.secret, secret);
  assert.equal(
    typeof (r.json.endpoint as { previousSecretExpiresAt: number }).previousSecretExpiresAt,
    'number',
  );
  assert.equal((await call('DELETE', `/v1/webhooks/endpoints/${id}`, writeKey)).status, 204);
  assert.equal(
    (await call('GET', `/v1/webhooks/endpoints/${id}`, readKey)).json.code,
    'WEBHOOK_ENDPOINT_NOT_FOUND',
  );
  // Operator changes are audited with the key that made them.
  const audit = await call('GET', `/v1/audit?subject=${id}`, writeKey);
  const entries = audit.json.entries as Array<{ action: string; actor: string }>;
  assert.deepEqual(
    entries.map((e) => e.action),
    ['webhook_endpoint.create', 'webhook_endpoint.rotate', 'webhook_endpoint.remove'],
  );
  assert.match(entries[0]!.actor, /^key:[0-9a-f]{16}$/);
});

test('the pull feed pages in commit order with an opaque cursor; re-reads are idempotent', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++)
    ids.push(
      (
        await gh.webhooks.send({
          type: 'message.release',
          account: `acc_${i}`,
          payload: { message: String(i), account: `acc_${i}` },
        })
      ).id,
    );
  const p1 = await call('GET', '/v1/webhooks/feed?limit=2', readKey);
  assert.equal(p1.status, 200);
  const next1 = p1.json.next as string;
  const p2 = await call('GET', `/v1/webhooks/feed?limit=2&after=${next1}`, readKey);
  const again = await call('GET', `/v1/webhooks/feed?limit=2&after=${next1}`, readKey);
  assert.deepEqual(again.json, p2.json);
  const p3 = await call('GET', `/v1/webhooks/feed?limit=2&after=${p2.json.next as string}`, readKey);
  const p4 = await call('GET', `/v1/webhooks/feed?limit=2&after=${p3.json.next as string}`, readKey);
  const got = [p1, p2, p3].flatMap((p) => (p.json.messages as Array<{ id: string }>).map((m) => m.id));
  assert.deepEqual(got, ids);
  assert.deepEqual(p4.json.messages, []);
  assert.equal(p4.json.next, p3.json.next, 'an empty page keeps the cursor');
  // SDK: FeedClient and the client method read the same feed.
  const feed = new FeedClient({ baseUrl: url, apiKey: readKey });
  const all: string[] = [];
  for await (const { message } of feed.messages(undefined, 2)) all.push(message.id);
  assert.deepEqual(all, ids);
  const client = new GatehouseClient({ baseUrl: url, apiKey: readKey });
  const page = await client.webhookFeed(undefined, 1);
  assert.equal(page.messages[0]!.id, ids[0]);
  assert.deepEqual(page.messages[0]!.data, { message: '0', account: 'acc_0' });
  assert.equal(page.messages[0]!.account, 'acc_0');
});

test('bad input and missing scopes are 4xx problems with stable codes', async () => {
  const cases: Array<[string, string, string | undefined, unknown, number, string]> = [
    ['GET', '/v1/webhooks/feed?after=garbage', readKey, undefined, 400, 'WEBHOOK_CURSOR_INVALID'],
    [
      'GET',
      `/v1/webhooks/feed?after=${Buffer.from('c1_x').toString('base64url')}`,
      readKey,
      undefined,
      400,
      'WEBHOOK_CURSOR_INVALID',
    ],
    ['GET', '/v1/webhooks/feed?limit=0', readKey, undefined, 400, 'VALIDATION_FAILED'],
    ['GET', '/v1/webhooks/feed?limit=abc', readKey, undefined, 400, 'VALIDATION_FAILED'],
    ['GET', '/v1/webhooks/feed?bogus=1', readKey, undefined, 400, 'VALIDATION_FAILED'],
    ['GET', '/v1/webhooks/feed', undefined, undefined, 401, 'API_KEY_INVALID'],
    ['GET', '/v1/webhooks/feed', accountsKey, undefined, 403, 'API_KEY_SCOPE'],
    ['POST', '/v1/webhooks/endpoints', readKey, { url: 'https://x.example' }, 403, 'API_KEY_SCOPE'],
    ['POST', '/v1/webhooks/endpoints', writeKey, { url: 'ftp://x.example/' }, 400, 'WEBHOOK_URL_INVALID'],
    ['POST', '/v1/webhooks/endpoints', writeKey, { url: 'not a url' }, 400, 'WEBHOOK_URL_INVALID'],
    [
      'POST',
      '/v1/webhooks/endpoints',
      writeKey,
      { url: 'https://u:p@x.example/' },
      400,
      'WEBHOOK_URL_INVALID',
    ],
    [
      'POST',
      '/v1/webhooks/endpoints',
      writeKey,
      { url: 'https://x.example', types: ['Bad Type'] },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'POST',
      '/v1/webhooks/endpoints',
      writeKey,
      { url: 'https://x.example', extra: 1 },
      400,
      'VALIDATION_FAILED',
    ],
    ['POST', '/v1/webhooks/endpoints', writeKey, { url: 42 }, 400, 'VALIDATION_FAILED'],
    [
      'POST',
      '/v1/webhooks/endpoints/whe_nope/rotate',
      writeKey,
      undefined,
      404,
      'WEBHOOK_ENDPOINT_NOT_FOUND',
    ],
    ['DELETE', '/v1/webhooks/endpoints/whe_nope', writeKey, undefined, 404, 'WEBHOOK_ENDPOINT_NOT_FOUND'],
    ['POST', '/v1/webhooks/replay', writeKey, {}, 400, 'VALIDATION_FAILED'],
    ['POST', '/v1/webhooks/replay', writeKey, { all: false }, 400, 'VALIDATION_FAILED'],
    ['POST', '/v1/webhooks/replay', writeKey, { messageIds: [] }, 400, 'VALIDATION_FAILED'],
    ['POST', '/v1/webhooks/replay', writeKey, { messageIds: ['msg_nope'] }, 404, 'WEBHOOK_MESSAGE_NOT_FOUND'],
    [
      'POST',
      '/v1/webhooks/replay',
      writeKey,
      { all: true, endpoint: 'whe_nope' },
      404,
      'WEBHOOK_ENDPOINT_NOT_FOUND',
    ],
    ['GET', '/v1/webhooks/dead?limit=5000', readKey, undefined, 400, 'VALIDATION_FAILED'],
    ['GET', '/v1/webhooks/messages/msg_nope', readKey, undefined, 404, 'WEBHOOK_MESSAGE_NOT_FOUND'],
    ['GET', '/v1/audit?after=-1', writeKey, undefined, 400, 'VALIDATION_FAILED'],
    ['GET', '/v1/audit?limit=0', writeKey, undefined, 400, 'VALIDATION_FAILED'],
    ['GET', '/v1/audit', readKey, undefined, 403, 'API_KEY_SCOPE'],
  ];
  for (const [method, path, key, body, status, code] of cases) {
    const r = await call(method, path, key, body);
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.code, code, `${method} ${path}`);
  }
  const raw = await fetch(`${url}/v1/webhooks/endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
    body: '{"url": ',
  });
  assert.equal(raw.status, 400);
});

test('operator actions over HTTP are audited with the key that took them', async () => {
  const { key, view } = await gh.keys.create('ops', ['accounts:write', 'accounts:read']);
  const acc = await gh.identity.createAccount(
    { handle: 'frozen.friend', password: 'a decent passphrase here' },
    { ip: '10.0.0.9', userAgent: 'test' },
  );
  const r = await call('POST', `/v1/accounts/${acc.id}/freeze`, key, { reason: 'hijack suspected' });
  assert.equal(r.status, 200);
  assert.equal(
    (await call('POST', `/v1/accounts/${acc.id}/unfreeze`, key, { reason: 'owner back' })).status,
    200,
  );
  const a = await call('GET', `/v1/audit?subject=${acc.id}`, writeKey);
  assert.deepEqual(
    (a.json.entries as Array<{ action: string; actor: string; data: unknown }>).map((e) => [
      e.action,
      e.actor,
      e.data,
    ]),
    [
      // an operator's freeze is a sanction unless it says otherwise (issue 10), and the entry names it
      ['account.freeze', `key:${view.id}`, { reason: 'hijack suspected', kind: 'sanction' }],
      ['account.unfreeze', `key:${view.id}`, { reason: 'owner back' }],
    ],
  );
  assert.equal((await gh.audit.verify()).ok, true);
});

test('the routes are in the OpenAPI document; webhook metrics are exported', async () => {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /gatehouse_webhook_deliveries_pending \d+/);
  assert.match(metrics, /gatehouse_webhook_attempts_total/);
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  for (const p of [
    '/v1/webhooks/endpoints',
    '/v1/webhooks/feed',
    '/v1/webhooks/replay',
    '/v1/webhooks/dead',
    '/v1/audit',
  ])
    assert.ok(doc.paths[p], p);
});

test('an operator freeze and unfreeze tell the platform (account.frozen / account.unfrozen, zh + en), once per change', async () => {
  const opKey = (await gh.keys.create('operator', ['accounts:write', 'accounts:read'])).key;
  const acc = await new GatehouseClient({ baseUrl: url }).createAccount({
    handle: 'frozen-by-hand',
    password: 'long enough password 1',
  });
  const seen = async () => {
    const out: Array<{ type: string; account?: string; data: Record<string, unknown> }> = [];
    let after = '';
    for (;;) {
      const p = await call('GET', `/v1/webhooks/feed?limit=100${after ? `&after=${after}` : ''}`, readKey);
      const ms = p.json.messages as typeof out;
      out.push(...ms.filter((m) => m.account === acc.id));
      if (ms.length < 100) return out;
      after = p.json.next as string;
    }
  };
  assert.equal(
    (await call('POST', `/v1/accounts/${acc.id}/freeze`, opKey, { reason: 'fraud review' })).status,
    200,
  );
  assert.equal((await call('POST', `/v1/accounts/${acc.id}/freeze`, opKey, { reason: 'again' })).status, 200);
  assert.equal(
    (await call('POST', `/v1/accounts/${acc.id}/unfreeze`, opKey, { reason: 'cleared' })).status,
    200,
  );
  const ms = await seen();
  assert.deepEqual(
    ms.map((m) => m.type),
    ['account.frozen', 'account.unfrozen'],
  );
  assert.equal(ms[0]!.data.reason, 'fraud review');
  assert.equal(ms[0]!.data.by, 'operator');
  const notice = ms[0]!.data.notice as { en: string; zh: string };
  assert.match(notice.en, /fraud review/);
  assert.match(notice.zh, /冻结/);
});

test('unknown webhook types are refused with the valid ones, on add and on update; real types and prefixes work', async () => {
  // the documented typo of issue 20: nothing would ever arrive at such an endpoint
  for (const types of [
    ['messages.retract', 'no.such.type'],
    ['messages.*'],
    ['account.frozen', 'acount.unfrozen'],
  ]) {
    const r = await call('POST', '/v1/webhooks/endpoints', writeKey, {
      url: 'https://platform.example/h',
      types,
    });
    assert.equal(r.status, 400, JSON.stringify(types));
    assert.equal(r.json.code, 'WEBHOOK_TYPE_UNKNOWN');
    assert.ok((r.json.validTypes as string[]).includes('message.retract'));
    assert.ok((r.json.validTypes as string[]).every((t) => !t.includes('*')));
    assert.deepEqual(
      r.json.unknown,
      types.filter((t) => !['account.frozen'].includes(t)),
    );
    assert.match(r.json.detail as string, /valid: .*message\.retract/);
  }
  const listed = (await call('GET', '/v1/webhooks/endpoints', readKey)).json.endpoints as Array<{
    url: string;
  }>;
  assert.ok(!listed.some((e) => e.url === 'https://platform.example/h'), 'nothing was created');
  // the owner's path: real types, prefixes that match real types, everything
  const ok = await call('POST', '/v1/webhooks/endpoints', writeKey, {
    url: 'https://platform.example/h',
    types: ['message.retract', 'account.*', 'recipients.warn'],
  });
  assert.equal(ok.status, 201);
  const id = (ok.json.endpoint as { id: string }).id;
  const bad = await call('PATCH', `/v1/webhooks/endpoints/${id}`, writeKey, { types: ['messages.retract'] });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'WEBHOOK_TYPE_UNKNOWN');
  assert.deepEqual(
    ((await call('GET', `/v1/webhooks/endpoints/${id}`, readKey)).json as { types: string[] }).types,
    ['message.retract', 'account.*', 'recipients.warn'],
    'a refused update changes nothing',
  );
  const upd = await call('PATCH', `/v1/webhooks/endpoints/${id}`, writeKey, {
    types: ['*'],
    description: 'all',
  });
  assert.equal(upd.status, 200);
  assert.deepEqual((upd.json as { types: string[] }).types, ['*']);
  assert.equal((upd.json as { description: string }).description, 'all');
  // a read-only key cannot change it; an unknown endpoint is 404
  assert.equal((await call('PATCH', `/v1/webhooks/endpoints/${id}`, readKey, { types: ['*'] })).status, 403);
  assert.equal(
    (await call('PATCH', '/v1/webhooks/endpoints/whe_nope', writeKey, { types: ['*'] })).json.code,
    'WEBHOOK_ENDPOINT_NOT_FOUND',
  );
  // the SDK sees the same refusal as a typed error
  const sdk = new GatehouseClient({ baseUrl: url, apiKey: writeKey });
  await assert.rejects(
    // @ts-expect-error: the SDK's types refuse the typo at compile time too
    sdk.createWebhookEndpoint({ url: 'https://platform.example/x', types: ['messages.retract'] }),
    (e: GatehouseApiError) => e.code === 'WEBHOOK_TYPE_UNKNOWN' && e.status === 400,
  );
  assert.equal((await call('DELETE', `/v1/webhooks/endpoints/${id}`, writeKey)).status, 204);
});
