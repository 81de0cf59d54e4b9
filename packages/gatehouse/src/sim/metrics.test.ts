import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeMetrics, metricsTable, quantile, type RunRecord } from './metrics.ts';
import { validateScenario } from './scenario.ts';

test('quantiles', () => {
  assert.equal(quantile([], 0.5), null);
  assert.equal(quantile([5, 1, 3], 0.5), 3);
  assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9);
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
    feed: [
      { id: '1', type: 'account.frozen', timestamp: new Date(1400).toISOString(), account: 'a', data: {} },
      { id: '2', type: 'message.retract', timestamp: '', account: 'a', data: { message: 'm1' } },
      { id: '3', type: 'recipients.warn', timestamp: '', account: 'a', data: { recipients: ['x', 'y'] } },
      { id: '4', type: 'recipients.warn', timestamp: '', account: 'a', data: { recipients: ['y'] } },
      { id: '5', type: 'account.frozen', timestamp: new Date(9).toISOString(), account: 'd', data: {} },
      { id: '6', type: 'message.hold', timestamp: '', account: 'e', data: {} },
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
