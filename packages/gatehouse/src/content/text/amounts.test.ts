import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { amountBucket, chineseNumeral, largestAmount } from './amounts.ts';
import { extractFeatures, featureName } from './features.ts';
import { normalize } from './normalize.ts';

const amount = (t: string) => largestAmount(normalize(t).text);

describe('sums of money in a message', () => {
  it('reads Chinese numerals as people say sums', () => {
    for (const [s, v] of [
      ['一万二', 12_000],
      ['两千五', 2_500],
      ['一千五', 1_500],
      ['三百', 300],
      ['十五', 15],
      ['一千二百', 1_200],
      ['三万', 30_000],
      ['八十', 80],
    ] as const)
      assert.equal(chineseNumeral(s), v, s);
    assert.ok(Number.isNaN(chineseNumeral('二三')));
    assert.ok(Number.isNaN(chineseNumeral('三个')));
  });

  it('finds the largest sum that money is around, in either language', () => {
    for (const [t, v] of [
      ['想跟您借四千，下个月还', 4_000],
      ['医药费要八千，还差一万二', 12_000],
      ['借我五十块', 50],
      ['赔了2万', 20_000],
      ['每人一百二', 120],
      ['can you lend me 300 quid', 300],
      ['need 700 tonight', 700],
      ["I'm 400 short this month", 400],
      ['the tow is $250', 250],
      ['send $1,800 to the school', 1_800],
      ['2k by friday', 2_000],
      // the cheque forms, full-width and circled digits, a zero written 〇, digits spaced out
      ['借我叁仟元', 3_000],
      ['转我３０００元', 3_000],
      ['差①⑤〇〇块', 1_500],
      ['send me 1 5 0 0 dollars', 1_500],
      // a currency's code or name on either side
      ['RMB 800 please', 800],
      ['usd1,200 tonight', 1_200],
      ['3000 baht for the hotel', 3_000],
      ['凑了五百港币', 500],
    ] as const)
      assert.equal(amount(t), v, t);
  });

  it('times, dates, counts, measures, years, phone numbers and words are not sums', () => {
    for (const t of [
      'Meeting moved to 3pm, same room',
      "I'm skint until the 28th",
      'back in 2026',
      '我手机号13812345678',
      '千万别告诉妈',
      '万一出事怎么办',
      '三百六十五天',
      '票我买好了，两张，七点半那场',
      '借我用一下',
      '打八折',
      'a fiver for lunch',
    ])
      assert.equal(amount(t), 0, t);
  });

  it('the models see one bucket: none, under 200, 200–999, 1,000 and more', () => {
    assert.deepEqual([0, 50, 199, 200, 999, 1000, 50_000].map(amountBucket), [0, 1, 1, 2, 2, 3, 3]);
    const named = (t: string) => {
      const v = extractFeatures(normalize(t), 18);
      return Array.from({ length: v.length }, (_, k) => featureName(v, k, normalize(t))).filter((n) =>
        n.startsWith('amount:'),
      );
    };
    assert.deepEqual(named('能不能借我三千'), ['amount:1000+']);
    assert.deepEqual(named('lend me 300 quid'), ['amount:200-999']);
    assert.deepEqual(named('借我五十块'), ['amount:1-199']);
    assert.deepEqual(named('今晚吃火锅'), []);
  });
});
