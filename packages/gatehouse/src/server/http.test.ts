// Over real HTTP: the identity flow through the SDK, cookies with CSRF, operator keys, health, metrics,
// the OpenAPI document, and bad input on every endpoint (each a 4xx problem with a stable code).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { GatehouseApiError } from '@gatehouse/sdk';
import { GatehouseClient } from '@gatehouse/sdk';
import { ERRORS } from '../errors/index.ts';
import type { Gatehouse } from '../gatehouse.ts';
import { fileBackend } from '../testing/backends.ts';
import { rawRequest } from '../testing/http.ts';
import { testGatehouse } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';

const UA_DESKTOP =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
const UA_PHONE =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';

let gh: Gatehouse;
let cleanup: () => Promise<void>;
let url: string;
let operatorKey: string;
let readOnlyKey: string;

before(async () => {
  ({ gh, cleanup } = await testGatehouse(fileBackend(import.meta), { bodyLimit: 64 * 1024 }));
  url = await gh.listen();
  operatorKey = (await gh.keys.create('test operator', ['accounts:read', 'accounts:write'])).key;
  readOnlyKey = (await gh.keys.create('read only', ['accounts:read'])).key;
});
after(async () => cleanup?.());

async function raw(
  method: string,
  path: string,
  init: { body?: string | Buffer; headers?: Record<string, string> } = {},
) {
  // node:http, not fetch: the fuzz below sends thousands of requests (testing/http.ts)
  const { status, headers, text } = await rawRequest(`${url}${path}`, { method, ...init });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status, headers, json, text };
}

function expectProblem(
  r: { status: number; headers: Headers; json: Record<string, unknown> },
  status: number,
  code: string,
) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${JSON.stringify(r.json)}`);
  assert.equal(r.json.code, code);
  assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(typeof r.json.title, 'string');
  assert.equal(typeof r.json.titleZh, 'string');
}

describe('identity over HTTP', () => {
  test('create an account, sign in on two devices, list and revoke sessions, change password, sign out everywhere', async () => {
    const anon = new GatehouseClient({ baseUrl: url, userAgent: UA_DESKTOP });
    const acc = await anon.createAccount({
      handle: 'li.lei',
      displayName: '李雷',
      password: 'spring festival 2026',
    });
    assert.equal(acc.handle, 'li.lei');

    const desktop = await anon.signIn({ handle: 'li.lei', password: 'spring festival 2026' });
    const phoneAnon = new GatehouseClient({ baseUrl: url, userAgent: UA_PHONE });
    const phone = await phoneAnon.signIn({ handle: 'LI.LEI', password: 'spring festival 2026' });
    const me = anon.withToken(desktop.token);
    assert.equal((await me.me()).id, acc.id);

    const sessions = await me.sessions();
    assert.equal(sessions.length, 2);
    const phoneSession = sessions.find((s) => s.id === phone.session.id)!;
    assert.equal(phoneSession.device.deviceType, 'mobile');
    assert.equal(phoneSession.method, 'password');
    assert.equal(sessions.find((s) => s.current)!.id, desktop.session.id);

    await me.revokeSession(phone.session.id);
    await assert.rejects(
      phoneAnon.withToken(phone.token).me(),
      (e: GatehouseApiError) => e.code === 'SESSION_INVALID' && e.status === 401,
    );
    assert.equal((await me.sessions()).length, 1);

    const third = await anon.signIn({ handle: 'li.lei', password: 'spring festival 2026' });
    assert.equal((await me.revokeOtherSessions()).revoked, 1);
    await assert.rejects(anon.withToken(third.token).me());

    const fourth = await anon.signIn({ handle: 'li.lei', password: 'spring festival 2026' });
    assert.equal((await me.changePassword('spring festival 2026', 'dragon boat festival')).revoked, 1);
    await assert.rejects(anon.withToken(fourth.token).me());
    await me.me();

    const history = await me.signins();
    assert.ok(history.length >= 4);
    assert.ok(history.every((h) => h.success));

    assert.equal((await me.signOutEverywhere()).revoked, 1);
    await assert.rejects(me.me(), (e: GatehouseApiError) => e.code === 'SESSION_INVALID');
    await assert.rejects(
      anon.signIn({ handle: 'li.lei', password: 'spring festival 2026' }),
      (e: GatehouseApiError) => e.code === 'INVALID_CREDENTIALS',
    );
    await anon.signIn({ handle: 'li.lei', password: 'dragon boat festival' });
  });

  test('identity events reach the bus through the outbox', async () => {
    const seen: string[] = [];
    const off = gh.bus.subscribe('*', (e) => {
      if (e.type === 'account.created' && e.handle === 'bus.watcher') seen.push(e.type);
      if (e.type === 'login.succeeded') seen.push(e.type);
    });
    const anon = new GatehouseClient({ baseUrl: url });
    await anon.createAccount({ handle: 'bus.watcher', password: 'watching the bus' });
    await anon.signIn({ handle: 'bus.watcher', password: 'watching the bus' });
    await gh.drainer.drain();
    off();
    assert.ok(seen.includes('account.created'));
    assert.ok(seen.includes('login.succeeded'));
  });

  test('browser sign-in sets an HttpOnly Secure SameSite cookie; state changes need the CSRF token', async () => {
    await new GatehouseClient({ baseUrl: url }).createAccount({
      handle: 'han.meimei',
      password: 'mid autumn moon',
    });
    const r = await raw('POST', '/v1/auth/signin', {
      headers: { 'content-type': 'application/json', 'user-agent': UA_DESKTOP },
      body: JSON.stringify({ handle: 'han.meimei', password: 'mid autumn moon', mode: 'cookie' }),
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.token, undefined);
    const cookies = r.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('__Host-gh_session='))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /Secure/);
    assert.match(session, /SameSite=Lax/);
    assert.match(session, /Path=\//);
    const csrf = r.json.csrfToken as string;
    const cookie = cookies.map((c) => c.split(';')[0]).join('; ');

    assert.equal((await raw('GET', '/v1/me', { headers: { cookie } })).status, 200);
    expectProblem(
      await raw('POST', '/v1/me/sessions/revoke-others', { headers: { cookie } }),
      403,
      'CSRF_FAILED',
    );
    expectProblem(
      await raw('POST', '/v1/me/sessions/revoke-others', { headers: { cookie, 'x-csrf-token': 'forged' } }),
      403,
      'CSRF_FAILED',
    );
    const ok = await raw('POST', '/v1/me/sessions/revoke-others', {
      headers: { cookie, 'x-csrf-token': csrf },
    });
    assert.equal(ok.status, 200);
    expectProblem(
      await raw('GET', '/v1/me', {
        headers: { cookie: '__Host-gh_session=ghs_forgedforgedforgedforgedforgedforgedforged12' },
      }),
      401,
      'SESSION_INVALID',
    );
    const out = await raw('POST', '/v1/auth/signout', { headers: { cookie, 'x-csrf-token': csrf } });
    assert.equal(out.status, 204);
    expectProblem(await raw('GET', '/v1/me', { headers: { cookie } }), 401, 'SESSION_INVALID');
  });

  test('failed sign-ins are rate limited per account with Retry-After', async () => {
    await new GatehouseClient({ baseUrl: url }).createAccount({
      handle: 'target.user',
      password: 'a good long password',
    });
    const body = JSON.stringify({ handle: 'target.user', password: 'guess' });
    for (let i = 0; i < 5; i++)
      expectProblem(
        await raw('POST', '/v1/auth/signin', { headers: { 'content-type': 'application/json' }, body }),
        401,
        'INVALID_CREDENTIALS',
      );
    const limited = await raw('POST', '/v1/auth/signin', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'target.user', password: 'a good long password' }),
    });
    expectProblem(limited, 429, 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });

  test('operator endpoints need a key with the right scope; freeze ends sessions and blocks sign-in', async () => {
    const anon = new GatehouseClient({ baseUrl: url });
    const acc = await anon.createAccount({ handle: 'victim.one', password: 'victim one password' });
    const s = await anon.signIn({ handle: 'victim.one', password: 'victim one password' });
    expectProblem(await raw('GET', `/v1/accounts/${acc.id}`), 401, 'API_KEY_INVALID');
    expectProblem(
      await raw('GET', `/v1/accounts/${acc.id}`, {
        headers: { authorization: 'Bearer ghk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      }),
      401,
      'API_KEY_INVALID',
    );
    const reader = new GatehouseClient({ baseUrl: url, apiKey: readOnlyKey });
    assert.equal((await reader.getAccount(acc.id)).handle, 'victim.one');
    assert.equal((await reader.accountSessions(acc.id)).length, 1);
    await assert.rejects(
      reader.freeze(acc.id, 'test'),
      (e: GatehouseApiError) => e.code === 'API_KEY_SCOPE' && e.status === 403,
    );
    const op = new GatehouseClient({ baseUrl: url, apiKey: operatorKey });
    const frozen = await op.freeze(acc.id, 'hijack: QR relay sign-in then link blast');
    assert.equal(frozen.state, 'frozen');
    await assert.rejects(anon.withToken(s.token).me());
    await assert.rejects(
      anon.signIn({ handle: 'victim.one', password: 'victim one password' }),
      (e: GatehouseApiError) => e.code === 'ACCOUNT_FROZEN',
    );
    assert.equal((await op.unfreeze(acc.id, 'owner verified')).state, 'active');
    await anon.signIn({ handle: 'victim.one', password: 'victim one password' });
    await assert.rejects(op.getAccount('acc_nope'), (e: GatehouseApiError) => e.code === 'ACCOUNT_NOT_FOUND');
  });

  test('health, readiness, metrics and the OpenAPI document', async () => {
    assert.deepEqual((await raw('GET', '/healthz')).json, { status: 'ok' });
    // the earlier tests' work behind the outbox (a freeze's bookkeeping) may still be settling
    // the report of the one answer that said ready (a second call could land on a new backlog)
    let last: unknown;
    const ready = (await until(
      async () => {
        const r = await raw('GET', '/readyz');
        last = r.json;
        return r.status === 200 ? r.json : undefined;
      },
      'ready',
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; the last answer: ${JSON.stringify(last)}`);
    })) as {
      status: string;
      checks: Record<string, { ok: boolean; kind?: string; pendingMigrations?: number }>;
    };
    assert.equal(ready.status, 'ready');
    // each dependency named with its figures: the database, the attempt counters, the response queue
    for (const name of ['counters', 'database', 'response']) assert.ok(ready.checks[name], name);
    assert.ok(Object.values(ready.checks).every((c) => c.ok));
    assert.equal(ready.checks.database!.pendingMigrations, 0);
    // one process on SQLite counts in memory; PostgreSQL (without Redis) in the database
    assert.equal(ready.checks.counters!.kind, fileBackend(import.meta) === 'sqlite' ? 'memory' : 'database');
    // a sign-in of its own for the request metrics (the test passes alone, with a name filter)
    const anon = new GatehouseClient({ baseUrl: url, userAgent: UA_DESKTOP });
    await anon.createAccount({ handle: 'metrics.reader', password: 'lantern river metrics 7' });
    await anon.signIn({ handle: 'metrics.reader', password: 'lantern river metrics 7' });
    const m = await raw('GET', '/metrics');
    assert.match(
      m.text,
      /gatehouse_http_requests_total\{method="POST",route="\/v1\/auth\/signin",status="200"\}/,
    );
    assert.match(m.text, /gatehouse_http_request_duration_seconds_bucket/);
    assert.match(m.text, /gatehouse_dependency_up\{dependency="database"\} 1/);
    // the background lane's queue (core/lane.ts)
    assert.match(m.text, /gatehouse_background_lane_waiting \d+/);
    // the process's own metrics, collected once per process however many servers it builds
    assert.match(m.text, /process_cpu_user_seconds_total/);
    assert.match(m.text, /nodejs_eventloop_lag_seconds/);
    const doc = (await raw('GET', '/openapi.json')).json as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    assert.equal(doc.openapi, '3.1.0');
    for (const p of ['/v1/accounts', '/v1/auth/signin', '/v1/me/sessions', '/v1/accounts/{id}/freeze'])
      assert.ok(p in doc.paths, p);
  });
});

describe('bad input on every endpoint', () => {
  test('specific bad inputs get the right stable code', async () => {
    const json = { 'content-type': 'application/json' };
    expectProblem(
      await raw('POST', '/v1/accounts', { headers: json, body: '{"handle": "x",' }),
      400,
      'INVALID_JSON',
    );
    expectProblem(
      await raw('POST', '/v1/accounts', {
        headers: json,
        body: Buffer.from([0x7b, 0x22, 0x68, 0xff, 0xfe, 0x22, 0x7d]),
      }),
      400,
      'INVALID_UTF8',
    );
    expectProblem(
      await raw('POST', '/v1/accounts', {
        headers: json,
        body: JSON.stringify({ handle: 'abc', password: 'long enough pw', admin: true }),
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await raw('POST', '/v1/accounts', {
        headers: json,
        body: JSON.stringify({ handle: 42, password: ['x'] }),
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await raw('POST', '/v1/accounts', {
        headers: json,
        body: JSON.stringify({ handle: 'x'.repeat(10_000), password: 'long enough pw' }),
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await raw('POST', '/v1/accounts', {
        headers: json,
        body: JSON.stringify({ handle: 'a'.repeat(40_000), password: 'p'.repeat(40_000) }),
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expectProblem(
      await raw('POST', '/v1/accounts', {
        headers: json,
        body: '{"__proto__": {"admin": true}, "handle": "abc", "password": "long enough pw"}',
      }),
      400,
      'INVALID_JSON',
    );
    expectProblem(
      await raw('POST', '/v1/accounts', { headers: { 'content-type': 'text/plain' }, body: 'hello' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectProblem(await raw('POST', '/v1/accounts', { headers: json, body: '' }), 400, 'INVALID_JSON');
    expectProblem(
      await raw('POST', '/v1/accounts', {
        headers: json,
        body: JSON.stringify({ handle: 'has space', password: 'long enough pw' }),
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await raw('POST', '/v1/accounts', {
        headers: json,
        body: JSON.stringify({ handle: 'weakling', password: '123456' }),
      }),
      400,
      'WEAK_PASSWORD',
    );
    expectProblem(await raw('GET', '/v1/me'), 401, 'UNAUTHENTICATED');
    expectProblem(
      await raw('GET', '/v1/me', { headers: { authorization: 'Bearer not-a-token' } }),
      401,
      'SESSION_INVALID',
    );
    expectProblem(
      await raw('GET', '/v1/me', { headers: { authorization: `Bearer ghs_${'A'.repeat(43)}` } }),
      401,
      'SESSION_INVALID',
    );
    // credentials come first: a stranger's bad query is refused as a stranger, not validated
    expectProblem(
      await raw('GET', '/v1/me/signins?limit=abc', {
        headers: { authorization: `Bearer ghs_${'A'.repeat(43)}` },
      }),
      401,
      'SESSION_INVALID',
    );
    const client = new GatehouseClient({ baseUrl: url });
    await client.createAccount({ handle: 'bad.query', password: 'long enough pw 7' });
    const { token } = await client.signIn({ handle: 'bad.query', password: 'long enough pw 7' });
    expectProblem(
      await raw('GET', '/v1/me/signins?limit=abc', { headers: { authorization: `Bearer ${token}` } }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(await raw('GET', '/nowhere'), 404, 'NOT_FOUND');
  });

  test('every documented endpoint answers malformed, mistyped, oversized and unauthenticated requests with a 4xx problem', async () => {
    const doc = (await raw('GET', '/openapi.json')).json as {
      paths: Record<string, Record<string, unknown>>;
    };
    const token = (await new GatehouseClient({ baseUrl: url }).createAccount({
      handle: 'fuzz.user',
      password: 'fuzzing is fun',
    }),
    await new GatehouseClient({ baseUrl: url }).signIn({ handle: 'fuzz.user', password: 'fuzzing is fun' }))
      .token;
    const bodies: Array<string | Buffer> = [
      '{',
      'null',
      '[]',
      '"string"',
      '{"unknown": 1}',
      JSON.stringify({ handle: 1, password: 2, reason: 3, currentPassword: {}, newPassword: [], mode: 'x' }),
      JSON.stringify({ reason: 'x'.repeat(100_000) }),
      Buffer.from([0xc3, 0x28, 0xa0, 0xa1]),
    ];
    const auths: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer garbage' },
      { authorization: `Bearer ${token}` },
      { authorization: `Bearer ${operatorKey}` },
      { cookie: `__Host-gh_session=${token}` },
    ];
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      const concrete = path.replace(/\{[^}]+\}/g, 'zz-not-an-id');
      for (const method of Object.keys(methods)) {
        for (const auth of auths) {
          for (const body of method === 'get' || method === 'delete' ? [undefined] : bodies) {
            const r = await raw(method.toUpperCase(), concrete, {
              headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
              ...(body !== undefined ? { body } : {}),
            });
            assert.ok(
              r.status < 500,
              `${method} ${concrete} ${JSON.stringify(auth)} ${String(body).slice(0, 40)} → ${r.status} ${r.text.slice(0, 200)}`,
            );
            if (r.status >= 400) {
              assert.ok(
                String(r.json.code) in ERRORS,
                `${method} ${concrete}: unknown code ${r.text.slice(0, 200)}`,
              );
            }
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 200, `checked ${checked} requests`);
  });
});
