// Over HTTP on SQLite and PostgreSQL: an intruder's new session (stolen password) cannot sign the owner
// out — not one session, not "everywhere else", not "everywhere", not by changing the password — while
// the owner's older session ends the intruder's at once; a session a day old may end older ones, and a
// passkey the intruder registers and signs in with gains nothing (identity/session-age.ts, THREAT_MODEL S19).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postgresSkip, type Backend } from '../testing/index.ts';
import {
  age,
  harness,
  INTRUDER,
  ok,
  OWNER,
  PASSWORD,
  refused,
  settledOwner,
  signIn,
  type Harness,
} from '../recovery/attack-harness.ts';
import { SoftAuthenticator } from '../recovery/soft-authenticator.ts';

type From = { ip: string; ua: string };

const currentSession = async (h: Harness, token: string, from: From) =>
  (
    ok(await h.call('GET', '/v1/me/sessions', { token, from })).json.sessions as Array<{
      id: string;
      current: boolean;
    }>
  ).find((s) => s.current)!.id;

const alive = async (h: Harness, token: string, from: From) =>
  (await h.call('GET', '/v1/me', { token, from })).status === 200;

function suite(backend: Backend) {
  describe(`a new session cannot sign older ones out, on ${backend}`, () => {
    let h: Harness;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend);
    });
    after(async () => h?.cleanup());

    test('attack: the intruder with the password tries every way to end the owner’s session; the owner ends the intruder’s', async (tt) => {
      if (skip) return tt.skip(skip);
      const owner = await settledOwner(h, `age.owner.${backend}`);
      await age(h, owner.id, 30);
      const ownerSession = await currentSession(h, owner.token, OWNER);

      const it = await signIn(h, owner.handle, INTRUDER);
      // one session
      const one = refused(
        await h.call('DELETE', `/v1/me/sessions/${ownerSession}`, { token: it, from: INTRUDER }),
        403,
        'SESSION_TOO_NEW_TO_END_OTHERS',
      );
      assert.ok(Number((one.json as { allowedAt: number }).allowedAt) > Date.now() + 23 * 3_600_000);
      assert.ok(await alive(h, owner.token, OWNER));
      // "everywhere else": nothing older ends, the answer says so in both languages
      const others = ok(await h.call('POST', '/v1/me/sessions/revoke-others', { token: it, from: INTRUDER }))
        .json as { revoked: number; kept: number; notice: { en: string; zh: string } };
      assert.equal(others.revoked, 0);
      assert.equal(others.kept, 1);
      assert.match(others.notice.en, /stay signed in/);
      assert.match(others.notice.zh, /仍保持登录/);
      assert.ok(await alive(h, owner.token, OWNER));
      // "everywhere": only itself ends
      const all = ok(await h.call('POST', '/v1/me/sessions/revoke-all', { token: it, from: INTRUDER }))
        .json as { revoked: number; kept: number };
      assert.deepEqual([all.revoked, all.kept], [1, 1]);
      assert.ok(!(await alive(h, it, INTRUDER)));
      assert.ok(await alive(h, owner.token, OWNER));
      // a new password: it changes, but the owner's older session stays signed in to see it and act
      const it2 = await signIn(h, owner.handle, INTRUDER);
      const changed = ok(
        await h.call('POST', '/v1/me/password', {
          token: it2,
          from: INTRUDER,
          body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase of mine 77' },
        }),
      ).json as { revoked: number; kept: number };
      assert.deepEqual([changed.revoked, changed.kept], [0, 1]);
      assert.ok(await alive(h, owner.token, OWNER));

      // the owner's own path: the older session ends the intruder's at once
      const itSession = await currentSession(h, it2, INTRUDER);
      ok(await h.call('DELETE', `/v1/me/sessions/${itSession}`, { token: owner.token, from: OWNER }), 204);
      assert.ok(!(await alive(h, it2, INTRUDER)));
      assert.ok(await alive(h, owner.token, OWNER));
    });

    test('a new session ends newer ones at once and older ones a day later', async (tt) => {
      if (skip) return tt.skip(skip);
      const owner = await settledOwner(h, `age.self.${backend}`);
      await age(h, owner.id, 30);
      // a new laptop signs in, then a tablet: the laptop may end the tablet (newer)
      const laptop = await signIn(h, owner.handle, OWNER);
      const tablet = await signIn(h, owner.handle, OWNER);
      const tabletSession = await currentSession(h, tablet, OWNER);
      ok(await h.call('DELETE', `/v1/me/sessions/${tabletSession}`, { token: laptop, from: OWNER }), 204);
      // the old phone session is older: not yet
      const oldSession = await currentSession(h, owner.token, OWNER);
      refused(
        await h.call('DELETE', `/v1/me/sessions/${oldSession}`, { token: laptop, from: OWNER }),
        403,
        'SESSION_TOO_NEW_TO_END_OTHERS',
      );
      // a day later it may
      await h.gh.store.db
        .updateTable('sessions')
        .set((eb) => ({ created_at: eb('created_at', '-', 25 * 3_600_000) }))
        .where('account_id', '=', owner.id)
        .execute();
      const r = ok(
        await h.call('POST', '/v1/me/sessions/revoke-others', { token: laptop, from: OWNER }),
      ).json;
      assert.equal(r.revoked, 1);
      assert.equal(r.kept, undefined);
      assert.ok(!(await alive(h, owner.token, OWNER)));
    });

    test('attack: the intruder registers its own passkey from its fresh session and signs in with it; that session cannot end the owner’s either', async (tt) => {
      if (skip) return tt.skip(skip);
      const owner = await settledOwner(h, `age.passkey.${backend}`);
      await age(h, owner.id, 30);
      const ownerSession = await currentSession(h, owner.token, OWNER);
      // the stolen password: a fresh session, which has just proved the password (a passkey may be added)
      const it = await signIn(h, owner.handle, INTRUDER);
      const o = ok(
        await h.call('POST', '/v1/me/passkeys/options', {
          token: it,
          from: INTRUDER,
          body: { name: 'mine' },
        }),
      ).json as { ceremony: string; options: { challenge: string; rp: { id: string } } };
      const key = new SoftAuthenticator(o.options.rp.id, new URL(h.url).origin);
      ok(
        await h.call('POST', '/v1/me/passkeys', {
          token: it,
          from: INTRUDER,
          body: { ceremony: o.ceremony, credential: key.register(o.options.challenge) },
        }),
        201,
      );
      const po = ok(await h.call('POST', '/v1/auth/passkey/options', { from: INTRUDER })).json as {
        ceremony: string;
        options: { challenge: string };
      };
      const withKey = ok(
        await h.call('POST', '/v1/auth/passkey', {
          body: { ceremony: po.ceremony, credential: key.assert(po.options.challenge) },
          from: INTRUDER,
        }),
      ).json.token as string;
      refused(
        await h.call('DELETE', `/v1/me/sessions/${ownerSession}`, { token: withKey, from: INTRUDER }),
        403,
        'SESSION_TOO_NEW_TO_END_OTHERS',
      );
      const others = ok(
        await h.call('POST', '/v1/me/sessions/revoke-others', { token: withKey, from: INTRUDER }),
      ).json as { kept: number };
      assert.equal(others.kept, 2, 'the owner’s session and the intruder’s own password session, both older');
      assert.ok(await alive(h, owner.token, OWNER));
    });
  });
}

suite('sqlite');
suite('postgres');
