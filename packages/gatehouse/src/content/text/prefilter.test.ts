/**
 * The pattern prefilter (prefilter.ts) never skips a pattern that matches: every match on real
 * messages starts with a unit of its pattern's first-unit set, and scoring with the prefilter gives
 * what scoring without it gives — the same features, intents, probabilities and engine verdicts — on a
 * sample of real messages (the data sets when present, the hand-written scam evaluation set always).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createContentAnalyzer } from '../../engine/content.ts';
import { split } from './data.ts';
import { extractFeatures, setPatternPrefilter, STRUCT_RE } from './features.ts';
import { INTENT_PATTERNS, INTENT_TERMS, URGENCY_RE, URGENCY_TERMS } from './intents.ts';
import { DATASETS, datasetPath, loadDefaultTextModel, readLabelledFile } from './loader.ts';
import { normalize, normalizeShared } from './normalize.ts';
import { firstUnits, RegexGate, TermGate } from './prefilter.ts';
import { readScamEvalSet } from './scam/model.ts';
import { scoreText } from './score.ts';

function sample(): string[] {
  const texts = readScamEvalSet().map((e) => e.text);
  texts.push(
    '今天明天吃饭好的哈哈123',
    'Free ENTRY now, call 09061701461 or 13812345678, £500 cash',
    '加 薇 信 一二三四五六七 vx: abc_12345 qq：12345678 @someone_here t.me/xyz wa.me/123',
    '我是你领导，在开会不方便接电话，马上转我5000',
    "hi mum it's me, send me 300 today",
    'discord-gift点com 免费领取 nitro https://discord-gift.xyz/n/1',
    '😀 𝐗 ① 發財了 ￥88 5h+ 出10+',
  );
  for (const name of DATASETS) {
    if (!existsSync(datasetPath(name))) continue;
    // every 7th message of the validation side (never trained on): a few hundred per set
    const valid = split(readLabelledFile(datasetPath(name)).examples).valid;
    for (let i = 0; i < valid.length; i += 7) texts.push(valid[i]!.text);
  }
  return texts;
}

const TEXTS = sample();

describe('pattern prefilter', () => {
  it('reads first units of the syntax it knows and gives up on the rest', () => {
    const set = (re: RegExp) => {
      const s = firstUnits(re);
      return s === null
        ? null
        : [...s]
            .sort((a, b) => a - b)
            .map((c) => String.fromCharCode(c))
            .join('');
    };
    assert.equal(set(/abc|d(?:e|f)/g), 'ad');
    assert.equal(set(/x?y/g), 'xy');
    assert.equal(set(/(?<![a-z])qq\d/g), 'q');
    assert.equal(set(/[£$]?\d/g), '$0123456789£');
    assert.equal(set(/[a-c-]{2,}z/g), '-abc');
    assert.equal(set(/(?:微信|vx)\s?号/gu), 'v微');
    assert.equal(set(/\.com|%2e/g), '%.');
    assert.equal(set(/a*b*c/g), 'abc');
    assert.equal(set(/a{0,2}b/g), 'ab');
    assert.equal(set(/😀x/gu), '\ud83d');
    // any unit may begin these: never skipped
    for (const re of [/\sx/g, /.x/g, /[^a]x/g, /abc/gi, /a?/g, /\p{L}x/gu, /(?i:a)/g, /[\u0020-\uffff]/g])
      assert.equal(firstUnits(re), null, String(re));
  });

  it('gates by the units present in the text', () => {
    const gate = new RegexGate([/abc/g, /xyz/g, /\sq/g]);
    assert.equal(gate.of('--a--'), 0b101);
    assert.equal(gate.of('x'), 0b110);
    assert.equal(gate.of(''), 0b100);
  });

  it('gates word lists by the first three units of their terms (two, one for shorter terms)', () => {
    const gate = new TermGate([
      { terms: ['sex', 'send money'], patterns: [] },
      { terms: ['加v', '急'], patterns: [] },
      { terms: ['q'], patterns: ['\\d{3}'] },
      { terms: [], patterns: ['\\s+x'] },
    ]);
    assert.equal(gate.of('see you'), 0b1000);
    assert.equal(gate.of('sell'), 0b1000);
    assert.equal(gate.of('sent'), 0b1001); // "sen" may begin "send money"
    assert.equal(gate.of('a sexy'), 0b1001);
    assert.equal(gate.of('加v好友'), 0b1010);
    assert.equal(gate.of('加'), 0b1000);
    assert.equal(gate.of('好急'), 0b1010);
    assert.equal(gate.of('tel 5'), 0b1100);
    assert.equal(gate.of('qq'), 0b1100);
    assert.equal(gate.of(''), 0b1000);
  });

  it('every word-list match on real messages is let through by its term gate', () => {
    const lists = [URGENCY_TERMS, ...INTENT_TERMS];
    const gate = new TermGate(lists);
    const res = [URGENCY_RE, ...INTENT_PATTERNS];
    for (const t of TEXTS) {
      const norm = normalize(t).text;
      const bits = gate.of(norm);
      res.forEach((re, k) => {
        const g = new RegExp(re.source, re.flags);
        if (g.test(norm)) assert.ok((bits & (1 << k)) !== 0, `${k} ${norm}`);
      });
    }
  });

  it('every match on real messages starts with a unit of its pattern set', () => {
    for (const re of [...STRUCT_RE, ...INTENT_PATTERNS]) {
      const first = firstUnits(re);
      if (first === null) continue;
      const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
      for (const t of TEXTS) {
        const norm = normalize(t).text;
        for (const m of norm.matchAll(g))
          if (m[0].length > 0) assert.ok(first.has(m[0].charCodeAt(0)), `${re.source.slice(0, 40)} ${m[0]}`);
      }
    }
  });

  it('features, scores and engine verdicts are those of the unfiltered path on real messages', () => {
    const model = loadDefaultTextModel();
    const analyzer = createContentAnalyzer({ textModel: model });
    const run = () =>
      TEXTS.map((t) => {
        const hits: number[] = [];
        const v = extractFeatures(normalizeShared(t), model.bits, 0, 0, hits, true, false);
        return JSON.stringify([
          Array.from(v.idx.subarray(0, v.length)),
          Array.from(v.val.subarray(0, v.length)),
          hits,
          scoreText(model, t),
          analyzer.scoreText(t),
        ]);
      });
    const gated = run();
    setPatternPrefilter(false);
    let plain: string[];
    try {
      plain = run();
    } finally {
      setPatternPrefilter(true);
    }
    assert.ok(TEXTS.length >= 100);
    for (let i = 0; i < TEXTS.length; i++) assert.equal(gated[i], plain[i], TEXTS[i]);
  });

  it('a vector without origins has the same slots and values as one with them', () => {
    for (const t of TEXTS.slice(0, 400)) {
      const full = extractFeatures(normalize(t), 20, 0.1, 0);
      const lean = extractFeatures(normalizeShared(t), 20, 0.1, 0, undefined, true, false);
      assert.equal(lean.length, full.length, t);
      assert.deepEqual(
        Array.from(lean.idx.subarray(0, lean.length)),
        Array.from(full.idx.subarray(0, full.length)),
      );
      assert.deepEqual(
        Array.from(lean.val.subarray(0, lean.length)),
        Array.from(full.val.subarray(0, full.length)),
      );
    }
  });
});
