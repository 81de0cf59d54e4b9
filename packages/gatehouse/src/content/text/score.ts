/**
 * `scoreText(model, input)`: the explainable verdict for one message. Never throws: strings with
 * lone surrogates are made well-formed, Buffers are decoded as UTF-8 with replacement (and flagged),
 * binary-looking input is flagged, and long texts are scored on a bounded sample (long.ts): their head,
 * every link anywhere in them with its surroundings, and their tail.
 */
import { isUtf8 } from 'node:buffer';
import { extractFeatures, featureName } from './features.ts';
import { intentHits } from './intents.ts';
import { maskLinks } from './links.ts';
import { largestAmount } from './amounts.ts';
import { credentialAsk as credentialAskOf, readerAsk, scamCues, sharedCost, type Cue } from './scam/cues.ts';
import { defaultScamModel } from './scam/model.ts';
import { compactText, MAX_LINK_SCAN, toOriginalOffset } from './long.ts';
import type { IntentHit } from './intents.ts';
import { INTENTS } from './lexicon.ts';
import { MAX_TEXT_LENGTH, domainOf, margin, sigmoid, upperShare } from './model.ts';
import type { TextModel } from './model.ts';
import { normalize, normalizeShared } from './normalize.ts';
import type { Normalized, NormalizeStats } from './normalize.ts';

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
  /** True when the text was longer than MAX_TEXT_LENGTH and a sample (head, links, tail) was scored. */
  truncated: boolean;
  /** The input was a byte buffer that was not valid UTF-8 (decoded with U+FFFD replacement). */
  invalidUtf8: boolean;
  /** The input had lone surrogates (replaced with U+FFFD). */
  malformedString: boolean;
  /** The input looks binary (NUL or many control characters). */
  binary: boolean;
  /**
   * The scam-intent model's verdict (scam/model.ts) and the structure cues with spans: an identity
   * claim, a transfer or top-up request, urgency, secrecy or a move to another channel, a payee, and
   * `ask`: where the sender asks the reader to pay, hand over a code or follow a script (who pays
   * whom, scam/cues.ts). `isScam` = the model fires AND the message asks the reader for something;
   * `money` / `impersonation` intents are reported only when `isScam`; cues are listed only then.
   */
  scam: { probability: number; isScam: boolean; cues: Cue[] };
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
  /** The scam-intent model (default: the shipped one); null reports lexicon intents ungated. */
  scam?: TextModel | null;
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

// Scratch of the top-feature selection (scoring is synchronous; topN is at most 64): only the first
// `have` slots, written in the call, are ever read.
const TOP_BEST = new Int32Array(64);
const TOP_ABS = new Float64Array(64);

/** What one scoring pass found, before it is dressed as a `TextScore` (or read by the engine). */
interface Core {
  probability: number;
  logit: number;
  bias: number;
  topFeatures: TopFeature[];
  intents: IntentHit[];
  scam: TextScore['scam'];
  /** The text that was scored (compacted, made well-formed). */
  bounded: string;
  malformedString: boolean;
  norm: Normalized;
}

const NO_CUES: Cue[] = [];
const NO_HITS: IntentHit[] = [];
const NO_FEATURES: TopFeature[] = [];
// The pass's result, refilled by each call (scoring is synchronous; callers read it right away).
const CORE: Core = {
  probability: 0,
  logit: 0,
  bias: 0,
  topFeatures: NO_FEATURES,
  intents: NO_HITS,
  scam: { probability: 0, isScam: false, cues: NO_CUES },
  bounded: '',
  malformedString: false,
  norm: undefined as unknown as Normalized,
};

/**
 * The one scoring pass behind `scoreText` and `scoreForEngine`: compaction, link masking,
 * normalisation, features, both models, the intents and their gating. With `lean` the parts only a
 * report reads are left out (top features; `scam.cues` of a message the scam model does not flag);
 * probability, intents and the scam verdict are the same either way. The result is a module object
 * the next call refills: read it before scoring again.
 */
function scoreCore(model: TextModel, text: string, opts: ScoreOptions, lean: boolean): Core {
  const compact = compactText(text, MAX_TEXT_LENGTH);
  let bounded = compact.text;
  let malformedString = false;
  if (hasLoneSurrogate(bounded)) {
    malformedString = true;
    bounded = wellFormed(bounded);
  }
  const masked = maskLinks(bounded);
  // shared buffers: the offsets and the feature vector are read only inside this call
  const norm = normalizeShared(masked);
  const domain = domainOf(model, opts.source);
  const explain = opts.explain ?? true;
  const triples: number[] | undefined = explain ? [] : undefined;
  const topN = explain && !lean ? Math.max(0, Math.min(64, opts.top ?? 8)) : 0;
  // the features' origins are read only to name the top features
  const v = extractFeatures(norm, model.bits, upperShare(masked), domain, triples, true, topN > 0);
  const scamModel = triples ? (opts.scam === undefined ? defaultScamModel() : opts.scam) : null;
  // same hashes, fewer bits: the scam model reads the spam model's slots masked to its own bits (see
  // scam/model.ts SCAM_BITS), in the same pass over the vector (the two weight look-ups overlap)
  const sharedSlots = scamModel !== null && scamModel.bits <= model.bits && domain === 0;
  let logit = 0;
  let scamLogit = 0;
  if (sharedSlots) {
    const w = model.w;
    const sw = scamModel.w;
    const m = (1 << scamModel.bits) - 1;
    for (let k = 0; k < v.length; k++) {
      const i = v.idx[k]!;
      const x = v.val[k]!;
      logit += w[i]! * x;
      scamLogit += sw[i & m]! * x;
    }
  } else logit = margin(model, v);
  const probability = sigmoid(logit);
  const topFeatures: TopFeature[] = lean ? NO_FEATURES : [];
  let bias: number;
  if (topN > 0) {
    // Partial selection of the topN largest |contribution| (ties: lower index first).
    const best = TOP_BEST;
    const bestAbs = TOP_ABS;
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
  let scam: TextScore['scam'] = { probability: 0, isScam: false, cues: lean ? NO_CUES : [] };
  let intents: IntentHit[] = lean ? NO_HITS : [];
  if (triples) {
    // staged: no lexicon hit and no scam verdict leave nothing to build, gate or remap (the full
    // path gives [] for them too; scoreForEngine's equality with it is tested on the data sets)
    if (!lean || triples.length > 0) intents = intentHits(bounded, norm, triples);
    if (scamModel) {
      const z = sharedSlots
        ? scamLogit
        : margin(scamModel, extractFeatures(norm, scamModel.bits, upperShare(masked), 0));
      const p = sigmoid(z);
      // who pays whom: the model's call counts only when the sender asks the reader for something
      // (to pay, hand over a code, follow a script); reports, offers and gifts ask nothing
      const ask = p >= scamModel.threshold ? readerAsk(bounded, norm, p) : null;
      const isScam = ask !== null;
      // cues are looked for only in a message the model flags (they explain it and give spans)
      scam = {
        probability: p,
        isScam,
        cues: ask
          ? [ask, ...scamCues(bounded, norm)].sort((a, b) => a.start - b.start || a.end - b.end)
          : lean
            ? NO_CUES
            : [],
      };
      if (!lean || intents.length > 0 || isScam)
        intents = gateIntents(intents, scam, probability >= model.threshold, bounded);
    }
    // a one-time code, a password or an assisted verification asked of the reader is an intent of its
    // own, whatever the models read (the engine's `new_session_code_ask`, THREAT_MODEL S33)
    const cred = credentialAskOf(bounded, norm);
    if (cred) intents = [...intents, credentialHit(cred, norm)];
    if (compact.segments.length > 0) {
      const remap = <T extends { start: number; end: number; original: string }>(h: T): T => {
        const start = toOriginalOffset(compact, h.start);
        const end = toOriginalOffset(compact, h.end);
        return { ...h, start, end, original: text.slice(start, end) };
      };
      intents = intents.map(remap);
      scam.cues = scam.cues.map(remap);
    }
  }
  const c = CORE;
  c.probability = probability;
  c.logit = logit;
  c.bias = bias;
  c.topFeatures = topFeatures;
  c.intents = intents;
  c.scam = scam;
  c.bounded = bounded;
  c.malformedString = malformedString;
  c.norm = norm;
  return c;
}

/** Scores one message. `input` may be a string or raw bytes; anything else scores as empty. */
export function scoreText(model: TextModel, input: string | Uint8Array, opts: ScoreOptions = {}): TextScore {
  let text = '';
  let invalidUtf8 = false;
  let malformedString = false;
  try {
    if (typeof input === 'string') text = input;
    else if (input instanceof Uint8Array) {
      // Decode at most as much as the link scan reads.
      const bytes = input.subarray(0, MAX_LINK_SCAN);
      invalidUtf8 = !isUtf8(input);
      text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
    }
    const truncated =
      text.length > MAX_TEXT_LENGTH || (input instanceof Uint8Array && input.length > MAX_LINK_SCAN);
    const c = scoreCore(model, text, opts, false);
    malformedString = c.malformedString;
    const probability = c.probability;
    return {
      probability,
      label: probability >= model.threshold ? 'spam' : 'ham',
      isSpam: probability >= model.threshold,
      threshold: model.threshold,
      logit: c.logit,
      bias: c.bias,
      topFeatures: c.topFeatures,
      intents: c.intents,
      scam: c.scam,
      truncated,
      invalidUtf8,
      malformedString,
      binary: looksBinary(c.bounded),
      evasion: c.norm.stats,
      normalized: c.norm.text,
    };
  } catch (e) {
    // as reported before the pass failed: the check comes first in it
    try {
      malformedString = hasLoneSurrogate(compactText(text, MAX_TEXT_LENGTH).text);
    } catch {
      // the pass failed before the check
    }
    return {
      probability: 0,
      label: 'ham',
      isSpam: false,
      threshold: model.threshold,
      logit: 0,
      bias: 0,
      topFeatures: [],
      intents: [],
      scam: { probability: 0, isScam: false, cues: [] },
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

/** What the engine reads of a message's score (scoreForEngine). */
export interface EngineTextScore {
  /** As `scoreText(model, text).probability`. */
  probability: number;
  /** As `scoreText(model, text).intents` (the array may be shared and frozen when empty: read it only). */
  intents: readonly IntentHit[];
  /**
   * The words asking the reader for something (`scam.cues`' `ask`, readerAsk) where the scam model
   * flags the message, or where its log-odds are at most ENGINE_ASK_FLOOR below its threshold and the
   * message names a sum, a transfer or a payee (hasPaymentCue), else undefined: what a scam that
   * claims an identity ("hi mum, it's me") wants the reader to do ("could you pay a bill for me").
   */
  scamAsk: string | undefined;
  /**
   * The scam model's log-odds over its threshold (≥ 0: the text API's call, `scam.isScam` when an ask
   * was found); -Infinity without a scam model or a verdict. A caller with a prior of its own (a
   * session that is not the owner's usual one) adds it before comparing with 0.
   */
  scamMargin: number;
  /**
   * Where the message asks for money (`scamAsk`, or a money intent): the words that make it a share of
   * a cost split among several people (cues.ts `sharedCost`: AA, 一人三百二, "your half"), else undefined.
   */
  share: string | undefined;
}

const logOdds = (p: number) => Math.log(p / (1 - p));
/**
 * Below the threshold only an ask about money counts for the engine (a sum, a transfer or a payee
 * named): "扫码登录就送皮肤" asks the reader to act, but not to pay.
 */
const hasPaymentCue = (original: string, norm: Normalized) =>
  largestAmount(norm.text) > 0 ||
  scamCues(original, norm).some((q) => q.cue === 'transfer' || q.cue === 'payee');

/** How far below the scam model's threshold (log-odds) scoreForEngine still looks for the ask. */
export const ENGINE_ASK_FLOOR = 1;

const ENGINE_ERROR: EngineTextScore = Object.freeze({
  probability: 0,
  intents: Object.freeze([]),
  scamAsk: undefined,
  scamMargin: -Infinity,
  share: undefined,
});

function credentialHit(
  cue: { start: number; end: number; original: string; normStart: number; normEnd: number },
  norm: Normalized,
): IntentHit {
  return {
    intent: 'credential',
    label: 'asks for a one-time code, a password or a verification',
    labelZh: '索要验证码、密码或辅助验证',
    term: norm.text.slice(cue.normStart, cue.normEnd),
    start: cue.start,
    end: cue.end,
    original: cue.original,
    normStart: cue.normStart,
    normEnd: cue.normEnd,
  };
}

/**
 * The engine's scoring entry: the same pass as `scoreText` (same probability, same gated intents
 * with the same spans), staged for ordinary chat: the report-only parts (top features, the binary
 * check, the evasion report, the result's dressing) are never built, and a message with no lexicon
 * hit that the scam model does not flag skips building, gating and remapping intents.
 * `score.engine.test.ts` checks on every message of the shared data sets that it gives what
 * `scoreText` gives.
 */
export function scoreForEngine(model: TextModel, text: string): EngineTextScore {
  try {
    const c = scoreCore(model, text, {}, true);
    const s = c.scam;
    const scamModel = defaultScamModel();
    let scamAsk: string | undefined;
    let scamMargin = -Infinity;
    if (scamModel && s.probability > 0) {
      scamMargin = logOdds(s.probability) - logOdds(scamModel.threshold);
      if (s.isScam) scamAsk = s.cues.find((q) => q.cue === 'ask')?.original;
      else if (scamMargin >= -ENGINE_ASK_FLOOR && hasPaymentCue(c.bounded, c.norm))
        scamAsk = readerAsk(c.bounded, c.norm, s.probability)?.original;
    }
    const asks = scamAsk !== undefined || c.intents.some((h) => h.intent === 'money');
    const share = asks ? sharedCost(c.bounded, c.norm) : undefined;
    return { probability: c.probability, intents: c.intents, scamAsk, scamMargin, share };
  } catch {
    return ENGINE_ERROR;
  }
}

const FRAUD_INTENTS = new Set(['money', 'impersonation']);
/** Prize words that are also everyday wishes (恭喜发财, 发红包, congrats): a prize only in flagged messages. */
const FESTIVE_PRIZE_TERMS = new Set([
  '恭喜',
  '红包',
  '福利',
  '幸运',
  '赠送',
  '皮肤',
  'congratulations',
  'congrats',
  'free',
  'bonus',
  'reward',
  'winner',
  'won',
  'selected',
  'award',
]);
/**
 * Gambling and porn words with an everyday sense ("I bet", "free slots", "上分" in a game, "这个平台", "官网",
 * "澳门旅游", "成人票", "sexy haircut"): such a word alone is no intent. It counts in a message the spam or
 * scam model flags, or beside a gambling or porn word that has no such sense ("澳门首家线上赌场": 赌场).
 */
const EVERYDAY_ABUSE_TERMS = new Set([
  // gambling
  'bet',
  'betting',
  'slots',
  'poker',
  'lottery',
  'wager',
  '平台',
  '官网',
  '信誉',
  '澳门',
  '彩票',
  '捕鱼',
  '上分',
  '下分',
  '金沙',
  '棋牌',
  '威尼斯人',
  '赔率',
  '下注',
  // porn
  'adult',
  'nude',
  'sexy',
  'naked',
  '成人',
  '资源',
  '看片',
]);
/** Prize words are a lure's own vocabulary ("claim your free skin at <link>"): none is gated so. */
const ABUSE_INTENTS = new Set(['gambling', 'porn']);

const CUE_INTENT: Partial<Record<Cue['cue'], 'money' | 'impersonation'>> = {
  transfer: 'money',
  payee: 'money',
  identity: 'impersonation',
};

/**
 * Learned, not listed: money / impersonation words alone are no intent; they are reported when the
 * scam model says the message is a scam, together with the cues it rests on. Festive prize words
 * ("恭喜发财 … 红包", "congrats") count only in a message the spam or scam model flags; gambling and porn
 * words with an everyday sense (EVERYDAY_ABUSE_TERMS) only there or beside one without; the others (中奖,
 * 兑换码, nitro, claim, 赌场) and the remaining intents pass as found.
 */
function gateIntents(
  hits: IntentHit[],
  scam: TextScore['scam'],
  spam: boolean,
  original: string,
): IntentHit[] {
  // a gambling, porn or prize word with no everyday sense in the message vouches for the others
  const plainAbuse = hits.some((h) => ABUSE_INTENTS.has(h.intent) && !EVERYDAY_ABUSE_TERMS.has(h.term));
  const out = hits.filter((h) =>
    FRAUD_INTENTS.has(h.intent)
      ? scam.isScam
      : h.intent === 'prize' && FESTIVE_PRIZE_TERMS.has(h.term)
        ? spam || scam.isScam
        : ABUSE_INTENTS.has(h.intent) && EVERYDAY_ABUSE_TERMS.has(h.term)
          ? spam || scam.isScam || plainAbuse
          : true,
  );
  if (!scam.isScam) return out;
  const before = out.length;
  for (const c of scam.cues) {
    const intent = CUE_INTENT[c.cue];
    if (!intent || out.some((h) => h.intent === intent && h.start <= c.start && h.end >= c.end)) continue;
    const def = INTENTS.find((d) => d.name === intent)!;
    out.push({
      intent,
      label: def.label,
      labelZh: def.labelZh,
      term: `cue:${c.cue}`,
      start: c.start,
      end: c.end,
      original: original.slice(c.start, c.end),
      normStart: -1,
      normEnd: -1,
    });
  }
  if (!out.some((h) => FRAUD_INTENTS.has(h.intent)) && out.length === before) {
    // the model's call with no money or identity cue to point at (a job lure's "DM me"): the span is
    // what the message asks of the reader (the gate found one), else the whole message
    const def = INTENTS.find((d) => d.name === 'money')!;
    const ask = scam.cues.find((c) => c.cue === 'ask');
    out.push({
      intent: 'money',
      label: def.label,
      labelZh: def.labelZh,
      term: ask ? 'cue:ask' : 'model:scam',
      start: ask?.start ?? 0,
      end: ask?.end ?? original.length,
      original: ask?.original ?? original,
      normStart: -1,
      normEnd: -1,
    });
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end || a.intent.localeCompare(b.intent));
}

/** The probability only (fast path for bulk evaluation). */
export function scoreProbability(model: TextModel, text: string, source?: string): number {
  const bounded = maskLinks(wellFormed(compactText(text, MAX_TEXT_LENGTH).text));
  const v = extractFeatures(
    normalizeShared(bounded),
    model.bits,
    upperShare(bounded),
    domainOf(model, source),
    undefined,
    true,
    false,
  );
  return sigmoid(margin(model, v));
}
