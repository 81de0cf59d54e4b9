import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatehouseApiError, GatehouseClient } from './client.ts';

/** A fetch that records the request headers and answers with a fixed body. */
function recorder(body: unknown, status = 200) {
  const seen: Array<{ url: string; headers: Record<string, string> }> = [];
  const f = (async (url: string | URL | Request, init?: RequestInit) => {
    seen.push({ url: String(url), headers: { ...(init?.headers as Record<string, string>) } });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { f, seen };
}

test('forwardedFor is sent as X-Forwarded-For with the user agent', async () => {
  const { f, seen } = recorder({ id: 'acc_1', handle: 'a' });
  const c = new GatehouseClient({
    baseUrl: 'http://gh.test/',
    userAgent: 'chat/1',
    forwardedFor: '198.51.100.7',
    fetch: f,
  });
  await c.createAccount({ handle: 'a', password: 'pw pw pw pw' });
  assert.equal(seen[0]!.url, 'http://gh.test/v1/accounts');
  assert.equal(seen[0]!.headers['x-forwarded-for'], '198.51.100.7');
  assert.equal(seen[0]!.headers['user-agent'], 'chat/1');
});

test('onBehalfOf presents the end user and keeps the rest; without an address nothing is forwarded', async () => {
  const { f, seen } = recorder({ account: {}, session: {}, token: 'ghs_x' });
  const base = new GatehouseClient({ baseUrl: 'http://gh.test', userAgent: 'chat/1', fetch: f });
  await base.onBehalfOf({ userAgent: 'Mozilla/5.0 phone', ip: '203.0.113.9' }).signIn({
    handle: 'a',
    password: 'b',
  });
  await base.onBehalfOf({}).signIn({ handle: 'a', password: 'b' });
  await base.signIn({ handle: 'a', password: 'b' });
  assert.equal(seen[0]!.headers['x-forwarded-for'], '203.0.113.9');
  assert.equal(seen[0]!.headers['user-agent'], 'Mozilla/5.0 phone');
  assert.equal(seen[1]!.headers['x-forwarded-for'], undefined);
  assert.equal(seen[1]!.headers['user-agent'], 'chat/1');
  assert.equal(seen[2]!.headers['x-forwarded-for'], undefined);
});

test('an error answer is a GatehouseApiError with the code, the problem and the title in both languages', async () => {
  const { f } = recorder(
    {
      type: 'about:blank',
      title: 'No such webhook type; the answer lists the valid ones',
      titleZh: '没有这种 Webhook 类型；响应中列出了有效类型',
      status: 400,
      code: 'WEBHOOK_TYPE_UNKNOWN',
      validTypes: ['message.retract'],
    },
    400,
  );
  const c = new GatehouseClient({ baseUrl: 'http://gh.test', apiKey: 'ghk_x', fetch: f });
  await assert.rejects(c.webhookEndpoints(), (e: unknown) => {
    assert.ok(e instanceof GatehouseApiError);
    assert.equal(e.code, 'WEBHOOK_TYPE_UNKNOWN');
    assert.deepEqual(e.problem.validTypes, ['message.retract']);
    assert.equal(e.text.zh, '没有这种 Webhook 类型；响应中列出了有效类型');
    return true;
  });
});

test('checkMessage fills id and time, and keeps the caller’s', async () => {
  const { f } = recorder({ id: 'x', verdict: 'allow' });
  const bodies: Array<Record<string, unknown>> = [];
  const spy = (async (url: string | URL | Request, init?: RequestInit) => {
    bodies.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
    return f(url, init);
  }) as typeof fetch;
  const c = new GatehouseClient({ baseUrl: 'http://gh.test', apiKey: 'ghk_x', fetch: spy });
  const msg = { account: 'a', recipients: ['b'], text: 'hi', client: { kind: 'web' as const, name: 'w' } };
  await c.checkMessage(msg);
  await c.checkMessage({ ...msg, id: 'm-1', time: 5 });
  assert.equal(bodies[0]!.type, 'message.sent');
  assert.equal(typeof bodies[0]!.id, 'string');
  assert.equal(typeof bodies[0]!.time, 'number');
  assert.equal(bodies[1]!.id, 'm-1');
  assert.equal(bodies[1]!.time, 5);
});
