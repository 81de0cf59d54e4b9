// Content owners passed along before the campaign tracker followed it (prior-senders.ts) is organic all
// the same: a settling-up ask a crowd of owners sent from home, then sent by a few owners on new phones
// (who show compromise by their sessions), is no campaign and is quarantined for nobody — whether the
// tracker began to follow it with those new phones or earlier, with an owner breaking habits. The same
// ask sent only by hijacked sessions still forms a campaign.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PriorSenders, inSketch } from './prior-senders.ts';
import { hash53 } from './text.ts';
import { DAY, HOUR, MIN, Sim, T0 } from './simulate.ts';
import type { Decision } from './types.ts';
import { decisionNames as names, hasSignal as has, realContent } from '../testing/engine.ts';

function society(sim: Sim, prefix: string, n: number, hour: number): string[] {
  const accounts = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  for (const [i, a] of accounts.entries())
    sim.history(a, {
      hours: [9, 21],
      friends: Array.from({ length: 12 }, (_, k) => `${a}-f${k}`),
      ip: `10.77.${i % 250}.7`,
    });
  sim.t = T0 + 30 * DAY + hour * HOUR;
  return accounts;
}

const ASKS = [
  '押金和门票我先垫了，你们每人转我230',
  '上周露营的营地费和烧烤食材一共九百，咱们六个人一人150，微信转我就行',
  'the lake house came to 260 each after the deposit came back, send it over when you get a sec',
];

/** Owners on brand-new phones on new networks (their sessions show compromise) send `text` to `n` friends. */
function newPhones(sim: Sim, owners: string[], text: string, tag: string, n = 3): Decision[] {
  const out: Decision[] = [];
  for (const [i, a] of owners.entries()) {
    sim.login(a, { session: `${a}-${tag}`, device: `${a}-${tag}-phone`, ip: `198.18.${40 + i}.9` });
    sim.t += MIN;
    const to = Array.from({ length: n }, (_, k) => `${a}-f${k + 1}`);
    out.push(sim.send(a, { to, text, session: `${a}-${tag}` }));
  }
  return out;
}

test('a settling-up ask twenty owners sent from home, then five owners on new phones: no campaign, nothing of it quarantinable, home owners still allowed', () => {
  for (const [n, text] of ASKS.entries()) {
    const sim = new Sim({ content: realContent() });
    const owners = society(sim, `aa${n}-`, 32, 20);
    // at home, on the usual phone, a couple of close friends each: nobody deviates, nothing is followed yet
    for (const a of owners.slice(0, 20)) {
      sim.t += 40_000;
      const d = sim.send(a, { to: [`${a}-f1`, `${a}-f2`], text, session: `${a}-s0` });
      assert.equal(d.action, 'allow', names(d));
    }
    const away = newPhones(sim, owners.slice(20, 25), text, 'trip');
    // held or contained on their own sessions' evidence (the cost of a new phone), but never as a crowd
    for (const d of away) {
      assert.ok(!has(d, 'campaign_member') && !has(d, 'campaign_forming'), names(d));
      assert.ok(!(d.fingerprints ?? []).some((k) => k.startsWith('t:')), JSON.stringify(d.fingerprints));
    }
    assert.deepEqual(sim.engine.campaigns(), []);
    for (const a of owners.slice(25)) {
      sim.t += 20_000;
      const d = sim.send(a, { to: [`${a}-f1`, `${a}-f2`], text, session: `${a}-s0` });
      assert.equal(d.action, 'allow', names(d));
      assert.ok(!has(d, 'content_quarantined'), names(d));
    }
  }
});

test('followed from a first owner on a new phone, the ask is organic by its text: later new phones form no near-duplicate campaign either', () => {
  const sim = new Sim({ content: realContent() });
  const owners = society(sim, 'nd-', 30, 20);
  const text = '这次出去玩的门票、缆车和民宿押金我都先垫了，一共一千三百八，你们每人转我230就行，不急';
  // the first to send it is on a new phone: the tracker follows the text and its near-duplicate bands
  // from here; the owners at home who follow are counted on the text, the bands see only new phones
  const [first] = newPhones(sim, [owners[0]!], text, 'nd', 11);
  assert.ok(first!.action !== 'allow', names(first!));
  for (const a of owners.slice(1, 20)) {
    sim.t += 30_000;
    sim.send(a, { to: [`${a}-f1`], text, session: `${a}-s0` });
  }
  const away = newPhones(sim, owners.slice(20, 28), text, 'nd', 11);
  for (const d of away) assert.ok(!has(d, 'campaign_member') && !has(d, 'campaign_forming'), names(d));
  assert.deepEqual(sim.engine.campaigns(), []);
});

test('an ask sent only from hijacked sessions is still a campaign and quarantinable, two owners forwarding it before notwithstanding', () => {
  const sim = new Sim({ content: realContent() });
  const owners = society(sim, 'hj-', 12, 20);
  const lure = '在吗？我这边急用钱，先转我2000，明天就还你';
  for (const a of owners.slice(0, 2)) {
    sim.t += 40_000;
    sim.send(a, { to: [`${a}-f1`], text: lure, session: `${a}-s0` });
  }
  const hijacked = newPhones(sim, owners.slice(2, 9), lure, 'evil');
  const [c] = sim.engine.campaigns();
  assert.ok(c && c.memberCount >= 5, JSON.stringify(sim.engine.campaigns()));
  const last = hijacked.at(-1)!;
  assert.ok(has(last, 'campaign_member'), names(last));
  // a campaign's content never gives way to organic spread
  assert.equal(sim.engine.organicKey(c.key), false);
  assert.ok(
    (last.fingerprints ?? []).some((k) => k.startsWith('t:')),
    JSON.stringify(last.fingerprints),
  );
});

test('prior senders: distinct accounts within the hour, a popular slot kept, one-off content churned, the sketch names who was counted', () => {
  const p = new PriorSenders(4);
  const t = 1_000_000;
  const senders = Array.from({ length: 40 }, (_, i) => hash53(`acct-${i}`));
  for (const [i, h] of senders.entries()) {
    p.see(101, h, t + i);
    p.see(101, h, t + i + 1); // the same account again: counted once
  }
  // another content of the same slot (101 & 3 = 1): the popular one keeps it
  p.see(105, hash53('x'), t + 100);
  const got = p.take(101, t + 200)!;
  assert.ok(got.count >= 34 && got.count <= 46, String(got.count));
  assert.equal(got.last, t + 40);
  assert.ok(senders.every((h) => inSketch(got.bits, h)));
  assert.equal(p.take(101, t + 200), undefined, 'taken once');
  // one-off content gives its slot to the next
  p.see(9, hash53('a'), t);
  p.see(13, hash53('b'), t + 1);
  assert.equal(p.take(9, t + 2), undefined);
  assert.equal(p.take(13, t + 2)!.count, 1);
  // over an hour since the last sending: nothing handed over, and the count starts again
  p.see(21, hash53('a'), t);
  p.see(21, hash53('b'), t + 1);
  assert.equal(p.take(21, t + HOUR + 2), undefined);
  p.see(25, hash53('a'), t);
  p.see(25, hash53('b'), t + 1);
  p.see(25, hash53('c'), t + HOUR + 5);
  assert.equal(p.take(25, t + HOUR + 6)!.count, 1);
  assert.throws(() => new PriorSenders(3), RangeError);
});

test('a card site a crowd of owners shares is nobody’s own new link: an owner on a new phone passing it on is not taken for a lone intruder’s link spread; an intruder’s own site still is', () => {
  const sim = new Sim({ content: realContent() });
  const owners = society(sim, 'card-', 24, 20);
  const card = '中秋快乐！给你做了一张月饼贺卡，点开看看 https://www.moon-cards.cn/c/8d2';
  for (const a of owners.slice(0, 20)) {
    sim.t += 30_000;
    sim.send(a, { to: [`${a}-f1`, `${a}-f2`], text: card, session: `${a}-s0` });
  }
  // the card's site is passed along organically: an automatic quarantine of it would give way
  assert.equal(sim.engine.organicKey('d:moon-cards.cn'), true);
  assert.equal(sim.engine.organicKey('d:moon-card-gift.top'), false);
  const everyone = (a: string) => Array.from({ length: 11 }, (_, k) => `${a}-f${k + 1}`);
  const [traveller, victim] = owners.slice(20) as [string, string];
  sim.login(traveller, { session: 'trip', device: `${traveller}-newphone`, ip: '198.18.60.4' });
  sim.t += 2 * MIN;
  const own = sim.send(traveller, { to: everyone(traveller), text: card, session: 'trip' });
  assert.ok(!has(own, 'session_link_spread'), names(own));
  assert.notEqual(own.action, 'contain', names(own));
  sim.login(victim, { session: 'evil', device: 'farm-9', ip: '203.0.113.90' });
  sim.t += 2 * MIN;
  const lure = sim.send(victim, {
    to: everyone(victim),
    text: '中秋快乐！给你做了一张月饼贺卡，点开看看 https://moon-card-gift.top/c/8d2',
    session: 'evil',
  });
  assert.ok(has(lure, 'session_link_spread'), names(lure));
  assert.equal(lure.action, 'contain', names(lure));
});
