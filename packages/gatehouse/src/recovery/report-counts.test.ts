// Issue 20, item 1: what the owner's report counts is exactly true. Retraction records list the
// intruder's messages so far (running totals: 1, 2, … 10): each message counts once. A message the
// pre-send check stopped reached nobody: it is neither "sent" nor "retracted".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factsFromResponseActions, type ResponseActionRow } from './facts.ts';
import type { LoggedEvent } from './ports.ts';
import { reportMarkdown, summariseMessages, type OwnerReport } from './report.ts';

const T0 = 1_800_000_000_000;
const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i + 1}`);

/** The response part's records for a blast of `n` messages, one decision per message. */
function blast(n: number, checked: 'contain' | undefined): ResponseActionRow[] {
  const rows: ResponseActionRow[] = [];
  for (let i = 1; i <= n; i++) {
    const at = T0 + i * 1000;
    const extra = checked ? { checked } : {};
    const row = (kind: string, detail: Record<string, unknown>): ResponseActionRow => ({
      decision_id: `dec:m${i}`,
      kind,
      rule: 'contain-hijack',
      mode: 'enforce',
      status: 'done',
      detail: JSON.stringify({ ...detail, ...extra }),
      created_at: at,
    });
    if (i === 1)
      rows.push(row('freeze_account', { account: 'acc_v', reason: 'url_lookalike', kind: 'containment' }));
    rows.push(row('retract_messages', { scope: 'session', since: T0, messages: i, messageIds: ids(i) }));
    rows.push(row('warn_recipients', { recipients: i === 1 ? 7 : 0, groups: 0 }));
  }
  return rows;
}

const sent = (n: number): LoggedEvent[] =>
  ids(n).map((id, i) => ({
    id,
    type: 'message.sent',
    time: T0 + (i + 1) * 1000 - 10,
    account: 'acc_v',
    recipients: [`f${i % 7}`],
    text: '急用钱，先借我两千 http://pay.example',
  }));

test('ten blast messages all stopped by the pre-send check: 0 sent, 10 stopped, 0 retracted (not 55)', async () => {
  const facts = await factsFromResponseActions(async () => blast(10, 'contain'))('acc_v', T0 + 60_000);
  assert.ok(facts);
  assert.equal(facts.retracted?.count, 0);
  assert.deepEqual([...(facts.stopped ?? [])].sort(), ids(10).sort());
  const m = summariseMessages(sent(10), new Set(facts.stopped));
  assert.equal(m.count, 0);
  assert.equal(m.stopped, 10);
  assert.equal(m.recipientsReached, 0);
  const report = { ...baseReport(), messages: m, retracted: facts.retracted ?? null } as OwnerReport;
  const en = reportMarkdown(report, 'en');
  assert.match(en, /0 messages, to 0 people/);
  assert.match(en, /10 more were stopped before sending and reached nobody/);
  assert.match(en, /Messages retracted: 0/);
  assert.match(reportMarkdown(report, 'zh'), /另有 10 条在发送前被拦截/);
});

test('ten delivered messages retracted with running totals count ten, once each', async () => {
  const facts = await factsFromResponseActions(async () => blast(10, undefined))('acc_v', T0 + 60_000);
  assert.equal(facts?.retracted?.count, 10);
  assert.equal(facts?.stopped, undefined);
  const m = summariseMessages(sent(10), new Set(facts?.stopped ?? []));
  assert.equal(m.count, 10);
  assert.equal(m.stopped, 0);
  assert.equal(m.recipientsReached, 7);
});

test('a mixed blast: delivered ones count as sent and retracted, stopped ones as neither', async () => {
  const rows = blast(6, undefined).concat(
    blast(10, 'contain').filter((r) => Number(r.decision_id.slice(5)) > 6 && r.kind !== 'freeze_account'),
  );
  const facts = await factsFromResponseActions(async () => rows)('acc_v', T0 + 60_000);
  assert.equal(facts?.retracted?.count, 6);
  const m = summariseMessages(sent(10), new Set(facts?.stopped ?? []));
  assert.deepEqual([m.count, m.stopped], [6, 4]);
});

function baseReport(): Omit<OwnerReport, 'messages' | 'retracted'> {
  return {
    case: 'case_1',
    account: { id: 'acc_v', handle: 'victim' },
    generatedAt: T0 + 70_000,
    window: { start: T0, end: T0 + 60_000 },
    entry: null,
    decision: null,
    warned: { count: 7 },
    restored: null,
    signInFactors: null,
    sessionsRevoked: 1,
    verifiedBy: 'recovery_code',
    restoredAt: null,
    apps: null,
    advice: [],
  };
}
