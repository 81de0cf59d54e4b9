import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factsFromResponseActions, longStandingFromEventLog, type ResponseActionRow } from './facts.ts';

const row = (
  kind: string,
  at: number,
  detail: Record<string, unknown>,
  extra: Partial<ResponseActionRow> = {},
) => ({
  decision_id: 'd1',
  kind,
  rule: 'hijack-mass-send',
  mode: 'enforce',
  status: 'done',
  detail: JSON.stringify(detail),
  created_at: at,
  ...extra,
});

test('facts from the response action log: window, decision, retracted and warned counts', async () => {
  const rows: ResponseActionRow[] = [
    row('retract_messages', 1000, {
      scope: 'since_compromise',
      since: 400,
      messages: 7,
      messageIds: ['m1', 'm2'],
    }),
    row('warn_recipients', 1001, { recipients: 12, groups: 2 }),
    row('freeze_account', 1002, { account: 'a', reason: 'mass send of a phishing link' }),
    row('retract_messages', 1003, { since: 100, messages: 99 }, { mode: 'dry-run' }),
    row('freeze_account', 5000, { reason: 'later' }),
  ];
  const facts = factsFromResponseActions(async (f) => {
    assert.equal(f.account, 'a');
    return rows;
  });
  const r = await facts('a', 2000);
  assert.deepEqual(r, {
    windowStart: 400,
    windowEnd: 1002,
    decision: { at: 1002, summary: 'mass send of a phishing link' },
    retracted: { count: 7, messageIds: ['m1', 'm2'] },
    warned: { count: 12 },
  });
  assert.equal(await factsFromResponseActions(async () => [])('a', 2000), undefined);
});

test("without a retraction, the engine's compromise start opens the window", async () => {
  const rows: ResponseActionRow[] = [row('freeze_account', 1000, { reason: 'r' })];
  const facts = factsFromResponseActions(async () => rows, {
    compromiseStart: async (_a, _s, decidedAt) => decidedAt - 300,
  });
  const r = await facts('a', 2000);
  assert.equal(r?.windowStart, 700);
  assert.equal(r?.windowEnd, 1000);
  assert.equal(r?.retracted, undefined);
});

test('long-standing friends from the event log: old enough and not removed since', async () => {
  const DAY = 86_400_000;
  const now = 100 * DAY;
  const ev = (type: string, friend: string, time: number) => ({
    id: `${type}${friend}${time}`,
    type,
    time,
    account: 'a',
    friend,
  });
  const log = {
    between: async () => [
      ev('friend.added', 'old1', 10 * DAY),
      ev('friend.added', 'old2', 20 * DAY),
      ev('friend.added', 'gone', 5 * DAY),
      ev('friend.removed', 'gone', 90 * DAY),
      ev('friend.added', 'new', 95 * DAY),
      ev('friend.removed', 'back', 3 * DAY),
      ev('friend.added', 'back', 4 * DAY),
    ],
  };
  const f = longStandingFromEventLog(log, { minAgeMs: 30 * DAY, now: () => now });
  assert.deepEqual(await f('a'), ['back', 'old1', 'old2']);
});
