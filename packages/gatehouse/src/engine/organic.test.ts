// Organic spread or hijack (issue 14 items 1 and 2): content passed along by owners on their usual
// sessions is never a campaign and never holds or freezes them; a campaign needs senders that show
// compromise; a lone intruder is contained on the account's own evidence, with no crowd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINE_ASK_FLOOR } from '../content/text/score.ts';
import { UNUSUAL_SESSION_SCAM_PRIOR } from './pipeline.ts';
import { DAY, HOUR, MIN, Sim, T0 } from './simulate.ts';
import type { Action, Decision } from './types.ts';
import { decisionNames as names, hasSignal as has, realContent } from '../testing/engine.ts';

const RANK: Record<Action, number> = { allow: 0, challenge: 1, hold: 2, block: 3, contain: 4 };

/**
 * Sends `send(k)` (k = 0, 1, …; each advances the clock) until a decision contains the account, at most
 * `max` messages; `check` sees each decision first. How many went through, and whether it was contained.
 */
function untilContained(
  max: number,
  send: (k: number) => Decision,
  check: (d: Decision, k: number) => void = () => undefined,
): { reached: number; contained: boolean } {
  let reached = 0;
  let contained = false;
  for (let k = 0; k < max && !contained; k++) {
    const d = send(k);
    check(d, k);
    if (d.action === 'allow') reached++;
    contained = d.action === 'contain';
  }
  return { reached, contained };
}

/** `n` accounts with a month of daytime habits and their own friends; the clock at `day` + `hour`. */
function society(sim: Sim, prefix: string, n: number, hour: number, friends = 25): string[] {
  const accounts = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  for (const a of accounts)
    sim.history(a, {
      hours: [9, 21],
      friends: Array.from({ length: friends }, (_, k) => `${a}-f${k}`),
      ip: `10.${n}.${accounts.indexOf(a) % 250}.7`,
    });
  sim.t = T0 + 30 * DAY + hour * HOUR;
  return accounts;
}

test('an e-card from a never-linked site sent to every friend by many owners at midnight: organic, no campaign, nobody held', () => {
  const sim = new Sim({ content: realContent() });
  const owners = society(sim, 'card', 24, 24);
  const text = '送你一张新年贺卡，打开有惊喜 https://www.newyear-cards.cn/c/77ab';
  for (const [i, a] of owners.entries()) {
    sim.t += 20_000;
    const d = sim.send(a, {
      to: Array.from({ length: 25 }, (_, k) => `${a}-f${k}`),
      text,
      session: `${a}-s0`,
      t: sim.t + i,
    });
    assert.ok(RANK[d.action] <= RANK.allow, names(d));
    assert.ok(!has(d, 'campaign_member') && !has(d, 'campaign_forming'), names(d));
  }
  assert.deepEqual(sim.engine.campaigns(), []);
  for (const a of owners) assert.equal(sim.engine.accountRisk(a)!.contained, false);
});

test('red-packet wishes and a holiday greeting to all friends, one by one, from the usual phone: allowed and explained', () => {
  const sim = new Sim({ content: realContent() });
  const [a] = society(sim, 'rp', 1, 24, 30);
  let worst: Decision | undefined;
  const wishes = ['新春快乐，恭喜发财，红包拿来 🧧', '过年好！红包多多，财源滚滚', 'Happy New Year! 🧨'];
  for (let k = 0; k < 30; k++) {
    sim.t += 4_000;
    const d = sim.send(a!, { to: [`${a}-f${k}`], text: wishes[k % wishes.length]!, session: `${a}-s0` });
    if (!worst || d.logit > worst.logit) worst = d;
  }
  assert.equal(worst!.action, 'allow', names(worst!));
  assert.ok(has(worst!, 'familiar_context'), names(worst!));
});

test('a few owners on a new network pass on the same card as hundreds of others: still organic (their share is small), not contained', () => {
  const sim = new Sim({ content: realContent() });
  const owners = society(sim, 'mix', 30, 20);
  const text = '给你的电子贺卡，点开看看吧 https://cards.example-greet.com/x/9';
  // five of them are travelling: signed in an hour ago on a hotel network (same phone)
  for (const [i, a] of owners.slice(0, 5).entries())
    sim.login(a, { session: `${a}-hotel`, device: `${a}-phone`, ip: `192.0.2.${10 + i}` });
  sim.t += 60 * MIN;
  const decisions: Decision[] = [];
  // the card goes around from usual phones first, then the travellers pass it on too
  for (const [i, a] of [...owners.slice(5), ...owners.slice(0, 5)].entries()) {
    sim.t += 10_000;
    const travelling = owners.indexOf(a) < 5;
    const d = sim.send(a, {
      to: [`${a}-f1`, `${a}-f2`],
      text,
      session: travelling ? `${a}-hotel` : `${a}-s0`,
      t: sim.t + i,
    });
    decisions.push(d);
  }
  assert.equal(sim.engine.campaigns().length, 0, JSON.stringify(sim.engine.campaigns()));
  for (const d of decisions) assert.ok(d.action !== 'contain' && !has(d, 'campaign_member'), names(d));
});

test('the same content from hijacked sessions is a campaign; an owner forwarding it is recognised but neither a member nor raised by it', () => {
  const sim = new Sim();
  const hijacked = society(sim, 'hj', 6, 3);
  for (const [i, a] of hijacked.entries()) {
    sim.t += MIN;
    sim.login(a, { session: `${a}-evil`, method: 'qr', device: `farm-${i}`, ip: `203.0.113.${40 + i}` });
    sim.send(a, {
      to: [`${a}-f3`, `${a}-f4`, `${a}-f5`],
      text: '点击领取免费皮肤，验证账号马上到账 http://skin-gift-now.top/v',
      session: `${a}-evil`,
    });
  }
  const [c] = sim.engine.campaigns();
  assert.ok(c && c.memberCount >= 5 && c.compromised60m! >= 5, JSON.stringify(c));
  sim.history('fwd', { hours: [0, 23] });
  const plain = sim.send('fwd', { to: ['fwd-f1'], text: 'hello', session: 'fwd-s0' });
  const d = sim.send('fwd', {
    to: ['fwd-f1'],
    text: '点击领取免费皮肤，验证账号马上到账 http://skin-gift-now.top/v',
    session: 'fwd-s0',
  });
  assert.deepEqual(d.campaigns, [c.id]);
  assert.ok(!has(d, 'campaign_member') && !has(d, 'campaign_forming'), names(d));
  assert.ok(!sim.engine.campaign(c.id)!.members.includes('fwd'));
  assert.ok(d.action !== 'contain', names(d));
  assert.equal(plain.action, 'allow');
});

test('a friend of a contained victim greeting everyone from the usual phone carries no victim prior; from a new device it does', () => {
  const sim = new Sim();
  const [victim, friend] = society(sim, 'vc', 2, 14);
  sim.process({ id: 'fr-x', type: 'friend.added', time: sim.t, account: victim!, friend: friend! });
  sim.engine.markVictim(victim!, sim.t);
  sim.t += MIN;
  const greet = sim.send(friend!, {
    to: Array.from({ length: 25 }, (_, k) => `${friend}-f${k}`),
    text: 'Happy holidays everyone!',
    session: `${friend}-s0`,
  });
  assert.equal(greet.action, 'allow', names(greet));
  assert.ok(!has(greet, 'victim_contact'), names(greet));
  sim.login(friend!, { session: 'intruder', method: 'qr', device: 'pc-x', ip: '198.51.100.77' });
  sim.t += MIN;
  const x = sim.send(friend!, {
    to: Array.from({ length: 25 }, (_, k) => `${friend}-f${k}`),
    text: 'Happy holidays everyone!',
    session: 'intruder',
  });
  assert.ok(has(x, 'victim_contact'), names(x));
});

test("identity's account.frozen is the one channel: a containment marks the victim's contacts from the decision's time, a sanction does not, unfrozen releases", () => {
  const sim = new Sim();
  const [victim, friend, sanctioned, other] = society(sim, 'fz', 4, 14);
  sim.process({ id: 'fz-f1', type: 'friend.added', time: sim.t, account: victim!, friend: friend! });
  sim.process({ id: 'fz-f2', type: 'friend.added', time: sim.t, account: sanctioned!, friend: other! });
  const decidedAt = sim.t - HOUR;
  sim.process({
    id: 'fz-c',
    type: 'identity.account.frozen',
    time: sim.t,
    account: victim!,
    kind: 'containment',
    decidedAt,
  });
  sim.process({
    id: 'fz-s',
    type: 'identity.account.frozen',
    time: sim.t,
    account: sanctioned!,
    kind: 'sanction',
  });
  assert.equal(sim.engine.accountRisk(victim!)!.contained, true);
  assert.equal(sim.engine.accountRisk(sanctioned!)!.contained, true);
  assert.equal(sim.engine.accountRisk(friend!)!.victimContact, true);
  assert.equal(sim.engine.accountRisk(other!)!.victimContact, false, 'a sanction is no hijack');
  // the prior runs from the decision's time, not the freeze's
  const limit = decidedAt + 72 * HOUR;
  assert.equal(sim.engine.accountRisk(friend!, limit - 1)!.victimContact, true);
  assert.equal(sim.engine.accountRisk(friend!, limit)!.victimContact, false);
  sim.process({ id: 'fz-u', type: 'identity.account.unfrozen', time: sim.t, account: victim! });
  assert.equal(sim.engine.accountRisk(victim!)!.contained, false);
});

test('quarantined content from an owner who shows no compromise is stopped as a message but never contains the account', () => {
  const sim = new Sim();
  const [a] = society(sim, 'qc', 1, 15);
  sim.engine.quarantine('d:example-greet.com');
  const d = sim.send(a!, {
    to: Array.from({ length: 25 }, (_, k) => `${a}-f${k}`),
    text: 'a card for you https://cards.example-greet.com/x/1',
    session: `${a}-s0`,
  });
  assert.ok(has(d, 'content_quarantined'), names(d));
  assert.ok(RANK[d.action] >= RANK.challenge, names(d));
  assert.notEqual(d.action, 'contain', names(d));
  assert.equal(sim.engine.accountRisk(a!)!.contained, false);
});

test('quarantined content sent from a session that shows compromise is a member’s sending: contained with its reason; the owner at home sending it is only stopped', () => {
  const sim = new Sim({ content: realContent() });
  const [i1, i2, i3, owner] = society(sim, 'qs', 4, 15);
  // a scheme's opener with no link and no sum: after a second hijacked session sent it, the decision
  // hands its text to the response part to quarantine (done here directly)
  const text = '表哥在私募上班，有内部消息，稳赚不赔，我把你拉进群';
  const evil = (a: string, i: number) => {
    sim.login(a, { session: `${a}-evil`, device: `${a}-farm`, ip: `203.0.113.${60 + i}` });
    sim.t += 5 * MIN;
    return sim.send(a, { to: [`${a}-f2`], text, session: `${a}-evil` });
  };
  evil(i1!, 1);
  const second = evil(i2!, 2);
  assert.ok(!has(second, 'campaign_quarantined'), names(second));
  const key = second.fingerprints?.find((k) => k.startsWith('t:'));
  assert.ok(key, `${names(second)} ${JSON.stringify(second.fingerprints)}`);
  sim.engine.quarantine(key);
  const d = evil(i3!, 3);
  assert.ok(has(d, 'campaign_quarantined'), names(d));
  assert.equal(d.action, 'contain', names(d));
  const why = d.signals.find((x) => x.name === 'campaign_quarantined')!;
  assert.match(why.reason.en, /quarantined/);
  assert.match(why.reason.zh, /隔离/);
  const own = sim.send(owner!, { to: [`${owner}-f1`], text, session: `${owner}-s0` });
  assert.ok(has(own, 'content_quarantined') && !has(own, 'campaign_quarantined'), names(own));
  assert.notEqual(own.action, 'contain', names(own));
  assert.equal(sim.engine.accountRisk(owner!)!.contained, false);
});

test('a lone intruder (owner-like client on its own phone, new network, daytime, slow) posting never-seen links to friends is held at once and contained within three recipients', () => {
  for (const [label, lure] of [
    ['album', '这是你吗？照片都传到网上了 http://photo-album-share.net/p/82731'],
    ['survey', 'quick survey, takes a minute, you get a voucher https://survey-rewards.club/s/44'],
    ['doc', '帮我看下这个文档，急 https://docs-share-cloud.com/d/7Hk'],
  ] as const) {
    const sim = new Sim({ content: realContent() });
    const [a] = society(sim, `ll-${label}-`, 1, 14);
    // the intruder's own phone (the owner's client and habits otherwise): the device, the network and
    // the young session differ (the owner's own phone on a new network is the owner away: below)
    sim.login(a!, { session: 'lone', device: `${a}-other-phone`, ip: '198.18.4.9' });
    let reached = 0;
    let contained = false;
    for (let k = 0; k < 10 && !contained; k++) {
      sim.t += 3 * MIN;
      const d = sim.send(a!, { to: [`${a}-f${k}`], text: lure, session: 'lone' });
      if (d.action === 'allow') reached++;
      contained = d.action === 'contain';
      if (k === 0) assert.ok(RANK[d.action] >= RANK.hold, `${label} first: ${names(d)}`);
      if (k >= 2) assert.ok(contained, `${label} #${k + 1}: ${names(d)}`);
    }
    assert.equal(reached, 0, label);
  }
});

test('an intruder who first passes on the card everyone shares gains nothing by it: its own lure and its money ask are held and contained as without the card', () => {
  const sim = new Sim({ content: realContent() });
  const accounts = society(sim, 'warm', 10, 23, 20);
  const card = '送你一张新年贺卡，打开有惊喜 https://www.hometown-cards.cn/c/5e1';
  for (const a of accounts.slice(0, 8)) {
    sim.t += 5_000;
    sim.send(a, { to: Array.from({ length: 20 }, (_, k) => `${a}-f${k}`), text: card });
  }
  for (const [i, [victim, next]] of (
    [
      [accounts[8]!, '这是你吗？照片都传到网上了 http://photo-album-share.net/p/82731'],
      [accounts[9]!, '在吗？急用钱，能先转我2000吗，明天就还你'],
    ] as const
  ).entries()) {
    sim.login(victim, { session: `${victim}-x`, device: `${victim}-intruder`, ip: `198.18.40.${i + 1}` });
    sim.t += 2 * MIN;
    const warm = sim.send(victim, {
      to: Array.from({ length: 20 }, (_, k) => `${victim}-f${k}`),
      text: card,
      session: `${victim}-x`,
    });
    // the crowd's card goes through (harmless in itself), as the owner's on a new phone would
    assert.ok(has(warm, 'organic_content'), names(warm));
    const { reached, contained } = untilContained(
      4,
      (k) => {
        sim.t += 2 * MIN;
        return sim.send(victim, { to: [`${victim}-f${k}`], text: next, session: `${victim}-x` });
      },
      (d, k) => {
        assert.ok(!has(d, 'organic_content'), names(d));
        if (k === 0) assert.ok(RANK[d.action] >= RANK.hold, names(d));
      },
    );
    assert.ok(contained, victim);
    assert.equal(reached, 0, victim);
  }
});

test('a lone intruder posting a form or document on a shared platform (Tencent Docs, Google Forms) is contained within three recipients; the owner sharing documents from home is not held', () => {
  for (const [label, lure] of [
    ['tdocs', '班级通知，请大家填一下这个表 https://docs.qq.com/form/page/DUkFaVm9xYz'],
    ['survey', '帮我填下问卷，很快的 https://wj.qq.com/s2/12345678/ab12/'],
    [
      'gform',
      'quick favour, fill this in for me? https://docs.google.com/forms/d/e/1FAIpQLSf3kd9xY/viewform',
    ],
  ] as const) {
    const sim = new Sim({ content: realContent() });
    const [a, owner] = society(sim, `uc-${label}-`, 2, 14);
    // the owner on their usual phone shares two documents of their own with friends: nothing held
    for (const [k, doc] of [
      'https://docs.qq.com/doc/DRkVabc123',
      'https://docs.google.com/document/d/1aB2cD3eF4gH/edit',
    ].entries()) {
      sim.t += MIN;
      const d = sim.send(owner!, { to: [`${owner}-f${k}`, `${owner}-f${k + 5}`], text: `周报在这 ${doc}` });
      assert.ok(RANK[d.action] <= RANK.challenge, `${label} owner: ${names(d)}`);
    }
    sim.login(a!, { session: 'lone', device: `${a}-other-phone`, ip: '198.18.4.19' });
    const { reached } = untilContained(
      10,
      (k) => {
        sim.t += 3 * MIN;
        return sim.send(a!, { to: [`${a}-f${k}`], text: lure, session: 'lone' });
      },
      (d, k) => {
        if (k === 0) {
          assert.ok(RANK[d.action] >= RANK.hold, `${label} first: ${names(d)}`);
          assert.ok(has(d, 'session_link_spread'), `${label} first: ${names(d)}`);
        }
        if (k >= 2) assert.equal(d.action, 'contain', `${label} #${k + 1}: ${names(d)}`);
      },
    );
    assert.equal(reached, 0, label);
  }
});

test('a lone intruder whose link is in a QR code image ("扫码领红包") is contained like one who writes it; the owner sharing a QR code of a site they linked is not held', () => {
  const sim = new Sim({ content: realContent() });
  const [a, owner] = society(sim, 'qrlink', 2, 15);
  const image = (url: string, n: number) => [
    { sha256: (n.toString(16) + 'ab'.repeat(32)).slice(0, 64), mime: 'image/png', qr: [url] },
  ];
  // the owner on their usual phone shares a QR code of the shop they always link
  sim.t += MIN;
  sim.send(owner!, { to: [`${owner}-f1`], text: '我们店的新菜单 https://www.lao-wang-noodles.cn/menu' });
  sim.t += MIN;
  const mine = sim.send(owner!, {
    to: [`${owner}-f2`, `${owner}-f3`],
    text: '扫码看菜单',
    attachments: image('https://www.lao-wang-noodles.cn/menu', 1),
  });
  assert.ok(RANK[mine.action] <= RANK.challenge, names(mine));
  // the intruder on its own phone: the lure's link only in the image
  sim.login(a!, { session: 'lone', device: `${a}-other-phone`, ip: '198.18.4.29' });
  const { reached, contained } = untilContained(
    6,
    (k) => {
      sim.t += 3 * MIN;
      return sim.send(a!, {
        to: [`${a}-f${k}`],
        text: '扫码领新春红包，限时',
        session: 'lone',
        attachments: image('https://hongbao-get.net/r/88', k + 2),
      });
    },
    (d, k) => {
      if (k === 0) assert.ok(has(d, 'session_link_spread'), names(d));
    },
  );
  assert.ok(contained);
  assert.equal(reached, 0);
});

test('a lone intruder asking friends for the code that reached their phone, or for a "friend-assisted verification", is contained by the second friend; the owner asking family for a code from home is not held', () => {
  for (const [label, ask] of [
    ['sms', '我手机号停用了，验证码发到你手机上了，麻烦把6位数字告诉我一下'],
    ['assist', '在吗，帮我点一下好友辅助验证，就一下'],
    ['en', 'hey, a code just went to your phone by mistake, can you send it back to me?'],
  ] as const) {
    const sim = new Sim({ content: realContent() });
    const [a, owner] = society(sim, `cred-${label}-`, 2, 16);
    sim.t += MIN;
    const mine = sim.send(owner!, { to: [`${owner}-f1`], text: ask });
    assert.ok(RANK[mine.action] <= RANK.challenge, `${label} owner: ${names(mine)}`);
    sim.login(a!, { session: 'lone', device: `${a}-other-phone`, ip: '198.18.4.39' });
    const { reached } = untilContained(
      5,
      (k) => {
        sim.t += 3 * MIN;
        return sim.send(a!, { to: [`${a}-f${k}`], text: ask, session: 'lone' });
      },
      (d, k) => {
        if (k === 0) {
          assert.ok(has(d, 'new_session_code_ask') && !has(d, 'new_session_money'), `${label}: ${names(d)}`);
          const s = d.signals.find((x) => x.name === 'new_session_code_ask')!;
          assert.match(s.reason.en, /verification code or password/);
          assert.match(s.reason.zh, /索要验证码或密码/);
        }
        if (k >= 1) assert.equal(d.action, 'contain', `${label} #${k + 1}: ${names(d)}`);
      },
    );
    assert.equal(reached, 0, label);
  }
});

test('a lone intruder posting one link to a group is contained on that message; the owner sharing links from home is not', () => {
  const sim = new Sim({ content: realContent() });
  const [a, owner] = society(sim, 'lg', 2, 11);
  sim.process({
    id: 'gj',
    type: 'group.joined',
    time: sim.t,
    account: a!,
    group: { id: 'g1', memberCount: 40 },
  });
  sim.login(a!, { session: 'lone', device: `${a}-other-phone`, ip: '198.18.9.9' });
  sim.t += 5 * MIN;
  const d = sim.send(a!, {
    group: { id: 'g1', memberCount: 40 },
    text: 'free trial of this app, sign up with my link https://promo-app-trial.net/r/5',
    session: 'lone',
  });
  assert.equal(d.action, 'contain', names(d));
  // the owner of another account shares a new site with five friends from the usual phone
  for (let k = 0; k < 5; k++) {
    sim.t += MIN;
    const o = sim.send(owner!, {
      to: [`${owner}-f${k}`],
      text: 'this recipe site is great https://www.xiachufang.com/recipe/1001',
      session: `${owner}-s0`,
    });
    assert.equal(o.action, 'allow', names(o));
  }
});

test('"friend needs money" from a session that is not the owner’s usual one: held on the first request, contained on the second; the owner asking a friend is not', () => {
  for (const [i, text] of [
    '在吗？我这边出了点急事，能不能先借我3000，晚上就还你',
    'are you free? I need to borrow $300 urgently, will pay you back tomorrow',
    '帮个忙，转2000到我这个卡上，急用，别告诉别人',
  ].entries()) {
    const sim = new Sim({ content: realContent() });
    const [a, owner] = society(sim, `mn${i}-`, 2, 15);
    sim.login(a!, { session: 'lone', device: `${a}-other-phone`, ip: `198.18.7.${i + 1}` });
    sim.t += 10 * MIN;
    const first = sim.send(a!, { to: [`${a}-f0`], text, session: 'lone' });
    assert.ok(RANK[first.action] >= RANK.hold, names(first));
    sim.t += 4 * MIN;
    const second = sim.send(a!, { to: [`${a}-f1`], text, session: 'lone' });
    assert.equal(second.action, 'contain', names(second));
    const own = sim.send(owner!, {
      to: [`${owner}-f0`],
      text: '晚饭钱转我一下哈，80',
      session: `${owner}-s0`,
    });
    assert.ok(RANK[own.action] <= RANK.challenge, names(own));
  }
});

test('after a money request, a lone intruder’s push to another app is the same scheme: contained on it; the owner on a new phone sharing a new WeChat id, with no money asked, is not', () => {
  for (const [i, [ask, push]] of (
    [
      [
        '招聘线上兼职，手机就能做，日结300-800，有意者私聊我',
        '宝妈学生党都可以做的兼职，一单一结，加我微信 jz2026vip',
      ],
      [
        'can you lend me 200 till friday? bank app is down',
        'easier if you message me on telegram @quickhelp_88',
      ],
    ] as const
  ).entries()) {
    const sim = new Sim({ content: realContent() });
    const [a, owner] = society(sim, `mp${i}-`, 2, 15);
    // the intruder's own phone (a device the account never used) on its own network
    sim.login(a!, { session: 'lone', device: `${a}-other-phone`, ip: `198.18.8.${i + 1}` });
    sim.t += 10 * MIN;
    const first = sim.send(a!, { to: [`${a}-f0`], text: ask, session: 'lone' });
    // held at the check (a challenge holds the message until the sender passes it), not contained yet
    assert.ok(RANK[first.action] >= RANK.challenge && first.action !== 'contain', names(first));
    assert.ok(has(first, 'new_session_money'), names(first));
    sim.t += 4 * MIN;
    const second = sim.send(a!, { to: [`${a}-f1`], text: push, session: 'lone' });
    assert.equal(second.action, 'contain', names(second));
    assert.ok(has(second, 'new_session_money'), names(second));
    // the owner's new phone (a new device and network): a new WeChat id to two friends, nothing asked
    sim.login(owner!, { session: 'newphone', device: `${owner}-newphone`, ip: `198.18.9.${i + 1}` });
    sim.t += 10 * MIN;
    for (const k of [0, 1]) {
      const d = sim.send(owner!, {
        to: [`${owner}-f${k}`],
        text: i === 0 ? '我换手机了，加我新微信 lily_2027' : 'new phone! add me on telegram @lily_2027',
        session: 'newphone',
      });
      assert.ok(RANK[d.action] <= RANK.challenge, names(d));
      assert.ok(!has(d, 'new_session_money'), names(d));
    }
  }
});

test('a scam’s ask is a money request from an intruder’s new session, money word or not; just under the scam model’s threshold it counts from such a session only', () => {
  const content = realContent();
  const hiMum =
    "hi it's me, phone broke so this is my temporary number, could you pay a bill for me today? it's 85, I'll send it back tonight";
  const nearly = 'can you lend me 200 till friday? bank app is down';
  // preconditions on the shipped models: the first is a scam by itself with no money intent (its cue is
  // the claimed identity); the second asks, just under the text API's threshold, within the prior
  const s1 = content.scoreText(hiMum);
  assert.ok(s1.scamMargin! >= 0 && s1.scamAsk !== undefined, JSON.stringify(s1));
  assert.ok(!s1.intents.some((h) => h.intent === 'money'), JSON.stringify(s1.intents));
  const s2 = content.scoreText(nearly);
  assert.ok(s2.scamMargin! < 0 && s2.scamMargin! + UNUSUAL_SESSION_SCAM_PRIOR >= 0, String(s2.scamMargin));
  assert.ok(s2.scamAsk !== undefined && s2.intents.length === 0, JSON.stringify(s2));

  // the content part looks for the ask as far below its threshold as this prior reaches
  assert.ok(UNUSUAL_SESSION_SCAM_PRIOR <= ENGINE_ASK_FLOOR);
  const sim = new Sim({ content });
  const [a, owner] = society(sim, 'ask', 2, 15);
  sim.login(a!, { session: 'lone', device: `${a}-other-phone`, ip: '198.18.20.1' });
  sim.t += 10 * MIN;
  const first = sim.send(a!, { to: [`${a}-f0`], text: hiMum, session: 'lone' });
  assert.ok(RANK[first.action] >= RANK.challenge && first.action !== 'contain', names(first));
  const money = first.signals.find((x) => x.name === 'new_session_money');
  assert.match(money?.reason.en ?? '', /as a scam asks \("could you pay"; scam model \+\d/, names(first));
  sim.t += 4 * MIN;
  const second = sim.send(a!, { to: [`${a}-f1`], text: nearly, session: 'lone' });
  assert.equal(second.action, 'contain', names(second));
  assert.ok(has(second, 'new_session_money'), names(second));
  // the owner asking the same on their usual phone: nothing to weigh
  const own = sim.send(owner!, { to: [`${owner}-f0`], text: nearly, session: `${owner}-s0` });
  assert.equal(own.action, 'allow', names(own));
});

test('owners away from home greet every friend with the e-card everyone shares: on their own phone (its device id, a new network) nothing held; on a new phone the card goes through as organic content but teaches the profile nothing, and their own lure is held', () => {
  const sim = new Sim({ content: realContent() });
  const owners = society(sim, 'away', 12, 23, 20);
  const card = '送你一张新年贺卡，打开有惊喜 https://www.hometown-cards.cn/c/5e1';
  // everyone at home sends the card first: organic content by the time the travellers send it
  for (const a of owners.slice(0, 8)) {
    sim.t += 5_000;
    const d = sim.send(a, { to: Array.from({ length: 20 }, (_, k) => `${a}-f${k}`), text: card });
    assert.ok(RANK[d.action] <= RANK.challenge, names(d));
  }
  const [own, own2, fresh, fresh2] = owners.slice(8) as [string, string, string, string];
  // back home for the holiday: the owner's own phone, the hometown network
  for (const [i, a] of [own, own2].entries()) {
    sim.login(a, { session: `${a}-home`, device: `${a}-phone`, ip: `198.18.30.${i + 1}` });
    sim.t += 2 * MIN;
    const d = sim.send(a, {
      to: Array.from({ length: 20 }, (_, k) => `${a}-f${k}`),
      text: card,
      session: `${a}-home`,
    });
    // as at home (a first card to twenty friends at 23:00 breaks habits: at most a challenge), and
    // nothing of the session's own-evidence rules
    assert.ok(RANK[d.action] <= RANK.challenge, names(d));
    assert.ok(!has(d, 'session_link_spread') && !has(d, 'new_session_burst'), names(d));
    const s = d.signals.find((x) => x.name === 'session_new');
    assert.match(s?.reason.en ?? '', /on a device this account uses/, names(d));
    const bill = sim.send(a, {
      to: [`${a}-f1`],
      text: 'can you lend me 200 till friday? bank app is down',
      session: `${a}-home`,
    });
    assert.ok(!has(bill, 'new_session_money'), names(bill));
  }
  // a new phone on a new network: indistinguishable from an intruder by its session. What it sends is
  // what the crowd is sending (the card's text and link, many senders, none showing compromise), so the
  // burst that comes with it is taken back (organic_content) while the session's evidence stays
  for (const [i, a] of [fresh, fresh2].entries()) {
    sim.login(a, { session: `${a}-new`, device: `${a}-newphone`, ip: `198.18.31.${i + 1}` });
    sim.t += 2 * MIN;
    const before = sim.engine.accountRisk(a)!.profile;
    const d = sim.send(a, {
      to: Array.from({ length: 20 }, (_, k) => `${a}-f${k}`),
      text: card,
      session: `${a}-new`,
    });
    assert.equal(d.action, 'allow', names(d));
    assert.ok(has(d, 'organic_content') && has(d, 'device_new') && has(d, 'first_contact_burst'), names(d));
    assert.ok(!has(d, 'familiar_context'), names(d));
    assert.deepEqual(d.fingerprints ?? [], [], JSON.stringify(d.fingerprints));
    // …and taught the profile nothing (an intruder passing on the crowd's card must not make its
    // device's client, the friends it greeted or the card's site the account's own)
    const after = sim.engine.accountRisk(a)!.profile;
    assert.equal(after.messages, before.messages);
    assert.equal(after.knownRecipients, before.knownRecipients);
    assert.deepEqual(after.linkDomains, before.linkDomains);
    assert.deepEqual(after.clients, before.clients);
  }
  // a lure sent from one session that shows compromise is not quarantined by that sending alone (its
  // account is stopped anyway); sent from a second such session too, its text and link are
  const lureText = '这是你吗？照片都传到网上了 http://photo-album-share.net/p/99';
  const one = sim.send(fresh2, { to: [`${fresh2}-f3`], text: lureText, session: `${fresh2}-new` });
  assert.ok(RANK[one.action] >= RANK.hold, names(one));
  const urlClean = one.signals.every((x) => !x.name.startsWith('url_'));
  if (urlClean) assert.deepEqual(one.fingerprints ?? [], [], JSON.stringify(one.fingerprints));
  sim.t += MIN;
  const two = sim.send(fresh, { to: [`${fresh}-f3`], text: lureText, session: `${fresh}-new` });
  assert.ok((two.fingerprints ?? []).includes('d:photo-album-share.net'), JSON.stringify(two.fingerprints));
  assert.ok(
    (two.fingerprints ?? []).some((k) => k.startsWith('t:')),
    JSON.stringify(two.fingerprints),
  );
});

test('the owner on their own phone at a hotel, before anyone else has sent the card: allowed (familiar context, the new network weighs nothing); the intruder on the same network from its own device is held', () => {
  const sim = new Sim({ content: realContent() });
  const [owner, victim] = society(sim, 'trip', 2, 23, 20) as [string, string];
  const card = '新年快乐！给你做了一张贺卡 https://www.spring-greetings.cn/c/a81';
  const everyone = (a: string) => Array.from({ length: 20 }, (_, k) => `${a}-f${k}`);
  // the first to send this card (nothing organic about it yet), to friends never messaged, at 23:00
  sim.login(owner, { session: `${owner}-hotel`, device: `${owner}-phone`, ip: '198.18.40.9' });
  sim.t += 3 * MIN;
  const d = sim.send(owner, { to: everyone(owner), text: card, session: `${owner}-hotel` });
  assert.equal(d.action, 'allow', names(d));
  assert.ok(has(d, 'familiar_context') && has(d, 'network_new'), names(d));
  // an intruder with the password, signed in from its own machine on that same network
  sim.login(victim, { session: `${victim}-evil`, device: 'laptop-of-someone-else', ip: '198.18.40.77' });
  sim.t += 3 * MIN;
  const e = sim.send(victim, { to: everyone(victim), text: card, session: `${victim}-evil` });
  assert.ok(RANK[e.action] >= RANK.hold, names(e));
  assert.ok(!has(e, 'familiar_context'), names(e));
});
