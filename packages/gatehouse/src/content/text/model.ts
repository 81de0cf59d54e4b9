/**
 * Logistic regression over hashed features, trained by FTRL-Proximal (McMahan et al., KDD 2013):
 * per-coordinate adaptive learning rates, L1 for sparse weights (a small model file), L2 for
 * stability, and the same update rule serves batch training (several seeded passes) and online
 * learning from operator labels. All arithmetic is plain IEEE double; the shuffle uses a seeded PRNG,
 * so training twice on the same data gives the same weights, bit for bit.
 */
import {
  DEFAULT_SOURCE_WEIGHTS,
  DEFAULT_BITS,
  DEFAULT_EPOCHS,
  DEFAULT_SEED,
  DEFAULT_SOURCE_DROPOUT,
  DEFAULT_THRESHOLD,
} from './defaults.ts';
import { FEATURE_VERSION, domainKey, extractFeatures } from './features.ts';
import { maskLinks } from './links.ts';
import { compactText } from './long.ts';

export {
  DEFAULT_BITS,
  DEFAULT_EPOCHS,
  DEFAULT_SEED,
  DEFAULT_SOURCE_DROPOUT,
  DEFAULT_SOURCE_WEIGHTS,
  DEFAULT_THRESHOLD,
};
import type { FeatureVector } from './features.ts';
import { normalize } from './normalize.ts';

export interface FtrlParams {
  alpha: number;
  beta: number;
  l1: number;
  l2: number;
}

export interface TextModel {
  /** Feature space is 2^bits slots. */
  bits: number;
  featureVersion: number;
  params: FtrlParams;
  /** Decision threshold on the probability. */
  threshold: number;
  /** Materialised weights (what scoring reads). */
  w: Float32Array;
  /** FTRL state: z and n accumulators per slot. */
  z: Float64Array;
  n: Float64Array;
  meta: { epochs: number; seed: number; examples: number; updates: number };
  /**
   * Sources seen in training. Each feature has a shared weight and, per source, a source-specific
   * weight; scoring with a known `source` uses both, scoring without one uses the shared weights.
   */
  sources: string[];
}

export interface TrainOptions {
  bits?: number;
  epochs?: number;
  seed?: number;
  params?: Partial<FtrlParams>;
  threshold?: number;
  /** Called after each pass and every `progressEvery` examples with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Share of updates (seeded) that see an example without its source-specific features, so the
   * shared weights also work alone, for messages scored without a source. Default 0.3.
   */
  sourceDropout?: number;
  /**
   * Feature vectors of texts already featurised for a model of these bits (featurize with no source):
   * examples without a source whose text is here are not featurised again (several models trained on
   * partly the same texts share the work). The vectors are only read.
   */
  featurized?: ReadonlyMap<string, FeatureVector>;
}

export interface Example {
  text: string;
  label: 0 | 1;
  /** Sample weight (default 1; see `balanceSources`). */
  weight?: number;
  /** The source (channel / data set) the message came from; see `TextModel.sources`. */
  source?: string;
}

export const DEFAULT_PARAMS: FtrlParams = { alpha: 1, beta: 1, l1: 0.05, l2: 0.1 };
/** Messages longer than this (UTF-16 units) are featurised on the prefix only. */
export const MAX_TEXT_LENGTH = 4096;

/** A fresh model; `accumulators: false` leaves z and n empty for the caller to provide (serialize.ts). */
export function createModel(
  opts: { bits?: number; params?: Partial<FtrlParams>; threshold?: number; accumulators?: boolean } = {},
): TextModel {
  const bits = opts.bits ?? DEFAULT_BITS;
  const size = 1 << bits;
  const acc = opts.accumulators === false ? 0 : size;
  return {
    bits,
    featureVersion: FEATURE_VERSION,
    params: { ...DEFAULT_PARAMS, ...opts.params },
    threshold: opts.threshold ?? DEFAULT_THRESHOLD,
    w: new Float32Array(size),
    z: new Float64Array(acc),
    n: new Float64Array(acc),
    meta: { epochs: 0, seed: 0, examples: 0, updates: 0 },
    sources: [],
  };
}

/** Cuts a string to at most `max` UTF-16 units without splitting a surrogate pair. */
export function boundText(text: string, max = MAX_TEXT_LENGTH): string {
  if (text.length <= max) return text;
  let end = max;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return text.slice(0, end);
}

/** Share of upper-case letters among the ASCII letters of the original text. */
export function upperShare(text: string): number {
  let up = 0;
  let letters = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      up++;
      letters++;
    } else if (c >= 0x61 && c <= 0x7a) letters++;
  }
  return letters === 0 ? 0 : up / letters;
}

/** The model's feature vector for a text (bounded, normalised, hashed). */
export function featurize(model: TextModel, text: string, source?: string): FeatureVector {
  const t = maskLinks(compactText(text, MAX_TEXT_LENGTH).text);
  return extractFeatures(normalize(t), model.bits, upperShare(t), domainOf(model, source));
}

/** The domain key for a source the model knows, else 0 (shared weights only). */
export function domainOf(model: TextModel, source: string | undefined): number {
  return source !== undefined && model.sources.includes(source) ? domainKey(source) : 0;
}

export function margin(model: TextModel, v: FeatureVector): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += model.w[v.idx[k]!]! * v.val[k]!;
  return s;
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-Math.min(x, 35)));
  const e = Math.exp(Math.max(x, -35));
  return e / (1 + e);
}

export function predictVector(model: TextModel, v: FeatureVector): number {
  return sigmoid(margin(model, v));
}

function weightOf(p: FtrlParams, z: number, n: number): number {
  if (Math.abs(z) <= p.l1) return 0;
  return -(z - Math.sign(z) * p.l1) / ((p.beta + Math.sqrt(n)) / p.alpha + p.l2);
}

/** One FTRL-Proximal step on a feature vector; returns the probability before the update. */
export function updateVector(model: TextModel, v: FeatureVector, label: 0 | 1, weight = 1): number {
  const p = predictVector(model, v);
  const g0 = (p - label) * weight;
  const prm = model.params;
  for (let k = 0; k < v.length; k++) {
    const i = v.idx[k]!;
    const g = g0 * v.val[k]!;
    const ni = model.n[i]!;
    const wi = weightOf(prm, model.z[i]!, ni);
    const sigma = (Math.sqrt(ni + g * g) - Math.sqrt(ni)) / prm.alpha;
    model.z[i] = model.z[i]! + g - sigma * wi;
    model.n[i] = ni + g * g;
    model.w[i] = weightOf(prm, model.z[i]!, model.n[i]!);
  }
  model.meta.updates++;
  return p;
}

/** mulberry32: small seeded PRNG for the shuffle. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function classWeight(pos: number, neg: number): number {
  return pos === 0 || neg === 0 ? 1 : Math.min(4, Math.max(1, Math.sqrt(neg / pos)));
}

/**
 * Joins several labelled sources into one training list with sample weights so that each source
 * carries the same total weight (a small set is not drowned by a large one) and, inside each
 * source, spam is up-weighted by sqrt(ham/spam) (at most 4×). Weights are capped at 8.
 * `sourceWeights` multiplies a named source's weights after balancing and the cap (multi-source only):
 * a set whose ads are harder to tell from its chat gets more weight (see DEFAULT_SOURCE_WEIGHTS).
 */
export function balanceSources(
  sources: ReadonlyArray<readonly Example[]>,
  names?: readonly string[],
  sourceWeights: Readonly<Record<string, number>> = {},
): Example[] {
  const nonEmpty = sources.filter((s) => s.length > 0);
  const total = nonEmpty.reduce((s, x) => s + x.length, 0);
  const out: Example[] = [];
  for (let si = 0; si < sources.length; si++) {
    const src = sources[si]!;
    if (src.length === 0) continue;
    const source = names?.[si];
    const pos = src.reduce((s, e) => s + e.label, 0);
    const cw = classWeight(pos, src.length - pos);
    const raw = pos * cw + (src.length - pos);
    const boost = source !== undefined && nonEmpty.length > 1 ? (sourceWeights[source] ?? 1) : 1;
    const scale = total / nonEmpty.length / raw;
    for (const e of src)
      out.push({
        text: e.text,
        label: e.label,
        weight: Math.min(8, scale * (e.label === 1 ? cw : 1)) * boost,
        ...(source === undefined ? {} : { source }),
      });
  }
  return out;
}

/**
 * Trains a new model: featurise once, then `epochs` passes in a seeded shuffled order. Positive
 * and negative examples are weighted so both classes carry equal total weight.
 */
export function train(examples: readonly Example[], opts: TrainOptions = {}): TextModel {
  const model = createModel({
    bits: opts.bits,
    params: opts.params,
    threshold: opts.threshold,
  });
  const epochs = opts.epochs ?? DEFAULT_EPOCHS;
  const seed = opts.seed ?? DEFAULT_SEED;
  model.sources = [...new Set(examples.flatMap((e) => (e.source === undefined ? [] : [e.source])))].sort();
  const known = opts.featurized;
  const vecs = examples.map(
    (e) => (e.source === undefined ? known?.get(e.text) : undefined) ?? featurize(model, e.text, e.source),
  );
  const dropout = opts.sourceDropout ?? DEFAULT_SOURCE_DROPOUT;
  const shared = examples.map((e, i) =>
    e.source !== undefined && dropout > 0 ? featurize(model, e.text) : vecs[i]!,
  );
  const weighted = examples.some((e) => e.weight !== undefined);
  const pos = examples.reduce((s, e) => s + e.label, 0);
  const neg = examples.length - pos;
  const wPos = weighted ? 1 : classWeight(pos, neg);
  const order = Int32Array.from(examples, (_, i) => i);
  const rand = prng(seed);
  const total = epochs * examples.length;
  let done = 0;
  for (let ep = 0; ep < epochs; ep++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    for (let q = 0; q < order.length; q++) {
      const e = examples[order[q]!]!;
      const drop = dropout > 0 && rand() < dropout;
      const v = drop ? shared[order[q]!]! : vecs[order[q]!]!;
      updateVector(model, v, e.label, (e.weight ?? 1) * (e.label === 1 ? wPos : 1));
      done++;
      if (opts.onProgress && (done & 1023) === 0) opts.onProgress(done, total);
    }
  }
  opts.onProgress?.(total, total);
  model.meta = { epochs, seed, examples: examples.length, updates: model.meta.updates };
  return model;
}

/**
 * Online learning from an operator label: one FTRL step on this text, in place. Returns the
 * probability before and after the update.
 */
export function learn(
  model: TextModel,
  text: string,
  label: 0 | 1,
  source?: string,
): { before: number; after: number } {
  const v = featurize(model, typeof text === 'string' ? text : '', source);
  const before = updateVector(model, v, label);
  return { before, after: predictVector(model, v) };
}

/** Number of non-zero weights. */
export function nonZero(model: TextModel): number {
  let c = 0;
  for (let i = 0; i < model.w.length; i++) if (model.w[i] !== 0) c++;
  return c;
}

export { weightOf };
