// The replay's Gatehouse in a process of its own: it answers with the simulator's key, and closing it
// stops the process and removes its temporary data directory.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { startSimGatehouseProcess } from './embedded-process.ts';

test('the embedded Gatehouse runs in a child process, answers, and stops when closed', async () => {
  const sim = await startSimGatehouseProcess();
  let closed = false;
  try {
    assert.notEqual(sim.pid, process.pid);
    const r = await fetch(`${sim.url}/v1/check/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sim.key}` },
      body: JSON.stringify({
        id: 'm1',
        account: 'someone',
        recipients: ['friend'],
        text: 'hello',
        client: { kind: 'desktop', name: 'QQ-PC', version: '9.7' },
      }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(((await r.json()) as { verdict: string }).verdict, 'allow');
    assert.ok(existsSync(sim.dataDir));
    await sim.close();
    closed = true;
    assert.throws(() => process.kill(sim.pid, 0), 'the process is gone');
    assert.equal(existsSync(sim.dataDir), false, 'its temporary data directory removed');
  } finally {
    if (!closed) await sim.close();
  }
});
