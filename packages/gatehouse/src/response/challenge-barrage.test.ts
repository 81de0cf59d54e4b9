// Over HTTP, on SQLite and PostgreSQL: an intruder with the password signing in again and again (each
// sign-in a decision the engine answers with `challenge`) prompts the owner once, not once per sign-in —
// "was this you?" fatigue is how an owner ends up vouching for an intruder. A held message still gets its
// own challenge, and the owner answers from their own session.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  harness,
  INTRUDER,
  ok,
  OWNER,
  PASSWORD,
  signIn,
  signUp,
  type Harness,
} from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';
import { until } from '../testing/receiver.ts';

const reason = { signal: 'device_new' as const, en: 'a new device', zh: '新设备' };

/** A decision the engine makes on the account's sign-in or message `i`. */
const decide = (
  h: Harness,
  account: string,
  i: number,
  eventType: 'identity.login.succeeded' | 'message.sent' = 'identity.login.succeeded',
) =>
  h.gh.response.handle({
    id: `dec:barrage-${account}-${i}`,
    account,
    session: `ses_barrage_${i}`,
    time: Date.now(),
    action: 'challenge',
    risk: 0.7,
    eventType,
    eventId: `barrage-${account}-${i}`,
    signals: [],
    reasons: [reason],
  });

describeBackends('a sign-in barrage prompts the owner once', (backend) => {
  test('attack over HTTP: the intruder with the password signs in again and again on new devices in a wave from one network; the engine challenges every sign-in, the owner has one prompt, one webhook, and "not me" contains', async () => {
    const h = await harness(backend);
    try {
      const owners = [];
      for (let i = 0; i < 6; i++) {
        const home = { ip: `198.51.${100 + i}.7`, ua: OWNER.ua };
        const a = await signUp(h, `wave.barrage.${backend}.${i}`, home);
        owners.push({ ...a, home, token: await signIn(h, a.handle, home) });
      }
      const from = (i: number) => ({ ip: `203.0.113.${20 + i}`, ua: INTRUDER.ua });
      const signin = (handle: string, i: number) =>
        h.call('POST', '/v1/auth/signin', { body: { handle, password: PASSWORD }, from: from(i) });
      // a wave of new-device sign-ins from one /24, then one account again and again
      for (let i = 0; i < 5; i++) ok(await signin(owners[i]!.handle, i));
      const target = owners[5]!;
      for (let k = 0; k < 8; k++) ok(await signin(target.handle, 5 + k));
      const steps = () =>
        h.gh.store.db
          .selectFrom('response_actions')
          .select('detail')
          .where('account', '=', target.id)
          .where('kind', '=', 'challenge_owner')
          .execute();
      await until(async () => (await steps()).length === 8, 'a challenge step for each challenged sign-in');
      assert.equal((await steps()).filter((x) => x.detail.includes('coalescedWith')).length, 7);
      const owner = { token: target.token, from: target.home };
      const pending = ok(await h.call('GET', '/v1/me/challenges', owner)).json.challenges as Array<{
        id: string;
      }>;
      assert.equal(pending.length, 1);
      const hooks = await h.gh.store.db
        .selectFrom('webhook_messages')
        .select('type')
        .where('type', '=', 'owner.challenge')
        .where('account', '=', target.id)
        .execute();
      assert.equal(hooks.length, 1);
      // the owner's answer to the one prompt still contains the account
      const r = ok(
        await h.call('POST', `/v1/me/challenges/${pending[0]!.id}`, { ...owner, body: { answer: 'not_me' } }),
      );
      assert.equal(r.json.status, 'not_me');
      await until(
        async () => (await h.gh.identity.getAccount(target.id)).state === 'frozen',
        'the account frozen',
      );
    } finally {
      await h.cleanup();
    }
  });

  test('attack: twelve challenged sign-ins in a row give the owner one pending challenge (the rest recorded as coalesced, explained); a held message still gets its own; the owner answers', async () => {
    const h = await harness(backend);
    try {
      const a = await signUp(h, `barrage.${backend}`);
      const token = await signIn(h, a.handle);
      for (let i = 0; i < 12; i++) await decide(h, a.id, i);
      const pending = () =>
        h
          .call('GET', '/v1/me/challenges', { token })
          .then((r) => ok(r).json.challenges as Array<{ id: string }>);
      assert.equal((await pending()).length, 1);
      const actions = ok(await h.call('GET', `/v1/actions?account=${a.id}`, { key: h.op })).json
        .actions as Array<{
        kind: string;
        detail: Record<string, unknown>;
        explanation: { en: string; zh: string };
      }>;
      const asked = actions.filter((x) => x.kind === 'challenge_owner');
      assert.equal(asked.length, 12);
      const coalesced = asked.filter((x) => typeof x.detail.coalescedWith === 'string');
      assert.equal(coalesced.length, 11);
      assert.match(coalesced[0]!.explanation.en, /Did not ask the owner again/);
      assert.ok(coalesced[0]!.explanation.zh.length > 0);
      // one owner.challenge webhook for the platform, not twelve
      const hooks = await h.gh.store.db
        .selectFrom('webhook_messages')
        .select('type')
        .where('type', '=', 'owner.challenge')
        .execute();
      assert.equal(hooks.length, 1);
      // a held message is not a barrage: its challenge is its own
      await decide(h, a.id, 100, 'message.sent');
      const both = await pending();
      assert.equal(both.length, 2);
      // the owner answers from their own session
      for (const c of both)
        assert.equal(
          ok(await h.call('POST', `/v1/me/challenges/${c.id}`, { token, body: { answer: 'was_me' } })).json
            .status,
          'was_me',
        );
      assert.equal((await pending()).length, 0);
    } finally {
      await h.cleanup();
    }
  });
});
