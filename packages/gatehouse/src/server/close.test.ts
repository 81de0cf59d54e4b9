// A connection a client opened and never sent a request on (a browser's preconnect, a client's pool)
// must not hold the server's close: Gatehouse cuts it when it closes. With Node's header and request
// timeouts switched off here, the old code waited on such a connection for ever (the test timed out).
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { testGatehouse } from '../testing/index.ts';

test('close() cuts connections that never sent a request, and answers requests on the others first', async () => {
  const { gh, cleanup } = await testGatehouse('sqlite');
  try {
    const url = new URL(await gh.listen());
    gh.app.server.headersTimeout = 0;
    gh.app.server.requestTimeout = 0;
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = connect(Number(url.port), url.hostname, () => resolve(s));
        s.once('error', reject);
      });
    const silent = await Promise.all([open(), open(), open()]);
    const ended = silent.map((s) => once(s, 'close'));
    // the owner's own path: a real request on another connection is still answered
    const health = await fetch(new URL('/healthz', url));
    assert.equal(health.status, 200);
    await gh.close();
    await Promise.all(ended);
    for (const s of silent) assert.equal(s.destroyed, true);
  } finally {
    await cleanup();
  }
});
