import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatehouseClient } from './client.ts';

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
