import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { GatehouseClient } from '@gatehouse/sdk';
import { createGatehouse } from '../gatehouse.ts';
import { testConfig } from '../testing/index.ts';
import { createLogger, requestLogger } from './index.ts';

test('request logs are structured, one child logger per request, and never hold passwords, tokens or cookies', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const { config, cleanup } = await testConfig('sqlite');
  const gh = await createGatehouse(config, { log: createLogger('trace', sink) });
  try {
    const url = await gh.listen();
    const c = new GatehouseClient({ baseUrl: url });
    await c.createAccount({ handle: 'log.reader', password: 'super secret phrase' });
    const { token } = await c.signIn({ handle: 'log.reader', password: 'super secret phrase' });
    await c.withToken(token).me();
    await fetch(`${url}/v1/me`, { headers: { cookie: `__Host-gh_session=${token}`, 'x-csrf-token': 'abc' } });
    const all = lines.join('\n');
    assert.ok(lines.length > 5);
    for (const l of lines) JSON.parse(l);
    assert.ok(!all.includes('super secret phrase'), 'password leaked into logs');
    assert.ok(!all.includes(token), 'session token leaked into logs');
    const reqIds = new Set(lines.map((l) => JSON.parse(l).reqId).filter(Boolean));
    assert.ok(reqIds.size >= 4, 'each request logs under its own reqId');
  } finally {
    await gh.close();
    await cleanup();
  }
});

test('a silent logger gives each request itself (no child to build); any other level a bound child', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const silent = createLogger('silent', sink);
  assert.equal(requestLogger(silent, { reqId: 'req-1' }, {}), silent);
  const info = createLogger('info', sink);
  const child = requestLogger(info, { reqId: 'req-2' }, {});
  assert.notEqual(child, info);
  child.info({ password: 'hunter2 secret', token: 'ghs_x' }, 'hello');
  const line = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
  assert.equal(line.reqId, 'req-2');
  assert.equal(line.password, '[redacted]');
  assert.equal(line.token, '[redacted]');
});
