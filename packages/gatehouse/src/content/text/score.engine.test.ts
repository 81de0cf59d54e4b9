/**
 * The engine's staged scoring entry (`scoreForEngine`) gives what the full `scoreText` gives — the
 * same probability and the same gated intents with the same spans — on every message of the shared
 * data sets (read where they are, never copied), the scam evaluation sets and hand-written edge cases
 * (long texts scored on a sample, lone surrogates, links, festive wishes). The engine's
 * ContentAnalyzer, which reads it, reports the same text score as the full path would.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createContentAnalyzer } from '../../engine/content.ts';
import { DATASETS, datasetPath, loadDefaultTextModel, readLabelledFile } from './loader.ts';
import { MAX_TEXT_LENGTH } from './model.ts';
import { readChatEvalSet, readEvalSetC, readScamEvalSet } from './scam/model.ts';
import { ENGINE_ASK_FLOOR, scoreForEngine, scoreText } from './score.ts';

function texts(): { all: string[]; fromDatasets: number } {
  const all = [
    '',
    ' ',
    'ok',
    '今天明天吃饭好的哈哈123',
    '恭喜发财，红包拿来！',
    '送你一张新年贺卡，打开有惊喜 https://cards.example.com/ny',
    '我是你领导，在开会不方便接电话，马上转我5000',
    "hi mum it's me, send me 300 today",
    '恭喜您中奖了！请加微信 abc12345 领取888元红包',
    'discord-gift点com 免费领取 nitro https://discord-gift.xyz/n/1',
    'lone \ud800 surrogate 😀 ok',
    '加 薇 信 一二三四五六七 vx: abc_12345 qq：12345678',
    // longer than MAX_TEXT_LENGTH: scored on a sample, spans mapped back to the original
    `${'今天天气不错 '.repeat(Math.ceil(MAX_TEXT_LENGTH / 7))} 妈，我手机坏了，这是我新号，急用钱先转我2000 https://x.example.top/a`,
    `${'hello there '.repeat(Math.ceil(MAX_TEXT_LENGTH / 12))} URGENT! You have won a £1000 prize, call 09061701461`,
  ];
  all.push(...[readScamEvalSet(), readChatEvalSet(), readEvalSetC()].flat().map((e) => e.text));
  let fromDatasets = 0;
  for (const name of DATASETS) {
    if (!existsSync(datasetPath(name))) continue;
    for (const e of readLabelledFile(datasetPath(name)).examples) {
      all.push(e.text);
      fromDatasets++;
    }
  }
  return { all, fromDatasets };
}

const { all: TEXTS, fromDatasets } = texts();

describe('scoreForEngine (staged engine entry)', () => {
  const model = loadDefaultTextModel();

  it('gives scoreText’s probability and intents on every message', () => {
    if (fromDatasets === 0) console.log('# shared datasets absent: evaluation sets and edge cases only');
    let withIntents = 0;
    for (const t of TEXTS) {
      const full = scoreText(model, t, { top: 0 });
      const lean = scoreForEngine(model, t);
      assert.equal(lean.probability, full.probability, t);
      // the default (explained) report scores alike too
      assert.equal(scoreText(model, t).probability, full.probability, t);
      assert.deepEqual(lean.intents, full.intents, t);
      if (full.intents.length > 0) withIntents++;
    }
    // the comparison covers messages with intents, not only plain ones
    assert.ok(withIntents > 20, `only ${withIntents} messages with intents`);
  });

  it('the engine’s ContentAnalyzer reports what the full path gives', () => {
    const content = createContentAnalyzer({ textModel: model });
    for (const t of TEXTS) {
      const full = scoreText(model, t, { top: 0 });
      const got = content.scoreText(t);
      assert.equal(got.probability, full.probability, t);
      assert.deepEqual(
        got.intents,
        full.intents.map((h) => ({ intent: h.intent, term: h.original, start: h.start, end: h.end })),
        t,
      );
    }
  });

  it('never throws, and reports nothing for input it cannot read', () => {
    const { scamMargin, ...empty } = scoreForEngine(model, '');
    assert.deepEqual(empty, {
      probability: scoreText(model, '').probability,
      intents: [],
      scamAsk: undefined,
      share: undefined,
    });
    // the scam model's bias alone: far below its threshold
    assert.ok(scamMargin < -ENGINE_ASK_FLOOR, String(scamMargin));
    assert.doesNotThrow(() => scoreForEngine(model, '\u0000\u0001'.repeat(5000)));
  });
});
