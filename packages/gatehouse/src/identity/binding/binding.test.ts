// Issue 12 item 7, over HTTP on SQLite and PostgreSQL: a session bound to a non-extractable P-256 key at
// sign-in must prove the key at every refresh. A token copied off the device (malware, a relayed page)
// works until the next refresh and never after it; the device itself refreshes and goes on.
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  harness,
  INTRUDER,
  ok,
  OWNER,
  PASSWORD,
  refused,
  signUp,
  type Harness,
} from '../../recovery/attack-harness.ts';
import { postgresSkip, type Backend } from '../../testing/index.ts';

const subtle = webcrypto.subtle;

async function deviceKey() {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const jwk = await subtle.exportKey('jwk', pair.publicKey);
  return {
    publicKey: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    sign: async (text: string) =>
      Buffer.from(
        await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, Buffer.from(text)),
      ).toString('base64url'),
  };
}

function suite(backend: Backend) {
  describe(`device-bound sessions on ${backend}`, () => {
    let h: Harness;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend, { sessionBindingRefreshMinutes: 10 });
    });
    after(async () => h?.cleanup());

    /** Ends the current proof of the account's bound sessions (as if the refresh interval had passed). */
    const lapse = (account: string) =>
      h.gh.store.db
        .updateTable('sessions')
        .set({ bound_until: Date.now() - 1 })
        .where('account_id', '=', account)
        .execute();

    test('a copied token dies at the next refresh; the device refreshes and goes on', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `bound.${backend}`);
      const device = await deviceKey();
      const r = ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: a.handle, password: PASSWORD, bindingKey: device.publicKey },
        }),
      );
      const token = r.json.token as string;
      const session = r.json.session as { id: string; boundUntil: number };
      assert.ok(session.boundUntil > Date.now() + 9 * 60_000);
      // malware copies the token; both work while the proof holds
      ok(await h.call('GET', '/v1/me', { token }));
      ok(await h.call('GET', '/v1/me', { token, from: INTRUDER }));

      await lapse(a.id);
      refused(await h.call('GET', '/v1/me', { token, from: INTRUDER }), 401, 'SESSION_REFRESH_REQUIRED');
      // the thief asks for a challenge and signs it with a key of its own
      const thief = await deviceKey();
      const c1 = ok(await h.call('POST', '/v1/auth/session/challenge', { token, from: INTRUDER })).json as {
        session: string;
        challenge: string;
      };
      assert.equal(c1.session, session.id);
      refused(
        await h.call('POST', '/v1/auth/session/refresh', {
          token,
          from: INTRUDER,
          body: { signature: await thief.sign(`gatehouse-session-refresh|${c1.session}|${c1.challenge}`) },
        }),
        401,
        'SESSION_BINDING_INVALID',
      );
      refused(await h.call('GET', '/v1/me', { token, from: INTRUDER }), 401, 'SESSION_REFRESH_REQUIRED');

      // the device proves its key
      const c2 = ok(await h.call('POST', '/v1/auth/session/challenge', { token })).json as {
        challenge: string;
      };
      const signature = await device.sign(`gatehouse-session-refresh|${session.id}|${c2.challenge}`);
      const done = ok(await h.call('POST', '/v1/auth/session/refresh', { token, body: { signature } }));
      assert.ok((done.json.boundUntil as number) > Date.now());
      ok(await h.call('GET', '/v1/me', { token }));
      // a recorded refresh cannot be replayed: the challenge was spent
      await lapse(a.id);
      refused(
        await h.call('POST', '/v1/auth/session/refresh', { token, from: INTRUDER, body: { signature } }),
        401,
        'SESSION_BINDING_INVALID',
      );
      refused(await h.call('GET', '/v1/me', { token, from: INTRUDER }), 401, 'SESSION_REFRESH_REQUIRED');
    });

    test('a copied cookie cannot churn challenges: 30 per session per 10 minutes', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `churn.${backend}`);
      const device = await deviceKey();
      const token = ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: a.handle, password: PASSWORD, bindingKey: device.publicKey },
        }),
      ).json.token as string;
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++)
        statuses.push((await h.call('POST', '/v1/auth/session/challenge', { token, from: INTRUDER })).status);
      assert.deepEqual(statuses.slice(0, 30), Array(30).fill(200));
      const last = refused(
        await h.call('POST', '/v1/auth/session/challenge', { token, from: INTRUDER }),
        429,
        'RATE_LIMITED',
      );
      assert.ok(Number(last.headers.get('retry-after')) >= 1);
    });

    test('unbound sessions are unaffected; a bad binding key is a typed error', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `unbound.${backend}`);
      const r = ok(
        await h.call('POST', '/v1/auth/signin', { body: { handle: a.handle, password: PASSWORD } }),
      );
      const token = r.json.token as string;
      assert.equal((r.json.session as { boundUntil: number | null }).boundUntil, null);
      await lapse(a.id);
      ok(await h.call('GET', '/v1/me', { token }));
      refused(await h.call('POST', '/v1/auth/session/challenge', { token }), 401, 'SESSION_BINDING_INVALID');
      refused(
        await h.call('POST', '/v1/auth/signin', {
          body: {
            handle: a.handle,
            password: PASSWORD,
            bindingKey: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' },
          },
          from: OWNER,
        }),
        400,
        'VALIDATION_FAILED',
      );
    });
  });
}

suite('sqlite');
suite('postgres');
