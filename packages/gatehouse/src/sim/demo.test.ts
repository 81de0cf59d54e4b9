import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateSync } from 'otplib';
import { consoleSeesDemo } from '../console/demo-browser.ts';
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
    // the relayed QR approval: the phone was warned, the session came on probation, the lure was held
    const qr = demo.qr;
    assert.ok(
      qr.warnings.some((w) => w.signal === 'qr_network_mismatch'),
      JSON.stringify(qr.warnings),
    );
    assert.equal(qr.probation, true, JSON.stringify(qr));
    assert.deepEqual(qr.signals, ['qr_network_mismatch=1']);
    assert.ok(['held', 'blocked'].includes(qr.lure.status), JSON.stringify(qr.lure));
    assert.ok(
      qr.lure.reasons.length > 0 && qr.lure.reasons.every((r) => r.en && r.zh),
      JSON.stringify(qr.lure),
    );
    assert.match(demo.text, /A relayed QR approval, stopped/);
    assert.ok(demo.text.includes(qr.owner.handle));
    for (const u of [demo.urls.chat, demo.urls.gatehouse, demo.urls.openapi]) {
      assert.ok(demo.text.includes(u), u);
      assert.equal((await fetch(u)).status, 200, u);
    }
    const inc = await fetch(demo.urls.incidents, { headers: { authorization: `Bearer ${demo.key}` } });
    assert.equal(inc.status, 200);
    // the printed operator signs in to the web console (password + authenticator code) and sees the
    // demo's incident there
    const op = demo.operator;
    assert.ok(
      demo.text.includes(op.consoleUrl) && demo.text.includes(op.handle) && demo.text.includes(op.password),
    );
    assert.equal((await fetch(op.consoleUrl)).status, 200);
    const gh = demo.stack.gatehouseUrl;
    const signin = await fetch(`${gh}/v1/console/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        handle: op.handle,
        password: op.password,
        code: generateSync({ secret: op.totpSecret, epoch: Math.floor(Date.now() / 1000) }),
      }),
    });
    assert.equal(signin.status, 200, await signin.clone().text());
    const cookie = signin.headers.getSetCookie()[0]!.split(';')[0]!;
    const seen = await fetch(`${gh}/v1/incidents`, { headers: { cookie } });
    assert.equal(seen.status, 200);
    const incidents = ((await seen.json()) as { incidents: unknown[] }).incidents;
    assert.ok(incidents.length > 0, 'the demo incident is visible to the console operator');
    // and in Chromium: the incidents, the first one's timeline and affected accounts
    await consoleSeesDemo(demo);
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

    // A third-party app authorised by a demo person, then switched off by the operator: its next read
    // is refused, and the summary says so in both languages.
    const app = demo.app;
    assert.ok(app, 'the Mini Game step ran');
    assert.deepEqual(Object.keys(app.received).sort(), ['friend_count', 'nickname']);
    assert.deepEqual(app.declined, ['avatar']);
    assert.equal(app.suspension.users, 1);
    assert.ok(app.suspension.grants >= 1 && app.suspension.revoked >= 1, JSON.stringify(app.suspension));
    assert.equal(app.readRefused, true);
    assert.equal(app.signInAgain, 'invalid_client');
    assert.match(demo.text, /A leaky app switched off \/ 一键停用泄露数据的应用/);
    assert.match(demo.text, /Its next read: refused/);
    assert.match(demo.text, /它的下一次读取：被拒绝/);
    assert.ok(demo.text.includes(app.gameUrl) && demo.text.includes(app.suspension.incident));
    // what the summary claims holds at Gatehouse: the game read the player's granted fields, it is
    // suspended with no grant left, and the incident names the player
    const player = await demo.stack.gh.identity.findByHandle(app.person.handle);
    assert.ok(player);
    const reads = await demo.stack.gh.oauth.accessLogOf(player.id, { client: app.app });
    assert.deepEqual(reads[0]?.fields.sort(), ['friend_count', 'nickname']);
    assert.equal((await demo.stack.gh.oauth.registry.get(app.app)).status, 'suspended');
    const left = (await demo.stack.gh.oauth.userApps(player.id)).filter((x) => x.client === app.app);
    assert.deepEqual(left, [], 'no grant of the suspended app is left');
    const incident = await fetch(`${demo.stack.gatehouseUrl}/v1/incidents/${app.suspension.incident}`, {
      headers: { authorization: `Bearer ${demo.key}` },
    });
    assert.equal(incident.status, 200);
    assert.ok(JSON.stringify(await incident.json()).includes(player.id));
    // the printed resume command works (players then authorise the game anew)
    assert.ok(demo.text.includes(`Bearer ${app.operatorKey}`) && demo.text.includes(`${app.app}/resume`));
    const resumed = await fetch(`${demo.stack.gatehouseUrl}/v1/oauth/apps/${app.app}/resume`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.operatorKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'fixed' }),
    });
    assert.equal(resumed.status, 200);
    assert.equal((await demo.stack.gh.oauth.registry.get(app.app)).status, 'active');
    // the chat lists the game under Apps for the signed-in player
    const me = await fetch(`${demo.urls.chat}api/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(app.person),
    });
    assert.equal(me.status, 200);
    assert.deepEqual(
      ((await me.json()) as { apps: Array<{ url: string }> }).apps.map((x) => x.url),
      [app.gameUrl],
    );
  } finally {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
