import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newWebhookSecret, postWebhook, startEnv, User, type Env } from './testing.ts';

const WARN = {
  en: "This message was sent by someone who took over Alice's account. Do not transfer money or open its links.",
  zh: '这条消息是盗用Alice账号的人发送的。请勿转账，也不要打开其中的链接。',
};
const RETRACTED = { en: 'A message from Alice was withdrawn.', zh: 'Alice 的一条消息已被撤回。' };

describe('webhooks delivered by Gatehouse (outbox, dispatcher, Standard Webhooks signature)', () => {
  let env: Env;
  let alice: User;
  let bob: User;
  let carol: User;

  /** Gatehouse sends a webhook; resolves once the chat has processed it. */
  const send = async (h: Parameters<Env['deliver']>[0]) => {
    await env.deliver(h);
    return true;
  };

  before(async () => {
    env = await startEnv({ registerWebhooks: true });
    assert.ok(env.chat.gh.capabilities.webhooks);
    alice = await new User(env.url).signUp('alice', 'Alice');
    bob = await new User(env.url).signUp('bob', 'Bob');
    carol = await new User(env.url).signUp('carol', 'Carol');
    await Promise.all([alice.connect(), bob.connect(), carol.connect()]);
    await alice.call('POST', '/api/friends', { handle: 'bob' });
  });
  after(async () => {
    for (const u of [alice, bob, carol]) u?.close();
    await env?.cleanup();
  });

  test('retract: recipients see a placeholder; warning: a banner on that conversation; once per webhook id', async () => {
    const sent = await alice.call<{ message: { id: string } }>('POST', '/api/messages', {
      to: { user: bob.id },
      text: 'I am in hospital, transfer me 2000 http://pay.example',
    });
    const id = sent.body.message.id;
    assert.equal(
      await send({
        id: 'w-retract-1',
        type: 'message.retract',
        account: alice.id,
        data: {
          message: id,
          account: alice.id,
          recipients: [bob.id],
          group: null,
          decision: 'dec_1',
          notice: RETRACTED,
        },
      }),
      true,
    );
    const f = await bob.next((x) => x.type === 'message.retracted' && x.id === id);
    assert.equal(f.conv, `dm:${alice.id}`);
    await alice.next((x) => x.type === 'message.retracted' && x.id === id);
    const conv = `/api/conversations/${encodeURIComponent(`dm:${alice.id}`)}/messages`;
    const h = await bob.call<{ messages: { id: string; state: string; text: string; urls: string[] }[] }>(
      'GET',
      conv,
    );
    const m = h.body.messages.find((x) => x.id === id)!;
    assert.equal(m.state, 'retracted');
    assert.equal(m.text, '');
    assert.deepEqual(m.urls, []);

    const warn = {
      id: 'w-warn-1',
      type: 'recipients.warn' as const,
      account: alice.id,
      data: {
        account: alice.id,
        recipients: [bob.id],
        groups: [],
        messages: [id],
        warning: WARN,
        decision: 'dec_1',
      },
    };
    assert.equal(await send(warn), true);
    const w = await bob.next((x) => x.type === 'warning');
    assert.deepEqual(
      { conv: (w.warning as { conv: string }).conv, zh: (w.warning as { zh: string }).zh },
      { conv: `dm:${alice.id}`, zh: WARN.zh },
    );
    // the same webhook again changes nothing
    const replay = await postWebhook(env.url, env.webhookSecret, warn);
    assert.equal(replay.status, 200);
    assert.equal(replay.body.repeat, true);
    const h2 = await bob.call<{ warnings: { en: string }[] }>('GET', conv);
    assert.equal(h2.body.warnings.length, 1);
    assert.equal(h2.body.warnings[0]!.en, WARN.en);
    // the sender gets no warning
    assert.equal((await alice.call<{ warnings: unknown[] }>('GET', '/api/warnings')).body.warnings.length, 0);
  });

  test('retract, a batch: every message the webhook names is withdrawn, not only the first', async () => {
    const ids: string[] = [];
    for (const text of ['first of the blast http://pay.example', 'second of the blast http://pay.example']) {
      const sent = await alice.call<{ message: { id: string } }>('POST', '/api/messages', {
        to: { user: bob.id },
        text,
      });
      ids.push(sent.body.message.id);
    }
    await send({
      id: 'w-retract-batch',
      type: 'message.retract',
      account: alice.id,
      data: {
        message: ids[0]!,
        messages: ids.map((id) => ({ id, recipients: [bob.id], group: null })),
        account: alice.id,
        recipients: [bob.id],
        group: null,
        decision: 'dec_b1',
        decisions: ['dec_b1', 'dec_b2'],
        notice: RETRACTED,
      },
    });
    const conv = `/api/conversations/${encodeURIComponent(`dm:${alice.id}`)}/messages`;
    const h = await bob.call<{ messages: { id: string; state: string }[] }>('GET', conv);
    assert.deepEqual(
      ids.map((id) => h.body.messages.find((m) => m.id === id)?.state),
      ['retracted', 'retracted'],
    );
  });

  test('frozen and unfrozen: the owner sees the state and cannot send while frozen', async () => {
    await send({
      type: 'account.frozen',
      account: bob.id,
      data: {
        account: bob.id,
        by: 'gatehouse',
        kind: 'containment',
        reason: 'url_lookalike',
        reasons: [
          {
            signal: 'url_lookalike',
            en: 'This message links to a site made to look like steam (steamcomunety.com).',
            zh: '这条消息中的链接模仿了 steam（steamcomunety.com）。',
          },
        ],
        decision: 'dec_f',
        notice: { en: 'frozen', zh: '已冻结' },
      },
    });
    const f = await bob.next((x) => x.type === 'account' && x.state === 'frozen');
    assert.equal(f.reason, 'url_lookalike');
    // the plain-words reasons reach the owner live and on every later load of the page
    assert.match(String((f.reasons as Array<{ en: string }>)[0]!.en), /made to look like steam/);
    const me = await bob.call<{ frozenReasons: Array<{ code: string; zh: string }>; appealUrl: string }>(
      'GET',
      '/api/me',
    );
    assert.deepEqual(
      me.body.frozenReasons.map((r) => [r.code, r.zh]),
      [['url_lookalike', '这条消息中的链接模仿了 steam（steamcomunety.com）。']],
    );
    assert.match(me.body.appealUrl, /\/me\/appeal$/);
    const r = await bob.call<{ code: string }>('POST', '/api/messages', {
      to: { user: alice.id },
      text: 'hi',
    });
    assert.equal(r.body.code, 'ACCOUNT_FROZEN');
    assert.equal((await bob.call<{ user: { state: string } }>('GET', '/api/me')).body.user.state, 'frozen');
    await send({
      type: 'account.unfrozen',
      account: bob.id,
      data: {
        account: bob.id,
        by: 'owner',
        reason: 'appeal accepted',
        case: 'case_0',
        notice: { en: 'yours again', zh: '已恢复' },
      },
    });
    await bob.next((x) => x.type === 'account' && x.state === 'active');
    const ok = await bob.call('POST', '/api/messages', { to: { user: alice.id }, text: 'back again' });
    assert.equal(ok.status, 201);
  });

  test('held message: released is delivered, expired is not', async () => {
    const { db } = env.chat;
    const mk = (id: string) =>
      db.insertMessage({
        id,
        conv: `dm:${[alice.id, bob.id].sort().join(':')}`,
        sender: alice.id,
        recipient: bob.id,
        group_id: null,
        text: `held ${id}`,
        urls: '[]',
        attachments: '[]',
        state: 'held',
        created_at: Date.now(),
        retracted_at: null,
      });
    mk('msg_held_1');
    mk('msg_held_2');
    await send({
      type: 'message.release',
      account: alice.id,
      data: { message: 'msg_held_1', account: alice.id },
    });
    await bob.next((x) => x.type === 'message' && (x.message as { id: string }).id === 'msg_held_1');
    await send({
      type: 'message.expire',
      account: alice.id,
      data: { message: 'msg_held_2', account: alice.id },
    });
    const f = await alice.next(
      (x) => x.type === 'message' && (x.message as { id: string }).id === 'msg_held_2',
    );
    assert.equal((f.message as { state: string }).state, 'expired');
    assert.equal(db.message('msg_held_2')!.state, 'expired');
    assert.ok(
      !bob.frames.some((x) => x.type === 'message' && (x.message as { id: string }).id === 'msg_held_2'),
    );
  });

  test('restore: friend re-added, group re-joined, display name restored', async () => {
    const g = await carol.call<{ id: string }>('POST', '/api/groups', { name: 'family' });
    await alice.call('POST', `/api/groups/${g.body.id}/join`);
    await alice.call('POST', `/api/groups/${g.body.id}/leave`);
    await alice.call('DELETE', `/api/friends/${bob.id}`);
    await alice.call('PUT', '/api/me/profile', { displayName: 'FREE SKINS' });

    await send({
      type: 'account.restore',
      account: alice.id,
      data: {
        case: 'case_1',
        account: alice.id,
        window: { start: 0, end: Date.now() },
        friends: [bob.id],
        groups: [g.body.id],
        profile: [{ field: 'displayName', value: 'Alice' }],
      },
    });
    const fr = await alice.call<{ friends: { id: string }[] }>('GET', '/api/friends');
    assert.ok(fr.body.friends.some((f) => f.id === bob.id));
    const gr = await alice.call<{ groups: { id: string }[] }>('GET', '/api/groups');
    assert.ok(gr.body.groups.some((x) => x.id === g.body.id));
    assert.equal(
      (await alice.call<{ user: { displayName: string } }>('GET', '/api/me')).body.user.displayName,
      'Alice',
    );
  });

  test('a group warning reaches every member but the sender; a late hold withdraws a delivered message', async () => {
    const g = await alice.call<{ id: string }>('POST', '/api/groups', { name: 'warned group' });
    await carol.call('POST', `/api/groups/${g.body.id}/join`);
    const sent = await alice.call<{ message: { id: string } }>('POST', '/api/messages', {
      to: { group: g.body.id },
      text: 'top up my phone credit please',
    });
    const id = sent.body.message.id;
    await carol.next((x) => x.type === 'message' && (x.message as { id: string }).id === id);
    await send({
      type: 'message.hold',
      account: alice.id,
      data: {
        message: id,
        account: alice.id,
        expiresAt: 0,
        decision: 'dec_h',
        reasons: [],
        notice: { en: 'held', zh: '已暂缓' },
      },
    });
    const w = await carol.next((x) => x.type === 'message.withdrawn' && x.id === id);
    assert.equal(w.conv, `group:${g.body.id}`);
    const mine = await alice.next(
      (x) =>
        x.type === 'message' &&
        (x.message as { id: string; state: string }).id === id &&
        (x.message as { state: string }).state === 'held',
    );
    assert.ok(mine);
    await send({
      type: 'recipients.warn',
      account: alice.id,
      data: {
        account: alice.id,
        recipients: [],
        groups: [g.body.id],
        messages: [id],
        warning: WARN,
        decision: 'dec_h',
      },
    });
    const cw = await carol.next(
      (x) => x.type === 'warning' && (x.warning as { conv: string }).conv === `group:${g.body.id}`,
    );
    assert.equal((cw.warning as { en: string }).en, WARN.en);
    assert.equal(env.chat.db.warnings(alice.id).length, 0);
    await send({
      type: 'owner.notify',
      account: alice.id,
      data: { account: alice.id, text: { en: 'We froze it', zh: '已冻结' }, decision: null, notice: null },
    });
    const n = await alice.next((x) => x.type === 'notice');
    assert.equal(n.zh, '已冻结');
  });

  test('session revoked: that browser session ends', async () => {
    const dave = await new User(env.url).signUp('dave', 'Dave');
    await dave.connect();
    const s = env.chat.db.session(decodeURIComponent(dave.cookie.split('=')[1]!))!;
    assert.ok(s.gh_session);
    await send({
      type: 'sessions.revoke',
      account: dave.id,
      data: { account: dave.id, scope: 'session', session: s.gh_session, decision: 'dec_2' },
    });
    await dave.next((x) => x.type === 'signed_out');
    assert.equal((await dave.call('GET', '/api/me')).status, 401);
  });

  test('a badly signed or unsigned webhook is refused', async () => {
    const bad = await postWebhook(
      env.url,
      env.webhookSecret,
      { type: 'account.frozen', account: carol.id, data: { reason: 'tampered' } },
      { tamper: true },
    );
    assert.equal(bad.status, 401);
    const other = await postWebhook(env.url, newWebhookSecret(), {
      type: 'account.frozen',
      account: carol.id,
      data: {},
    });
    assert.equal(other.status, 401);
    const old = await postWebhook(
      env.url,
      env.webhookSecret,
      { type: 'account.frozen', account: carol.id, data: {} },
      { timestamp: Date.now() - 3600_000 },
    );
    assert.equal(old.status, 401);
    const none = await fetch(`${env.url}/gatehouse/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"account.frozen","data":{}}',
    });
    assert.equal(none.status, 401);
    assert.equal((await carol.call<{ user: { state: string } }>('GET', '/api/me')).body.user.state, 'active');
  });
});
