import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TEXT_LENGTH, train } from './model.ts';
import { scoreText } from './score.ts';

const model = train(
  [
    { text: '恭喜中奖 加微信 领红包', label: 1 },
    { text: 'you have won a free prize, call now', label: 1 },
    { text: '今晚吃饭吗', label: 0 },
    { text: 'see you tomorrow', label: 0 },
  ],
  { bits: 16, epochs: 5 },
);

function sane(r: ReturnType<typeof scoreText>): void {
  assert.ok(r.probability >= 0 && r.probability <= 1);
  assert.ok(Number.isFinite(r.logit));
  assert.equal(r.error, undefined);
}

describe('scoreText', () => {
  it('explains itself: top features, intents, evasion', () => {
    const text = '恭喜中奖！加 ❤ 薇 ❤ 信 领红包';
    const r = scoreText(model, text);
    sane(r);
    assert.equal(r.label, r.probability >= r.threshold ? 'spam' : 'ham');
    assert.ok(r.topFeatures.length > 0 && r.topFeatures.length <= 8);
    for (const f of r.topFeatures) {
      assert.equal(typeof f.feature, 'string');
      assert.ok(Math.abs(f.contribution) <= Math.abs(f.weight) + 1e-12);
    }
    const sorted = r.topFeatures.map((f) => Math.abs(f.contribution));
    assert.deepEqual(
      sorted,
      [...sorted].sort((a, b) => b - a),
    );
    const off = r.intents.find((h) => h.intent === 'offPlatform');
    assert.ok(off);
    assert.equal(text.slice(off.start, off.end), '加 ❤ 薇 ❤ 信');
    assert.equal(r.evasion.decorative, 2);
    assert.equal(r.truncated, false);
  });

  it('1 MB text: scored on a bounded sample, flagged truncated', () => {
    const big = '加微信领红包'.repeat(180_000);
    const r = scoreText(model, big);
    sane(r);
    assert.equal(r.truncated, true);
    assert.ok(r.normalized.length <= MAX_TEXT_LENGTH);
  });

  it('binary Buffer and invalid UTF-8', () => {
    const bin = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0x00, 0xc3, 0x28, 0x0d, 0x01]);
    const r = scoreText(model, bin);
    sane(r);
    assert.equal(r.invalidUtf8, true);
    assert.equal(r.binary, true);
    const ok = scoreText(model, Buffer.from('恭喜中奖 加微信', 'utf8'));
    assert.equal(ok.invalidUtf8, false);
    assert.equal(ok.probability, scoreText(model, '恭喜中奖 加微信').probability);
    const hugeBuf = scoreText(model, Buffer.alloc(2_000_000, 0x61));
    assert.equal(hugeBuf.truncated, true);
  });

  it('lone surrogates, empty string, whitespace, odd values', () => {
    for (const t of [
      '\ud800',
      'a\udc00b\ud83d',
      '',
      '   ',
      '\u0000',
      '\u200b\u200b',
      '🎉'.repeat(3000) + '\ud83d',
    ]) {
      const r = scoreText(model, t);
      sane(r);
    }
    assert.equal(scoreText(model, 'x\ud800').malformedString, true);
    assert.equal(scoreText(model, '').intents.length, 0);
    sane(scoreText(model, null as unknown as string));
    sane(scoreText(model, 42 as unknown as string));
  });

  it('random strings never throw', () => {
    let seed = 1;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(rnd() * 80);
      let s = '';
      for (let k = 0; k < len; k++) s += String.fromCharCode(Math.floor(rnd() * 0x10000));
      sane(scoreText(model, s));
    }
  });
});
