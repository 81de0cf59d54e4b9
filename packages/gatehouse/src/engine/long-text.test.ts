// Over real HTTP (SQLite and PostgreSQL), with the Gatehouse's own content part: a message is scored
// whole up to 1 MiB of UTF-8 — a lookalike link placed after 64 KiB (or near 1 MiB) of ordinary chat is
// found and judged like one at the start, by the pre-send check, /v1/events and the SDK's EventsClient —
// and a longer text is refused with a typed error (413 TEXT_TOO_LONG, rejection text_too_long, the
// SDK's EventsClientError 'text_too_long'), never cut and scored in part.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EventsClient, EventsClientError, MAX_TEXT_BYTES } from '@gatehouse/sdk';
import type { Config } from '../config/index.ts';
import { createGatehouse, type Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { postgresSkip, testConfig, type Backend } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';

const client = { kind: 'mobile' as const, name: 'QQ', version: '9.0' };
const pgSkip = await postgresSkip();
const CHAT = '今天天气不错，我们晚上一起去吃火锅吧。好的，七点见！ ';
const LURE = '免费领取 Nitro 会员 https://discord-gift.com/claim';

/** Ordinary chat of at least `bytes` bytes of UTF-8. */
function filler(bytes: number): string {
  const per = Buffer.byteLength(CHAT, 'utf8');
  return CHAT.repeat(Math.ceil(bytes / per));
}

type Reason = { signal: string; en: string };

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(
    `long messages are scored whole (${backend})`,
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
        gh = await createGatehouse(config, { log: createLogger('silent') });
        url = await gh.listen();
        key = (await gh.keys.create('long test', ['events:write', 'accounts:read'])).key;
      });
      after(async () => {
        await gh?.close();
        await dropConfig?.();
      });

      const msg = (account: string, text: string) => ({
        id: `long-${backend}-${++n}`,
        type: 'message.sent',
        time: Date.now(),
        account,
        recipients: ['friend-1'],
        text,
        client,
      });
      async function post(path: string, body: unknown) {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(body),
        });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      }
      const signals = (r: Record<string, unknown>) =>
        (r.reasons as Reason[]).map((x) => x.signal).filter((s) => s.startsWith('url_'));

      test('pre-send check: a lookalike link after 64 KiB, or just under 1 MiB, of chat is judged like one at the start', async () => {
        const short = await post('/v1/check/message', msg('long-0', LURE));
        assert.equal(short.status, 200, JSON.stringify(short.json));
        assert.deepEqual(signals(short.json), ['url_lookalike']);
        for (const [i, text] of [
          filler(70 * 1024) + LURE,
          filler(200 * 1024) + LURE + ' ' + filler(10 * 1024),
          filler(MAX_TEXT_BYTES - 1024) + LURE,
        ].entries()) {
          assert.ok(Buffer.byteLength(text, 'utf8') <= MAX_TEXT_BYTES);
          const r = await post('/v1/check/message', msg(`long-${i + 1}`, text));
          assert.equal(r.status, 200, JSON.stringify(r.json).slice(0, 400));
          assert.deepEqual(
            signals(r.json),
            ['url_lookalike'],
            `case ${i}: ${JSON.stringify(r.json.reasons)}`,
          );
          const link = (r.json.reasons as Reason[]).find((x) => x.signal === 'url_lookalike')!;
          assert.ok(link.en.includes('discord-gift.com'), link.en);
          assert.equal(r.json.verdict, short.json.verdict, `case ${i}`);
        }
        // the owner path: the same long chat without the link is allowed, with no link signal
        const plain = await post('/v1/check/message', msg('long-plain', filler(300 * 1024)));
        assert.equal(plain.json.verdict, 'allow');
        assert.deepEqual(signals(plain.json), []);
      });

      test('pre-send check: a text over 1 MiB is a typed 413 TEXT_TOO_LONG, not a partial score', async () => {
        const over = await post('/v1/check/message', msg('long-over', filler(MAX_TEXT_BYTES) + LURE));
        assert.equal(over.status, 413, JSON.stringify(over.json).slice(0, 300));
        assert.equal(over.json.code, 'TEXT_TOO_LONG');
        assert.ok(String(over.json.titleZh).length > 0);
        // far beyond: the body limit answers, typed too
        const huge = await post('/v1/check/message', msg('long-huge', 'x '.repeat(2 * MAX_TEXT_BYTES)));
        assert.equal(huge.status, 413);
        assert.equal(huge.json.code, 'PAYLOAD_TOO_LARGE');
      });

      test('/v1/events: a late link is judged; an over-long text is rejected text_too_long, the rest of the batch accepted', async () => {
        const late = msg('long-events', filler(100 * 1024) + LURE);
        const over = msg('long-events-over', filler(MAX_TEXT_BYTES) + LURE);
        const ok = msg('long-events-ok', '周末愉快');
        const r = await post('/v1/events', { events: [late, over, ok] });
        assert.equal(r.status, 200);
        const results = r.json.results as Array<{ status: string; reason?: string }>;
        assert.deepEqual(
          results.map((x) => `${x.status}:${x.reason ?? ''}`),
          ['accepted:', 'rejected:text_too_long', 'accepted:'],
        );
        const d = await until(async () => {
          const x = await fetch(`${url}/v1/accounts/long-events/risk`, {
            headers: { authorization: `Bearer ${key}` },
          });
          const j = (await x.json()) as {
            decisions?: Array<{ eventId: string; signals: Array<{ name: string }> }>;
          };
          return j.decisions?.find((e) => e.eventId === late.id);
        }, 'the late-link message decided');
        assert.ok(
          d.signals.some((s) => s.name === 'url_lookalike'),
          JSON.stringify(d.signals),
        );
      });

      test("the SDK's EventsClient sends a long text whole and refuses an over-long one with a typed error", async () => {
        const c = new EventsClient({ baseUrl: url, apiKey: key, flushIntervalMs: 10 });
        try {
          const tooLong = filler(MAX_TEXT_BYTES) + LURE;
          const typed = (e: unknown) => e instanceof EventsClientError && e.code === 'text_too_long';
          const base = { type: 'message.sent' as const, account: 'sdk-long', recipients: ['f'], client };
          await assert.rejects(c.send({ ...base, id: 'sdk-x', time: Date.now(), text: tooLong }), typed);
          await assert.rejects(
            c.checkMessage({ account: 'sdk-long', recipients: ['f'], text: tooLong, client }),
            typed,
          );
          const checked = await c.checkMessage({
            account: 'sdk-check-long',
            recipients: ['f'],
            text: filler(90 * 1024) + LURE,
            client,
          });
          assert.ok(
            checked.reasons.some((x) => x.signal === 'url_lookalike'),
            JSON.stringify(checked.reasons),
          );
          await c.send({
            ...base,
            id: `sdk-long-${backend}`,
            time: Date.now(),
            text: filler(80 * 1024) + LURE,
          });
          await c.flush();
        } finally {
          await c.close();
        }
        const d = await until(async () => {
          const x = await fetch(`${url}/v1/accounts/sdk-long/risk`, {
            headers: { authorization: `Bearer ${key}` },
          });
          const j = (await x.json()) as {
            decisions?: Array<{ eventId: string; signals: Array<{ name: string }> }>;
          };
          return j.decisions?.find((e) => e.eventId === `sdk-long-${backend}`);
        }, 'the SDK-sent message decided');
        assert.ok(
          d.signals.some((s) => s.name === 'url_lookalike'),
          JSON.stringify(d.signals),
        );
      });
    },
  );
}
