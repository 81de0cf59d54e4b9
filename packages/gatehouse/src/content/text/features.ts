/**
 * Feature extraction with the hashing trick. From the normalised text:
 *   - CJK runs: character 1-, 2- and 3-grams ("zh:加", "zh:加微", "zh:加微信"), and toneless pinyin
 *     2- and 3-grams ("py:wei xin") so homophone swaps (薇信, 威信) meet the word they stand for;
 *   - Latin text: word unigrams and bigrams ("w:free", "w2:free entry"); words with digits are
 *     replaced by their shape ("a9:6+" = letters then digits, 6 or more characters long); character
 *     3-grams inside words of 5+ characters ("c3:vap");
 *   - script joins: a CJK character touching a Latin word ("mix:加v");
 *   - symbols after a token: an ASCII symbol right after a digit, a Latin letter or a CJK character,
 *     by the class of what it follows ("sym:9+" in "出10+", "5h+"; "sym:a@");
 *   - structure: URLs, Chinese mobile numbers, long digit runs, QQ and WeChat ids, @handles, money
 *     amounts, urgency words, lexicon intents, evasion counts from normalisation, length and shape;
 *   - the largest sum of money named, in three buckets (amounts.ts: "amount:200-999").
 * Each feature is hashed (FNV-1a over code units, murmur3 finaliser) into 2^bits slots. The hot path
 * works on typed arrays; names are rebuilt only for the few features an explanation shows.
 */
import { amountBucket, largestAmount } from './amounts.ts';
import { INTENT_COUNT, INTENT_TERMS, URGENCY_RE, URGENCY_TERMS, intentName, scanIntents } from './intents.ts';
import type { Normalized, NormalizeStats } from './normalize.ts';
import { RegexGate, TermGate } from './prefilter.ts';
import { sortKeys } from './sort.ts';
import { isCjk, pinyinHash, pinyinOf } from './tables.ts';

/** Bumped whenever extraction changes in a way that changes hashes or values (stored in model files). */
export const FEATURE_VERSION = 3;

export const KIND_CJK1 = 1;
export const KIND_CJK2 = 2;
export const KIND_CJK3 = 3;
export const KIND_WORD = 4;
export const KIND_WORD2 = 5;
export const KIND_NAMED = 6;
export const KIND_MIX = 7;
export const KIND_WCHAR = 8;
export const KIND_PY2 = 9;
export const KIND_PY3 = 10;
/** Flag on a kind: the source-specific copy of the feature. */
export const KIND_DOMAIN = 16;
/** An ASCII symbol right after a digit, a Latin word or a CJK character ("10+", "5h+", "出+"). */
export const KIND_SYM = 11;

/** Sparse feature vector with, for each feature, where it came from (for explanations). */
export interface FeatureVector {
  idx: Int32Array;
  val: Float32Array;
  kind: Int8Array;
  /** KIND_NAMED: index into NAMED_FEATURES; others: start offset in the normalised text. */
  a: Int32Array;
  /** End offset in the normalised text (n-grams, words). */
  b: Int32Array;
  length: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * `fmix(h) & mask`, the feature's slot. The same value, but a small integer whatever the hash: an
 * unsigned 32-bit result above 2^30 is a heap number each time it leaves a function that was not
 * inlined (garbage on the scoring hot path).
 */
function slot(h: number, mask: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & mask;
}

/** FNV-1a over a string's UTF-16 units, seeded with a kind; returns the un-finalised state. */
export function hashString(kind: number, s: string): number {
  let h = Math.imul(FNV_OFFSET ^ kind, FNV_PRIME);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

// ---- named (structure) features --------------------------------------------------------------

const STRUCT_NAMES = ['url', 'phone_cn', 'longnum', 'qq', 'wechat', 'handle', 'money', 'urgency'] as const;
const EVASION_NAMES: ReadonlyArray<keyof NormalizeStats> = [
  'nfkc',
  'halfwidth',
  'invisible',
  'combining',
  'decorative',
  'confusables',
  't2s',
  'numerals',
  'collapsed',
];

const LEN_NAMES = ['len:0-10', 'len:11-30', 'len:31-80', 'len:81-200', 'len:200+'];

function buildNamed(): string[] {
  const names = ['bias'];
  for (const s of STRUCT_NAMES) names.push(`struct:${s}`, `struct:${s}:2+`);
  for (let i = 0; i < INTENT_COUNT; i++) names.push(`intent:${intentName(i)}`, `intent:${intentName(i)}:2+`);
  for (const e of EVASION_NAMES) names.push(`evasion:${e}`, `evasion:${e}:3+`, `evasion:${e}:10+`);
  for (const l of LEN_NAMES) names.push(l);
  for (const d of ['0', '1-10%', '10-30%', '30%+']) names.push(`digits:${d}`);
  for (const u of ['0', '1-20%', '20-50%', '50%+']) names.push(`upper:${u}`);
  names.push('script:cjk', 'script:latin', 'script:mixed', 'script:none', 'punct:!', 'punct:!!');
  // the largest sum of money named (amounts.ts): under 200, 200–999, 1,000 and more
  names.push('amount:1-199', 'amount:200-999', 'amount:1000+');
  return names;
}

/** Every named feature, by id (the id is stable only within one FEATURE_VERSION). */
export const NAMED_FEATURES: readonly string[] = buildNamed();
const NAMED_ID = new Map(NAMED_FEATURES.map((n, i) => [n, i]));
const NAMED_HASH = Int32Array.from(NAMED_FEATURES, (n) => fmix(hashString(KIND_NAMED, n)) | 0);

function namedId(name: string): number {
  const id = NAMED_ID.get(name);
  if (id === undefined) throw new Error(`unknown named feature ${name}`);
  return id;
}

export const BIAS_ID = 0;
const STRUCT_ID = STRUCT_NAMES.map((s) => namedId(`struct:${s}`));
const INTENT_ID = Array.from({ length: INTENT_COUNT }, (_, i) => namedId(`intent:${intentName(i)}`));
const EVASION_ID = EVASION_NAMES.map((e) => namedId(`evasion:${e}`));
const LEN_ID = namedId('len:0-10');
const DIGITS_ID = namedId('digits:0');
const UPPER_ID = namedId('upper:0');
const SCRIPT_ID = namedId('script:cjk');
const EXCL_ID = namedId('punct:!');
const AMOUNT_ID = namedId('amount:1-199');

/** The structure patterns, by STRUCT_NAMES index. */
export const STRUCT_RE: readonly RegExp[] = [
  /(?:https?:\/\/|www\.|t\.me\/)|[a-z0-9-]{2,}\.(?:com|net|org|cn|me|top|xyz|cc|co|uk|info|vip|club|io|app|link|site|ly|tk|ru|biz|mobi)(?![a-z])/g,
  /(?<!\d)1[3-9]\d{9}(?!\d)/g,
  /\d{7,}/g,
  /(?<![a-z])(?:qq|扣扣|企鹅|q号)\s?[:：]?\s?\d{5,11}/g,
  /(?:微信|vx|wx|v信|薇|威信|徽信)\s?号?\s?[:：]?\s?[a-z0-9_-]{5,20}/g,
  /@[a-z0-9_]{4,}/g,
  /[£$€¥￥]\s?\d|\d+(?:\.\d+)?\s?(?:元|块|万|w|k|r|rmb|usd|usdt|u|美金|刀|p)(?![a-z])|\d+\s?(?:pounds|dollars|quid)(?![a-z])/g,
  URGENCY_RE,
];

for (const re of STRUCT_RE) {
  re.lastIndex = 0;
  if (re.test('')) throw new Error(`structure pattern ${re.source} matches the empty string`);
  re.lastIndex = 0;
}
/**
 * Which structure and intent patterns can match a text (structure bits first, then intents): the
 * word lists (URGENCY_RE, the last structure pattern, and the intents) by the terms they begin with,
 * the other structure patterns by their first units.
 */
const URGENCY_BIT = STRUCT_RE.length - 1;
const GATE = new RegexGate(STRUCT_RE.slice(0, URGENCY_BIT));
const WORD_GATE = new TermGate([URGENCY_TERMS, ...INTENT_TERMS]);
let GATED = true;

/**
 * Turns the pattern prefilter off (every pattern runs on every text) or back on; for the test that
 * the prefiltered extraction equals the plain one on real messages.
 */
export function setPatternPrefilter(on: boolean): void {
  GATED = on;
}

// ---- extraction ------------------------------------------------------------------------------

interface Raw {
  idx: Int32Array;
  /** Origin triples: kind, a, b. */
  org: Int32Array;
  n: number;
}

const MAX_RAW = 65535;
const SCRATCH: Raw = { idx: new Int32Array(1024), org: new Int32Array(3072), n: 0 };
let KEYS = new Float64Array(1024);
const KEYS32 = new Int32Array(4096);
const INTENT_COUNTS = new Uint16Array(INTENT_COUNT);

/** Whether the current (synchronous) extraction records where each feature came from. */
let ORIGINS = true;

function add(r: Raw, idx: number, kind: number, a: number, b: number): void {
  if (r.n >= MAX_RAW) return;
  if (r.n === r.idx.length) {
    const cap = Math.min(MAX_RAW, r.idx.length * 2);
    const i2 = new Int32Array(cap);
    i2.set(r.idx);
    const o2 = new Int32Array(cap * 3);
    o2.set(r.org);
    r.idx = i2;
    r.org = o2;
  }
  r.idx[r.n] = idx;
  if (ORIGINS) {
    const o = r.n * 3;
    r.org[o] = kind;
    r.org[o + 1] = a;
    r.org[o + 2] = b;
  }
  r.n++;
}

function addNamed(r: Raw, id: number, mask: number): void {
  add(r, NAMED_HASH[id]! & mask, KIND_NAMED, id, 0);
}

/** Where the intent scan of the current (synchronous) extraction reports its hits. */
let HIT_SINK: number[] | undefined;

function onIntent(k: number, s0: number, e0: number): void {
  INTENT_COUNTS[k]!++;
  HIT_SINK?.push(k, s0, e0);
}

function isWordUnit(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x27 ||
    (c >= 0xc0 && c < 0x2000 && c !== 0xd7 && c !== 0xf7)
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function lenBucket(n: number): string {
  return n <= 2 ? '1' : n <= 5 ? '3' : '6+';
}

/** The word's feature text: the word itself, or its shape when it holds digits ("a9:6+"). */
export function wordKey(t: string, s: number, e: number): string {
  let digits = false;
  for (let i = s; i < e; i++) if (isDigit(t.charCodeAt(i))) digits = true;
  if (!digits) return t.slice(s, e);
  let shape = '';
  let last = '';
  for (let i = s; i < e; i++) {
    const cls = isDigit(t.charCodeAt(i)) ? '9' : 'a';
    if (cls !== last) shape += cls;
    last = cls;
  }
  return `${shape}:${lenBucket(e - s)}`;
}

/** Hash of a word (or its shape) without building a string for plain words. */
function wordHash(t: string, s: number, e: number): number {
  let digits = false;
  for (let i = s; i < e; i++) if (isDigit(t.charCodeAt(i))) digits = true;
  if (!digits) {
    let h = Math.imul(FNV_OFFSET ^ KIND_WORD, FNV_PRIME);
    for (let i = s; i < e; i++) h = Math.imul(h ^ t.charCodeAt(i), FNV_PRIME);
    return h;
  }
  return hashString(KIND_WORD, wordKey(t, s, e));
}

function bucketStat(v: number): number {
  return v >= 10 ? 2 : v >= 3 ? 1 : 0;
}

/**
 * Extracts the hashed feature vector of a normalised message. `upperShare` is the share of upper
 * case letters among the original's ASCII letters (case is folded by normalisation); `domain` a
 * source key (0 = none); `intentHits`, when given, receives the lexicon hits as (intent, start, end)
 * triples in normalised offsets, so scoring need not scan twice. With `origins` false the vector's
 * `kind`, `a` and `b` are not filled (no explanation will name its features; the hot path).
 */
export function extractFeatures(
  norm: Normalized,
  bits: number,
  upperShare = 0,
  domain = 0,
  intentHits?: number[],
  shared = false,
  origins = true,
): FeatureVector {
  // source copies are built from the origins
  ORIGINS = origins || domain !== 0;
  const t = norm.text;
  const n = t.length;
  const mask = (1 << bits) - 1;
  // one scratch buffer for every call (extraction is synchronous), grown as needed: no allocation
  // per message on the hot path
  const cap = Math.min(MAX_RAW, n * 4 + 32);
  const r = SCRATCH;
  r.n = 0;
  if (r.idx.length < cap) {
    r.idx = new Int32Array(cap);
    r.org = new Int32Array(cap * 3);
  }
  const lb = n <= 10 ? 0 : n <= 30 ? 1 : n <= 80 ? 2 : n <= 200 ? 3 : 4;

  let cjkChars = 0;
  let latinChars = 0;
  let digitChars = 0;
  let excl = 0;
  // Positions of the previous two CJK units in the current run (-1 = none).
  let p1 = -1;
  let p2 = -1;
  let prevWordHash = 0;
  let prevWordStart = -1;
  let i = 0;
  while (i < n) {
    let c = t.charCodeAt(i);
    let w = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      c = (c - 0xd800) * 0x400 + (t.charCodeAt(i + 1) - 0xdc00) + 0x10000;
      w = 2;
    }
    if (c >= 0x2e80 && isCjk(c)) {
      cjkChars++;
      let h = Math.imul(Math.imul(FNV_OFFSET ^ KIND_CJK1, FNV_PRIME) ^ c, FNV_PRIME);
      add(r, slot(h, mask), KIND_CJK1, i, i + w);
      if (p1 >= 0) {
        h = Math.imul(FNV_OFFSET ^ KIND_CJK2, FNV_PRIME);
        for (let k = p1; k < i + w; k++) h = Math.imul(h ^ t.charCodeAt(k), FNV_PRIME);
        add(r, slot(h, mask), KIND_CJK2, p1, i + w);
        if (p2 >= 0) {
          let g = Math.imul(FNV_OFFSET ^ KIND_CJK3, FNV_PRIME);
          for (let k = p2; k < i + w; k++) g = Math.imul(g ^ t.charCodeAt(k), FNV_PRIME);
          add(r, slot(g, mask), KIND_CJK3, p2, i + w);
        }
      }
      // Pinyin bigrams and trigrams: homophone swaps (薇信, 威信 → "wei xin") share them.
      const py0 = pinyinHash(c);
      if (py0 !== 0 && p1 >= 0) {
        const py1 = pinyinHash(t.charCodeAt(p1));
        if (py1 !== 0) {
          const base = Math.imul(Math.imul(FNV_OFFSET ^ KIND_PY2, FNV_PRIME) ^ py1, FNV_PRIME) ^ py0;
          add(r, slot(Math.imul(base, FNV_PRIME), mask), KIND_PY2, p1, i + w);
          if (p2 >= 0) {
            const py2 = pinyinHash(t.charCodeAt(p2));
            if (py2 !== 0) {
              let g = Math.imul(Math.imul(FNV_OFFSET ^ KIND_PY3, FNV_PRIME) ^ py2, FNV_PRIME);
              g = Math.imul(g ^ py1, FNV_PRIME) ^ py0;
              add(r, slot(Math.imul(g, FNV_PRIME), mask), KIND_PY3, p2, i + w);
            }
          }
        }
      }
      // A CJK character right after a Latin word ("v加") or right before one ("加v").
      if (i > 0 && isWordUnit(t.charCodeAt(i - 1))) {
        const m = Math.imul(
          Math.imul(Math.imul(FNV_OFFSET ^ KIND_MIX, FNV_PRIME) ^ t.charCodeAt(i - 1), FNV_PRIME) ^ c,
          FNV_PRIME,
        );
        add(r, slot(m, mask), KIND_MIX, i - 1, i + w);
      }
      if (i + w < n && isWordUnit(t.charCodeAt(i + w))) {
        const m = Math.imul(
          Math.imul(Math.imul(FNV_OFFSET ^ KIND_MIX, FNV_PRIME) ^ c, FNV_PRIME) ^ t.charCodeAt(i + w),
          FNV_PRIME,
        );
        add(r, slot(m, mask), KIND_MIX, i, i + w + 1);
      }
      p2 = p1;
      p1 = i;
      prevWordStart = -1;
      i += w;
      continue;
    }
    p1 = -1;
    p2 = -1;
    if (isWordUnit(c)) {
      let j = i + 1;
      while (j < n && isWordUnit(t.charCodeAt(j))) j++;
      for (let k = i; k < j; k++) {
        const d = t.charCodeAt(k);
        if (isDigit(d)) digitChars++;
        else latinChars++;
      }
      const wh = wordHash(t, i, j);
      add(r, slot(wh, mask), KIND_WORD, i, j);
      // Character 3-grams inside longer Latin words ("anretoolbox" → "too", "ool", "olb" …): catch
      // unseen compounds and product names glued to other words.
      if (j - i >= 5) {
        for (let k = i; k + 3 <= j; k++) {
          let g = Math.imul(FNV_OFFSET ^ KIND_WCHAR, FNV_PRIME);
          g = Math.imul(g ^ t.charCodeAt(k), FNV_PRIME);
          g = Math.imul(g ^ t.charCodeAt(k + 1), FNV_PRIME);
          g = Math.imul(g ^ t.charCodeAt(k + 2), FNV_PRIME);
          add(r, slot(g, mask), KIND_WCHAR, k, k + 3);
        }
      }
      if (prevWordStart >= 0) {
        const bh = Math.imul(Math.imul(FNV_OFFSET ^ KIND_WORD2, FNV_PRIME) ^ prevWordHash, FNV_PRIME) ^ wh;
        add(r, slot(Math.imul(bh, FNV_PRIME), mask), KIND_WORD2, prevWordStart, j);
      }
      prevWordHash = wh;
      prevWordStart = i;
      i = j;
      continue;
    }
    if (c === 0x21) excl++;
    if (c > 0x20 && c < 0x80 && i > 0) {
      const d = t.charCodeAt(i - 1);
      // the class of what the symbol follows: a digit, a Latin letter, a CJK character
      const cls = isDigit(d) ? 0x39 : isWordUnit(d) ? 0x61 : d >= 0x2e80 && isCjk(d) ? 0x4e00 : 0;
      if (cls !== 0) {
        const sy = Math.imul(
          Math.imul(Math.imul(FNV_OFFSET ^ KIND_SYM, FNV_PRIME) ^ cls, FNV_PRIME) ^ c,
          FNV_PRIME,
        );
        add(r, slot(sy, mask), KIND_SYM, i - 1, i + 1);
      }
    }
    i += w;
  }

  // Structure features (a pattern that cannot begin anywhere in the text is not run).
  const gate = GATED ? GATE.of(t) | (WORD_GATE.of(t) << URGENCY_BIT) : -1;
  for (let s = 0; s < STRUCT_RE.length; s++) {
    if ((gate & (1 << s)) === 0) continue;
    const re = STRUCT_RE[s]!;
    re.lastIndex = 0;
    // only "one" and "two or more" matter: stop at the second match; `test` builds no match array
    // (no pattern matches the empty string, checked at load, so each match moves lastIndex on)
    let count = 0;
    while (count < 2 && re.test(t)) count++;
    if (count > 0) addNamed(r, STRUCT_ID[s]!, mask);
    if (count > 1) addNamed(r, STRUCT_ID[s]! + 1, mask);
  }
  const intentCounts = INTENT_COUNTS;
  intentCounts.fill(0);
  HIT_SINK = intentHits;
  scanIntents(t, onIntent, gate >>> STRUCT_RE.length);
  HIT_SINK = undefined;
  for (let k = 0; k < INTENT_COUNT; k++) {
    if (intentCounts[k]! > 0) addNamed(r, INTENT_ID[k]!, mask);
    if (intentCounts[k]! > 1) addNamed(r, INTENT_ID[k]! + 1, mask);
  }
  const st = norm.stats;
  for (let e = 0; e < EVASION_NAMES.length; e++) {
    const v = st[EVASION_NAMES[e]!];
    if (v > 0) addNamed(r, EVASION_ID[e]! + bucketStat(v), mask);
  }
  addNamed(r, LEN_ID + lb, mask);
  const alnum = digitChars + latinChars + cjkChars;
  const ds = alnum === 0 ? 0 : digitChars / alnum;
  addNamed(r, DIGITS_ID + (ds === 0 ? 0 : ds < 0.1 ? 1 : ds < 0.3 ? 2 : 3), mask);
  addNamed(r, UPPER_ID + (upperShare === 0 ? 0 : upperShare < 0.2 ? 1 : upperShare < 0.5 ? 2 : 3), mask);
  addNamed(
    r,
    SCRIPT_ID + (cjkChars > 0 && latinChars > 0 ? 2 : cjkChars > 0 ? 0 : latinChars > 0 ? 1 : 3),
    mask,
  );
  if (excl > 0) addNamed(r, EXCL_ID + (excl > 1 ? 1 : 0), mask);
  const amount = digitChars > 0 || cjkChars > 0 ? amountBucket(largestAmount(t)) : 0;
  if (amount > 0) addNamed(r, AMOUNT_ID + amount - 1, mask);

  if (domain !== 0) {
    // Source-specific copies (feature augmentation for multi-source training, Daumé 2007): every
    // feature also gets a copy keyed by the source, plus a per-source bias.
    const n0 = r.n;
    for (let k = 0; k < n0; k++) {
      const o = k * 3;
      add(r, slot(r.idx[k]! ^ domain, mask), r.org[o]! | KIND_DOMAIN, r.org[o + 1]!, r.org[o + 2]!);
    }
    add(r, slot(NAMED_HASH[BIAS_ID]! ^ domain, mask), KIND_NAMED | KIND_DOMAIN, BIAS_ID, 0);
  }
  return finish(r, mask, shared);
}

/** The domain key of a source name (non-zero). */
export function domainKey(source: string): number {
  return fmix(hashString(0x50c, source)) | 1;
}

/** The reused output of `extractFeatures(…, shared = true)`. */
let SHARED_OUT: FeatureVector | undefined;

function newVector(cap: number): FeatureVector {
  const ints = new Int32Array(cap * 3);
  return {
    idx: ints.subarray(0, cap),
    val: new Float32Array(cap),
    kind: new Int8Array(cap),
    a: ints.subarray(cap, cap * 2),
    b: ints.subarray(cap * 2),
    length: 0,
  };
}

/**
 * Sorts by slot, merges duplicates (first origin wins), sets values, appends the bias. With
 * `shared` the vector is a module buffer the next shared call overwrites (the scoring hot path).
 */
function finish(r: Raw, mask: number, shared: boolean): FeatureVector {
  // Keys: slot and position, sorted. With up to 4,096 raw features (nearly every message) and up to
  // 2^20 slots a key fits an int32 (slot × 4096 + position, offset by 2^31 so that the signed order
  // is the unsigned one).
  const small = r.n <= 4096 && mask <= 0xfffff;
  const k32 = small ? KEYS32 : undefined;
  if (small) {
    for (let k = 0; k < r.n; k++) k32![k] = (r.idx[k]! * 4096 + k - 0x80000000) | 0;
    sortKeys(k32!, r.n);
  } else {
    if (KEYS.length < r.n) KEYS = new Float64Array(Math.max(r.n, KEYS.length * 2));
    for (let k = 0; k < r.n; k++) KEYS[k] = r.idx[k]! * 65536 + k;
    KEYS.subarray(0, r.n).sort();
  }
  const cap = r.n + 1;
  let out: FeatureVector;
  if (shared) {
    if (SHARED_OUT === undefined || SHARED_OUT.idx.length < cap)
      SHARED_OUT = newVector(Math.max(cap, (SHARED_OUT?.idx.length ?? 256) * 2));
    out = SHARED_OUT;
    out.length = 0;
  } else out = newVector(cap);
  const biasIdx = NAMED_HASH[BIAS_ID]! & mask;
  let last = -1;
  let u = 0;
  for (let k = 0; k < r.n; k++) {
    let idx: number;
    let pos: number;
    if (k32 !== undefined) {
      const key = (k32[k]! + 0x80000000) >>> 0;
      idx = key >>> 12;
      pos = key & 4095;
    } else {
      const key = KEYS[k]!;
      idx = Math.floor(key / 65536);
      pos = key - idx * 65536;
    }
    if (idx === last || idx === biasIdx) continue;
    out.idx[u] = idx;
    if (ORIGINS) {
      out.kind[u] = r.org[pos * 3]!;
      out.a[u] = r.org[pos * 3 + 1]!;
      out.b[u] = r.org[pos * 3 + 2]!;
    }
    u++;
    last = idx;
  }
  const scale = u > 0 ? 1 / Math.sqrt(u) : 0;
  for (let k = 0; k < u; k++) out.val[k] = scale;
  out.idx[u] = biasIdx;
  out.val[u] = 1;
  out.kind[u] = KIND_NAMED;
  out.a[u] = BIAS_ID;
  out.b[u] = 0;
  out.length = u + 1;
  return out;
}

/** Human-readable name of feature k of a vector extracted from `norm`. */
export function featureName(v: FeatureVector, k: number, norm: Normalized, source = ''): string {
  if (v.kind[k]! & KIND_DOMAIN)
    return `${baseName(v.kind[k]! & ~KIND_DOMAIN, v.a[k]!, v.b[k]!, v.idx[k]!, norm)} @${source}`;
  return baseName(v.kind[k]!, v.a[k]!, v.b[k]!, v.idx[k]!, norm);
}

function baseName(kind: number, a: number, b: number, idx: number, norm: Normalized): string {
  const t = norm.text;
  switch (kind) {
    case KIND_NAMED:
      return NAMED_FEATURES[a] ?? `named:${a}`;
    case KIND_CJK1:
    case KIND_CJK2:
    case KIND_CJK3:
      return `zh:${t.slice(a, b)}`;
    case KIND_WCHAR:
      return `c3:${t.slice(a, b)}`;
    case KIND_PY2:
    case KIND_PY3: {
      const syl: string[] = [];
      for (let k = a; k < b; k++) syl.push(pinyinOf(t.charCodeAt(k)));
      return `py:${syl.join(' ')}`;
    }
    case KIND_MIX:
      return `mix:${t.slice(a, b)}`;
    case KIND_SYM: {
      const d = t.charCodeAt(a);
      const cls = isDigit(d) ? '9' : isWordUnit(d) ? 'a' : '字';
      return `sym:${cls}${t.slice(b - 1, b)}`;
    }
    case KIND_WORD:
      return `w:${wordKey(t, a, b)}`;
    case KIND_WORD2: {
      let e1 = a;
      while (e1 < b && isWordUnit(t.charCodeAt(e1))) e1++;
      let s2 = b;
      while (s2 > e1 && isWordUnit(t.charCodeAt(s2 - 1))) s2--;
      return `w2:${wordKey(t, a, e1)} ${wordKey(t, s2, b)}`;
    }
    default:
      return `feature:${idx}`;
  }
}
