// The five steps of docs/integrating.md through the minimal platform, against a real embedded Gatehouse
// and with the platform key holding only the scopes the guide lists: sign-up and sign-in on behalf, a day
// of history reported, the pre-send check, a hijack from another device, the signed webhooks that freeze
// the account, end the intruder's session, retract what was delivered and warn the friends, and the
// owner's appeal through the platform's proxy back to an unfrozen account; and failing open when the
// check does not answer in time.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { EventsClient, events } from '@gatehouse/sdk';
import type { Gatehouse } from '../../../packages/gatehouse/src/gatehouse.ts';
import { testGatehouse } from '../../../packages/gatehouse/src/testing/index.ts';
import { Platform } from './platform.ts';

const SCOPES = [
  'accounts:read',
  'accounts:write',
  'accounts:forward',
  'events:write',
  'webhooks:read',
  'webhooks:write',
  'recovery:write',
] as const;
const PHONE = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';
const INTRUDER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/99.0 Safari/537.36';
const DAY = 86_400_000;

let gh: Gatehouse;
let cleanup: () => Promise<void>;
let platform: Platform;
let url: string;
let ghUrl: string;
let key: string;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function call(method: string, path: string, o: { body?: unknown; token?: string; ua?: string } = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      'user-agent': o.ua ?? PHONE,
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked by the assertions
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, any> };
}

async function until<T>(
  f: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
): Promise<T> {
  const end = Date.now() + 60_000; // generous: CI runs on a loaded machine
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  ({ gh, cleanup } = await testGatehouse('sqlite', {
    webhookRetryBaseMs: 50,
    webhookPollMs: 20,
    signupMaxPerIp: 1000,
  }));
  ghUrl = await gh.listen();
  key = (await gh.keys.create('minimal platform', [...SCOPES])).key;
  const port = await freePort();
  const endpoint = await fetch(`${ghUrl}/v1/webhooks/endpoints`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ url: `http://127.0.0.1:${port}/gatehouse/webhooks` }),
  });
  assert.equal(endpoint.status, 201);
  const { secret } = (await endpoint.json()) as { secret: string };
  platform = new Platform({ gatehouse: ghUrl, apiKey: key, webhookSecrets: [secret], port });
  url = await platform.listen();
});
after(async () => {
  await platform?.close();
  await cleanup?.();
});

test('the five steps: accounts, events, the check, webhooks after a hijack, the owner’s appeal', async () => {
  // 1. accounts, on the users' behalf; the platform keeps Gatehouse's ids
  const password = 'spring rain over the old bridge 2026';
  const owner = (await call('POST', '/signup', { body: { handle: 'zhanghua', password } })).json.id as string;
  assert.match(owner, /^acc_/);
  const friends: string[] = [];
  for (let i = 0; i < 20; i++)
    friends.push(
      (await call('POST', '/signup', { body: { handle: `friend${i}`, password: `${password} ${i}` } })).json
        .id,
    );
  const ownerToken = (await call('POST', '/signin', { body: { handle: 'zhanghua', password } })).json.token;
  const codes = (await call('POST', '/recovery-codes', { token: ownerToken })).json.codes as string[];
  assert.ok(codes.length > 0);
  // …which the owner generated a month ago (Gatehouse counts factors older than the compromise)
  const db = gh.store.db;
  await db
    .updateTable('recovery_codes')
    .set((eb) => ({ created_at: eb('created_at', '-', 30 * DAY) }))
    .execute();
  await db
    .updateTable('recovery_factor_changes')
    .set((eb) => ({ at: eb('at', '-', 30 * DAY), usable_from: eb('usable_from', '-', 30 * DAY) }))
    .execute();

  // 2. events: a friendship through the platform, and a day of history backfilled in time order
  assert.equal(
    (await call('POST', '/friends', { token: ownerToken, body: { handle: 'friend0' } })).status,
    201,
  );
  const history = new EventsClient({ baseUrl: ghUrl, apiKey: key });
  const t0 = Date.now() - 20 * 3_600_000;
  for (const [i, f] of friends.entries())
    await history.send(events.friendAdded({ id: `fa-${i}`, time: t0, account: owner, friend: f }));
  const lines = ['今天晚上一起吃饭吗', '好的，明天见', '我到家了', '周末去爬山吗', '收到，谢谢'];
  for (let i = 0; i < 40; i++)
    await history.send(
      events.messageSent({
        id: `h-${i}`,
        time: t0 + 3_600_000 + i * 25 * 60_000,
        account: owner,
        recipients: [friends[i % 5]!],
        text: lines[i % lines.length]!,
        client: { kind: 'web', name: 'minimal-platform', version: '0.1.0' },
      }),
    );
  await history.close();
  await gh.engine.drain();

  // 3. the check: the owner's ordinary message is allowed and delivered
  const hello = await call('POST', '/messages', {
    token: ownerToken,
    body: { to: ['friend1'], text: '我到家了' },
  });
  assert.deepEqual([hello.status, hello.json.state], [201, 'delivered']);

  // the hijack: an intruder signs in from another device and blasts a phishing link at every friend
  const intruder = (await call('POST', '/signin', { body: { handle: 'zhanghua', password }, ua: INTRUDER }))
    .json.token as string;
  await gh.drainer.drain();
  await gh.engine.drain();
  // a first word that looks like any other passes the check and is delivered…
  const probe = await call('POST', '/messages', {
    token: intruder,
    ua: INTRUDER,
    body: { to: ['friend2'], text: '在吗？' },
  });
  assert.deepEqual([probe.status, probe.json.state], [201, 'delivered']);
  // …then the blast
  const blast = '免费领取Q币和游戏皮肤，扫码登录 http://qq-login-game.com/free 马上到账';
  const states: string[] = [];
  for (let i = 0; i < friends.length; i++) {
    const r = await call('POST', '/messages', {
      token: intruder,
      ua: INTRUDER,
      body: { to: [`friend${i}`], text: blast },
    });
    states.push(r.status === 401 || r.status === 403 ? 'cut-off' : String(r.json.state));
    if (r.status === 401 || r.status === 403) break;
  }
  assert.ok(
    states.some((s) => s !== 'delivered'),
    `every blast was delivered: ${states.join(',')}`,
  );

  // 4. webhooks: the account frozen, the intruder's session ended, what the intruder's session got
  // delivered retracted; what the check stopped was never delivered, and nobody is warned about it
  await until(() => platform.users.get(owner)!.frozen, 'the account frozen by account.frozen');
  await until(
    async () => (await call('GET', '/inbox', { token: intruder })).status === 401,
    'intruder ended',
  );
  await until(
    () => platform.messages.get(probe.json.id)!.state === 'retracted',
    'the delivered probe retracted',
  );
  assert.match(platform.messages.get(probe.json.id)!.notice!.zh!, /撤回|盗/);
  const sent = [...platform.messages.values()].filter((m) => m.text === blast);
  for (const m of sent.filter((x) => x.state !== 'blocked'))
    await until(() => m.state === 'retracted', `delivered blast ${m.id} retracted`);
  assert.ok(
    sent.every((m) => m.state === 'blocked' || m.state === 'retracted'),
    `a blast stayed delivered: ${sent.map((m) => m.state).join(',')}`,
  );
  // the webhooks are all in: everything Gatehouse enqueued was delivered to the platform
  await until(async () => {
    const feed = (await (
      await fetch(`${ghUrl}/v1/webhooks/feed?limit=1000`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as { messages: Array<{ id: string }> };
    return feed.messages.every((m) => platform.applied.has(m.id));
  }, 'every webhook applied');
  // friend2 got the probe: warned; the friends whose blast the check stopped never got one: not warned
  const friend2 = platform.byHandle.get('friend2')!;
  assert.match(friend2.warnings[0]!.zh!, /盗用zhanghua账号/);
  for (const m of sent.filter((x) => x.state === 'blocked'))
    for (const id of m.to)
      if (id !== friend2.id)
        assert.deepEqual(
          platform.users.get(id)!.warnings,
          [],
          `${platform.users.get(id)!.handle} warned about a message it never got`,
        );
  const friendInbox = (
    await call('POST', '/signin', { body: { handle: 'friend1', password: `${password} 1` } })
  ).json;
  const inbox = (await call('GET', '/inbox', { token: friendInbox.token })).json;
  assert.ok(
    inbox.messages.some((m: { text?: string }) => m.text === '我到家了'),
    'the owner’s own message stays',
  );
  assert.ok(!inbox.messages.some((m: { text?: string }) => m.text === blast), 'the blast is gone');
  // a webhook whose signature does not verify changes nothing
  const forged = await fetch(`${url}/gatehouse/webhooks`, {
    method: 'POST',
    headers: {
      'webhook-id': 'msg_forged',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': 'v1,AAAA',
    },
    body: JSON.stringify({ type: 'account.unfrozen', data: { account: owner } }),
  });
  assert.equal(forged.status, 401);
  assert.equal(platform.users.get(owner)!.frozen, true);

  // 5. the owner cannot sign in; the platform opens the appeal and passes its steps through
  assert.notEqual((await call('POST', '/signin', { body: { handle: 'zhanghua', password } })).status, 200);
  const opened = await call('POST', '/appeal', { body: { handle: 'zhanghua' } });
  assert.equal(opened.status, 201, JSON.stringify(opened.json));
  const token = opened.json.token as string;
  const step = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, `/appeal/${path}`, { token, ...(body !== undefined ? { body } : {}) });
    assert.ok(r.status < 300, `${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };
  await step('POST', 'case/verification', { method: 'recovery_code' });
  assert.equal((await step('POST', 'case/verification/answer', { code: codes[0] })).outcome, 'verified');
  const pledge = await step('GET', 'pledge');
  await step('POST', 'case/pledge', { version: pledge.version, accept: true });
  const newPassword = 'a lantern by the quiet harbour 2027';
  await step('POST', 'case/password', { newPassword });
  const review = await step('GET', 'case/sessions');
  const live = (review.sessions as Array<{ id: string; live: boolean }>)
    .filter((s) => s.live)
    .map((s) => s.id);
  await step('POST', 'case/sessions/review', { keep: [], revoke: live });
  const finished = await step('POST', 'case/finish');
  assert.equal(finished.case.state, 'restored');
  assert.equal(finished.report.account.id, owner); // what happened while it was out of the owner's hands
  await until(() => !platform.users.get(owner)!.frozen, 'the account unfrozen by account.unfrozen');
  assert.equal(
    (await call('POST', '/signin', { body: { handle: 'zhanghua', password: newPassword } })).status,
    200,
  );
});

test('fail open: a check that does not answer in time delivers the message and reports it instead', async () => {
  // a slow network in front of Gatehouse: the check answers after 2 s, everything else at once
  const slow = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = async () => {
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(
            ([k, v]) => k !== 'host' && k !== 'content-length' && typeof v === 'string',
          ),
        ) as Record<string, string>;
        const body = Buffer.concat(chunks);
        const r = await fetch(`${ghUrl}${req.url}`, {
          method: req.method!,
          headers,
          ...(body.length ? { body: new Uint8Array(body) } : {}),
        });
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await r.arrayBuffer()));
      };
      if (req.url === '/v1/check/message') setTimeout(() => void forward().catch(() => res.destroy()), 2000);
      else void forward().catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  const slowUrl = `http://127.0.0.1:${(slow.address() as { port: number }).port}`;
  const p = new Platform({ gatehouse: slowUrl, apiKey: key, webhookSecrets: [], checkTimeoutMs: 200 });
  const purl = await p.listen();
  const post = async (path: string, body: unknown, token?: string) => {
    const r = await fetch(`${purl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as Record<string, string> };
  };
  try {
    const password = 'the slow river keeps its own time 88';
    const olga = (await post('/signup', { handle: 'olga', password })).json.id!;
    await post('/signup', { handle: 'pavel', password: `${password} too` });
    const token = (await post('/signin', { handle: 'olga', password })).json.token!;
    const sent = await post('/messages', { to: ['pavel'], text: '晚上见' }, token);
    assert.deepEqual([sent.status, sent.json.state], [201, 'delivered']);
    // …and detection still sees it: the message is in Gatehouse's event log as a reported event
    await until(async () => {
      const risk = await fetch(`${ghUrl}/v1/accounts/${olga}/risk`, {
        headers: { authorization: `Bearer ${key}` },
      });
      if (risk.status !== 200) return false;
      const body = (await risk.json()) as { events: Array<{ id: string }> };
      return body.events.some((e) => e.id === sent.json.id);
    }, 'the delivered message reported');
  } finally {
    await p.close();
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
  }
});
