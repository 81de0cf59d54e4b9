import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TEXT_BYTES, parsePlatformEvent } from '@gatehouse/sdk';
import { Engine } from './engine.ts';
import { LexiconContentAnalyzer } from './test-content.ts';
import { DAY, HOUR, MIN, Sim, T0 } from './simulate.ts';
import { WindowCounters, W1, W10, W60 } from './windows.ts';
import { hash53, networkOf, textFeatures, SCRIPTS } from './text.ts';
import { WEIGHTS } from './config.ts';
import { fitWeights } from './learn.ts';

test('window counters: 1/10/60-minute sums, late events land in their bucket, old ones are ignored', () => {
  const w = new WindowCounters(2);
  const t = T0 + 5 * HOUR;
  for (let i = 0; i < 10; i++) w.add(0, t - i * MIN);
  assert.equal(w.sum(0, t, W1), 1);
  assert.ok(w.sum(0, t, W10) >= 9 && w.sum(0, t, W10) <= 10);
  assert.equal(w.sum(0, t, W60), 10);
  w.add(0, t - 30 * MIN); // late, inside the hour
  assert.equal(w.sum(0, t, W60), 11);
  w.add(0, t - 3 * HOUR); // older than the ring: ignored
  assert.equal(w.sum(0, t, W60), 11);
  assert.equal(w.sum(1, t, W60), 0);
  assert.equal(w.sum(0, t + 2 * HOUR, W60), 0);
  const r = WindowCounters.fromJSON(JSON.parse(JSON.stringify(w.toJSON())));
  assert.equal(r.sum(0, t, W60), 11);
});

test('text fingerprint ignores digits, case, punctuation, URLs and emoji; finds the script', () => {
  const f = () => ({ fingerprint: 0, length: 0, script: -1 });
  const a = textFeatures('Win ¥888 NOW!! claim http://a.xyz/1 🎁', f());
  const b = textFeatures('win 999 now — CLAIM https://b.top/zz', f());
  assert.equal(a.fingerprint, b.fingerprint);
  assert.notEqual(a.fingerprint, 0);
  assert.equal(SCRIPTS[a.script], 'latin');
  const c = textFeatures('澳门首家线上赌场，首充送888！', f());
  assert.equal(SCRIPTS[c.script], 'han');
  assert.equal(textFeatures('ok 👍', f()).fingerprint, 0, 'too short to fingerprint');
  assert.notEqual(hash53('a'), hash53('b'));
  assert.ok(hash53('x') <= Number.MAX_SAFE_INTEGER);
});

test('networks: IPv4 /24 and IPv6 /48', () => {
  assert.equal(networkOf('203.0.113.77'), '203.0.113.0/24');
  assert.equal(networkOf('::ffff:203.0.113.77'), '203.0.113.0/24');
  assert.equal(networkOf('2001:db8:abcd:12::1'), '2001:db8:abcd::/48');
  assert.equal(networkOf('2001:db8::1'), '2001:db8:0::/48');
});

test('event-time bounds: too old and too far in the future are rejected with a reason; late events are accepted', () => {
  const now = T0 + 10 * DAY;
  const e = new Engine({ content: new LexiconContentAnalyzer(), now: () => now });
  const base = { type: 'friend.added' as const, account: 'a', friend: 'b' };
  const old = e.process({ ...base, id: '1', time: now - 25 * HOUR });
  assert.deepEqual(old.status === 'rejected' && old.reason, 'too_old');
  const fut = e.process({ ...base, id: '2', time: now + 6 * MIN });
  assert.deepEqual(fut.status === 'rejected' && fut.reason, 'too_far_in_future');
  assert.equal(e.process({ ...base, id: '3', time: now - 23 * HOUR }).status, 'accepted');
  assert.equal(e.process({ ...base, id: '4', time: now + 4 * MIN }).status, 'accepted');
});

test('memory is bounded: accounts, fingerprints and sessions are evicted beyond their limits', () => {
  const sim = new Sim({ limits: { maxAccounts: 100, maxFingerprints: 50, maxSessions: 30 } });
  for (let i = 0; i < 1000; i++) {
    sim.t = T0 + i * 1000;
    sim.login(`u${i}`, { session: `s${i}`, device: 'd', ip: '10.0.0.1' });
    sim.send(`u${i}`, {
      to: ['x'],
      text: `unique message number ${'abcdefghij'[i % 10]}${i.toString(36)}`,
      session: `s${i}`,
    });
  }
  const s = sim.engine.getStats();
  assert.ok(s.accounts <= 100 && s.fingerprints <= 50 && s.sessions <= 30, JSON.stringify(s));
});

test('snapshot → JSON → restore gives the same decisions as the original engine', () => {
  const build = () => {
    const sim = new Sim();
    for (const a of ['p', 'q', 'r']) sim.history(a, { days: 8 });
    sim.t = T0 + 8 * DAY + 2 * HOUR;
    sim.login('p', { session: 'evil', method: 'qr', device: 'evil', ip: '203.0.113.9' });
    sim.send('p', { to: ['p-f9'], text: '澳门赌场 百家乐 http://bet-888.com', session: 'evil' });
    return sim;
  };
  const a = build();
  const json = JSON.stringify(a.engine.snapshot());
  const b = new Sim();
  const restored = Engine.restore(JSON.parse(json), {
    content: new LexiconContentAnalyzer(),
    now: () => a.t,
  });
  const ev = a.message('q', {
    to: ['q-f1', 'stranger'],
    text: '在吗 急需用钱 转我500',
    session: 'q-s0',
    t: a.t + MIN,
  });
  const d1 = a.engine.process(ev, { receivedAt: ev.time });
  const d2 = restored.process(ev, { receivedAt: ev.time });
  assert.deepEqual(d2, d1);
  assert.deepEqual(restored.accountRisk('p', a.t), a.engine.accountRisk('p', a.t));
  assert.equal(JSON.stringify(restored.snapshot()), JSON.stringify(a.engine.snapshot()));
  void b;
});

test('every decision explains itself: reasons in English and Chinese, signals with weights and contributions', () => {
  const sim = new Sim();
  sim.history('e', { days: 5 });
  sim.t = T0 + 5 * DAY + 3 * HOUR;
  sim.login('e', { session: 'n', method: 'qr', device: 'nd', ip: '198.51.100.1', country: 'KH' });
  const d = sim.send('e', { to: ['e-f1'], text: '约炮 裸聊 http://xxx-live.cn', session: 'n' });
  assert.ok(d.reasons.length >= 1 && d.reasons.length <= 3);
  for (const s of d.signals) {
    assert.ok(s.name in WEIGHTS, s.name);
    assert.equal(s.logOdds, s.weight * s.strength);
    assert.ok(s.reason.en.length > 0 && /[\u4e00-\u9fff]/.test(s.reason.zh));
  }
  const sum = d.signals.reduce((x, s) => x + s.logOdds, -5);
  assert.ok(Math.abs(sum - d.logit) < 0.01);
  const view = sim.engine.accountRisk('e', sim.t)!;
  assert.equal(view.contained, true);
  assert.equal(view.timeline[0]!.eventId, d.eventId);
  assert.equal(view.lastSession?.countryNew, true);
});

test('image bank match and late (out-of-order) message events', () => {
  const content = new LexiconContentAnalyzer();
  const bad = 'ab'.repeat(32);
  content.bank.set(bad, 'csam-adjacent-porn');
  const sim = new Sim({ content });
  sim.history('i', { days: 5 });
  sim.t = T0 + 5 * DAY + 12 * HOUR;
  const d = sim.send('i', { to: ['i-f1'], text: '', attachments: [{ sha256: bad }], session: 'i-s0' });
  assert.ok(d.signals.some((s) => s.name === 'image_bank'));
  const late = sim.send('i', { to: ['i-f2'], text: '晚到的消息', session: 'i-s0', t: sim.t - 2 * HOUR });
  assert.equal(late.time, sim.t - 2 * HOUR);
});

test('SDK event parsing: bounds and reasons', () => {
  // a long text is kept whole (scored whole), one over 1 MiB of UTF-8 is rejected, never cut
  const long = parsePlatformEvent({
    id: 'e1',
    type: 'message.sent',
    time: '2026-01-01T00:00:00Z',
    account: 'a',
    recipients: ['b'],
    text: 'x'.repeat(70_000),
    client: { kind: 'mobile', name: 'QQ' },
  });
  assert.ok(long.ok);
  if (long.ok && long.event.type === 'message.sent') {
    assert.equal(long.event.text.length, 70_000);
    assert.equal(long.event.time, T0);
  }
  const tooLong = parsePlatformEvent({
    id: 'e1b',
    type: 'message.sent',
    time: 1,
    account: 'a',
    recipients: ['b'],
    text: '长'.repeat(Math.floor(MAX_TEXT_BYTES / 3) + 1),
    client: { kind: 'mobile', name: 'QQ' },
  });
  assert.equal(!tooLong.ok && tooLong.reason, 'text_too_long');
  const atMax = parsePlatformEvent({
    id: 'e1c',
    type: 'message.sent',
    time: 1,
    account: 'a',
    recipients: ['b'],
    text: 'x'.repeat(MAX_TEXT_BYTES),
    client: { kind: 'mobile', name: 'QQ' },
  });
  assert.ok(atMax.ok);
  const many = parsePlatformEvent({
    id: 'e2',
    type: 'message.sent',
    time: 1,
    account: 'a',
    recipients: new Array(100_000).fill('b'),
    client: { kind: 'mobile', name: 'QQ' },
  });
  assert.equal(!many.ok && many.reason, 'recipients_too_many');
  const unk = parsePlatformEvent({ id: 'e3', type: 'nope', time: 1, account: 'a' });
  assert.equal(!unk.ok && unk.reason, 'unknown_type');
  const bad = parsePlatformEvent({ id: 'e4', type: 'friend.added', time: 1, account: 'a' });
  assert.equal(!bad.ok && bad.reason, 'invalid_event');
  assert.equal(!bad.ok && bad.id, 'e4');
  const norcpt = parsePlatformEvent({
    id: 'e5',
    type: 'message.sent',
    time: 1,
    account: 'a',
    client: { kind: 'web', name: 'w' },
  });
  assert.equal(norcpt.ok, false);
  assert.equal(parsePlatformEvent(null).ok, false);
  const nul = parsePlatformEvent({
    id: 'a\u0000b',
    type: 'friend.added',
    time: 1,
    account: 'a',
    friend: 'b',
  });
  assert.equal(!nul.ok && nul.reason, 'invalid_event');
  const lone = parsePlatformEvent({
    id: 'x',
    type: 'friend.added',
    time: 1,
    account: 'a\ud800',
    friend: 'b',
  });
  assert.equal(lone.ok, false);
  const emoji = parsePlatformEvent({
    id: 'x😀',
    type: 'friend.added',
    time: 1,
    account: '账号😀',
    friend: 'b',
  });
  assert.equal(emoji.ok, true);
  assert.equal(
    parsePlatformEvent({ id: 'x'.repeat(129), type: 'friend.added', time: 1, account: 'a', friend: 'b' }).ok,
    false,
  );
});

test('snapshot records (the streaming form) restore the same state', () => {
  const sim = new Sim({ limits: { maxVictimContacts: 50_000 } });
  for (const a of ['s1', 's2']) sim.history(a, { days: 4 });
  sim.t = T0 + 4 * DAY + 2 * HOUR;
  sim.login('s1', { session: 'evil', method: 'qr', device: 'evil', ip: '203.0.113.9' });
  sim.send('s1', { to: ['s1-f1'], text: '澳门赌场 百家乐 http://bet-888.com', session: 'evil' });
  const recs = [...sim.engine.snapshotRecords()].map((r) => JSON.parse(JSON.stringify(r)));
  const r = Engine.restorer({ content: new LexiconContentAnalyzer(), now: () => sim.t });
  for (const x of recs) r.add(x);
  const e2 = r.done();
  assert.equal(JSON.stringify(e2.snapshot()), JSON.stringify(sim.engine.snapshot()));
  assert.ok(recs.length > 4);
});

test('weights can be learned from labelled decisions (logistic regression over signal strengths)', () => {
  const sig = (name: string, strength = 1) => ({
    name,
    strength,
    value: 1,
    weight: 0,
    logOdds: 0,
    reason: { en: '', zh: '' },
  });
  const examples = [
    ...Array.from({ length: 40 }, () => ({
      decision: { signals: [sig('new_hour'), sig('intent_money')] },
      abusive: false,
    })),
    ...Array.from({ length: 40 }, () => ({
      decision: { signals: [sig('new_hour'), sig('intent_money'), sig('device_new')] },
      abusive: true,
    })),
  ];
  const before = fitWeights(examples, { epochs: 0 });
  const fit = fitWeights(examples, { epochs: 300, learningRate: 0.5, l2: 0.001 });
  assert.ok(fit.logLoss < before.logLoss);
  assert.ok(fit.weights.device_new > WEIGHTS.device_new.w, JSON.stringify(fit.weights.device_new));
  const e = new Engine({ content: new LexiconContentAnalyzer(), weights: fit.weights, bias: fit.bias });
  assert.equal(e.weights.device_new, fit.weights.device_new);
});

test('identity sends login.succeeded then session.created for one sign-in: the new device and network still count as new', () => {
  const sim = new Sim();
  const { friends } = sim.history('dup', {});
  sim.t = T0 + 30 * DAY + 14 * HOUR;
  sim.login('dup', { session: 'intruder', device: 'strange-pc', ip: '198.51.100.77' });
  sim.process({
    id: sim.id('sc'),
    type: 'identity.session.created',
    time: sim.t,
    account: 'dup',
    session: 'intruder',
    method: 'password',
    device: { id: 'strange-pc' },
    ip: '198.51.100.77',
  });
  sim.t += MIN;
  const d = sim.send('dup', { to: [friends[0]!], text: '在吗', session: 'intruder' });
  const names = d.signals.map((s) => s.name);
  assert.ok(names.includes('device_new'), names.join(', '));
  assert.ok(names.includes('network_new'), names.join(', '));
});
