/**
 * The chat's side of the pre-send check: what it does with allow, hold and block answers, and when
 * Gatehouse cannot answer. The answers are scripted (a unit test); sign-in and everything else are real.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckInput, CheckResult } from './gatehouse.ts';
import { startEnv, User, type Env } from './testing.ts';

describe('pre-send check answers', () => {
  let env: Env;
  let alice: User;
  let bob: User;
  let next: CheckResult | Error = { decision: 'allow', reasons: [] };
  const seen: CheckInput[] = [];

  before(async () => {
    env = await startEnv({}, (link) => ({
      ...link,
      capabilities: link.capabilities,
      async check(input) {
        seen.push(input);
        if (next instanceof Error) throw next;
        return next;
      },
    }));
    alice = await new User(env.url).signUp('alice', 'Alice');
    bob = await new User(env.url).signUp('bob', 'Bob');
    await Promise.all([alice.connect(), bob.connect()]);
    await alice.call('POST', '/api/friends', { handle: 'bob' });
  });
  after(async () => {
    alice?.close();
    bob?.close();
    await env?.cleanup();
  });

  test('the check sees the sender, its Gatehouse session, recipients, text, URLs and the client', async () => {
    next = { decision: 'allow', reasons: [] };
    const r = await alice.call<{ message: { id: string } }>('POST', '/api/messages', {
      to: { user: bob.id },
      text: 'see www.example.org/a.',
    });
    assert.equal(r.status, 201);
    const c = seen.at(-1)!;
    assert.equal(c.account, alice.id);
    assert.match(c.session ?? '', /.+/);
    assert.deepEqual(c.recipients, [bob.id]);
    assert.deepEqual(c.urls, ['www.example.org/a']);
    assert.equal(c.messageId, r.body.message.id);
    assert.equal(c.client.kind, 'web');
  });

  test('hold: 202, the sender sees it held, the recipient gets nothing', async () => {
    next = { decision: 'hold', reasons: [{ code: 'burst', en: 'sudden burst', zh: '突然大量发送' }] };
    const r = await alice.call<{ status: string; message: { id: string; state: string } }>(
      'POST',
      '/api/messages',
      {
        to: { user: bob.id },
        text: 'held one',
      },
    );
    assert.equal(r.status, 202);
    assert.equal(r.body.status, 'held');
    assert.equal(r.body.message.state, 'held');
    const conv = (peer: string) => `/api/conversations/${encodeURIComponent(`dm:${peer}`)}/messages`;
    const mine = await alice.call<{ messages: { id: string }[] }>('GET', conv(bob.id));
    assert.ok(mine.body.messages.some((m) => m.id === r.body.message.id));
    const theirs = await bob.call<{ messages: { id: string }[] }>('GET', conv(alice.id));
    assert.ok(!theirs.body.messages.some((m) => m.id === r.body.message.id));
    assert.ok(
      !bob.frames.some((f) => f.type === 'message' && (f.message as { id: string }).id === r.body.message.id),
    );
  });

  test('block: 422 with the reasons in both languages, nothing stored', async () => {
    next = {
      decision: 'block',
      reasons: [{ code: 'lookalike_domain', en: 'link imitates qq.com', zh: '链接仿冒 qq.com' }],
    };
    const r = await alice.call<{ code: string; reasons: { en: string; zh: string }[] }>(
      'POST',
      '/api/messages',
      {
        to: { user: bob.id },
        text: 'login at http://qq-com.example',
      },
    );
    assert.equal(r.status, 422);
    assert.equal(r.body.code, 'MESSAGE_BLOCKED');
    assert.deepEqual(r.body.reasons[0], {
      code: 'lookalike_domain',
      en: 'link imitates qq.com',
      zh: '链接仿冒 qq.com',
    });
    assert.equal(env.chat.db.message(seen.at(-1)!.messageId), undefined);
  });

  test('ACCOUNT_FROZEN from the check freezes the sender here', async () => {
    next = Object.assign(new Error('frozen'), { code: 'ACCOUNT_FROZEN' });
    const r = await bob.call<{ code: string }>('POST', '/api/messages', {
      to: { user: alice.id },
      text: 'x',
    });
    assert.equal(r.body.code, 'ACCOUNT_FROZEN');
    await bob.next((f) => f.type === 'account' && f.state === 'frozen');
  });

  test('Gatehouse unreachable: the message is delivered (fail open)', async () => {
    next = new Error('connect ECONNREFUSED');
    const r = await alice.call<{ status: string; message: { id: string } }>('POST', '/api/messages', {
      to: { user: bob.id },
      text: 'still works',
    });
    assert.equal(r.status, 201);
    await bob.next((f) => f.type === 'message' && (f.message as { id: string }).id === r.body.message.id);
  });
});
