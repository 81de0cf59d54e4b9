import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractFeatures, featureName, hashString } from './features.ts';
import { normalize } from './normalize.ts';

function names(text: string, bits = 18): string[] {
  const n = normalize(text);
  const v = extractFeatures(n, bits);
  return Array.from({ length: v.length }, (_, k) => featureName(v, k, n));
}

describe('features', () => {
  it('character 1-3-grams for CJK', () => {
    const f = names('加微信');
    for (const g of ['zh:加', 'zh:微', 'zh:信', 'zh:加微', 'zh:微信', 'zh:加微信'])
      assert.ok(f.includes(g), g);
  });

  it('word unigrams and bigrams for Latin text, digits as shapes', () => {
    const f = names('Free entry now, call 09061701461');
    for (const g of ['w:free', 'w:entry', 'w2:free entry', 'w2:entry now', 'w:9:6+'])
      assert.ok(f.includes(g), g);
  });

  it('script joins', () => {
    assert.ok(names('加v').includes('mix:加v'));
  });

  it('structure features: urls, ids, money, urgency, intents, evasion', () => {
    const f = names('URGENT 加微信 abc12345 领 ¥888 红包 https://t.me/x 13812345678 qq 12345678 @kefu88');
    for (const g of [
      'struct:url',
      'struct:phone_cn',
      'struct:longnum',
      'struct:qq',
      'struct:wechat',
      'struct:handle',
      'struct:money',
      'struct:urgency',
      'intent:offPlatform',
      'intent:prize',
      'script:mixed',
      'bias',
    ])
      assert.ok(f.includes(g), g);
    assert.ok(names('加❤薇❤信').includes('evasion:decorative'));
  });

  it('is deterministic, sorted, unique and inside the hash space', () => {
    const n = normalize('恭喜中奖 free prize 加微信 abc12345');
    const a = extractFeatures(n, 16);
    const b = extractFeatures(n, 16);
    assert.deepEqual(Array.from(a.idx.subarray(0, a.length)), Array.from(b.idx.subarray(0, b.length)));
    for (let k = 0; k < a.length; k++) {
      assert.ok(a.idx[k]! >= 0 && a.idx[k]! < 1 << 16);
      if (k > 0 && k < a.length - 1) assert.ok(a.idx[k]! > a.idx[k - 1]!);
    }
    assert.equal(a.val[a.length - 1], 1); // bias
  });

  it('hashes with FNV-1a', () => {
    // FNV-1a 32 of "a" with offset basis 0x811c9dc5 after mixing kind 0: basis*prime then ^ 'a'.
    assert.equal(hashString(0, '') >>> 0, Math.imul(0x811c9dc5, 0x01000193) >>> 0);
    assert.notEqual(hashString(1, 'ab'), hashString(1, 'ba'));
  });

  it('survives long and empty input', () => {
    assert.equal(extractFeatures(normalize(''), 18).length > 0, true);
    const long = extractFeatures(normalize('字'.repeat(4096)), 18);
    assert.ok(long.length > 0 && long.length < 20);
  });
});
