// Owners away from home, over HTTP on SQLite and PostgreSQL (THREAT_MODEL S26): the owner signs in on
// their own phone (its device token) from a hotel network and greets friends with a card link never
// sent before; the pre-send check weighs none of the new-session rules. The intruder with the password
// on its own device sending a card of its own is held by them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, INTRUDER, OWNER, type Harness } from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';
import { accountAtHome, type CheckAnswerJson as Answer } from '../testing/engine-http.ts';

const CARD = '新年快乐！送你一张贺卡 https://www.hometown-cards.cn/c/5e1';

describeBackends('owners away from home (HTTP)', (backend) => {
  test('the owner’s own phone on a hotel network: no new-session rule fires; the intruder on its own device: held by them', async () => {
    const h: Harness = await harness(backend);
    try {
      const acct = await accountAtHome(h, `away.${backend}`);
      const check = (session: string, text = CARD) => acct.check(session, text, 5);
      const names = (x: Answer) => (x.signals ?? []).map((s) => s.signal);
      const ruled = (x: Answer) =>
        names(x).some((s) => ['session_link_spread', 'new_session_burst', 'new_session_money'].includes(s));

      // the owner's own phone at the hotel: a new network, the known device
      const hotel = await acct.signIn({ ip: '192.0.2.77', ua: OWNER.ua }, true);
      const owner = await check(hotel);
      assert.ok(!ruled(owner), JSON.stringify(owner));
      assert.notEqual(owner.action, 'contain', JSON.stringify(owner));
      assert.notEqual(owner.verdict, 'block', JSON.stringify(owner));

      // the intruder: the password, its own device and network, a card link of its own (the owner's
      // card is a site the account has linked now)
      const intruder = await acct.signIn(INTRUDER);
      const lure = await check(intruder, '新年快乐！送你一张贺卡 https://www.newyear-card-gift.cc/c/9');
      assert.notEqual(lure.verdict, 'allow', JSON.stringify(lure));
      assert.ok(names(lure).includes('session_link_spread'), JSON.stringify(lure));
    } finally {
      await h.cleanup();
    }
  });
});
