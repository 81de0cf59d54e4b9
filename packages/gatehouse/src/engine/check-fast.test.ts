// The pre-send check answered ahead of Fastify (server/fast-route.ts) answers exactly as the Fastify
// route does: each request below is sent over real HTTP (where the fast route takes what it can) and
// through app.inject (always Fastify), and the two answers must be the same status, headers and body.
// Which of them the fast route took is asserted too, so the comparison cannot pass by never taking one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Gatehouse } from '../gatehouse.ts';
import { testGatehouse } from '../testing/index.ts';

let gh: Gatehouse;
let cleanup: () => Promise<void>;
let url: string;
let key: string;
let readKey: string;

const client = { kind: 'mobile', name: 'QQ', version: '9.0' };
const msg = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  time: Date.now(),
  account: 'acc_fast_route',
  recipients: ['friend-1'],
  text: '今天晚上一起吃饭吗',
  client,
  ...extra,
});

before(async () => {
  ({ gh, cleanup } = await testGatehouse('sqlite', { engineSnapshotSeconds: 0 }));
  url = await gh.listen();
  key = (await gh.keys.create('fast route', ['events:write'])).key;
  readKey = (await gh.keys.create('reader', ['accounts:read'])).key;
  // a key is taken ahead of Fastify once verified (the first request verifies it)
  const r = await send(JSON.stringify(msg('fast-warm')));
  assert.equal(r.status, 200, r.body);
});
after(async () => cleanup?.());

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

const HEADERS = ['content-type', 'content-length', 'x-content-type-options', 'cache-control', 'retry-after'];

async function send(body: string | Buffer, headers: Record<string, string> = {}, path = '/v1/check/message') {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body,
  });
  const h: Record<string, string | undefined> = {};
  for (const k of HEADERS) h[k] = res.headers.get(k) ?? undefined;
  return { status: res.status, headers: h, body: await res.text() };
}

async function inject(body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await gh.app.inject({
    method: 'POST',
    url: '/v1/check/message',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    payload: body,
  });
  const h: Record<string, string | undefined> = {};
  for (const k of HEADERS) {
    const v = res.headers[k];
    h[k] = v === undefined ? undefined : String(v);
  }
  return { status: res.statusCode, headers: h, body: res.body };
}

/**
 * Sends `body` both ways; returns the HTTP answer and whether the fast route took it. The fast route
 * takes a key verified in the last second (keys/ VERIFIED_TTL_MS), so the key is verified just before;
 * on a machine slow enough to let that second pass, the request is sent again (up to three times).
 */
async function both(body: string | Buffer, headers: Record<string, string> = {}, expectFast = true) {
  for (let attempt = 1; ; attempt++) {
    await gh.keys.verify(key, 'events:write');
    const taken = gh.app.fastRoutes!.taken;
    const viaHttp = await send(body, headers);
    const fast = gh.app.fastRoutes!.taken > taken;
    const viaFastify = await inject(body, headers);
    assert.deepEqual(viaHttp, viaFastify, `same answer both ways for ${String(body).slice(0, 80)}`);
    if (fast === expectFast || attempt === 3) return { ...viaHttp, fast };
  }
}

test('a check is answered ahead of Fastify, with the same answer, headers and metrics', async () => {
  // the same message from the same state: a repeated id answers the first answer (duplicate) both ways
  const body = JSON.stringify(msg('fast-1'));
  const first = await send(body);
  assert.equal(first.status, 200);
  const r = await both(body);
  assert.equal(r.fast, true);
  const answer = JSON.parse(r.body) as { id: string; verdict: string; duplicate: boolean };
  assert.equal(answer.id, 'fast-1');
  assert.equal(answer.verdict, 'allow');
  assert.equal(answer.duplicate, true);
  assert.deepEqual(
    { ...(JSON.parse(first.body) as object), duplicate: true },
    JSON.parse(r.body),
    'the first answer, marked duplicate',
  );
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith('gatehouse_http_requests_total{') && l.includes('route="/v1/check/message"'));
  assert.ok(line?.includes('status="200"'), `counted under the route's pattern: ${line}`);
});

test('the engine’s refusals are the same problems, answered ahead of Fastify', async () => {
  const cases: Array<[string, Record<string, unknown>, number, string]> = [
    ['no client', { client: undefined }, 400, 'EVENT_INVALID'],
    ['no recipients', { recipients: [] }, 400, 'EVENT_INVALID'],
    ['too old', { time: Date.now() - 3 * 86_400_000 }, 400, 'EVENT_INVALID'],
    ['wrong type', { type: 'friend.added' }, 400, 'EVENT_INVALID'],
    ['bad id', { id: '' }, 400, 'EVENT_INVALID'],
    ['text too long', { text: 'a'.repeat(1024 * 1024 + 1) }, 413, 'TEXT_TOO_LONG'],
  ];
  for (const [name, extra, status, code] of cases) {
    const r = await both(JSON.stringify(msg(`fast-bad-${name}`, extra)));
    assert.equal(r.fast, true, name);
    assert.equal(r.status, status, `${name}: ${r.body}`);
    assert.equal((JSON.parse(r.body) as { code: string }).code, code, name);
    assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
  }
});

test('a body that is not a JSON object is taken, then answered by Fastify word for word', async () => {
  const cases: Array<[string | Buffer, number, string]> = [
    ['{"id": ', 400, 'INVALID_JSON'],
    [Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 400, 'INVALID_UTF8'],
    ['[1, 2]', 400, 'VALIDATION_FAILED'],
    ['"text"', 400, 'VALIDATION_FAILED'],
    ['null', 400, 'VALIDATION_FAILED'],
    ['{"__proto__": {"x": 1}}', 400, 'INVALID_JSON'],
  ];
  for (const [body, status, code] of cases) {
    const r = await both(body);
    assert.equal(r.fast, true, String(body));
    assert.equal(r.status, status, `${String(body)}: ${r.body}`);
    assert.equal((JSON.parse(r.body) as { code: string }).code, code, String(body));
  }
});

test('what the fast route does not take is Fastify’s: keys, content types, sizes, query strings', async () => {
  const body = JSON.stringify(msg('fast-left'));
  const cases: Array<[string, Record<string, string>, number, string]> = [
    ['no key', { authorization: '' }, 401, 'API_KEY_INVALID'],
    ['unknown key', { authorization: `Bearer ghk_nope_${'x'.repeat(43)}` }, 401, 'API_KEY_INVALID'],
    ['key without the scope', { authorization: `Bearer ${readKey}` }, 403, 'API_KEY_SCOPE'],
    ['text/plain', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ];
  // the reader's key verified first, so it is known in memory and refused for its scope
  await fetch(`${url}/v1/campaigns`, { headers: { authorization: `Bearer ${readKey}` } });
  for (const [name, headers, status, code] of cases) {
    const r = await both(body, headers, false);
    assert.equal(r.fast, false, name);
    assert.equal(r.status, status, `${name}: ${r.body}`);
    assert.equal((JSON.parse(r.body) as { code: string }).code, code, name);
  }
  const big = JSON.stringify(msg('fast-big', { text: 'a'.repeat(2 * 1024 * 1024 + 65 * 1024) }));
  const r = await both(big, {}, false);
  assert.equal(r.fast, false);
  assert.equal(r.status, 413);
  assert.equal((JSON.parse(r.body) as { code: string }).code, 'PAYLOAD_TOO_LARGE');
  await gh.keys.verify(key, 'events:write');
  const taken = gh.app.fastRoutes!.taken;
  const q = await send(JSON.stringify(msg('fast-query')), {}, '/v1/check/message?x=1');
  assert.equal(q.status, 200, q.body);
  assert.equal(gh.app.fastRoutes!.taken, taken, 'a query string goes to Fastify');
});
