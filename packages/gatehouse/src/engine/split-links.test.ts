// Over real HTTP (SQLite and PostgreSQL), with the Gatehouse's own content part wired in (the
// protected brands of config/brands.example.json): a link cut in two across a sender's consecutive
// messages in one conversation is joined, judged and stopped by the pre-send check and by
// /v1/events; unrelated consecutive messages, other conversations and other senders never make a link.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../config/index.ts';
import { createGatehouse, type Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { postgresSkip, testConfig, type Backend } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';

const client = { kind: 'mobile', name: 'QQ', version: '9.0' };
const pgSkip = await postgresSkip();

type Reason = { signal: string; en: string; zh: string };

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(
    `links split across messages (${backend})`,
    { skip: backend === 'postgres' ? pgSkip : undefined },
    () => {
      let gh: Gatehouse;
      let url: string;
      let key: string;
      let config: Config;
      let dropConfig: () => Promise<void>;
      let n = 0;

      before(async () => {
        ({ config, cleanup: dropConfig } = await testConfig(
          backend,
          { engineSnapshotSeconds: 0 },
          { migrated: true },
        ));
        gh = await createGatehouse(config, { log: createLogger(process.env.SPLIT_LOG ?? 'silent') });
        url = await gh.listen();
        key = (await gh.keys.create('split test', ['events:write', 'accounts:read'])).key;
      });
      after(async () => {
        await gh?.close();
        await dropConfig?.();
      });

      async function post(path: string, body: unknown) {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(body),
        });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      }
      const msg = (
        account: string,
        text: string,
        to: Record<string, unknown> = { recipients: ['friend-1'] },
      ) => ({
        id: `split-${backend}-${++n}`,
        type: 'message.sent',
        time: Date.now(),
        account,
        text,
        client,
        ...to,
      });
      async function check(account: string, text: string, to?: Record<string, unknown>) {
        const r = await post('/v1/check/message', msg(account, text, to));
        assert.equal(r.status, 200, JSON.stringify(r.json));
        return r.json as { verdict: string; reasons: Reason[] };
      }
      const linkSignals = (reasons: Reason[]) =>
        reasons.filter((x) => x.signal.startsWith('url_')).map((x) => x.signal);

      test('pre-send check: a split lookalike link is judged as the whole message would be, with the joined domain named', async () => {
        const cases: Array<[string, string, string, Record<string, unknown>?]> = [
          ['discord-gift', '.com/abc', 'discord-gift.com'],
          ['免费领取 Nitro discord-gift', '.com/abc', 'discord-gift.com'],
          ['快来领免费会员 discord-gift', '.com/nitro', 'discord-gift.com'],
          ['steamcommunity-trade.', 'ru/tradeoffer/new', 'steamcommunity-trade.ru'],
          ['free nitro here: discord-nitro', '点com/claim', 'discord-nitro.com'],
          ['QQ安全中心通知 qq-security', '.cn 请尽快验证', 'qq-security.cn'],
          // in a group too
          [
            'steam-comunity.',
            'com/id/gift',
            'steam-comunity.com',
            { group: { id: 'g-split', memberCount: 40 } },
          ],
        ];
        let i = 0;
        let stopped = 0;
        for (const [first, second, domain, to] of cases) {
          const account = `splitter-${++i}`;
          const a = await check(account, first, to);
          assert.deepEqual(linkSignals(a.reasons), [], first);
          const b = await check(account, second, to);
          const link = b.reasons.find((x) => x.signal === 'url_lookalike');
          assert.ok(link, `${first} | ${second}: ${JSON.stringify(b.reasons)}`);
          assert.ok(link.en.includes(domain), link.en);
          assert.ok(link.en.includes('split across two messages'), link.en);
          assert.ok(link.zh.includes('拆分'), link.zh);
          // the same words sent whole by a comparable account get the same verdict
          const whole = await check(`whole-${i}`, first + second, to);
          assert.equal(b.verdict, whole.verdict, `${first} | ${second} vs whole: ${JSON.stringify(whole)}`);
          assert.ok(linkSignals(whole.reasons).includes('url_lookalike'), JSON.stringify(whole.reasons));
          if (b.verdict !== 'allow') stopped++;
        }
        // the lure wording of the first half counts with the link of the second
        assert.ok(stopped >= 2, `${stopped} split links held or blocked`);
      });

      test('/v1/events: the split link is judged when the platform reports the messages after sending', async () => {
        const first = msg('split-events', '免费领取 Nitro discord-gift');
        const second = msg('split-events', '.com/abc');
        const r = await post('/v1/events', { events: [first, second] });
        assert.equal(r.json.accepted, 2);
        const risk = await until(async () => {
          const x = await fetch(`${url}/v1/accounts/split-events/risk`, {
            headers: { authorization: `Bearer ${key}` },
          });
          const j = (await x.json()) as {
            decisions?: Array<{ eventId: string; signals: Array<{ name: string }> }>;
          };
          return j.decisions?.find((d) => d.eventId === second.id);
        }, 'the second message decided');
        assert.ok(
          risk.signals.some((s) => s.name === 'url_lookalike'),
          JSON.stringify(risk.signals),
        );
      });

      test('the owner path: unrelated consecutive messages, other conversations and other senders make no link', async () => {
        const benign: Array<[string, string]> = [
          ['hello', 'world'],
          ['check my', 'discord.com account later'],
          ['see you at 5', '.30 then'],
          ['我们今天去吃饭', '好的.com'],
          ['my email is bob@example', '.com thanks'],
          ['ok.', 'bye'],
          ['new-year', '.greetings to all'],
          ['v2', '.0 is out'],
        ];
        let i = 0;
        for (const [first, second] of benign) {
          const account = `chatter-${++i}`;
          await check(account, first);
          const b = await check(account, second);
          assert.equal(b.verdict, 'allow', `${first} | ${second}: ${JSON.stringify(b)}`);
          assert.deepEqual(linkSignals(b.reasons), [], `${first} | ${second}`);
        }
        // the halves of a lookalike in two conversations, or from two senders, are not joined
        await check('two-chats', 'discord-gift', { recipients: ['friend-1'] });
        const other = await check('two-chats', '.com/abc', { recipients: ['friend-2'] });
        assert.equal(other.verdict, 'allow', JSON.stringify(other));
        await check('sender-a', 'discord-gift', { group: { id: 'g-shared', memberCount: 10 } });
        const b = await check('sender-b', '.com/abc', { group: { id: 'g-shared', memberCount: 10 } });
        assert.equal(b.verdict, 'allow', JSON.stringify(b));
        // a whole official link is fine
        await check('official', 'go to www.google');
        const g = await check('official', '.com');
        assert.deepEqual(linkSignals(g.reasons), []);
      });
    },
  );
}
