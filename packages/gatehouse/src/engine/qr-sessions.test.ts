// QR sign-ins in the engine (issue 12): a QR login the owner's phone approved on the requester's own
// network is the owner bringing in a device in front of them — its device, network and client are
// vouched for, so it is no compromise evidence (not even for a friend of a hijack victim, who carries
// a raised prior only when their own session shows compromise). The same login approved from afar (a
// relay) stays compromise evidence and is held.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOUR, MIN, Sim, T0, DAY } from './simulate.ts';
import type { Decision } from './types.ts';
import { hasSignal as has } from '../testing/engine.ts';

const names = (d: Decision) =>
  `${d.action}: ${d.signals.map((s) => `${s.name}=${s.value} (${s.logOdds.toFixed(2)})`).join(', ')}`;
const WEB = { kind: 'web' as const, name: 'web-chat', version: '1.0' };

/** An owner with a month of history on their phone (10.20.30.0/24), whose friend was just hijacked. */
function victimsFriend(sim: Sim, a: string): void {
  sim.history(a, { hours: [9, 21], friends: [`${a}-f0`, `${a}-f1`, `${a}-victim`], ip: '10.20.30.7' });
  sim.t = T0 + 30 * DAY + 14 * HOUR;
  sim.process({ id: sim.id('fr'), type: 'friend.added', time: sim.t, account: `${a}-victim`, friend: a });
  sim.engine.markVictim(`${a}-victim`, sim.t);
}

function qrLogin(sim: Sim, a: string, session: string, ip: string, near: boolean): void {
  sim.login(a, { session, method: 'qr', device: `${session}-laptop`, ip });
  sim.process({
    id: sim.id('qr'),
    type: 'identity.signin.qr',
    time: sim.t,
    account: a,
    session,
    sameNetwork: near,
    mismatch: !near,
    signals: near ? [] : [{ name: 'qr_network_mismatch', value: 1 }],
  });
  sim.t += 2 * MIN;
}

test('the owner’s own QR login on the phone’s network, a new laptop and web client: vouched, allowed, no victim prior', () => {
  const sim = new Sim();
  victimsFriend(sim, 'own');
  qrLogin(sim, 'own', 'own-laptop', '10.20.30.120', true);
  const d = sim.send('own', {
    to: ['own-f0'],
    text: '在电脑上登录了，晚点发文件给你',
    session: 'own-laptop',
    client: WEB,
  });
  assert.equal(d.action, 'allow', names(d));
  for (const s of ['device_new', 'new_client', 'victim_contact', 'network_new'])
    assert.ok(!has(d, s), `${s} on a vouched session: ${names(d)}`);
  // the QR sign-in itself is still named (a quarter), and the session is a re-login on a familiar context
  assert.deepEqual(
    d.signals.filter((s) => s.name === 'signin_qr').map((s) => s.value),
    ['qr_near'],
  );
});

test('the same login approved from another network (a relay): compromise evidence, the victim prior, held', () => {
  const sim = new Sim();
  victimsFriend(sim, 'rel');
  qrLogin(sim, 'rel', 'rel-intruder', '10.20.31.9', false);
  const d = sim.send('rel', {
    to: ['rel-f0'],
    text: '在电脑上登录了，晚点发文件给你',
    session: 'rel-intruder',
    client: WEB,
  });
  assert.notEqual(d.action, 'allow', names(d));
  for (const s of ['signin_qr_relay', 'device_new', 'new_client', 'victim_contact'])
    assert.ok(has(d, s), `${s} missing: ${names(d)}`);
});

test('without the near approval the same-network laptop is a new device (a password sign-in there is not vouched)', () => {
  const sim = new Sim();
  victimsFriend(sim, 'pw');
  sim.login('pw', { session: 'pw-laptop', device: 'pw-laptop-dev', ip: '10.20.30.120' });
  sim.t += 2 * MIN;
  const d = sim.send('pw', {
    to: ['pw-f0'],
    text: '在电脑上登录了，晚点发文件给你',
    session: 'pw-laptop',
    client: WEB,
  });
  assert.ok(has(d, 'device_new') && has(d, 'new_client'), names(d));
});
