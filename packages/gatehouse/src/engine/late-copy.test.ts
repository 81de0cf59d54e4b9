// A late delivery's copy (late-delivery.ts): a message the pre-send check stopped — judged and counted —
// that the platform delivered all the same is judged again as delivered, without being counted a second
// time: the engine's later judgements of the account are those of an engine that never saw the copy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY, HOUR, MIN, Sim, T0 } from './simulate.ts';
import { DELIVERED_PREFIX, type Decision, type MessageSentEvent } from './types.ts';

const judged = (d: Decision) => ({ action: d.action, logit: d.logit, signals: d.signals });
const START = T0 + 30 * DAY + 14 * HOUR;

/** An account with a month of ordinary life; `intruder`: then a session on another device and network. */
function account(intruder: boolean): { sim: Sim; session: string; friends: string[] } {
  const sim = new Sim();
  const { session, friends } = sim.history('mei', { days: 30 });
  sim.t = START;
  if (!intruder) return { sim, session, friends };
  sim.login('mei', { session: 'intruder', device: 'pc-x', ip: '198.51.100.7', country: 'CN' });
  return { sim, session: 'intruder', friends };
}

interface Msg {
  text: string;
  to?: number;
  group?: boolean;
}
const cases: Array<[string, boolean, Msg, Msg]> = [
  [
    "the owner's own session: a casino link, then the same again to other friends",
    false,
    { text: '首充送888 http://bet-888.com/vip', to: 3 },
    { text: '首充送888 http://bet-888.com/vip', to: 4 },
  ],
  [
    "the owner's own session: a blocked link to a group, then a plain message",
    false,
    { text: 'look http://xxx-live.cn/room/1', group: true },
    { text: '晚上一起吃饭吗', to: 1 },
  ],
  [
    "an intruder's session: a blocked link to friends, then a money request",
    true,
    { text: 'free nitro http://free-nitro.gift/claim', to: 5 },
    { text: '急需用钱，先转我2000', to: 3 },
  ],
];

for (const [name, intruder, first, then] of cases)
  test(`a late delivery's copy is not counted twice: ${name}`, () => {
    const a = account(intruder);
    const b = account(intruder);
    const send = (s: ReturnType<typeof account>, m: Msg, from: number, dt: number) =>
      s.sim.message('mei', {
        text: m.text,
        session: s.session,
        t: START + dt,
        ...(m.group
          ? { group: { id: 'family', memberCount: 12 } }
          : { to: s.friends.slice(from, from + m.to!) }),
        ...(/http/.test(m.text) ? { urls: [/http\S+/.exec(m.text)![0]] } : {}),
      });
    const m1 = send(a, first, 0, MIN);
    const d1 = a.sim.decide(m1);
    assert.ok(d1.action === 'block' || d1.action === 'contain', `the check stopped it: ${d1.action}`);
    assert.deepEqual(judged(d1), judged(b.sim.decide(send(b, first, 0, MIN))));
    // the platform timed the check out, delivered the message and reported it: the copy, as logged
    const copy: MessageSentEvent = { ...m1, id: `${DELIVERED_PREFIX}${m1.id}`, messageId: m1.id };
    const dc = a.sim.decide(copy);
    assert.equal(dc.messageId, m1.id, 'the copy names the platform message');
    assert.equal(dc.action, d1.action, 'judged as the check judged it');
    // what follows is judged as if the message had been seen once
    const m2a = a.sim.decide(send(a, then, 3, 2 * MIN));
    const m2b = b.sim.decide(send(b, then, 3, 2 * MIN));
    assert.deepEqual(judged(m2a), judged(m2b));
    // the account's state — profile, windows, recent recipients and texts — and its sessions alike (its
    // timeline names the copy's decision too)
    const state = (s: ReturnType<typeof account>) =>
      s.sim.engine
        .snapshot()
        .filter((r) => r[0] === 'account' || r[0] === 'session')
        .map(([kind, j]) => {
          const { tl: _, ...rest } = j as { tl?: unknown };
          return [kind, rest];
        });
    assert.deepEqual(state(a), state(b));
    const { timeline: _, ...view } = a.sim.engine.accountRisk('mei')!;
    const { timeline: __, ...viewB } = b.sim.engine.accountRisk('mei')!;
    assert.deepEqual(view, viewB);
  });
