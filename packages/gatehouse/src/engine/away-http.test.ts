// Owners away from home, over HTTP on SQLite and PostgreSQL (THREAT_MODEL S26): the owner signs in on
// their own phone (its device token) from a hotel network and greets friends with a card link never
// sent before; the pre-send check weighs none of the new-session rules. The intruder with the password
// on its own device sending a card of its own is held by them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, INTRUDER, ok, OWNER, PASSWORD, signUp, type Harness } from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';
import { until } from '../testing/receiver.ts';

const CARD = '新年快乐！送你一张贺卡 https://www.hometown-cards.cn/c/5e1';

type Answer = { verdict: string; action: string; signals?: Array<{ signal: string }> };

describeBackends('owners away from home (HTTP)', (backend) => {
  test('the owner’s own phone on a hotel network: no new-session rule fires; the intruder on its own device: held by them', async () => {
    const h: Harness = await harness(backend);
    try {
      const handle = `away.${backend}`;
      const a = await signUp(h, handle);
      const home = ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle, password: PASSWORD, mode: 'token' },
          from: OWNER,
        }),
      );
      const device = home.json.deviceToken as string;
      const friends = Array.from({ length: 6 }, (_, i) => `${handle}-f${i}`);
      // a month of ordinary chat from home before the trip (the engine's profile of the account)
      const earlier = 20 * 3_600_000;
      ok(
        await h.call('POST', '/v1/events', {
          key: h.op,
          body: {
            events: Array.from({ length: 14 }, (_, i) => ({
              id: `${handle}-h${i}`,
              type: 'message.sent',
              time: Date.now() - earlier + i * 60_000,
              account: a.id,
              recipients: [friends[i % friends.length]!],
              text: ['晚上吃什么', '到家了', '明天见', '好的'][i % 4]!,
              client: { kind: 'mobile', name: 'QQ', version: '9.0' },
            })),
          },
        }),
      );
      await until(
        async () => (h.gh.engine.engine.accountRisk(a.id)?.profile.messages ?? 0) >= 14 || undefined,
        'the history in the engine',
      );

      /** Signs in from `from` (with the device token when given) and waits for the engine to know it. */
      const signIn = async (from: { ip: string; ua: string }, deviceToken?: string) => {
        const r = ok(
          await h.call('POST', '/v1/auth/signin', {
            body: { handle, password: PASSWORD, mode: 'token', ...(deviceToken ? { deviceToken } : {}) },
            from,
          }),
        );
        const sid = (r.json.session as { id: string }).id;
        await until(
          async () => h.gh.engine.engine.accountRisk(a.id)?.lastSession?.id === sid || undefined,
          'the engine to see the sign-in',
        );
        return sid;
      };
      let n = 0;
      const check = async (session: string, text = CARD) =>
        ok(
          await h.call('POST', '/v1/check/message', {
            key: h.op,
            body: {
              id: `${handle}-m${++n}`,
              account: a.id,
              session,
              recipients: friends.slice(0, 5),
              text,
              client: { kind: 'mobile', name: 'QQ', version: '9.0' },
            },
          }),
        ).json as Answer;
      const names = (x: Answer) => (x.signals ?? []).map((s) => s.signal);
      const ruled = (x: Answer) =>
        names(x).some((s) => ['session_link_spread', 'new_session_burst', 'new_session_money'].includes(s));

      // the owner's own phone at the hotel: a new network, the known device
      const hotel = await signIn({ ip: '192.0.2.77', ua: OWNER.ua }, device);
      const owner = await check(hotel);
      assert.ok(!ruled(owner), JSON.stringify(owner));
      assert.notEqual(owner.action, 'contain', JSON.stringify(owner));
      assert.notEqual(owner.verdict, 'block', JSON.stringify(owner));

      // the intruder: the password, its own device and network, a card link of its own (the owner's
      // card is a site the account has linked now)
      const intruder = await signIn(INTRUDER);
      const lure = await check(intruder, '新年快乐！送你一张贺卡 https://www.newyear-card-gift.cc/c/9');
      assert.notEqual(lure.verdict, 'allow', JSON.stringify(lure));
      assert.ok(names(lure).includes('session_link_spread'), JSON.stringify(lure));
    } finally {
      await h.cleanup();
    }
  });
});
