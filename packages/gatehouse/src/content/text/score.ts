/**
 * `scoreText(model, input)`: the explainable verdict for one message. Never throws: strings with
 * lone surrogates are made well-formed, Buffers are decoded as UTF-8 with replacement (and flagged),
 * binary-looking input is flagged, and long texts are scored on their first MAX_TEXT_LENGTH units.
 */
import { isUtf8 } from 'node:buffer';
import { extractFeatures, featureName } from './features.ts';
import { intentHits } from './intents.ts';
import type { IntentHit } from './intents.ts';
import { MAX_TEXT_LENGTH, boundText, domainOf, margin, sigmoid, upperShare } from './model.ts';
import type { TextModel } from './model.ts';
import { normalize } from './normalize.ts';
import type { NormalizeStats } from './normalize.ts';

export interface TopFeature {
  /** Human-readable feature, e.g. "zh:加微信", "w2:free entry", "intent:prize". */
  feature: string;
  weight: number;
  /** weight × value: what it added to the log-odds. */
  contribution: number;
}

export interface TextScore {
  probability: number;
  label: 'spam' | 'ham';
  isSpam: boolean;
  threshold: number;
  /** The log-odds (sum of contributions incl. the bias). */
  logit: number;
  bias: number;
  topFeatures: TopFeature[];
  intents: IntentHit[];
  /** True when only the first MAX_TEXT_LENGTH units were scored. */
  truncated: boolean;
  /** The input was a byte buffer that was not valid UTF-8 (decoded with U+FFFD replacement). */
  invalidUtf8: boolean;
  /** The input had lone surrogates (replaced with U+FFFD). */
  malformedString: boolean;
  /** The input looks binary (NUL or many control characters). */
  binary: boolean;
  /** What normalisation changed (evasion signals). */
  evasion: NormalizeStats;
  /** The normalised text that was scored. */
  normalized: string;
  /** Set only if scoring failed internally; the verdict is then "ham" with probability 0. */
  error?: string;
}

export interface ScoreOptions {
  /** How many features to explain (default 8). */
  top?: number;
  /** Skip explanation work (top features, intents) for speed. */
  explain?: boolean;
  /** The message's source (channel); used when the model was trained with it (`model.sources`). */
  source?: string;
}

function hasLoneSurrogate(t: string): boolean {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < t.length) {
      const d = t.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return true;
  }
  return false;
}

/** Replaces lone surrogates with U+FFFD. */
export function wellFormed(t: string): string {
  if (!hasLoneSurrogate(t)) return t;
  return t.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function looksBinary(t: string): boolean {
  let ctl = 0;
  const n = Math.min(t.length, 1024);
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c === 0) return true;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) ctl++;
  }
  return n > 0 && ctl / n > 0.1;
}

/** Scores one message. `input` may be a string or raw bytes; anything else scores as empty. */
export function scoreText(model: TextModel, input: string | Uint8Array, opts: ScoreOptions = {}): TextScore {
  let text = '';
  let invalidUtf8 = false;
  let malformedString = false;
  try {
    if (typeof input === 'string') text = input;
    else if (input instanceof Uint8Array) {
      // Decode at most 4 bytes per unit of the bound (plus slack) to avoid decoding megabytes.
      const bytes = input.subarray(0, MAX_TEXT_LENGTH * 4 + 4);
      invalidUtf8 = !isUtf8(input);
      text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
    }
    const truncated =
      text.length > MAX_TEXT_LENGTH ||
      (input instanceof Uint8Array && input.length > MAX_TEXT_LENGTH * 4 + 4);
    let bounded = boundText(text);
    if (hasLoneSurrogate(bounded)) {
      malformedString = true;
      bounded = wellFormed(bounded);
    }
    const norm = normalize(bounded);
    const domain = domainOf(model, opts.source);
    const explain = opts.explain ?? true;
    const triples: number[] | undefined = explain ? [] : undefined;
    const v = extractFeatures(norm, model.bits, upperShare(bounded), domain, triples);
    const logit = margin(model, v);
    const probability = sigmoid(logit);
    const topFeatures: TopFeature[] = [];
    let bias = 0;
    if (explain) {
      const topN = Math.max(0, Math.min(64, opts.top ?? 8));
      // Partial selection of the topN largest |contribution| (ties: lower index first).
      const best = new Int32Array(topN);
      const bestAbs = new Float64Array(topN);
      let have = 0;
      const last = v.length - 1;
      bias = model.w[v.idx[last]!]! * v.val[last]!;
      for (let k = 0; k < last; k++) {
        const a = Math.abs(model.w[v.idx[k]!]! * v.val[k]!);
        if (a === 0 || topN === 0 || (have === topN && a <= bestAbs[have - 1]!)) continue;
        let q = have < topN ? have++ : have - 1;
        while (q > 0 && bestAbs[q - 1]! < a) {
          best[q] = best[q - 1]!;
          bestAbs[q] = bestAbs[q - 1]!;
          q--;
        }
        best[q] = k;
        bestAbs[q] = a;
      }
      for (let q = 0; q < have; q++) {
        const k = best[q]!;
        const weight = model.w[v.idx[k]!]!;
        topFeatures.push({
          feature: featureName(v, k, norm, opts.source),
          weight,
          contribution: weight * v.val[k]!,
        });
      }
    } else bias = model.w[v.idx[v.length - 1]!]!;
    return {
      probability,
      label: probability >= model.threshold ? 'spam' : 'ham',
      isSpam: probability >= model.threshold,
      threshold: model.threshold,
      logit,
      bias,
      topFeatures,
      intents: triples ? intentHits(bounded, norm, triples) : [],
      truncated,
      invalidUtf8,
      malformedString,
      binary: looksBinary(bounded),
      evasion: norm.stats,
      normalized: norm.text,
    };
  } catch (e) {
    return {
      probability: 0,
      label: 'ham',
      isSpam: false,
      threshold: model.threshold,
      logit: 0,
      bias: 0,
      topFeatures: [],
      intents: [],
      truncated: false,
      invalidUtf8,
      malformedString,
      binary: false,
      evasion: normalize('').stats,
      normalized: '',
      error: e instanceof Error ? e.message : String(e),
    };
  }
}

/** The probability only (fast path for bulk evaluation). */
export function scoreProbability(model: TextModel, text: string, source?: string): number {
  const bounded = wellFormed(boundText(text));
  const v = extractFeatures(normalize(bounded), model.bits, upperShare(bounded), domainOf(model, source));
  return sigmoid(margin(model, v));
}
