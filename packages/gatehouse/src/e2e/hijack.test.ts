// End to end over HTTP: a platform reports its users' events; an intruder signs in from a new device and
// blasts a phishing link to every friend; the engine decides, the policy acts, and signed webhooks reach
// the platform's receiver: the account is frozen, the intruder's delivered messages retracted, their
// recipients warned in both languages (a blast the pre-send check stopped is neither), the content
// quarantined; an incident opens; the audit log verifies.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GatehouseClient } from '@gatehouse/sdk';
import type { Gatehouse } from '../gatehouse.ts';
import { ordinaryDay, postgresSkip, testGatehouse, type Backend } from '../testing/index.ts';
import { until, webhookReceiver, type ReceivedWebhook } from '../testing/receiver.ts';

const pgSkip = await postgresSkip();

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`hijack end to end (${backend})`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let gh: Gatehouse;
    let cleanup: () => Promise<void>;
    let url: string;
    let key: string;
    let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
    let received: ReceivedWebhook[];

    before(async () => {
      receiver = await webhookReceiver();
      received = receiver.received;
      ({ gh, cleanup } = await testGatehouse(backend, { webhookPollMs: 20 }));
      receiver.setSecret((await gh.webhooks.addEndpoint({ url: receiver.url })).secret);
      url = await gh.listen();
      key = (
        await gh.keys.create('platform', ['events:write', 'accounts:read', 'response:read', 'incidents:read'])
      ).key;
    });
    after(async () => {
      await cleanup?.();
      receiver?.close();
    });

    test('a hijack is contained at its first blast: frozen, retracted, warned, quarantined, with an incident and a clean audit chain', async () => {
      const owner = new GatehouseClient({
        baseUrl: url,
        userAgent:
          'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36',
      });
      const acc = await owner.createAccount({
        handle: 'zhanghua',
        displayName: '张华',
        password: 'spring rain 2026',
      });
      const own = await owner.signIn({ handle: 'zhanghua', password: 'spring rain 2026' });
      const ops = new GatehouseClient({ baseUrl: url, apiKey: key });
      const { events, friends } = ordinaryDay(acc.id, own.session.id);
      const ingest = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ events }),
      });
      assert.equal(ingest.status, 200, await ingest.text());
      await gh.engine.drain(); // the history is applied before the intruder arrives

      // The intruder signs in from another device and network, then blasts a phishing link to every friend.
      const intruderClient = new GatehouseClient({
        baseUrl: url,
        userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/99.0 Safari/537.36',
      });
      const intr = await intruderClient.signIn({ handle: 'zhanghua', password: 'spring rain 2026' });
      await gh.drainer.drain(); // its sign-in events reach the engine through the bus
      await gh.engine.drain();
      const blast = {
        id: 'blast-1',
        type: 'message.sent',
        time: Date.now(),
        account: acc.id,
        session: intr.session.id,
        recipients: friends,
        text: '免费领取Q币和游戏皮肤，扫码登录 http://qq-login-game.com/free 马上到账',
        client: { kind: 'desktop', name: 'QQ-PC', version: '9.7' },
      };
      // The platform's check timed out, so it delivered the blast (failing open) and reported it.
      const reported = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ events: [blast] }),
      });
      assert.equal(reported.status, 200);
      await gh.engine.drain();
      // The next blast is checked: stopped, so it reaches nobody and is neither retracted nor warned about.
      const check = (await (
        await fetch(`${url}/v1/check/message`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ ...blast, id: 'blast-1b', recipients: friends.slice(0, 5) }),
        })
      ).json()) as { verdict: string; action: string; reasons: Array<{ signal: string }> };
      assert.equal(check.verdict, 'block', JSON.stringify(check));
      assert.equal(check.action, 'contain', JSON.stringify(check));

      // Effects inside Gatehouse: frozen, sessions ended.
      const frozen = await until(
        async () => ((await ops.getAccount(acc.id)).state === 'frozen' ? true : undefined),
        'the account to be frozen',
      );
      assert.ok(frozen);
      await assert.rejects(intruderClient.withToken(intr.token).me());

      // Effects on the platform: signed webhooks.
      const expected = [
        'account.frozen',
        'sessions.revoke',
        'message.retract',
        'recipients.warn',
        'content.quarantine',
        'owner.notify',
      ];
      await until(
        () => (expected.every((t) => received.some((m) => m.type === t)) ? true : undefined),
        `webhooks ${expected.join(', ')}`,
      );
      const types = new Set(received.map((m) => m.type));
      for (const t of expected) assert.ok(types.has(t), `${t} in ${[...types].join(', ')}`);
      const retracted = received.filter((m) => m.type === 'message.retract').map((m) => m.data.message);
      assert.deepEqual(retracted, ['blast-1'], 'only the intruder session’s delivered message is retracted');
      for (const m of received.filter((x) => x.type === 'recipients.warn'))
        assert.ok(!(m.data.messages as string[]).includes('blast-1b'), 'warned about the stopped blast');
      const warn = received.find((m) => m.type === 'recipients.warn')!.data as {
        recipients: string[];
        warning: Record<string, string>;
      };
      assert.equal(warn.recipients.length, 30);
      assert.equal(
        warn.warning.en,
        "This message was sent by someone who took over 张华's account. Do not transfer money or open its links.",
      );
      assert.equal(warn.warning.zh, '这条消息是盗用张华账号的人发送的。请勿转账，也不要打开其中的链接。');

      // Quarantine: the same link from another account is now blocked by the pre-send check.
      const other = {
        ...blast,
        id: 'blast-2',
        account: 'someone-else',
        session: undefined,
        recipients: ['x'],
      };
      const again = (await (
        await fetch(`${url}/v1/check/message`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(other),
        })
      ).json()) as { verdict: string; reasons: Array<{ signal: string }> };
      assert.equal(again.verdict, 'block', JSON.stringify(again));
      assert.ok(
        again.reasons.some((r) => r.signal === 'content_quarantined'),
        JSON.stringify(again),
      );

      // Operators see the actions with their reasons, and the audit chain verifies.
      const actions = (await (
        await fetch(`${url}/v1/actions?account=${acc.id}`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as {
        actions: Array<{ kind: string; mode: string; rule: string; explanation: { en: string; zh: string } }>;
      };
      const freeze = actions.actions.find(
        (a) => a.kind === 'freeze_account' && a.mode === 'enforce' && a.rule === 'contain-hijack',
      );
      assert.ok(freeze);
      // in plain words, both languages
      assert.match(freeze.explanation.en, /^Froze the account to stop the intruder/);
      assert.match(freeze.explanation.zh, /已冻结该账号/);
      // the risk timeline explains every signal of every decision, and its reasons are sentences
      const risk = (await (
        await fetch(`${url}/v1/accounts/${acc.id}/risk`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as {
        decisions: Array<{
          action: string;
          summary: { en: string };
          reasons: Array<{ signal: string; en: string; zh: string }>;
          signals: Array<{ name: string; explanation: { en: string; zh: string } }>;
        }>;
      };
      const contained = risk.decisions.find((d) => d.action === 'contain');
      assert.ok(contained, JSON.stringify(risk.decisions.map((d) => d.action)));
      assert.match(contained.summary.en, /taken over/);
      for (const s of contained.signals)
        assert.ok(s.explanation.en.length > 10 && s.explanation.zh.length > 4, s.name);
      for (const r of contained.reasons) assert.ok(!r.en.includes(r.signal), r.en);
      const audit = await gh.audit.verify();
      assert.equal(audit.ok, true, JSON.stringify(audit.problems));
    });
  });
}
