import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { metricsTable } from './metrics.ts';
import { runDemo } from './demo.ts';

test('gatehouse demo (--once): the society through the chat, the summary, and URLs and accounts that work', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-test-'));
  const demo = await runDemo({ dataDir: dir, port: 0, chatPort: 0, accounts: 60, seed: 1, liveSeconds: 3 });
  try {
    const m = demo.result.metrics;
    const table = metricsTable([m]);
    assert.ok(m.detected > 0, table);
    assert.equal(m.benignFrozen, 0, table);
    assert.ok(m.chat, table);
    assert.equal(m.chat.retractedForRecipients, m.chat.intruderMessagesAccepted, table);
    assert.equal(m.chat.stillVisible, 0, table);
    assert.match(demo.text, /Summary \/ 摘要/);
    assert.match(demo.text, /Open \/ 打开/);
    for (const u of [demo.urls.chat, demo.urls.gatehouse, demo.urls.openapi]) {
      assert.ok(demo.text.includes(u), u);
      assert.equal((await fetch(u)).status, 200, u);
    }
    const inc = await fetch(demo.urls.incidents, { headers: { authorization: `Bearer ${demo.key}` } });
    assert.equal(inc.status, 200);
    // The first person printed is a hijacked account: signing in to the chat shows it frozen.
    assert.ok(demo.people.length >= 2, JSON.stringify(demo.people));
    const victim = demo.people[0]!;
    assert.ok(demo.text.includes(victim.handle) && demo.text.includes(victim.password));
    const r = await fetch(`${demo.urls.chat}api/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: victim.handle, password: victim.password }),
    });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { user: { state: string } }).user.state, 'frozen');
  } finally {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
