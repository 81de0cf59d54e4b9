// The signal names are one union (SignalName) with a run-time list for validating operator files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SIGNAL_NAMES, WEIGHTS, isSignalName } from './config.ts';
import { DAY, HOUR, Sim, T0 } from './simulate.ts';

test('SIGNAL_NAMES is the weights table; isSignalName refuses typos and inherited names', () => {
  assert.deepEqual([...SIGNAL_NAMES].sort(), Object.keys(WEIGHTS).sort());
  for (const n of ['campaign_member', 'session_link_spread', 'familiar_context'])
    assert.ok(isSignalName(n), n);
  for (const n of ['campaign_membr', 'Login_wave', 'toString', '__proto__', ''])
    assert.ok(!isSignalName(n), n);
});

test('every signal a decision carries is a known signal name', () => {
  const sim = new Sim();
  sim.history('s', { days: 10 });
  sim.t = T0 + 10 * DAY + 3 * HOUR;
  sim.login('s', { session: 'x', method: 'qr', device: 'pc', ip: '203.0.113.5' });
  const d = sim.send('s', {
    to: Array.from({ length: 10 }, (_, i) => `s-f${i}`),
    text: '澳门赌场 百家乐 急需用钱 转我 http://bet-888.com',
    session: 'x',
  });
  assert.ok(d.signals.length > 5);
  for (const s of d.signals) assert.ok(isSignalName(s.name), s.name);
});
