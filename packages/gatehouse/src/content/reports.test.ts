import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { postgresSkip, testGatehouse, type Backend } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import { quorum, reporterWeight, reportTextKey } from './reports.ts';

describe('report safeguards (pure)', () => {
  test('reputation: newcomers count half, confirmed reporters more, rejected ones little', () => {
    assert.equal(reporterWeight(0, 0), 0.5);
    assert.ok(reporterWeight(5, 0) > 0.85);
    assert.ok(reporterWeight(0, 1) <= 0.2);
    assert.ok(reporterWeight(2, 3) < reporterWeight(0, 0));
  });

  test('quorum: distinct independent reporters with enough weight; self, duplicate and co-sender reports ignored', () => {
    const v = (reporter: string, sender = 's', weight = 0.5) => ({ reporter, sender, weight });
    assert.equal(quorum([v('a'), v('b')]).reached, false, 'two reporters are not enough');
    assert.equal(quorum([v('a'), v('b'), v('c')]).reached, true);
    const q = quorum([v('a'), v('a'), v('s'), v('b'), v('s2', 's'), v('x', 's2'), v('c', 's', 0.1)]);
    assert.deepEqual(q.ignored, { selfReports: 1, duplicates: 1, senders: 1 });
    assert.equal(q.reporters, 4, 'a, b, c and x');
    const lowRep = quorum([v('a', 's', 0.2), v('b', 's', 0.2), v('c', 's', 0.2), v('d', 's', 0.2)]);
    assert.equal(lowRep.reached, false, 'four rejected reporters weigh 0.8');
    assert.equal(reportTextKey('加 薇 信 领红包'), reportTextKey('加薇信领红包'), 'disguised copies pool');
  });
});

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`user reports teach over HTTP (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : undefined;
    test('quorum → review queue → operator decides; a brigade teaches nothing', { skip }, async () => {
      const { gh, cleanup } = await testGatehouse(backend);
      try {
        const url = await gh.listen();
        const events = (await gh.keys.create('platform', ['events:write'])).key;
        const ops = (await gh.keys.create('content ops', ['content:read', 'content:write'])).key;
        const reader = (await gh.keys.create('reader', ['content:read'])).key;
        const call = async (method: string, path: string, body: unknown, k = ops) => {
          const res = await fetch(`${url}${path}`, {
            method,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${k}` },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
          return { status: res.status, json: (await res.json()) as Record<string, unknown> };
        };
        const client = { kind: 'mobile', name: 'QQ', version: '9.0' };
        const now = Date.now();
        const sent = (id: string, account: string, text: string) => ({
          id,
          type: 'message.sent',
          time: now,
          account,
          recipients: ['r1', 'r2', 'r3', 'r4', 'b1', 'b2', 'b3'],
          text,
          client,
        });
        const report = (id: string, reporter: string, messageId: string, sender: string) => ({
          id,
          type: 'message.reported',
          time: now,
          account: reporter,
          messageId,
          sender,
          reason: 'spam',
        });
        const ingest = async (evs: unknown[]) => {
          const r = await call('POST', '/v1/events', { events: evs }, events);
          assert.equal(r.status, 200, JSON.stringify(r.json));
          await gh.engine.drain();
        };
        const queue = async (status = 'pending') =>
          (await call('GET', `/v1/content/reports/queue?status=${status}`, undefined)).json.items as Array<{
            id: number;
            text: string;
            reporters: number;
            status: string;
          }>;
        // the hook records reports after the consumer applies them: wait for the rows
        const recorded = (messageId: string, n: number) =>
          until(async () => {
            const rows = await gh.store.db
              .selectFrom('content_reports')
              .select('reporter')
              .where('message_id', '=', messageId)
              .execute();
            return rows.length >= n ? rows.length : undefined;
          }, `${n} reports on ${messageId}`);
        const spamText = '周末特惠，高仿名表批发，一手货源，量大从优，详询客服小美';
        await ingest([sent('m1', 'spammer', spamText)]);
        // one report, the sender's own report and a repeat are below the quorum
        await ingest([
          report('rep-1', 'r1', 'm1', 'spammer'),
          report('rep-2', 'spammer', 'm1', 'spammer'),
          report('rep-3', 'r1', 'm1', 'spammer'),
        ]);
        await recorded('m1', 2); // r1 and the sender's own (stored, never counted)
        const outcome = await gh.content.receiveReport({
          messageId: 'm1',
          reporter: 'r1',
          sender: 'spammer',
          reason: 'spam',
          at: now,
        });
        assert.equal(outcome.status, 'duplicate');
        assert.deepEqual(await queue(), []);
        // a report naming the wrong sender, or an unknown message, is not linked to any text
        assert.equal(
          (
            await gh.content.receiveReport({
              messageId: 'm1',
              reporter: 'r9',
              sender: 'other',
              reason: 'spam',
              at: now,
            })
          ).status,
          'unknown_message',
        );
        // two more independent reporters: the text goes to review, nothing is learned yet
        const before = gh.content.explainText(spamText).probability;
        await ingest([report('rep-4', 'r2', 'm1', 'spammer'), report('rep-5', 'r3', 'm1', 'spammer')]);
        const item = await until(async () => (await queue())[0], 'the queued text');
        assert.equal(item.text, spamText);
        assert.equal(item.reporters, 3);
        assert.equal(gh.content.explainText(spamText).probability, before, 'no learning before review');
        // only an operator with write scope decides
        assert.equal(
          (await call('POST', `/v1/content/reports/queue/${item.id}`, { verdict: 'spam' }, reader)).status,
          403,
        );
        const ok = await call('POST', `/v1/content/reports/queue/${item.id}`, { verdict: 'spam' });
        assert.equal(ok.status, 200, JSON.stringify(ok.json));
        assert.equal(ok.json.status, 'confirmed');
        assert.ok(gh.content.explainText(spamText).probability > before, 'learned after confirmation');
        const again = await call('POST', `/v1/content/reports/queue/${item.id}`, { verdict: 'ham' });
        assert.equal(again.status, 409);
        assert.equal(again.json.code, 'REPORT_ALREADY_DECIDED');
        assert.equal(
          (await call('POST', '/v1/content/reports/queue/99999', { verdict: 'spam' })).status,
          404,
        );
        const labels = await gh.store.db.selectFrom('content_labels').selectAll().execute();
        assert.equal(labels.length, 1);
        assert.equal(labels[0]!.label, 1);

        // a brigade of fresh accounts reports an ordinary message: queued, rejected, nothing learned
        const chat = '明天下午三点在图书馆门口集合，记得带学生证';
        await ingest([sent('m2', 'owner', chat)]);
        const chatBefore = gh.content.explainText(chat).probability;
        await ingest([
          report('rep-6', 'b1', 'm2', 'owner'),
          report('rep-7', 'b2', 'm2', 'owner'),
          report('rep-8', 'b3', 'm2', 'owner'),
        ]);
        const brig = await until(
          async () => (await queue()).find((x) => x.text === chat),
          'the brigade item',
        );
        const no = await call('POST', `/v1/content/reports/queue/${brig.id}`, { verdict: 'ham' });
        assert.equal(no.json.status, 'rejected');
        assert.equal(
          gh.content.explainText(chat).probability,
          chatBefore,
          'a rejected report teaches nothing',
        );
        // the same brigade again: their weight has fallen, so the next text is not even queued
        const chat2 = '今晚的班会改到七点，大家互相转告一下';
        await ingest([sent('m3', 'owner', chat2)]);
        await ingest([
          report('rep-9', 'b1', 'm3', 'owner'),
          report('rep-10', 'b2', 'm3', 'owner'),
          report('rep-11', 'b3', 'm3', 'owner'),
        ]);
        await recorded('m3', 3);
        const last = await gh.content.receiveReport({
          messageId: 'm3',
          reporter: 'b3',
          sender: 'owner',
          reason: 'spam',
          at: now,
        });
        assert.equal(last.status, 'duplicate');
        if (last.status === 'duplicate')
          assert.equal(last.quorum.reached, false, JSON.stringify(last.quorum));
        assert.deepEqual(
          (await queue()).map((x) => x.text),
          [],
        );
        assert.deepEqual(
          (await queue('rejected')).map((x) => x.text),
          [chat],
        );
      } finally {
        await cleanup();
      }
    });
  });
}
