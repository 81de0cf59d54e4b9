/**
 * The scoring hot path's shortcuts give the same results as the plain code: the in-place key sort,
 * normalisation with skipped steps and shared buffers, the shared feature vector, and the scam cues'
 * per-script regexes (the English alternatives only on texts with Latin letters, the Chinese ones only
 * on texts with CJK characters).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractFeatures, featureName } from './features.ts';
import { normalize, normalizeShared, STEP_NAMES } from './normalize.ts';
import { prng } from './model.ts';
import { readChatEvalSet, readEvalSetC, readLetterSet, readScamEvalSet } from './scam/model.ts';
import { readerAsk, scamCues, scriptsOf, setScriptSplit } from './scam/cues.ts';
import { sortKeys } from './sort.ts';

const TEXTS = [
  '',
  ' ',
  'ok',
  '今天 吃饭 ok 123',
  '今天明天吃饭好的哈哈123',
  'see you  tonight ',
  ' leading space',
  'Free ENTRY now, call 09061701461',
  '加 薇 信 一二三四五六七',
  '發財了 妳們 來這裡',
  '１３８-１２３４-５６７８ ＱＱ：１２３４５６',
  'Ⓐⓑ 𝐗 ①② ﬁ ㊙ ❶❷❸❹❺',
  '加꯭微꯭信꯭ 🔞 招收打字员',
  'h k x594 v.x 出10+ 5h+ 21+加我',
  'lone \ud800 surrogate 😀 ok',
  '恭喜发财，红包拿来！',
  // longer than the pooled buffers keep (65,536 code points)
  '加微信 abc 發 '.repeat(6000),
];

describe('scoring hot path', () => {
  it('sortKeys sorts distinct int32 keys like the native sort, at every size', () => {
    const rand = prng(7);
    for (const n of [0, 1, 2, 3, 23, 24, 25, 64, 500, 4096]) {
      const seen = new Set<number>();
      const keys = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        let k: number;
        do k = (Math.floor(rand() * 0x100000000) - 0x80000000) | 0;
        while (seen.has(k));
        seen.add(k);
        keys[i] = k;
      }
      const want = Int32Array.from(keys).sort();
      // only the first n are sorted; what follows is left alone
      const buf = new Int32Array(n + 3).fill(99);
      buf.set(keys);
      sortKeys(buf, n);
      assert.deepEqual(buf.subarray(0, n), want, `n = ${n}`);
      assert.deepEqual(Array.from(buf.subarray(n)), [99, 99, 99]);
    }
  });

  it('normalizeShared gives what every step in turn gives (text, offsets, stats)', () => {
    // a copy of the step list runs every step (the shortcuts apply to the default list only)
    const allSteps = [...STEP_NAMES];
    for (const t of TEXTS) {
      const full = normalize(t, allSteps);
      const fast = normalizeShared(t);
      assert.equal(fast.text, full.text, t);
      assert.deepEqual(Array.from(fast.starts), Array.from(full.starts), t);
      assert.deepEqual(Array.from(fast.ends), Array.from(full.ends), t);
      assert.deepEqual(fast.stats, full.stats, t);
      assert.deepEqual(normalize(t), full, t);
    }
  });

  it('traditional characters and numerals are still folded when a text has them', () => {
    assert.equal(normalizeShared('發財了').text, '发财了');
    assert.equal(normalizeShared('加扣扣一二三四五六').text, '加扣扣123456');
    assert.equal(normalizeShared('一个人').text, '一个人');
  });

  it('the shared feature vector equals a fresh one', () => {
    for (const t of TEXTS) {
      const fresh = extractFeatures(normalize(t), 20, 0.25, 0);
      const shared = extractFeatures(normalizeShared(t), 20, 0.25, 0, undefined, true);
      assert.equal(shared.length, fresh.length, t);
      for (const key of ['idx', 'val', 'kind', 'a', 'b'] as const)
        assert.deepEqual(
          Array.from(shared[key].subarray(0, shared.length)),
          Array.from(fresh[key].subarray(0, fresh.length)),
          t,
        );
    }
  });

  it('symbols after a token are features ("出10+", "5h+")', () => {
    const n = normalize('出10+ 5h+ 加我+');
    const v = extractFeatures(n, 20);
    const names = Array.from({ length: v.length }, (_, k) => featureName(v, k, n));
    for (const f of ['sym:9+', 'sym:a+', 'sym:字+']) assert.ok(names.includes(f), f);
  });
  it('the per-script cue regexes find what the full ones find (ask and every cue, with spans)', () => {
    const texts = [
      ...TEXTS,
      ...[readScamEvalSet(), readChatEvalSet(), readEvalSetC(), readLetterSet('D')].flat().map((e) => e.text),
      '卡号 6222 0212 3456 7890',
      '6222 0212 3456 7890',
      'pay the fee 6222 0212 3456 7890 转账',
    ];
    assert.deepEqual(
      ['', '123 456', 'ok', '好', 'ok好'].map((t) => scriptsOf(t)),
      [0, 0, 1, 2, 3],
    );
    let asks = 0;
    for (const t of texts) {
      const n = normalize(t);
      const split = [readerAsk(t, n, 1), scamCues(t, n)];
      setScriptSplit(false);
      try {
        assert.deepEqual(split, [readerAsk(t, n, 1), scamCues(t, n)], t);
      } finally {
        setScriptSplit(true);
      }
      if (split[0]) asks++;
    }
    assert.ok(asks > 100, `asks found in ${asks} texts`);
  });
});
