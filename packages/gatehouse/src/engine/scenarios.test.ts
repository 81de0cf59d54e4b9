import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY, HOUR, MIN, Sim, T0 } from './simulate.ts';
import { toPreSend } from './scoring.ts';
import type { Action, Decision } from './types.ts';
import type { EngineOptions } from './engine.ts';

// The fast runs use the lexicon test analyzer; scenarios.real-content.test.ts loads this file as a module
// instance of its own (`?real-content`: both files may share one test process) with the real content
// analyzer and the shipped model in its place.
const scenarioOptions =
  (new URL(import.meta.url).searchParams.has('real-content')
    ? ((globalThis as Record<symbol, unknown>)[Symbol.for('gatehouse.test.scenarioOptions')] as
        Partial<EngineOptions> | undefined)
    : undefined) ?? {};

const RANK: Record<Action, number> = { allow: 0, challenge: 1, hold: 2, block: 3, contain: 4 };
const atLeast = (d: Decision, a: Action) =>
  assert.ok(RANK[d.action] >= RANK[a], `expected ≥ ${a}, got ${d.action} (logit ${d.logit}): ${names(d)}`);
const names = (d: Decision) => d.signals.map((s) => `${s.name}=${s.logOdds.toFixed(2)}`).join(', ');

test('QQ-style hijack: QR sign-in from a new device at night, then a gambling link blast → contained on the first message', () => {
  const sim = new Sim(scenarioOptions);
  const { friends } = sim.history('victim', { friends: Array.from({ length: 40 }, (_, i) => `v-f${i}`) });
  // 02:30 UTC the next night: relayed QR login from the criminals' machine
  sim.t = T0 + 30 * DAY + 2 * HOUR + 30 * MIN;
  const login = sim.login('victim', { session: 'evil', method: 'qr', device: 'evil-pc', ip: '203.0.113.7' });
  assert.equal(login.action, 'allow', 'a QR login on a new device alone is not blocked');
  sim.t += 2 * MIN;
  const first = sim.send('victim', {
    to: [friends[10]!],
    text: '澳门首家线上赌场，首充送888 https://bet-888.com/r/9 快来',
    session: 'evil',
    client: { kind: 'desktop', name: 'QQ-PC', version: '9.7' },
  });
  assert.equal(first.action, 'contain', names(first));
  assert.ok(first.reasons.length > 0 && first.reasons[0]!.zh.length > 0);
  // everything after containment is judged contain (blocked; the response does only what is new),
  // even a harmless text: never a challenge or throttle aimed at the frozen owner
  const second = sim.send('victim', { to: [friends[11]!], text: '你好', session: 'evil' });
  assert.equal(second.action, 'contain', names(second));
  const quiet = sim.send('victim', { to: [friends[0]!], text: '你好' });
  assert.equal(quiet.action, 'contain', names(quiet));
  assert.ok(second.signals.some((s) => s.name === 'account_contained'));
  // the victim's friends now carry a raised prior
  sim.t += 10 * MIN;
  const friendLogin = sim.login(friends[3]!, { session: 'f3-new', method: 'qr', device: 'x', ip: '1.1.1.1' });
  assert.ok(
    friendLogin.signals.some((s) => s.name === 'victim_contact'),
    names(friendLogin),
  );
});

test('QQ-style hijack with an unknown (not blocklisted) link sent to all friends at once → contained within two messages', () => {
  const sim = new Sim(scenarioOptions);
  const { friends } = sim.history('v2', { friends: Array.from({ length: 40 }, (_, i) => `v2-f${i}`) });
  sim.t = T0 + 30 * DAY + 1 * HOUR;
  sim.login('v2', { session: 'evil2', method: 'qr', device: 'evil-pc-2', ip: '198.51.100.20' });
  sim.t += 3 * MIN;
  const d1 = sim.send('v2', { to: friends, text: '看看这个 http://pics-hot.top/a', session: 'evil2' });
  sim.t += 20_000;
  const d2 = sim.send('v2', {
    to: friends.slice(0, 20),
    text: '看看这个 http://pics-hot.top/b',
    session: 'evil2',
  });
  assert.ok(d1.action === 'contain' || d2.action === 'contain', `${names(d1)} | ${names(d2)}`);
});

test('"friend needs money" to a few close friends from a new session → at least hold', () => {
  const sim = new Sim(scenarioOptions);
  const { friends } = sim.history('m', {});
  sim.t = T0 + 30 * DAY + 15 * HOUR;
  sim.login('m', { session: 'new', method: 'password', device: 'other-phone', ip: '198.51.100.99' });
  sim.t += 5 * MIN;
  const ev = sim.message('m', {
    to: [friends[0]!],
    text: '我在医院，急需用钱，先转我2000，明天还你',
    session: 'new',
  });
  const r = sim.engine.checkMessage(ev, { receivedAt: ev.time });
  assert.ok('verdict' in r);
  atLeast(r.decision, 'hold');
  assert.notEqual(r.verdict, 'allow');
  // the same words from the owner's usual session are allowed (people do ask friends for money)
  const own = sim.send('m', {
    to: [friends[1]!],
    text: '我在医院，急需用钱，先转我2000，明天还你',
    session: 'm-s0',
  });
  assert.equal(own.action, 'allow', names(own));
});

test('Lunar New Year: the same greeting at midnight from many accounts, usual devices and contacts → benign, no campaign', () => {
  const sim = new Sim(scenarioOptions);
  const accounts = Array.from({ length: 40 }, (_, i) => `ny${i}`);
  const fr = new Map<string, string[]>();
  for (const a of accounts) fr.set(a, sim.history(a, { hours: [10, 21] }).friends);
  const midnight = T0 + 30 * DAY;
  const actions = new Map<Action, number>();
  for (let k = 0; k < 6; k++)
    for (const [i, a] of accounts.entries()) {
      sim.t = midnight + i * 1000 + k * 20_000;
      const d = sim.send(a, {
        to: [fr.get(a)![k]!],
        text: '新年快乐，万事如意，身体健康，恭喜发财！',
        session: `${a}-s0`,
      });
      actions.set(d.action, (actions.get(d.action) ?? 0) + 1);
      assert.equal(d.action, 'allow', names(d));
    }
  assert.equal(sim.engine.campaigns().length, 0);
});

test('a benign viral link shared by many long-standing accounts → benign, no campaign', () => {
  const sim = new Sim(scenarioOptions);
  const accounts = Array.from({ length: 40 }, (_, i) => `vl${i}`);
  for (const a of accounts) sim.history(a, { links: a.endsWith('1') });
  for (const [i, a] of accounts.entries()) {
    sim.t = T0 + 30 * DAY + 14 * HOUR + i * 30_000;
    const d = sim.send(a, {
      to: [`${a}-f1`, `${a}-f2`],
      text: '哈哈这个视频太好笑了 https://www.bilibili.com/video/BV1xx411c7mD',
      session: `${a}-s0`,
    });
    assert.equal(d.action, 'allow', names(d));
  }
  assert.equal(sim.engine.campaigns().length, 0);
});

test('campaign: the same phishing text from many hijacked accounts becomes a campaign; later senders are flagged by it', () => {
  const sim = new Sim(scenarioOptions);
  const accounts = Array.from({ length: 8 }, (_, i) => `c${i}`);
  for (const a of accounts) sim.history(a, { days: 20 });
  const t1 = T0 + 20 * DAY + 3 * HOUR;
  const created: string[] = [];
  for (const [i, a] of accounts.entries()) {
    sim.t = t1 + i * 2 * MIN;
    sim.login(a, { session: `${a}-evil`, method: 'qr', device: `farm-${i}`, ip: `203.0.113.${i}` });
    const r = sim.process(
      sim.message(a, {
        to: [`${a}-f7`, `${a}-f8`, `${a}-f9`],
        text: `免费领取游戏皮肤，登录验证 http://qq-gift${i}.top/login`,
        session: `${a}-evil`,
      }),
    );
    assert.equal(r.status, 'accepted');
    if (r.status === 'accepted' && r.campaignsCreated) created.push(...r.campaignsCreated.map((c) => c.id));
  }
  const list = sim.engine.campaigns();
  assert.ok(list.length >= 1, 'a campaign was detected');
  const c = list.find((x) => x.kind === 'text')!;
  assert.ok(c, JSON.stringify(list));
  assert.ok(c.memberCount >= 5);
  assert.equal(c.status, 'active');
  assert.ok(c.senders60m! >= 5 && c.deviating60m! >= 5, JSON.stringify(c));
  assert.ok(created.includes(c.id));
  assert.deepEqual(sim.engine.campaign(c.id)?.id, c.id);
  // an operator quarantines it: the content is blocked even from an ordinary session
  sim.engine.setCampaignStatus(c.id, 'quarantined');
  sim.history('bystander', { days: 20 });
  const d = sim.send('bystander', {
    to: ['bystander-f1'],
    text: '免费领取游戏皮肤，登录验证 http://qq-gift99.top/login',
    session: 'bystander-s0',
  });
  atLeast(d, 'block');
  assert.ok(d.signals.some((s) => s.name === 'content_quarantined'));
});

test('login wave: many new-device sign-ins from one network are challenged before any spam', () => {
  const sim = new Sim(scenarioOptions);
  const accounts = Array.from({ length: 8 }, (_, i) => `w${i}`);
  for (const a of accounts) sim.history(a, { days: 3 });
  const t1 = T0 + 3 * DAY + 4 * HOUR;
  const ds: Decision[] = [];
  for (const [i, a] of accounts.entries()) {
    sim.t = t1 + i * 30_000;
    ds.push(sim.login(a, { session: `${a}-x`, method: 'qr', device: `bot-${i}`, ip: `45.9.8.${10 + i}` }));
  }
  assert.equal(ds[0]!.action, 'allow');
  for (const d of ds.slice(4)) {
    assert.ok(
      d.signals.some((s) => s.name === 'login_wave'),
      names(d),
    );
    atLeast(d, 'challenge');
  }
  // an early member of the wave is caught when it starts sending
  sim.t = t1 + 6 * MIN;
  const m = sim.send('w0', { to: ['w0-f1'], text: '在吗', session: 'w0-x' });
  assert.ok(
    m.signals.some((s) => s.name === 'login_wave'),
    names(m),
  );
});

test('recipient reports raise the sender’s risk', () => {
  const sim = new Sim(scenarioOptions);
  sim.history('r', { days: 5 });
  sim.t = T0 + 5 * DAY + 12 * HOUR;
  let d: Decision | undefined;
  for (let i = 0; i < 4; i++)
    d = sim.decide({
      id: sim.id(),
      type: 'message.reported',
      time: sim.t + i,
      account: `rep${i}`,
      messageId: 'm1',
      sender: 'r',
      reason: 'scam',
    });
  assert.equal(d!.account, 'r');
  assert.ok(d!.signals.some((s) => s.name === 'reports' && s.value === 4));
  const m = sim.send('r', { to: ['r-f1'], text: '在吗', session: 'r-s0' });
  assert.ok(m.signals.some((s) => s.name === 'reports'));
});

test('velocity, fan-out and first-contact burst from the account’s own history', () => {
  const sim = new Sim(scenarioOptions);
  sim.history('b', { days: 10 });
  sim.t = T0 + 10 * DAY + 15 * HOUR;
  let d: Decision | undefined;
  for (let i = 0; i < 60; i++) {
    sim.t += 5_000;
    d = sim.send('b', { to: [`stranger-${i}`], text: `hello ${i} add me`, session: 'b-s0' });
  }
  const n = new Set<string>(d!.signals.map((s) => s.name));
  for (const k of ['velocity', 'fanout', 'first_contact_burst', 'new_recipients'])
    assert.ok(n.has(k), names(d!));
});

test('group blast from a new session', () => {
  const sim = new Sim(scenarioOptions);
  sim.history('g', { days: 10 });
  sim.t = T0 + 10 * DAY + 23 * HOUR;
  sim.login('g', { session: 'g-new', method: 'device_code', device: 'dc', ip: '100.64.1.1' });
  let d: Decision | undefined;
  for (let i = 0; i < 12; i++) {
    sim.t += 10_000;
    d = sim.send('g', {
      group: { id: `grp${i}`, memberCount: 500 },
      text: `澳门赌场 百家乐 ${i}`,
      session: 'g-new',
    });
  }
  assert.ok(
    d!.signals.some((s) => s.name === 'group_blast'),
    names(d!),
  );
  atLeast(d!, 'block');
});

test('pre-send check maps decisions: challenge → hold, contain → block', () => {
  assert.equal(toPreSend('allow'), 'allow');
  assert.equal(toPreSend('challenge'), 'hold');
  assert.equal(toPreSend('hold'), 'hold');
  assert.equal(toPreSend('block'), 'block');
  assert.equal(toPreSend('contain'), 'block');
});

test('Lunar New Year greeting to all friends in one go (and a red-envelope-free card image) stays benign', () => {
  const sim = new Sim(scenarioOptions);
  const accounts = Array.from({ length: 30 }, (_, i) => `ny2-${i}`);
  const fr = new Map<string, string[]>();
  for (const a of accounts) fr.set(a, sim.history(a, { hours: [10, 21], perDay: 6 }).friends);
  const card = 'cd'.repeat(32);
  for (const [i, a] of accounts.entries()) {
    sim.t = T0 + 30 * DAY + i * 2000;
    const d = sim.send(a, {
      to: fr.get(a)!.slice(0, 6),
      text: '新年快乐！祝你和家人马年大吉，万事如意',
      attachments: [{ sha256: card }],
      session: `${a}-s0`,
    });
    assert.equal(d.action, 'allow', names(d));
  }
  assert.equal(sim.engine.campaigns().length, 0);
});

test('midnight greeting to every friend, one by one, in another language: allowed from the usual session (familiar_context), challenged from an intruder’s new device', () => {
  const sim = new Sim(scenarioOptions);
  const friends = Array.from({ length: 40 }, (_, i) => `nyf-${i}`);
  sim.history('owner', { hours: [10, 21], friends });
  sim.history('victim', { hours: [10, 21], friends: friends.map((f) => `v-${f}`) });
  const midnight = T0 + 30 * DAY;
  sim.t = midnight - 5 * MIN;
  sim.login('victim', { session: 'evil', method: 'qr', device: 'farm-pc', ip: '203.0.113.9' });
  let worstOwner: Decision | undefined;
  let worstIntruder: Decision | undefined;
  for (const [i, f] of friends.entries()) {
    sim.t = midnight + i * 5000;
    const d = sim.send('owner', {
      to: [f],
      text: 'Happy New Year! All the best for the year ahead',
      session: 'owner-s0',
    });
    if (!worstOwner || d.logit > worstOwner.logit) worstOwner = d;
    const x = sim.send('victim', {
      to: [`v-${f}`],
      text: 'Happy New Year! All the best for the year ahead',
      session: 'evil',
    });
    if (!worstIntruder || x.logit > worstIntruder.logit) worstIntruder = x;
  }
  assert.equal(worstOwner!.action, 'allow', names(worstOwner!));
  assert.ok(
    worstOwner!.signals.some((s) => s.name === 'familiar_context' && s.logOdds < 0),
    names(worstOwner!),
  );
  assert.ok(
    worstOwner!.signals.some((s) => s.name === 'first_contact_burst'),
    'the burst is still seen and explained',
  );
  atLeast(worstIntruder!, 'challenge');
  assert.ok(!worstIntruder!.signals.some((s) => s.name === 'familiar_context'), names(worstIntruder!));
});

test('signed in again on the usual phone minutes before midnight, then greeting every friend: a quarter-weight young session, no new-session burst, allowed', () => {
  const sim = new Sim(scenarioOptions);
  const friends = Array.from({ length: 30 }, (_, i) => `re-f${i}`);
  sim.history('relogin', { hours: [10, 21], friends });
  const midnight = T0 + 30 * DAY;
  sim.login('relogin', { session: 'again', device: 'relogin-phone', ip: '10.1.2.77', t: midnight - 3 * MIN });
  let worst: Decision | undefined;
  for (const [i, f] of friends.entries()) {
    sim.t = midnight + i * 3000;
    const d = sim.send('relogin', { to: [f], text: '新年快乐呀，明年见 🧧', session: 'again' });
    if (!worst || d.logit > worst.logit) worst = d;
  }
  assert.equal(worst!.action, 'allow', names(worst!));
  const young = worst!.signals.find((s) => s.name === 'session_new');
  assert.ok(young && young.strength <= 0.25, names(worst!));
  assert.ok(!worst!.signals.some((s) => s.name === 'new_session_burst'), names(worst!));
  // the same burst from a fresh sign-in on another machine is the QQ pattern
  sim.login('relogin', { session: 'other', device: 'pc-farm', ip: '203.0.113.50', t: sim.t });
  const x = sim.send('relogin', {
    to: [friends[0]!, friends[1]!],
    text: '新年快乐呀，明年见 🧧',
    session: 'other',
  });
  assert.ok(
    x.signals.some((s) => s.name === 'session_new' && s.strength > 0.9),
    names(x),
  );
  assert.ok(
    x.signals.some((s) => s.name === 'new_session_burst'),
    names(x),
  );
});

test('late events: a message arriving after newer ones is counted in its own window', () => {
  const sim = new Sim(scenarioOptions);
  sim.history('late', { days: 5 });
  const t = T0 + 5 * DAY + 12 * HOUR;
  sim.t = t;
  for (let i = 0; i < 30; i++)
    sim.send('late', {
      to: [`late-x${i}`],
      text: `hi there friend ${i}`,
      session: 'late-s0',
      t: t + i * 1000,
    });
  // an event timed inside the burst, arriving after it, is scored on the window ending at its own
  // time (2-minute buckets: it sees its own bucket)
  const d = sim.send('late', { to: ['late-y'], text: 'an older message', session: 'late-s0', t: t + 10_000 });
  assert.ok(
    d.signals.some((s) => s.name === 'first_contact_burst'),
    names(d),
  );
  // an event timed before the burst does not see it
  const early = sim.send('late', {
    to: ['late-z'],
    text: 'a much older message',
    session: 'late-s0',
    t: t - 15 * MIN,
  });
  assert.ok(!early.signals.some((s) => s.name === 'first_contact_burst'), names(early));
  // and the late events count for later ones
  const next = sim.send('late', { to: ['late-w'], text: 'and now', session: 'late-s0', t: t + 40_000 });
  assert.equal(next.signals.find((s) => s.name === 'first_contact_burst')?.value, 32);
});

test('campaign of near-duplicates: varied wording (MinHash over shingles) from hijacked accounts is one campaign that catches new variants', () => {
  const sim = new Sim(scenarioOptions);
  const accounts = Array.from({ length: 8 }, (_, i) => `sh${i}`);
  for (const a of accounts) sim.history(a, { days: 20 });
  const t1 = T0 + 20 * DAY + 3 * HOUR;
  const fillers = ['亲', '哈喽', '兄弟', '朋友', '嗨', '在吗', '快看', '速来'];
  for (const [i, a] of accounts.entries()) {
    sim.t = t1 + i * MIN;
    sim.login(a, { session: `${a}-evil`, method: 'qr', device: `farm-${i}`, ip: `203.0.113.${i}` });
    sim.send(a, {
      to: [`${a}-f7`, `${a}-f8`],
      text: `${fillers[i]}，官方活动免费送游戏皮肤和点券，名额有限先到先得，登录领取就送限定英雄皮肤 http://skin${i}.top/get`,
      session: `${a}-evil`,
    });
  }
  const list = sim.engine.campaigns();
  assert.equal(list.length, 1, JSON.stringify(list.map((c) => [c.key, c.memberCount])));
  assert.ok(list[0]!.memberCount >= 5);
  // a fresh variant from an ordinary account is recognised as the same campaign
  sim.history('sh-bystander', { days: 20 });
  const d = sim.send('sh-bystander', {
    to: ['sh-bystander-f1'],
    text: '老铁，官方活动免费送游戏皮肤和点券，名额有限先到先得，登录领取就送限定英雄皮肤 http://skin99.top/get',
    session: 'sh-bystander-s0',
  });
  assert.deepEqual(d.campaigns, [list[0]!.id]);
});

test('campaign growth is reported at 10, 20, 50 … members', () => {
  const sim = new Sim(scenarioOptions);
  const accounts = Array.from({ length: 12 }, (_, i) => `gr${i}`);
  for (const a of accounts) sim.history(a, { days: 10 });
  const t1 = T0 + 10 * DAY + 3 * HOUR;
  const grew: number[] = [];
  for (const [i, a] of accounts.entries()) {
    sim.t = t1 + i * MIN;
    sim.login(a, { session: `${a}-evil`, method: 'qr', device: `farm-${i}`, ip: `203.0.113.${i}` });
    const r = sim.process(
      sim.message(a, {
        to: [`${a}-f8`],
        text: '点击领取免费皮肤 http://skins-free.top/x',
        session: `${a}-evil`,
      }),
    );
    if (r.status === 'accepted' && r.campaignsGrown) grew.push(...r.campaignsGrown.map((c) => c.memberCount));
  }
  assert.deepEqual(grew, [10]);
});
