// The simulator's QR sign-ins (issue 12 item 9): the scenario fields, the metrics' classification of
// relayed approvals and own logins, addresses, and the transport check. The relayed approval itself
// runs over HTTP in `gatehouse replay --scenario scenarios/qr-relay.yaml` (docs/scenarios.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HijackRecord } from './metrics.ts';
import type { Platform } from './platform.ts';
import { qrMetrics, qrOf, sameCityIp, sameNetworkIp } from './qr.ts';
import { loadScenario, parseScenario } from './scenario.ts';

test('qr-relay.yaml: relayed QR sign-ins, some in the victim’s city, and own QR logins', () => {
  const sc = loadScenario(new URL('../../../../scenarios/qr-relay.yaml', import.meta.url).pathname);
  assert.equal(sc.attack?.signIn.method, 'qr');
  assert.equal(sc.attack?.signIn.sameCity, 0.2);
  assert.equal(sc.live.qrLogins, 0.1);
  const plain = parseScenario('name: x\nattack: {share: 0.1, messages: [{text: hi}]}');
  assert.equal(plain.attack?.signIn.method, 'password');
  assert.equal(plain.live.qrLogins, 0);
  assert.throws(
    () => parseScenario('name: x\nattack: {share: 0.1, signIn: {method: sms}, messages: [{text: hi}]}'),
    { code: 'SCENARIO_INVALID' },
  );
});

test('addresses: the laptop on the phone’s /24, the same-city intruder on another /24 of its /16', () => {
  assert.match(sameNetworkIp('10.0.5.7'), /^10\.0\.5\.\d+$/);
  assert.notEqual(sameNetworkIp('10.0.5.7'), '10.0.5.7');
  const c = sameCityIp('10.0.5.7', 3);
  assert.match(c, /^10\.0\.\d+\.\d+$/);
  assert.ok(!c.startsWith('10.0.5.'));
});

test('metrics: stopped = refused at sign-in, or on probation/contained with 0 recipients reached', () => {
  const h = (
    account: string,
    signedIn: boolean,
    msgs: Array<[number, boolean]>,
    containedAt?: number,
  ): HijackRecord => ({
    account,
    signedIn,
    firstAt: msgs[0]?.[0],
    containedAt,
    messages: msgs.map(([t, allowed], i) => ({ id: `${account}-${i}`, t, recipients: 1, allowed })),
  });
  const hijacked = new Map([
    [
      'a',
      h(
        'a',
        true,
        [
          [10, false],
          [20, false],
        ],
        15,
      ),
    ], // held, then contained: stopped
    [
      'b',
      h(
        'b',
        true,
        [
          [10, true],
          [20, false],
        ],
        15,
      ),
    ], // one reached before containment: not stopped
    ['c', h('c', false, [])], // refused at sign-in: stopped
    ['d', h('d', true, [[10, false]])], // on probation, nothing reached: stopped
  ]);
  const m = qrMetrics(
    {
      relayed: new Map([
        ['a', { probation: true, sameCity: false }],
        ['b', { probation: true, sameCity: true }],
        ['c', { probation: false, sameCity: false }],
        ['d', { probation: true, sameCity: false }],
      ]),
      legit: [
        { signedIn: true, probation: false, stepped: false },
        { signedIn: true, probation: false, stepped: true },
      ],
    },
    hijacked,
    (x) => x.containedAt,
  )!;
  assert.equal(m.relayedApprovals, 4);
  assert.equal(m.relayedSessions, 3);
  assert.equal(m.relayedOnProbation, 3);
  assert.equal(m.relayedContained, 2);
  assert.equal(m.relayedSameCity, 1);
  assert.equal(m.relayedRecipientsReached, 1);
  assert.equal(m.relayedStopped, 3);
  assert.equal(m.relayedStoppedShare, 0.75);
  assert.equal(m.legitExtraStep, 1);
  assert.equal(m.legitExtraStepShare, 0.5);
  assert.equal(
    qrMetrics(undefined, hijacked, () => undefined),
    null,
  );
});

test('the chat transport has no QR sign-in: a typed scenario error', () => {
  assert.throws(() => qrOf({ transport: 'chat' } as Platform), { code: 'SCENARIO_INVALID' });
});
