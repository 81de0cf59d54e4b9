import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { REQUIRE_SERVICES } from '../../testing/index.ts';
import { evaluate, loadSplits, trainOn } from './eval.ts';
import { DEFAULT_MODEL_PATH, datasetPath, loadDefaultTextModel } from './loader.ts';
import { scoreText } from './score.ts';

const present = existsSync(datasetPath('sms-spam-collection')) && existsSync(datasetPath('qq-group-ads'));
// CI (GATEHOUSE_REQUIRE_SERVICES=1) must measure the model: absent datasets fail there, never skip
const skip = present || REQUIRE_SERVICES ? false : 'datasets absent';
if (skip) console.log(`# datasets not found at ${datasetPath('sms-spam-collection')}: quality test skipped`);

describe('text model quality (fixed validation split)', () => {
  it('SMS + qq-group-ads model stays above its floors', { skip }, () => {
    assert.ok(
      present,
      `the datasets are required (GATEHOUSE_REQUIRE_SERVICES=1) but not at ${datasetPath('sms-spam-collection')}`,
    );
    const splits = loadSplits(['sms-spam-collection', 'qq-group-ads']);
    const model = trainOn(splits, ['sms-spam-collection', 'qq-group-ads']);
    // Measured (npm run eval:content): with the source given SMS 0.992, qq 0.895; without 0.984, 0.860.
    const f1 = (set: 'sms-spam-collection' | 'qq-group-ads', source?: string) =>
      evaluate(model, splits.get(set)!.valid, source).f1;
    const floors: Array<[number, number]> = [
      [f1('sms-spam-collection', 'sms-spam-collection'), 0.97],
      [f1('qq-group-ads', 'qq-group-ads'), 0.86],
      [f1('sms-spam-collection'), 0.96],
      [f1('qq-group-ads'), 0.83],
    ];
    for (const [got, floor] of floors) assert.ok(got >= floor, `F1 ${got} < ${floor}`);
  });
});

describe('shipped default model', () => {
  it('loads and flags obvious scams in both languages', () => {
    assert.ok(existsSync(DEFAULT_MODEL_PATH));
    const m = loadDefaultTextModel();
    assert.ok(scoreText(m, 'URGENT! You have WON a £1000 cash prize! Call 09061701461 to claim now').isSpam);
    assert.ok(scoreText(m, '免费领取最新稳定配置，加群688516266，私聊').isSpam);
    assert.ok(!scoreText(m, 'ok see you at the station in ten minutes').isSpam);
    assert.ok(!scoreText(m, '今晚一起吃饭吗').isSpam);
  });
});
