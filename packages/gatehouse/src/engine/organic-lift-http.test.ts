// An automatic quarantine that turns out to hold a crowd, over HTTP on SQLite and PostgreSQL: two
// intruders (the password, their own devices and networks) are first to send a greeting card from a site
// nobody linked before, so the card is quarantined when the second is contained (two others, a lure). Then owners at home pass
// the same card on: they are held by the quarantine until the response part's sweep sees the card passed
// along organically and lifts it (audited, and a content.quarantine_lifted webhook with no account); the
// next owner's card goes out. An intruder's lure that only compromised sessions send stays quarantined
// until an operator lifts it (the webhook again, reason operator; a second lift is NOT_FOUND).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, INTRUDER, ok, OWNER, refused, signIn, type Harness } from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';
import { accountAtHome, type CheckAnswerJson as Answer } from '../testing/engine-http.ts';
import { until, webhookReceiver } from '../testing/receiver.ts';

const CARD = '元宵节快乐！给你做了一张灯笼贺卡 https://www.lantern-cards.cn/c/41f';
const LURE = '你的相册被人传到网上了，快看看 https://photo-leak-check.top/a/7';

describeBackends('an automatic quarantine gives way to organic spread (HTTP)', (backend) => {
  test('owners at home are held by the early quarantine of a card until the sweep lifts it (the platform told); the lure stays quarantined until an operator lifts it', async () => {
    const receiver = await webhookReceiver();
    const h: Harness = await harness(backend, {
      webhookAllowHttp: true,
      webhookAllowLoopback: true,
      webhookPollMs: 20,
    });
    try {
      receiver.setSecret((await h.gh.webhooks.addEndpoint({ url: receiver.url })).secret);
      const liftedHooks = () => receiver.received.filter((m) => m.type === 'content.quarantine_lifted');
      const names = (x: Answer) => (x.signals ?? []).map((s) => s.signal);
      const live = async () =>
        (
          ok(await h.call('GET', '/v1/quarantine', { key: h.op })).json.quarantine as Array<{ key: string }>
        ).map((r) => r.key);
      // two intruders are first to send the card, two others a lure (an account's first message is the
      // one judged in full: after it the account is contained and its messages are stopped at once)
      for (const [i, text] of [CARD, CARD, LURE, LURE].entries()) {
        const x = await accountAtHome(h, `ol${i}.${backend}`, 24);
        const s = await x.signIn({ ip: `203.0.113.${80 + i}`, ua: INTRUDER.ua });
        const d = await x.check(s, text, 3);
        assert.equal(d.action, 'contain', JSON.stringify(d));
      }
      await until(
        async () => ((await live()).includes('d:lantern-cards.cn') ? true : undefined),
        'the card quarantined',
      );
      await until(
        async () => ((await live()).includes('d:photo-leak-check.top') ? true : undefined),
        'the lure quarantined',
      );

      // owners at home, on their own devices, pass the card on: held by the quarantine
      const owners = await Promise.all(
        Array.from({ length: 7 }, (_, i) => accountAtHome(h, `oh${i}.${backend}`)),
      );
      const sessions = await Promise.all(owners.map((o) => o.signIn(OWNER, true)));
      for (const [i, o] of owners.slice(0, 6).entries()) {
        const d = await o.check(sessions[i]!, CARD, 2);
        assert.ok(names(d).includes('content_quarantined'), JSON.stringify(d));
        assert.notEqual(d.action, 'contain', JSON.stringify(d));
      }

      // the sweep: the card is passed along organically now; the lure is not
      const swept = await h.gh.response.sweep();
      assert.ok(swept.quarantineLifted >= 1, JSON.stringify(swept));
      const after = await live();
      assert.ok(!after.includes('d:lantern-cards.cn'), JSON.stringify(after));
      assert.ok(after.includes('d:photo-leak-check.top'), JSON.stringify(after));
      const audit = ok(
        await h.call('GET', `/v1/audit?subject=${encodeURIComponent('d:lantern-cards.cn')}`, { key: h.op }),
      ).json as {
        entries?: Array<{ subject: string; action: string; data: { reason?: string } }>;
      };
      const lifted = (audit.entries ?? []).find((e) => e.action === 'quarantine.lift');
      assert.equal(lifted?.data.reason, 'organic', JSON.stringify(audit));
      // the platform is told, once, with no account: the content is platform-wide
      const hook = await until(
        () => liftedHooks().find((m) => (m.data.keys as string[]).includes('d:lantern-cards.cn')),
        'content.quarantine_lifted for the card',
      );
      assert.equal(hook.data.reason, 'organic');
      assert.equal(typeof hook.data.decision, 'string');

      // a stranger, an intruder with the account's password and a fresh session, and an operator key that
      // may only read cannot lift the lure's quarantine (nor tell the platform it ended)
      const lure = `/v1/quarantine/${encodeURIComponent('d:photo-leak-check.top')}`;
      refused(await h.call('DELETE', lure, { from: INTRUDER }), 401, 'API_KEY_INVALID');
      const fresh = await signIn(h, `oh0.${backend}`, INTRUDER);
      refused(await h.call('DELETE', lure, { token: fresh, from: INTRUDER }), 401, 'API_KEY_INVALID');
      const reader = (await h.gh.keys.create('analyst', ['response:read'])).key;
      refused(await h.call('DELETE', lure, { key: reader }), 403, 'API_KEY_SCOPE');
      assert.ok((await live()).includes('d:photo-leak-check.top'));

      // the operator lifts the lure's: told too, with reason operator; a second lift is refused
      ok(
        await h.call('DELETE', `/v1/quarantine/${encodeURIComponent('d:photo-leak-check.top')}`, {
          key: h.op,
        }),
        204,
      );
      const byOperator = await until(
        () => liftedHooks().find((m) => (m.data.keys as string[]).includes('d:photo-leak-check.top')),
        'content.quarantine_lifted for the lure',
      );
      assert.equal(byOperator.data.reason, 'operator');
      // one lift, one message: the refused attempts sent none
      assert.equal(
        liftedHooks().filter((m) => (m.data.keys as string[]).includes('d:photo-leak-check.top')).length,
        1,
      );
      refused(
        await h.call('DELETE', `/v1/quarantine/${encodeURIComponent('d:photo-leak-check.top')}`, {
          key: h.op,
        }),
        404,
        'NOT_FOUND',
      );
      assert.ok(!(await live()).includes('d:photo-leak-check.top'));

      // the seventh owner's card goes out
      const last = await owners[6]!.check(sessions[6]!, CARD, 2);
      assert.ok(!names(last).includes('content_quarantined'), JSON.stringify(last));
      assert.equal(last.verdict, 'allow', JSON.stringify(last));
    } finally {
      await h.cleanup();
      receiver.close();
    }
  });
});
