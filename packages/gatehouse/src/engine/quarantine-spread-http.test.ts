// Lone intruders spreading a scheme, over HTTP on SQLite and PostgreSQL (each with the password, on its
// own device and network): a push into a "teacher's" group that two of them sent is quarantined by the
// response part when the second is contained. A third intruder whose first message is that push — no
// money asked, no link — is contained for sending quarantined content from a session that shows compromise
// (`campaign_quarantined`; before, it was only held, message after message). The owner at home sending
// the same text is stopped but never frozen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, INTRUDER, ok, OWNER, type Harness } from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';
import { accountAtHome, type CheckAnswerJson as Answer } from '../testing/engine-http.ts';
import { until } from '../testing/receiver.ts';

const ASK = '表哥在私募上班，有内部消息，这个月稳赚不赔，想跟的话我把你拉进群，先充五千就能跟单';
const FOLLOW = '进群不要钱的，老师每天早上发票，你先看看大家的收益截图再决定';

describeBackends('a scheme’s follow-up quarantined, sent by the next intruder (HTTP)', (backend) => {
  test('the third intruder is contained on its first, ask-less message; the owner at home is only stopped', async () => {
    const h: Harness = await harness(backend);
    try {
      const account = (i: number) => accountAtHome(h, `qs${i}.${backend}`);
      const names = (x: Answer) => (x.signals ?? []).map((s) => s.signal);
      const intruderFrom = (i: number) => ({ ip: `203.0.113.${70 + i}`, ua: INTRUDER.ua });
      const frozen = async (id: string) =>
        ok(await h.call('GET', `/v1/accounts/${id}`, { key: h.op })).json.state === 'frozen';

      // intruder A opens with the follow-up (nothing known yet: it goes out); intruder B asks one friend
      // (held), then pushes the follow-up into the group: contained, and the follow-up — now sent by two
      // sessions that show compromise — is quarantined by the response part
      const ia = await account(1);
      const opener = await ia.check(await ia.signIn(intruderFrom(1)), FOLLOW);
      assert.equal(opener.verdict, 'allow', JSON.stringify(opener));
      const ib = await account(2);
      const sb = await ib.signIn(intruderFrom(2));
      const ask = await ib.check(sb, ASK);
      assert.notEqual(ask.verdict, 'allow', JSON.stringify(ask));
      const push = await ib.check(sb, FOLLOW);
      assert.equal(push.action, 'contain', JSON.stringify(push));
      await until(
        async () => [...h.gh.engine.engine.quarantined].some((k) => k.startsWith('t:')) || undefined,
        'the follow-up quarantined',
      );

      // the third intruder's first message is the follow-up: no ask, no link
      const third = await account(3);
      const s3 = await third.signIn(intruderFrom(3));
      const d = await third.check(s3, FOLLOW);
      assert.ok(names(d).includes('campaign_quarantined'), JSON.stringify(d));
      assert.equal(d.action, 'contain', JSON.stringify(d));
      assert.equal(d.verdict, 'block', JSON.stringify(d));
      await until(async () => (await frozen(third.id)) || undefined, 'the third account frozen');

      // the owner of a fourth account, at home on the usual device, forwards the same text
      const owner = await account(4);
      const home = await owner.signIn(OWNER, true);
      const own = await owner.check(home, FOLLOW);
      assert.ok(names(own).includes('content_quarantined'), JSON.stringify(own));
      assert.ok(!names(own).includes('campaign_quarantined'), JSON.stringify(own));
      assert.notEqual(own.action, 'contain', JSON.stringify(own));
      assert.equal(await frozen(owner.id), false);
    } finally {
      await h.cleanup();
    }
  });
});
