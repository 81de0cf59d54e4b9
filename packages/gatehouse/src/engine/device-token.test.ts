// Over HTTP, on SQLite and PostgreSQL: the engine knows a device by the device token Gatehouse gave it
// at sign-in, not by its user-agent label. An intruder who holds the password and copies the owner's
// browser string exactly, from the owner's own network, is still a new device to the engine (the
// signal device_new: a riskier session); the owner's app, sending its token back, is not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeBackends } from '../testing/backends.ts';
import { testGatehouse } from '../testing/index.ts';
import { identityFromBus } from './identity-events.ts';

const UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36';
const PASSWORD = 'tangerine umbrella 8431 quietly folds';

describeBackends('the engine knows a device by its token', (backend) => {
  test('the owner’s browser string from the owner’s network, without the device token, is a new device', async () => {
    const { gh, cleanup } = await testGatehouse(backend);
    try {
      const url = await gh.listen();
      const key = (await gh.keys.create('platform', ['events:write', 'accounts:read'])).key;
      const call = async (path: string, body: unknown, ip: string, auth?: string) => {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': UA,
            'x-forwarded-for': ip,
            ...(auth ? { authorization: `Bearer ${auth}` } : {}),
          },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const created = await call('/v1/accounts', { handle: 'mei', password: PASSWORD }, '198.51.100.10');
      assert.equal(created.status, 201);
      const account = created.body.id as string;
      const signIn = (ip: string, deviceToken?: string) =>
        call(
          '/v1/auth/signin',
          { handle: 'mei', password: PASSWORD, mode: 'token', ...(deviceToken ? { deviceToken } : {}) },
          ip,
        );
      const first = await signIn('198.51.100.10');
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const deviceToken = first.body.deviceToken as string;
      assert.match(deviceToken, /^ghd_/);
      const lastSession = async () => {
        const res = await fetch(`${url}/v1/accounts/${account}/risk`, {
          headers: { authorization: `Bearer ${key}` },
        });
        assert.equal(res.status, 200);
        return ((await res.json()) as { state: { lastSession: Record<string, unknown> } }).state.lastSession;
      };
      const check = async (id: string, session: string) => {
        const r = await call(
          '/v1/check/message',
          {
            id,
            account,
            session,
            recipients: ['friend-1'],
            text: 'are you free for lunch tomorrow?',
            client: { kind: 'mobile', name: 'Chat', version: '3.1' },
          },
          '198.51.100.10',
          key,
        );
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r.body.risk as number;
      };

      // the owner's app again, its token sent back: the device it has always been
      const owner = await signIn('198.51.100.10', deviceToken);
      assert.equal(owner.status, 200);
      assert.equal(owner.body.deviceToken, undefined, 'a known device keeps its token');
      const ownerSession = (owner.body.session as { id: string }).id;
      let s = await lastSession();
      assert.equal(s.id, ownerSession);
      assert.equal(s.deviceNew, false);
      const ownerRisk = await check('owner-msg', ownerSession);

      // the intruder: the password, the same browser string, the owner's own /24 — but no token
      const intruder = await signIn('198.51.100.77');
      assert.equal(intruder.status, 200, JSON.stringify(intruder.body));
      const intruderSession = (intruder.body.session as { id: string }).id;
      s = await lastSession();
      assert.equal(s.id, intruderSession);
      assert.equal(s.networkNew, false, 'the same network');
      assert.equal(s.deviceNew, true, 'a device never seen, whatever its browser string says');
      // an allowed message's answer names no signals; its risk is the engine's weighing of them
      const intruderRisk = await check('intruder-msg', intruderSession);
      assert.ok(intruderRisk > ownerRisk, `intruder ${intruderRisk} vs owner ${ownerRisk}`);
    } finally {
      await cleanup();
    }
  });
});

test('identity events: the device token’s id, else the platform’s id, else the label', () => {
  const base = {
    id: 'e1',
    time: 1,
    account: 'a',
    type: 'login.succeeded' as const,
    session: 's',
    method: 'password' as const,
    ip: '198.51.100.1',
    userAgent: UA,
  };
  const id = (device: { id?: string; label: string }) => {
    const ev = identityFromBus({ ...base, device });
    assert.ok(ev && ev.type === 'identity.login.succeeded');
    return ev.device.id;
  };
  assert.equal(id({ id: 'dev_abc', label: 'Chrome on Android' }), 'dev_abc');
  assert.equal(id({ label: 'Chrome on Android' }), 'Chrome on Android');
  assert.equal(id({ label: '' }), 'unknown');
});
