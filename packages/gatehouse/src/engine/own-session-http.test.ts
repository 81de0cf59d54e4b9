// The owner's own session in other hands, over HTTP on SQLite and PostgreSQL (THREAT_MODEL S40): a phone
// taken unlocked, or a session stolen with its cookie, looks like the owner in every way the engine sees
// — the usual device, client and session. Asking friend after friend for money is what it does: held from
// the fourth person asked within 10 minutes, message after message. The owner asking two friends, a share
// of a split cost asked of many, or one message to every friend at once, is not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, OWNER, type Harness } from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';
import { accountAtHome, type CheckAnswerJson as Answer } from '../testing/engine-http.ts';

const names = (x: Answer) => (x.signals ?? []).map((s) => s.signal);

describeBackends('the owner’s own session in other hands (HTTP)', (backend) => {
  test('friend after friend asked for money from the owner’s own phone: held from the fourth; two asks, a split cost asked of five and one message to eight are not', async () => {
    const h: Harness = await harness(backend);
    try {
      // the owner: a share of the dinner asked of five friends, one by one, then one loan asked of two
      const owner = await accountAtHome(h, `owner.${backend}`, 20);
      const mine = await owner.signIn(OWNER, true);
      for (let k = 0; k < 5; k++) {
        const d = await owner.check(mine, '昨晚聚餐AA，每人86，微信转我就行', [`${owner.handle}-f${k}`]);
        assert.equal(d.verdict, 'allow', JSON.stringify(d));
      }
      for (const k of [5, 6]) {
        const d = await owner.check(mine, '手头有点紧，能先借我五百吗，月底还你', [`${owner.handle}-f${k}`]);
        assert.equal(d.verdict, 'allow', JSON.stringify(d));
        assert.ok(!names(d).includes('repeated_ask'), JSON.stringify(d));
      }
      // one message to every friend at once (a fundraiser) is a broadcast, not friend after friend
      const all = Array.from({ length: 8 }, (_, k) => `${owner.handle}-g${k}`);
      const fund = await owner.check(mine, '求扩散！同事的孩子等着救命钱，能捐一点是一点，先转我也行', all);
      assert.ok(!names(fund).includes('repeated_ask'), JSON.stringify(fund));
      // another owner's phone in other hands: the same session, one ask friend after friend
      const acct = await accountAtHome(h, `unlocked.${backend}`, 20);
      const phone = await acct.signIn(OWNER, true);
      const ask = (k: number) =>
        acct.check(phone, '在吗？我这边急用钱，先转我两千，明天就还你', [`${acct.handle}-f${k}`]);
      const answers: Answer[] = [];
      for (let k = 1; k < 6; k++) answers.push(await ask(k));
      assert.equal(answers[0]!.verdict, 'allow', JSON.stringify(answers[0]));
      assert.ok(names(answers[2]!).includes('repeated_ask'), JSON.stringify(answers[2]));
      for (const d of answers.slice(3)) {
        assert.notEqual(d.verdict, 'allow', JSON.stringify(d));
        assert.ok(names(d).includes('repeated_ask'), JSON.stringify(d));
      }
    } finally {
      await h.cleanup();
    }
  });
});
