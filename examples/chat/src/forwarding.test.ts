/**
 * The browser's address reaches Gatehouse: the chat forwards `req.ip` through the SDK (X-Forwarded-For),
 * and with `trustProxy` the chat itself reads it from X-Forwarded-For (behind a proxy, or a simulator).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, User, type Env } from './testing.ts';

async function signinIps(env: Env, id: string): Promise<string[]> {
  const r = await env.gh.identity.signins(id, 10);
  return r.map((s) => s.ip);
}

describe('the client address through the chat', () => {
  describe('chat behind a proxy (trustProxy), Gatehouse trusts the chat', () => {
    let env: Env;
    before(async () => {
      env = await startEnv({ trustProxy: true, gatehouseConfig: { trustProxy: true } });
    });
    after(async () => env?.cleanup());

    test('sign-up and sign-in are recorded with the browser’s address, not the chat server’s', async () => {
      const u = new User(env.url);
      await u.signUp('forwarded', 'F', 'correct horse battery staple 42');
      const intruder = new User(env.url);
      intruder.userAgent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/99.0 Safari/537.36';
      await intruder.call(
        'POST',
        '/api/signin',
        { handle: 'forwarded', password: 'x' },
        {
          'x-forwarded-for': '203.0.113.50',
        },
      );
      const signin = await intruder.call(
        'POST',
        '/api/signin',
        { handle: 'forwarded', password: 'correct horse battery staple 42' },
        { 'x-forwarded-for': '198.51.100.23' },
      );
      assert.equal(signin.status, 200);
      const ips = await signinIps(env, u.id);
      assert.ok(ips.includes('198.51.100.23'), ips.join(','));
      assert.ok(ips.includes('203.0.113.50'), ips.join(','));
      const sessions = await env.gh.identity.listSessions(u.id);
      assert.ok(
        sessions.some((s) => s.ip === '198.51.100.23'),
        JSON.stringify(sessions.map((s) => s.ip)),
      );
    });
  });

  describe('chat without trustProxy', () => {
    let env: Env;
    before(async () => {
      env = await startEnv({ gatehouseConfig: { trustProxy: true } });
    });
    after(async () => env?.cleanup());

    test('a browser cannot choose its own address: the TCP peer is forwarded', async () => {
      const u = new User(env.url);
      await u.call(
        'POST',
        '/api/signup',
        { handle: 'spoofer', password: 'correct horse battery staple 42' },
        { 'x-forwarded-for': '198.51.100.99' },
      );
      const acct = await env.gh.identity.getAccount(
        (await u.call<{ user: { id: string } }>('GET', '/api/me')).body.user.id,
      );
      const ips = await signinIps(env, acct.id);
      assert.ok(ips.length > 0);
      assert.ok(!ips.includes('198.51.100.99'), ips.join(','));
      assert.ok(
        ips.every((ip) => ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1'),
        ips.join(','),
      );
    });
  });
});
