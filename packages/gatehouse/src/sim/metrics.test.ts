import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeMetrics, metricsTable, quantile, type RunRecord } from './metrics.ts';
import { htmlReport } from './report.ts';
import { validateScenario } from './scenario.ts';

test('quantiles', () => {
  assert.equal(quantile([], 0.5), null);
  assert.equal(quantile([5, 1, 3], 0.5), 3);
  assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9);
});

const text = { en: 'n', zh: '通知' };
const frozen = (account: string) => ({
  account,
  by: 'gatehouse',
  kind: 'containment',
  reason: 'r',
  decision: 'd',
  notice: text,
});
const warn = (account: string, recipients: string[]) => ({
  account,
  recipients,
  groups: [],
  messages: [],
  warning: text,
  decision: 'd',
});

test('reached counts allowed messages before containment; frozen benign accounts and warnings are counted', () => {
  const sc = validateScenario({ name: 't', attack: { share: 0.1, messages: [{ text: 'x' }] } });
  const rec: RunRecord = {
    accounts: 10,
    hijacked: new Map([
      [
        'a',
        {
          account: 'a',
          signedIn: true,
          firstAt: 1000,
          containedAt: 1500,
          messages: [
            { id: 'm1', t: 1000, recipients: 1, allowed: true },
            { id: 'm2', t: 1200, recipients: 4, allowed: true },
            { id: 'm3', t: 1300, recipients: 1, allowed: false },
            { id: 'm4', t: 1600, recipients: 1, allowed: true },
          ],
        },
      ],
      ['b', { account: 'b', signedIn: false, firstAt: undefined, containedAt: undefined, messages: [] }],
    ]),
    benignChecks: new Map([['c', { challenged: true, held: false, blocked: false }]]),
    benignSignals: new Map(),
    intruderSignals: new Map(),
    // the payloads exactly as Gatehouse sends them (the SDK's schemas)
    feed: [
      {
        id: '1',
        type: 'account.frozen',
        timestamp: new Date(1400).toISOString(),
        account: 'a',
        data: frozen('a'),
      },
      {
        id: '2',
        type: 'message.retract',
        timestamp: '',
        account: 'a',
        data: { message: 'm1', account: 'a', recipients: ['x'], group: null, decision: 'd', notice: text },
      },
      { id: '3', type: 'recipients.warn', timestamp: '', account: 'a', data: warn('a', ['x', 'y']) },
      { id: '4', type: 'recipients.warn', timestamp: '', account: 'a', data: warn('a', ['y']) },
      {
        id: '5',
        type: 'account.frozen',
        timestamp: new Date(9).toISOString(),
        account: 'd',
        data: frozen('d'),
      },
      {
        id: '6',
        type: 'message.hold',
        timestamp: '',
        account: 'e',
        data: { message: 'm9', account: 'e', expiresAt: 0, decision: 'd', reasons: [], notice: text },
      },
    ],
  };
  const m = computeMetrics(sc, rec);
  assert.equal(m.hijacked, 1);
  assert.equal(m.hijackAttempts, 2);
  assert.equal(m.detected, 1);
  assert.equal(m.recall, 1);
  assert.equal(m.timeToContainMs.median, 400);
  assert.deepEqual(m.recipientsReachedBeforeContainment, { median: 5, p90: 5, max: 5 });
  assert.equal(m.intruderMessages, 4);
  assert.equal(m.retracted, 1);
  assert.equal(m.recipientsWarned, 2);
  assert.equal(m.benignAccounts, 8);
  assert.equal(m.benignChallenged, 1);
  assert.equal(m.benignHeld, 1);
  assert.equal(m.benignFrozen, 1);
  assert.ok(m.per100kPerDay.frozen > 0);
  assert.match(metricsTable([m]), /benign frozen/);
});

test('check latency, checks over the timeout and the response lag per second; a batched retraction counts each message', () => {
  const sc = validateScenario({ name: 't', attack: { share: 0.1, messages: [{ text: 'x' }] } });
  const live = 1_000_000;
  const hook = (id: string, type: string, at: number, data: Record<string, unknown>) => ({
    id,
    type,
    timestamp: new Date(live + at).toISOString(),
    account: 'a',
    data,
  });
  const retraction = (message: string, decision: string) => ({
    message,
    account: 'a',
    recipients: ['x'],
    group: null,
    decision,
    notice: text,
  });
  const rec: RunRecord = {
    accounts: 10,
    hijacked: new Map([
      [
        'a',
        {
          account: 'a',
          signedIn: true,
          firstAt: live + 100,
          containedAt: live + 100,
          messages: [
            { id: 'm1', t: live + 100, recipients: 1, allowed: false },
            { id: 'm2', t: live + 1200, recipients: 1, allowed: false },
            { id: 'm3', t: live + 1300, recipients: 1, allowed: false },
          ],
        },
      ],
    ]),
    benignChecks: new Map(),
    benignSignals: new Map(),
    intruderSignals: new Map(),
    liveStart: live,
    checkTimeoutMs: 50,
    checks: [
      { at: 100, ms: 4 },
      { at: 1200, ms: 80 },
      { at: 1300, ms: 6 },
      { at: 1400, ms: 2 },
    ],
    sentAt: new Map([
      ['m1', live + 100],
      ['m2', live + 1200],
      ['m3', live + 1300],
    ]),
    feed: [
      hook('1', 'account.frozen', 400, { ...frozen('a'), decision: 'dec:m1' }),
      hook('2', 'message.retract', 700, retraction('m1', 'dec:m1')),
      // one batch for the two later messages: both named, both decisions
      hook('3', 'message.retract', 1800, {
        ...retraction('m2', 'dec:m2'),
        messages: [
          { id: 'm2', recipients: ['x'], group: null },
          { id: 'm3', recipients: ['x'], group: null },
        ],
        decisions: ['dec:m2', 'dec:m3'],
      }),
      hook('4', 'message.retract', 1900, retraction('m2', 'dec:m2')),
    ],
  };
  const m = computeMetrics(sc, rec);
  assert.equal(m.retracted, 3);
  assert.equal(m.intruderMessagesLeftDelivered, 0);
  assert.deepEqual(m.checkLatencyMs, { checks: 4, p50: 4, p99: 80, max: 80, timeoutMs: 50, overTimeout: 1 });
  // m1: 700 − 100; m2: 1900 − 1200 (its last webhook); m3: 1800 − 1300
  assert.deepEqual(m.responseLagMs, { decisions: 3, p50: 600, p99: 700, max: 700 });
  assert.deepEqual(m.webhooks, {
    count: 4,
    perSecond: 2.1,
    byType: { 'account.frozen': 1, 'message.retract': 3 },
  });
  assert.equal(m.perSecond.length, 2);
  assert.deepEqual(m.perSecond[0], {
    s: 0,
    checks: 1,
    checkP99Ms: 4,
    checkMaxMs: 4,
    overTimeout: 0,
    decisions: 1,
    responseLagP99Ms: 600,
    responseLagMaxMs: 600,
  });
  assert.equal(m.perSecond[1]!.checks, 3);
  assert.equal(m.perSecond[1]!.overTimeout, 1);
  assert.equal(m.perSecond[1]!.responseLagMaxMs, 700);
  assert.match(metricsTable([m]), /checks over the timeout\s+1 \(> 50 ms\)/);
  const html = htmlReport(m, []);
  assert.match(html, /check p99/);
  assert.match(html, /1 of 4 checks over the 50 ms timeout/);
});

test('owners away from home: a refused sign-in is a step they take; their held and frozen counted apart', () => {
  const sc = validateScenario({ name: 't', live: { away: { share: 0.5, newPhone: 0.5 } } });
  assert.deepEqual(sc.live.away, { share: 0.5, newPhone: 0.5 });
  assert.deepEqual(validateScenario({ name: 't' }).live.away, { share: 0, newPhone: 0 });
  assert.throws(() => validateScenario({ name: 't', live: { away: { share: 2 } } }), {
    code: 'SCENARIO_INVALID',
  });
  const rec: RunRecord = {
    accounts: 6,
    hijacked: new Map(),
    benignChecks: new Map([
      ['p', { challenged: false, held: true, blocked: false }],
      ['home', { challenged: false, held: true, blocked: false }],
      ['s', { challenged: false, held: true, blocked: false }],
    ]),
    benignSignals: new Map(),
    intruderSignals: new Map(),
    away: new Map([
      ['p', { newPhone: false, signedIn: true }],
      ['q', { newPhone: true, signedIn: false }],
      ['r', { newPhone: true, signedIn: true }],
      ['s', { newPhone: true, signedIn: true }],
    ]),
    feed: [
      {
        id: '1',
        type: 'account.frozen',
        timestamp: new Date(5).toISOString(),
        account: 'r',
        data: frozen('r'),
      },
    ],
  };
  const m = computeMetrics(sc, rec);
  assert.deepEqual(m.away, {
    people: 4,
    newPhone: 3,
    signedIn: 3,
    refusedAtSignIn: 1,
    challenged: 1,
    held: 2,
    heldNewPhone: 1,
    frozen: 1,
  });
  assert.match(metricsTable([m]), /away: held on a new phone \/ on their own\s+1 \/ 1/);
  // the society's figures include them: q challenged, p, s and home held, r frozen
  assert.equal(m.benignChallenged, 1);
  assert.equal(m.benignHeld, 3);
  assert.equal(m.benignFrozen, 1);
  assert.match(metricsTable([m]), /away: signed in \/ refused at sign-in/);
  assert.equal(computeMetrics(sc, { ...rec, away: new Map() }).away, null);
});
