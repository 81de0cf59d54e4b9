import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../packages/gatehouse/src/testing/index.ts';
import { startEnv, User, type Env } from './testing.ts';

// A 1x1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe('chat API against a real embedded Gatehouse', () => {
  let env: Env;
  let alice: User;
  let bob: User;
  let carol: User;
  let blocklist: { dir: string; cleanup: () => void };

  before(async () => {
    // the operator's blocklist names the scam site of the test below
    blocklist = tempDir('chat-blocklist-');
    const file = join(blocklist.dir, 'blocklist.txt');
    writeFileSync(file, 'qq-skins.example\n');
    env = await startEnv({ gatehouseConfig: { blocklistFile: file } });
    alice = await new User(env.url).signUp('alice', 'Alice');
    bob = await new User(env.url).signUp('bob', 'Bob');
    carol = await new User(env.url).signUp('carol', 'Carol');
    await Promise.all([alice.connect(), bob.connect(), carol.connect()]);
  });
  after(async () => {
    for (const u of [alice, bob, carol]) u?.close();
    await env?.cleanup();
    blocklist?.cleanup();
  });

  test('sign-up creates the account in Gatehouse and signs in with an HttpOnly cookie', async () => {
    const acct = await env.gh.identity.getAccount(alice.id);
    assert.equal(acct.handle, 'alice');
    const me = await alice.call<{ user: { handle: string; state: string }; csrfToken: string }>(
      'GET',
      '/api/me',
    );
    assert.equal(me.status, 200);
    assert.equal(me.body.user.handle, 'alice');
    assert.equal(me.body.user.state, 'active');
    // the Gatehouse token never reaches the browser
    assert.ok(!JSON.stringify(me.body).includes('ghs_'));
    const res = await fetch(`${env.url}/api/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'alice', password: 'correct horse battery staple 42' }),
    });
    assert.equal(res.status, 200);
    const c = res.headers.getSetCookie().join('\n');
    assert.match(c, /chat_session=/);
    assert.match(c, /HttpOnly/i);
    assert.match(c, /SameSite=Lax/i);
  });

  test('a browser keeps the device token Gatehouse gave it: its next sign-in is the same device to Gatehouse, another browser is not', async () => {
    const handle = 'erin';
    const first = await new User(env.url).signUp(handle, 'Erin');
    assert.match(first.deviceCookie, /^chat_device=ghd_/, 'the first sign-in set the device cookie');
    const deviceOf = async (sessionCookie: string) => {
      const s = env.chat.db.session(sessionCookie.split('=')[1]!)!;
      const row = await env.gh.store.db
        .selectFrom('sessions')
        .select('device')
        .where('id', '=', s.gh_session!)
        .executeTakeFirstOrThrow();
      return (JSON.parse(row.device) as { id?: string }).id;
    };
    const firstDevice = await deviceOf(first.cookie);
    assert.ok(firstDevice, 'Gatehouse recorded a device id, not only the User-Agent label');
    // the same browser signs out and in again: it sends its device cookie, Gatehouse knows the device
    const same = new User(env.url);
    same.deviceCookie = first.deviceCookie;
    await same.signIn(handle);
    assert.equal(same.deviceCookie, first.deviceCookie, 'a known device gets no new token');
    assert.equal(await deviceOf(same.cookie), firstDevice);
    // another browser with the same User-Agent is another device
    const other = await new User(env.url).signIn(handle);
    assert.match(other.deviceCookie, /^chat_device=ghd_/);
    assert.notEqual(other.deviceCookie, first.deviceCookie);
    assert.notEqual(await deviceOf(other.cookie), firstDevice);
    // a forged or malformed device cookie is ignored (not forwarded), the sign-in still works
    const forged = new User(env.url);
    forged.deviceCookie = 'chat_device=not-a-token';
    await forged.signIn(handle);
    assert.match(forged.deviceCookie, /^chat_device=ghd_/);
  });

  test('wrong password is Gatehouse’s error with both languages', async () => {
    const u = new User(env.url);
    const r = await u.call<{ code: string; message: string; messageZh: string }>('POST', '/api/signin', {
      handle: 'alice',
      password: 'wrong password',
    });
    assert.equal(r.status, 401);
    assert.equal(r.body.code, 'INVALID_CREDENTIALS');
    assert.ok(r.body.messageZh);
  });

  test('state-changing requests need the CSRF token; anonymous requests are refused', async () => {
    const anon = new User(env.url);
    assert.equal((await anon.call('GET', '/api/friends')).status, 401);
    const noCsrf = new User(env.url);
    noCsrf.cookie = alice.cookie;
    const r = await noCsrf.call<{ code: string }>('POST', '/api/groups', { name: 'x' });
    assert.equal(r.status, 403);
    assert.equal(r.body.code, 'CSRF_FAILED');
  });

  test('the WebSocket refuses another origin and a missing cookie', async () => {
    const closeCode = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(env.url.replace(/^http/, 'ws') + '/ws', { headers });
        ws.on('close', (code) => resolve(code));
        ws.on('error', () => resolve(-1));
      });
    assert.equal(await closeCode({ cookie: alice.cookie, origin: 'http://evil.example' }), 4003);
    assert.equal(await closeCode({}), 4001);
  });

  test('friends: add by handle, both see each other, bad handle is USER_NOT_FOUND', async () => {
    const r = await alice.call<{ id: string }>('POST', '/api/friends', { handle: 'bob' });
    assert.equal(r.status, 201);
    assert.equal(r.body.id, bob.id);
    await bob.next((f) => f.type === 'friends.changed');
    const bf = await bob.call<{ friends: { id: string }[] }>('GET', '/api/friends');
    assert.deepEqual(
      bf.body.friends.map((f) => f.id),
      [alice.id],
    );
    const bad = await alice.call<{ code: string }>('POST', '/api/friends', { handle: 'nobody' });
    assert.equal(bad.status, 404);
    assert.equal(bad.body.code, 'USER_NOT_FOUND');
  });

  test('direct message with a link and an image is delivered over WebSocket', async () => {
    const up = await alice.call<{ sha256: string; mime: string }>('POST', '/api/uploads', PNG, {
      'content-type': 'image/png',
    });
    assert.equal(up.status, 201);
    assert.match(up.body.sha256, /^[0-9a-f]{64}$/);
    const sent = await alice.call<{ status: string; message: { id: string } }>('POST', '/api/messages', {
      to: { user: bob.id },
      text: 'look at https://example.com/pic, 好看吗？',
      attachments: [up.body.sha256],
    });
    assert.equal(sent.status, 201);
    assert.equal(sent.body.status, 'delivered');
    const f = await bob.next(
      (x) => x.type === 'message' && (x.message as { id: string }).id === sent.body.message.id,
    );
    const m = f.message as { conv: string; text: string; urls: string[]; attachments: { sha256: string }[] };
    assert.equal(m.conv, `dm:${alice.id}`);
    assert.deepEqual(m.urls, ['https://example.com/pic']);
    assert.equal(m.attachments[0]!.sha256, up.body.sha256);
    // bob may fetch the image; carol (not in the conversation) may not
    const img = await fetch(`${env.url}/api/attachments/${up.body.sha256}`, {
      headers: { cookie: bob.cookie },
    });
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await img.arrayBuffer()), PNG);
    const no = await fetch(`${env.url}/api/attachments/${up.body.sha256}`, {
      headers: { cookie: carol.cookie },
    });
    assert.equal(no.status, 404);
    // history
    const h = await bob.call<{ messages: { id: string }[] }>(
      'GET',
      `/api/conversations/${encodeURIComponent(`dm:${alice.id}`)}/messages`,
    );
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.ok(h.body.messages.some((x) => x.id === sent.body.message.id));
  });

  test('a non-image upload is refused', async () => {
    const r = await alice.call<{ code: string }>('POST', '/api/uploads', Buffer.from('not a png'), {
      'content-type': 'image/png',
    });
    assert.equal(r.status, 415);
    assert.equal(r.body.code, 'UNSUPPORTED_IMAGE');
  });

  test('messages only go to friends', async () => {
    const r = await carol.call<{ code: string }>('POST', '/api/messages', {
      to: { user: alice.id },
      text: 'hi',
    });
    assert.equal(r.status, 403);
    assert.equal(r.body.code, 'NOT_FRIENDS');
  });

  test('groups: create, join, group message reaches every member, leave', async () => {
    const g = await alice.call<{ id: string; memberCount: number }>('POST', '/api/groups', {
      name: 'Hiking 徒步',
    });
    assert.equal(g.status, 201);
    assert.equal((await bob.call('POST', `/api/groups/${g.body.id}/join`)).status, 200);
    const j = await carol.call<{ memberCount: number }>('POST', `/api/groups/${g.body.id}/join`);
    assert.equal(j.body.memberCount, 3);
    const sent = await bob.call<{ message: { id: string } }>('POST', '/api/messages', {
      to: { group: g.body.id },
      text: 'Saturday at 8?',
    });
    assert.equal(sent.status, 201);
    for (const u of [alice, carol]) {
      const f = await u.next(
        (x) => x.type === 'message' && (x.message as { id: string }).id === sent.body.message.id,
      );
      assert.equal((f.message as { conv: string }).conv, `group:${g.body.id}`);
    }
    assert.equal((await carol.call('POST', `/api/groups/${g.body.id}/leave`)).status, 204);
    const after = await carol.call<{ code: string }>('POST', '/api/messages', {
      to: { group: g.body.id },
      text: 'x',
    });
    assert.equal(after.body.code, 'NOT_MEMBER');
    const members = await alice.call<{ members: { id: string }[] }>(
      'GET',
      `/api/groups/${g.body.id}/members`,
    );
    assert.equal(members.body.members.length, 2);
  });

  test('report a received message; one cannot report a message one did not receive', async () => {
    const sent = await bob.call<{ message: { id: string } }>('POST', '/api/messages', {
      to: { user: alice.id },
      text: 'free game skins here http://skins-free.example',
    });
    const r = await alice.call('POST', `/api/messages/${sent.body.message.id}/report`, { reason: 'scam' });
    assert.equal(r.status, 202);
    const bad = await carol.call('POST', `/api/messages/${sent.body.message.id}/report`, { reason: 'scam' });
    assert.equal(bad.status, 404);
    const badReason = await alice.call('POST', `/api/messages/${sent.body.message.id}/report`, {
      reason: 'ugly',
    });
    assert.equal(badReason.status, 400);
  });

  test('blocking a contact stops their messages; profile change reaches friends', async () => {
    assert.equal((await bob.call('POST', '/api/blocks', { user: alice.id })).status, 204);
    const r = await alice.call<{ code: string }>('POST', '/api/messages', {
      to: { user: bob.id },
      text: 'hello?',
    });
    assert.equal(r.body.code, 'CONTACT_BLOCKED');
    assert.equal((await bob.call('DELETE', `/api/blocks/${alice.id}`)).status, 204);
    const p = await alice.call<{ displayName: string }>('PUT', '/api/me/profile', {
      displayName: 'Alice W.',
    });
    assert.equal(p.body.displayName, 'Alice W.');
    const f = await bob.next((x) => x.type === 'profile' && (x.user as { id: string }).id === alice.id);
    assert.equal((f.user as { displayName: string }).displayName, 'Alice W.');
  });

  test('an account frozen in Gatehouse signs in read-only and cannot send', async () => {
    const dave = await new User(env.url).signUp('dave', 'Dave');
    await dave.call('POST', '/api/friends', { handle: 'alice' });
    await env.gh.identity.freeze(dave.id, 'hijack suspected');
    const again = new User(env.url);
    const r = await again.call<{ user: { state: string }; csrfToken: string }>('POST', '/api/signin', {
      handle: 'dave',
      password: 'correct horse battery staple 42',
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.user.state, 'frozen');
    again.csrf = r.body.csrfToken;
    const s = await again.call<{ code: string }>('POST', '/api/messages', {
      to: { user: alice.id },
      text: 'hi',
    });
    assert.equal(s.status, 403);
    assert.equal(s.body.code, 'ACCOUNT_FROZEN');
    // an unknown handle that is frozen does not get a session
    const bad = await new User(env.url).call('POST', '/api/signin', { handle: 'dave', password: 'nope' });
    assert.equal(bad.status, 401);
  });

  test('Gatehouse received the chat’s events (batched) and its messages (through the pre-send check)', async () => {
    await env.chat.gh.flush();
    // the checks' records reach the event log by group commit, a moment after their answers
    await env.gh.engine.drain();
    const r = await fetch(`${env.ghUrl}/v1/accounts/${alice.id}/risk`, {
      headers: { authorization: `Bearer ${env.apiKey}` },
    });
    assert.equal(r.status, 200);
    const risk = (await r.json()) as {
      events: { id: string; type: string; event: Record<string, unknown> }[];
    };
    const types = new Set(risk.events.map((e) => e.type));
    for (const t of ['friend.added', 'group.joined', 'message.sent', 'message.reported', 'profile.changed'])
      assert.ok(types.has(t), `Gatehouse has no ${t} from alice: ${[...types].join(', ')}`);
    const sent = risk.events.find((e) => e.type === 'message.sent' && (e.event.urls as string[]).length > 0)!;
    assert.equal(sent.id, sent.event.messageId);
    assert.deepEqual(sent.event.client, { kind: 'web', name: 'gatehouse-example-chat', version: '0.1.0' });
    assert.match(String(sent.event.session), /.+/);
  });

  test('a link on the operator blocklist is blocked by the real Gatehouse: 422, never delivered', async () => {
    const r = await alice.call<{ status?: string; code?: string; message?: { id: string } }>(
      'POST',
      '/api/messages',
      { to: { user: bob.id }, text: 'Free game skins here: http://qq-skins.example/login 快来领取' },
    );
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.code, 'MESSAGE_BLOCKED');
    // positive signal: a later ordinary message reaches bob, so the blocked one would have by now
    const after = await alice.call<{ message: { id: string } }>('POST', '/api/messages', {
      to: { user: bob.id },
      text: 'see you at lunch',
    });
    assert.equal(after.status, 201);
    await bob.next((f) => f.type === 'message' && (f.message as { id: string }).id === after.body.message.id);
    assert.ok(!bob.frames.some((f) => f.type === 'message' && /qq-skins/.test(JSON.stringify(f))));
  });

  test('a throttled account is held by the real Gatehouse once past its rate: 202 held, bob gets nothing', async () => {
    const steps = await env.gh.response.handle({
      id: 'dec-chat-throttle',
      account: carol.id,
      session: 'suspect-session',
      time: Date.now(),
      action: 'block',
      risk: 0.98,
      eventType: 'message.sent',
      eventId: 'ev-chat-throttle',
      signals: [],
      reasons: [],
    });
    assert.ok(steps.some((x) => x.kind === 'throttle_account' && x.status === 'done'));
    await carol.call('POST', '/api/friends', { handle: 'bob' });
    const statuses: number[] = [];
    const bodies: Array<{ status?: string; message?: { id: string; state: string } }> = [];
    for (let i = 0; i < 3; i++) {
      const r = await carol.call<{ status?: string; message?: { id: string; state: string } }>(
        'POST',
        '/api/messages',
        { to: { user: bob.id }, text: `ordinary note ${i}` },
      );
      statuses.push(r.status);
      bodies.push(r.body);
    }
    assert.deepEqual(statuses, [201, 201, 202], 'two a minute, then held');
    assert.equal(bodies[2]!.status, 'held');
    const heldId = bodies[2]!.message!.id;
    // bob got the two delivered ones (positive signal) and not the held one
    for (const b of bodies.slice(0, 2))
      await bob.next((f) => f.type === 'message' && (f.message as { id: string }).id === b.message!.id);
    assert.ok(!bob.frames.some((f) => f.type === 'message' && (f.message as { id: string }).id === heldId));
  });

  test('without a webhook secret the webhook endpoint answers 501 and never acts', async () => {
    const r = await fetch(`${env.url}/gatehouse/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'x',
        'webhook-timestamp': '1',
        'webhook-signature': 'v1,x',
      },
      body: JSON.stringify({ type: 'account.frozen', account: alice.id, data: { account: alice.id } }),
    });
    assert.equal(r.status, 501);
    assert.equal(((await r.json()) as { code: string }).code, 'WEBHOOKS_UNAVAILABLE');
    assert.equal((await alice.call<{ user: { state: string } }>('GET', '/api/me')).body.user.state, 'active');
  });

  test('the page and its scripts are served', async () => {
    const r = await fetch(env.url + '/');
    assert.equal(r.status, 200);
    assert.match(await r.text(), /<script type="module" src="\/app.js">/);
    const js = await fetch(env.url + '/app.js');
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
  });
});
