// Over HTTP, on SQLite and PostgreSQL: an intruder with the password signing in again and again (each
// sign-in a decision the engine answers with `challenge`) prompts the owner once, not once per sign-in —
// "was this you?" fatigue is how an owner ends up vouching for an intruder. A held message still gets its
// own challenge, and the owner answers from their own session.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, ok, signIn, signUp, type Harness } from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';

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
