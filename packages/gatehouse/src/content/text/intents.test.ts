import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectIntents } from './intents.ts';
import type { IntentHit } from './intents.ts';
import { normalize } from './normalize.ts';

function hits(text: string): IntentHit[] {
  return detectIntents(text, normalize(text));
}

function find(h: IntentHit[], intent: string): IntentHit {
  const x = h.find((e) => e.intent === intent);
  assert.ok(x, `no ${intent} in ${JSON.stringify(h)}`);
  return x;
}

describe('intents', () => {
  it('money, impersonation (zh) with original spans', () => {
    const text = '妈，我手机坏了，急用钱，先转我2000';
    const h = hits(text);
    const imp = find(h, 'impersonation');
    assert.equal(text.slice(imp.start, imp.end), '手机坏了');
    const money = h.filter((e) => e.intent === 'money').map((e) => e.original);
    assert.ok(money.includes('急用钱'));
    assert.ok(money.includes('转我2000'));
  });

  it('off-platform through evasion: span covers the disguised original', () => {
    const text = '快 加 ❤ 薇 ❤ 信 领红包';
    const h = hits(text);
    const off = find(h, 'offPlatform');
    assert.equal(off.original, '加 ❤ 薇 ❤ 信');
    assert.equal(off.term, '加薇信');
    assert.equal(text.slice(off.start, off.end), off.original);
    assert.equal(find(h, 'prize').original, '红包');
    assert.equal(off.labelZh, '引导到站外联系（加微信、QQ、飞机，私聊）');
    assert.match(off.label, /off-platform/);
  });

  it('QQ numbers in circled digits', () => {
    const text = '扣扣①②③④⑤⑥⑦';
    const off = hits(text).filter((e) => e.intent === 'offPlatform');
    assert.ok(off.some((e) => e.original === text));
  });

  it('english: prize, money, impersonation, gambling, porn, off-platform', () => {
    const text =
      "Congratulations you've won! Hi mum it's me, new number. Send me £200 via PayPal. Best casino. Hot nudes. DM me on Telegram";
    const h = hits(text);
    assert.equal(find(h, 'prize').original.toLowerCase().startsWith('congratulations'), true);
    assert.equal(find(h, 'impersonation').original, "it's me");
    assert.ok(h.some((e) => e.intent === 'money' && e.original === 'Send me £200'));
    assert.equal(find(h, 'gambling').original, 'casino');
    assert.equal(find(h, 'porn').original, 'nudes');
    assert.ok(h.some((e) => e.intent === 'offPlatform' && e.original === 'DM me'));
  });

  it('gambling and porn (zh), traditional and full-width input', () => {
    const text = 'ＡＧ真人視訊，首存一百送一百；約炮裸聊';
    const h = hits(text);
    assert.equal(find(h, 'gambling').original, '真人視訊');
    assert.equal(find(h, 'porn').original, '約炮');
  });

  it('no hits on ordinary chat', () => {
    assert.deepEqual(hits('今晚一起吃饭吗？我七点下班'), []);
    assert.deepEqual(hits('ok see you at the station'), []);
  });
});
