/**
 * The scam-intent model: is this message asking for money or impersonating someone to get it? A
 * logistic model (FTRL, the same hashed features as the spam model: CJK/pinyin/word n-grams,
 * lexicon intents, structure) trained on data we write (generate.ts, declared template composition)
 * against licensed real negatives (SMS Spam Collection ham and marketing spam, qq-group-ads chat and
 * ads, training sides of the fixed split only). Its verdict gates the `money` and `impersonation`
 * intents that scoring reports; cues.ts gives the spans.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { split } from '../data.ts';
import { DATASETS, datasetPath, readLabelledFile, readModelFile } from '../loader.ts';
import type { DatasetName } from '../loader.ts';
import { balanceSources, createModel, featurize, train } from '../model.ts';
import type { FeatureVector } from '../features.ts';
import { loadModel, saveModel } from '../serialize.ts';
import type { Example, TextModel } from '../model.ts';
import { generateScamData } from './generate.ts';

export const DEFAULT_SCAM_MODEL_PATH = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../models/scam-default.bin',
);

/** Sets whose licence allows shipped weights (see the datasets README). */
export const SCAM_REAL_SETS: readonly DatasetName[] = ['sms-spam-collection', 'qq-group-ads'];

/**
 * The model's call when the gate finds an ask (score.ts): 0.4, chosen on the read sets (C–K, the chat
 * sets, SMS and QQ ham validation) before set M was written — from 0.5 it added four of their 312
 * acquaintance asks and no chat message (1 of 910 either way), SMS ham 0 of 748.
 */
export const SCAM_THRESHOLD = 0.4;
/**
 * 2^18 slots (1 MB of weights, cache friendly): scoring reuses the spam model's 2^20-slot feature
 * vector by masking its slots to 18 bits (features are hashed, so the low bits are the same hash).
 */
export const SCAM_BITS = 18;

/**
 * The training examples of one generator seed: generated scams and hard negatives, plus the licensed
 * sets' training sides as negatives: SMS ham and every QQ group message (chat and game-trading ads
 * ask no one for money). SMS marketing spam is left out on both sides: it mixes adverts with prize
 * schemes ("you have won … call / claim"), so it is neither a clean scam nor a clean non-scam, and as
 * a negative it taught the model that English prize and fee wording is ordinary. Sources are
 * balanced: generated, then each real set.
 */
export function scamTrainingExamples(
  sets: readonly DatasetName[] = SCAM_REAL_SETS,
  seed = SCAM_SEEDS[0]!,
): Example[] {
  return examplesOf(seed, realNegatives(sets));
}

/** The licensed sets' training sides as negatives, one list per set (see scamTrainingExamples). */
function realNegatives(sets: readonly DatasetName[]): Example[][] {
  return sets
    .filter((n) => existsSync(datasetPath(n)))
    .map((n) =>
      split(readLabelledFile(datasetPath(n)).examples)
        .train.filter((e) => n !== 'sms-spam-collection' || e.label === 0)
        .map((e) => ({ text: e.text, label: 0 as const })),
    );
}

function examplesOf(seed: number, real: readonly Example[][]): Example[] {
  const gen = generateScamData(600, seed).map((e) => ({ text: e.text, label: e.label }));
  return balanceSources([gen, ...real]);
}

/**
 * Generator seeds of the shipped model, fixed before any evaluation: one model per seed, weights
 * averaged (bagging), so the verdict on a borderline message does not hang on one draw of templates.
 */
export const SCAM_SEEDS: readonly number[] = [7, 8, 9, 10, 11];

export function trainScamModel(sets: readonly DatasetName[] = SCAM_REAL_SETS): TextModel {
  // the real sets read once for the five seeds (balanceSources only reads them)
  const real = realNegatives(sets);
  const perSeed = SCAM_SEEDS.map((seed) => examplesOf(seed, real));
  // texts in more than one seed's examples (the real sets' in all of them, about a fifth of the
  // generated ones) are featurised once for the five models: the same vectors, a third less work
  const seen = new Map<string, number>();
  for (const examples of perSeed) for (const e of examples) seen.set(e.text, (seen.get(e.text) ?? 0) + 1);
  // only its bits and (no) sources are read: no FTRL accumulators
  const shape = createModel({ bits: SCAM_BITS, accumulators: false });
  const featurized = new Map<string, FeatureVector>();
  for (const [text, n] of seen) if (n > 1) featurized.set(text, featurize(shape, text));
  const models = perSeed.map((examples) =>
    train(examples, { threshold: SCAM_THRESHOLD, sourceDropout: 0, bits: SCAM_BITS, featurized }),
  );
  return averageModels(models);
}

/** The mean of models of one shape (w and the FTRL n per slot); z is rebuilt by a save/load round trip. */
function averageModels(models: readonly TextModel[]): TextModel {
  const first = models[0]!;
  const k = models.length;
  const avg: TextModel = {
    ...first,
    w: new Float32Array(first.w.length),
    z: new Float64Array(first.z.length),
    n: new Float64Array(first.n.length),
    meta: {
      ...first.meta,
      examples: models.reduce((s, m) => s + m.meta.examples, 0),
      updates: models.reduce((s, m) => s + m.meta.updates, 0),
    },
  };
  for (let i = 0; i < avg.w.length; i++) {
    let w = 0;
    let n = 0;
    for (const m of models) {
      w += m.w[i]!;
      n += m.n[i]!;
    }
    avg.w[i] = w / k;
    avg.n[i] = n / k;
  }
  return loadModel(saveModel(avg));
}

let cached: TextModel | null | undefined;

/** The shipped scam model (models/scam-default.bin), loaded once; null when the file is missing. */
export function defaultScamModel(): TextModel | null {
  if (cached === undefined) {
    cached = existsSync(DEFAULT_SCAM_MODEL_PATH) ? readModelFile(DEFAULT_SCAM_MODEL_PATH) : null;
  }
  return cached;
}

/** For tests: whether the datasets needed to (re)train are present. */
export function scamDataAvailable(): boolean {
  return DATASETS.slice(0, 2).every((n) => existsSync(datasetPath(n)));
}

/** Reads the hand-written evaluation set (`category<TAB>text`), kept apart from training. */
export function readScamEvalSet(): Array<{ category: string; text: string }> {
  return readTsv('eval.tsv');
}

/** The ordinary-chat evaluation set (eval-chat.tsv, categories "chat" and "chat-b"); never trained on. */
export function readChatEvalSet(): Array<{ category: string; text: string }> {
  return readTsv('eval-chat.tsv');
}

/**
 * Set C (eval-c.tsv): ordinary chat (category "chat") and fraud written after the ordinary-chat B
 * misses were known and BEFORE the "who pays whom" gate (score.ts) was written; scored once before
 * and once after that change; never trained on.
 */
export function readEvalSetC(): Array<{ category: string; text: string }> {
  return readTsv('eval-c.tsv');
}

/**
 * The lettered evaluation sets, never trained on. D (eval-d.tsv): 40 money requests between
 * acquaintances, 40 other frauds and 137 ordinary messages, half of each in English, written for issue
 * 14 item 4 before the training data changed. E: written after D had informed the generator, scored once
 * on that change. F: written on 6 December 2026 before the second change and read for it (a development
 * set from then on: its misses named the hardship, captive and payment-app gaps). G: written after that
 * change, scored once, then read for a third change (a development set too). H: written after the
 * third change and scored once; its misses were read for the notes only, never for a change. I: written
 * after H, scored once, then read for the third round's vocabulary. J (7 December 2026): written fresh and
 * scored once (acquaintance 33 of 40, other fraud 15 of 15, chat 0 of 40), then read for a fourth change
 * (amounts as a feature, money help asked by its own verbs, small fees in the fraud templates). K: written
 * after that change and scored once with both models: acquaintance 34 → 36 of 40, other fraud 10 of 10 with
 * both, chat 1 of 40 with both (a fee named with its price). L–O: later rounds, and P (investment
 * lures, friends settling up) written before the seventh round and scored once before it (ROUNDS.md).
 * Q: written before the eighth round and scored once before it (new pretexts, an office's own money
 * collections, new-number notices without an ask, scam warnings in chat). R (7 December 2026, late):
 * written after the eighth round and scored once on its code; read for the ninth round. S (7 December
 * 2026, night): written after the ninth round and scored once on its code; read for the tenth round. T
 * (8 December 2026): written after the tenth round and scored once on its code; not read for any change
 * yet.
 */
export type LetterSet =
  'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'N' | 'O' | 'P' | 'Q' | 'R' | 'S' | 'T';
export const LETTER_SETS: readonly LetterSet[] = [
  'D',
  'E',
  'F',
  'G',
  'H',
  'I',
  'J',
  'K',
  'L',
  'M',
  'N',
  'O',
  'P',
  'Q',
  'R',
  'S',
  'T',
];
export function readLetterSet(letter: LetterSet): Array<{ category: string; text: string }> {
  return readTsv(`eval-${letter.toLowerCase()}.tsv`);
}

function readTsv(name: string): Array<{ category: string; text: string }> {
  const path = resolve(dirname(fileURLToPath(import.meta.url)), name);
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const tab = l.indexOf('\t');
      return { category: l.slice(0, tab), text: l.slice(tab + 1) };
    });
}
