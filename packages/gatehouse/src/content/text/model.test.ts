import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatehouseError } from '../../errors/index.ts';
import { balanceSources, learn, nonZero, train, weightOf } from './model.ts';
import type { Example } from './model.ts';
import { scoreText } from './score.ts';
import { loadModel, saveModel } from './serialize.ts';

const SPAM = [
  '恭喜中奖，加微信领取红包',
  '加 薇 信 领免费皮肤',
  'AG真人视讯首存送彩金',
  'URGENT! You have won a £1000 prize, call now',
  'FREE entry: text WIN to 80086 to claim your reward',
  '兼职刷单日结500私聊',
  'Hot singles near you, click the link',
  '扣扣①②③④⑤⑥ 免费送点券',
];
const HAM = [
  '今晚一起吃饭吗',
  '我在开会，晚点回你',
  'see you at the station in ten minutes',
  'did you finish the report?',
  '明天考试别忘了带准考证',
  'happy birthday, have a great one',
  '这个bug我修好了',
  'can you send the photos from yesterday',
];
const DATA: Example[] = [
  ...SPAM.map((text) => ({ text, label: 1 as const })),
  ...HAM.map((text) => ({ text, label: 0 as const })),
];

describe('text model', () => {
  it('trains deterministically: same data and seed → identical bytes', () => {
    const a = saveModel(train(DATA, { bits: 16, epochs: 5, seed: 7 }));
    const b = saveModel(train(DATA, { bits: 16, epochs: 5, seed: 7 }));
    assert.deepEqual(a, b);
    const c = saveModel(train(DATA, { bits: 16, epochs: 5, seed: 8 }));
    assert.notDeepEqual(a, c);
  });

  it('learns the training data', () => {
    const m = train(DATA, { bits: 16, epochs: 10 });
    for (const t of SPAM) assert.ok(scoreText(m, t).probability > 0.5, t);
    for (const t of HAM) assert.ok(scoreText(m, t).probability < 0.5, t);
    assert.ok(nonZero(m) > 0);
  });

  it('save → load → save round-trips byte for byte and scores identically', () => {
    const m = train(DATA, { bits: 16, epochs: 5 });
    const bytes = saveModel(m);
    const back = loadModel(bytes);
    assert.deepEqual(saveModel(back), bytes);
    assert.equal(back.bits, 16);
    assert.deepEqual(back.params, m.params);
    assert.equal(back.threshold, m.threshold);
    for (const t of [...SPAM, ...HAM, ''])
      assert.equal(scoreText(back, t).probability, scoreText(m, t).probability);
    // Header: magic, version, bits.
    assert.equal(String.fromCharCode(...bytes.subarray(0, 4)), 'GHTM');
    assert.equal(bytes[8], 16);
  });

  it('a loaded model builds its FTRL accumulators when it first learns, and learns on from where it stopped', () => {
    const m = train(DATA, { bits: 16, epochs: 5 });
    const bytes = saveModel(m);
    const built = (x: object) => Object.getOwnPropertyDescriptor(x, 'z')?.value !== undefined;
    const a = loadModel(bytes);
    assert.equal(built(a), false, 'scoring needs only the weights: no accumulators at load');
    for (const t of [...SPAM, ...HAM]) assert.equal(scoreText(a, t).probability, scoreText(m, t).probability);
    assert.equal(built(a), false, 'scoring builds none either');
    // read first, or first built by learning: the same model after the same lessons
    const b = loadModel(bytes);
    assert.equal(b.n.length, 1 << 16);
    assert.equal(built(b), true);
    // z is rebuilt so that the FTRL formula gives each stored weight back
    let stored = 0;
    for (let i = 0; i < b.w.length; i++)
      if (b.w[i] !== 0) {
        stored++;
        assert.equal(Math.fround(weightOf(b.params, b.z[i]!, b.n[i]!)), b.w[i]);
      }
    assert.equal(stored, nonZero(m));
    const lessons: Array<[string, 0 | 1]> = [
      ['兼职日结，私聊领红包', 1],
      ['see you at lunch', 0],
      ['FREE prize, text WIN now', 1],
    ];
    for (const [t, l] of lessons) {
      learn(a, t, l);
      learn(b, t, l);
      learn(m, t, l);
    }
    assert.equal(built(a), true);
    assert.deepEqual(saveModel(a), saveModel(b));
    // the trained original (its exact accumulators) and the loaded copy learn alike
    for (const [t] of lessons)
      assert.ok(Math.abs(scoreText(a, t).probability - scoreText(m, t).probability) < 0.02, t);
  });

  it('rejects damaged files with a typed error', () => {
    const bytes = saveModel(train(DATA, { bits: 16, epochs: 2 }));
    const bad = (b: Uint8Array, code = 'TEXT_MODEL_INVALID') =>
      assert.throws(
        () => loadModel(b),
        (e: unknown) => isGatehouseError(e) && e.code === code,
      );
    bad(new Uint8Array(10));
    const flipped = bytes.slice();
    flipped[100] = flipped[100]! ^ 0xff;
    bad(flipped);
    const magic = bytes.slice();
    magic[0] = 0;
    bad(magic);
    bad(bytes.subarray(0, bytes.length - 9));
  });

  it('online learning moves the score the right way, and survives save/load', () => {
    const m = loadModel(saveModel(train(DATA, { bits: 16, epochs: 5 })));
    const text = '周末来玩新游戏，点这里 game.example';
    const p0 = scoreText(m, text).probability;
    let last = p0;
    for (let i = 0; i < 5; i++) {
      const r = learn(m, text, 1);
      assert.ok(r.after > r.before);
      last = r.after;
    }
    assert.ok(last > p0 + 0.1, `${p0} → ${last}`);
    const saved = loadModel(saveModel(m));
    assert.ok(Math.abs(scoreText(saved, text).probability - last) < 1e-6);
    for (let i = 0; i < 5; i++) learn(saved, text, 0);
    assert.ok(scoreText(saved, text).probability < last);
  });

  it('sources: shared + source-specific weights, kept by save/load', () => {
    const zh = DATA.filter((e) => /[\u4e00-\u9fff]/.test(e.text));
    const en = DATA.filter((e) => !/[\u4e00-\u9fff]/.test(e.text));
    const m = train(balanceSources([zh, en], ['chat', 'sms']), { bits: 16, epochs: 5 });
    assert.deepEqual(m.sources, ['chat', 'sms']);
    const back = loadModel(saveModel(m));
    assert.deepEqual(back.sources, ['chat', 'sms']);
    const t = '恭喜中奖，加微信领取红包';
    const withSource = scoreText(back, t, { source: 'chat' });
    assert.equal(withSource.probability, scoreText(m, t, { source: 'chat' }).probability);
    assert.notEqual(withSource.probability, scoreText(back, t).probability);
    assert.ok(withSource.topFeatures.some((f) => f.feature.endsWith(' @chat')));
    // An unknown source falls back to the shared weights.
    assert.equal(scoreText(back, t, { source: 'nope' }).probability, scoreText(back, t).probability);
  });

  it('balances sources: each source carries the same total weight', () => {
    const big: Example[] = Array.from({ length: 90 }, (_, i) => ({
      text: `a${i}`,
      label: (i % 3 === 0 ? 1 : 0) as 0 | 1,
    }));
    const small: Example[] = Array.from({ length: 10 }, (_, i) => ({
      text: `b${i}`,
      label: (i % 2) as 0 | 1,
    }));
    const out = balanceSources([big, small]);
    const sum = (p: string) => out.filter((e) => e.text.startsWith(p)).reduce((s, e) => s + e.weight!, 0);
    assert.ok(Math.abs(sum('a') - sum('b')) < 1e-9);
  });
});
