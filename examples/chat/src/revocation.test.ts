/**
 * When Gatehouse ends sessions, the chat ends the chat sessions made with them (issue 10): a revoke-all
 * by the owner, sent by Gatehouse's own dispatcher as `sessions.revoked_all`, ends the intruder's chat
 * session, and `session.revoked` ends the one session it names.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, User, type Env } from './testing.ts';

const INTRUDER_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';

describe('Gatehouse revocations end the chat sessions behind them', () => {
  let env: Env;
  before(async () => {
    env = await startEnv({ registerWebhooks: true });
  });
  after(async () => env?.cleanup());

  const ghToken = (u: User) => env.chat.db.session(decodeURIComponent(u.cookie.split('=')[1]!))!.gh_token!;

  test("the owner's revoke-all in Gatehouse ends the intruder's chat session", async () => {
    const owner = await new User(env.url).signUp('hua.owner', 'Hua');
    await owner.connect();
    // the intruder knows the password and signs in to the chat from another device
    const intruder = new User(env.url);
    intruder.userAgent = INTRUDER_UA;
    await intruder.signIn('hua.owner');
    await intruder.connect();
    assert.equal((await intruder.call('GET', '/api/me')).status, 200);

    // the owner signs out everywhere, at Gatehouse (the chat is not asked)
    const res = await fetch(`${env.ghUrl}/v1/me/sessions/revoke-all`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ghToken(owner)}` },
    });
    assert.equal(res.status, 200, await res.text());

    await intruder.next((f) => f.type === 'signed_out');
    assert.equal((await intruder.call('GET', '/api/me')).status, 401);
    // the owner's own chat session ended with it ("everywhere"); signing in again works
    await owner.next((f) => f.type === 'signed_out');
    await new User(env.url).signIn('hua.owner');
    const types = (await env.gh.webhooks.feed(undefined, 1000)).messages.map((m) => m.type);
    assert.ok(types.includes('sessions.revoked_all'), types.join(','));
    owner.close();
    intruder.close();
  });

  test('ending one Gatehouse session (session.revoked) ends only that chat session', async () => {
    const owner = await new User(env.url).signUp('li.owner', 'Li');
    const intruder = new User(env.url);
    intruder.userAgent = INTRUDER_UA;
    await intruder.signIn('li.owner');
    await intruder.connect();
    const intruderGh = env.chat.db.session(decodeURIComponent(intruder.cookie.split('=')[1]!))!.gh_session!;
    // the owner ends that one session from their own Gatehouse session
    const res = await fetch(`${env.ghUrl}/v1/me/sessions/${intruderGh}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ghToken(owner)}` },
    });
    assert.equal(res.status, 204, await res.text());
    await intruder.next((f) => f.type === 'signed_out');
    assert.equal((await intruder.call('GET', '/api/me')).status, 401);
    assert.equal((await owner.call('GET', '/api/me')).status, 200);
    intruder.close();
  });
});
