/**
 * Normalisation against evasion. Each step is a pure function over a code-point buffer that keeps,
 * for every output code point, the [start, end) UTF-16 offsets of the ORIGINAL text it came from,
 * so a match in the normalised text can be shown in the original message.
 *
 * Steps, in pipeline order (each also usable alone through `applyStep(name, text)`):
 *   nfkc            Unicode NFKC per code point (compatibility forms: 𝐗→X, ①→1, ﬁ→fi, ㊙→秘)
 *   halfwidth       full-width ASCII → ASCII, ideographic space → space, CJK punctuation → ASCII
 *   invisible       drop zero-width / format / combining / private-use characters; decorative
 *                   symbols (emoji, dingbats, box drawing, shapes) become a space (a separator)
 *   confusables     TR39 confusable skeleton to ASCII for non-ASCII, non-CJK letters (С→c, α→a),
 *                   then lower case
 *   t2s             traditional → simplified Chinese (OpenCC character tables)
 *   numerals        circled / dingbat digits always; Chinese numerals (一二三, 壹贰叁, 幺, 两) inside
 *                   runs of at least five numerals (ids and phone numbers), so ordinary words stay
 *   collapse        spaced-out or symbol-separated single letters/characters joined ("加 薇 信" →
 *                   "加薇信", "v x" → "vx", "q.q" → "qq"), digit groups of a phone-like number joined
 *                   ("138-1234-5678" → "13812345678"), runs of spaces squeezed
 */
import {
  alloc,
  emptyStats,
  fromBuffer,
  identityOf,
  MAX_POOLED,
  push,
  take,
  toBuffer,
  type CpBuffer,
  type Normalized,
  type NormalizeStats,
} from './cp-buffer.ts';
import { CHINESE_NUMERALS, CIRCLED_DIGITS, CJK_PUNCT, CONFUSABLES, T2S, isCjk } from './tables.ts';

export type { CpBuffer, Normalized, NormalizeStats } from './cp-buffer.ts';
export { emptyStats, fromBuffer, toBuffer } from './cp-buffer.ts';

export type StepName = 'nfkc' | 'halfwidth' | 'invisible' | 'confusables' | 't2s' | 'numerals' | 'collapse';

export const STEP_NAMES: readonly StepName[] = [
  'nfkc',
  'halfwidth',
  'invisible',
  'confusables',
  't2s',
  'numerals',
  'collapse',
];

function isAsciiAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

// Per BMP code point: is it a T2S key, a Chinese numeral or a circled digit (≥ U+2400)? One byte
// read instead of map look-ups when a step first checks whether it has anything to do.
const F_T2S = 1;
const F_NUMERAL = 2;
const FLAGS = new Uint8Array(0x10000);
for (const c of T2S.keys()) if (c <= 0xffff && c >= 0x3400) FLAGS[c] = FLAGS[c]! | F_T2S;
for (const c of CHINESE_NUMERALS.keys()) if (c <= 0xffff && c >= 0x2400) FLAGS[c] = FLAGS[c]! | F_NUMERAL;
for (const c of CIRCLED_DIGITS.keys()) if (c <= 0xffff && c >= 0x2400) FLAGS[c] = FLAGS[c]! | F_NUMERAL;

function hasFlag(c: number, f: number): boolean {
  if (c <= 0xffff) return (FLAGS[c]! & f) !== 0;
  return f === F_T2S ? T2S.has(c) : c >= 0x2400 && (CIRCLED_DIGITS.has(c) || CHINESE_NUMERALS.has(c));
}

// ---- step 1: NFKC ----------------------------------------------------------------------------

/** NFKC per code point (ASCII and unified Han are already NFKC and skipped). */
export function stepNfkc(b: CpBuffer, stats: NormalizeStats, spare?: CpBuffer): CpBuffer {
  let out = take(spare, b.length + 8);
  for (let i = 0; i < b.length; i++) {
    const c = b.cp[i]!;
    const s = b.start[i]!;
    const e = b.end[i]!;
    if (c < 0xa0 || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf)) {
      out = push(out, c, s, e);
      continue;
    }
    const ch = String.fromCodePoint(c);
    const n = ch.normalize('NFKC');
    if (n === ch) {
      out = push(out, c, s, e);
      continue;
    }
    stats.nfkc++;
    for (let j = 0; j < n.length; j++) {
      const d = n.codePointAt(j)!;
      if (d > 0xffff) j++;
      out = push(out, d, s, e);
    }
  }
  return out;
}

// ---- step 2: full-width → half-width ---------------------------------------------------------

/** Full-width forms (U+FF01–FF5E) → ASCII, U+3000 → space, common CJK punctuation → ASCII. */
export function stepHalfwidth(b: CpBuffer, stats: NormalizeStats, spare?: CpBuffer): CpBuffer {
  const out = take(spare, b.length);
  for (let i = 0; i < b.length; i++) {
    let c = b.cp[i]!;
    if (c >= 0xff01 && c <= 0xff5e) {
      c -= 0xfee0;
      stats.halfwidth++;
    } else if (c === 0x3000) {
      c = 0x20;
      stats.halfwidth++;
    } else if (c >= 0x2000) {
      const m = CJK_PUNCT[c];
      if (m !== undefined) {
        c = m;
        stats.halfwidth++;
      }
    } else if (c === 0xb7) {
      c = 0x2e;
      stats.halfwidth++;
    }
    out.cp[i] = c;
    out.start[i] = b.start[i]!;
    out.end[i] = b.end[i]!;
  }
  out.length = b.length;
  return out;
}

// ---- step 3: invisible, combining and decorative characters ----------------------------------

const RE_MARK = /^\p{M}$/u;
const RE_FORMAT = /^[\p{Cf}\p{Co}\p{Cs}\p{Cn}]$/u;
const RE_DECOR = /^[\p{So}\p{Sk}\p{Sm}\p{Zs}\p{Cc}\p{Zl}\p{Zp}]$/u;

/** 0 keep, 1 drop as invisible, 2 drop as combining, 3 replace by a space as decorative, 4 whitespace. */
function invisibleClass(c: number): number {
  if (c < 0x80) {
    if (c === 0x20) return 4;
    if (c < 0x20 || c === 0x7f) return c === 0x09 || c === 0x0a || c === 0x0d ? 4 : 3;
    return 0;
  }
  if (isCjk(c)) return 0;
  if (c === 0x200b || c === 0x200c || c === 0x200d || c === 0x2060 || c === 0xfeff || c === 0xad) return 1;
  if ((c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef) || (c >= 0xe0000 && c <= 0xe007f))
    return 1;
  if (c === 0x3164 || c === 0xffa0 || c === 0x115f || c === 0x1160 || c === 0x2800) return 1; // fillers, blank braille
  if (CIRCLED_DIGITS.has(c)) return 0;
  if (c === 0xa0 || c === 0x202f || c === 0x205f || (c >= 0x2000 && c <= 0x200a)) return 4;
  if (c === 0xd7 || c === 0xf7 || c === 0x2022) return 0;
  if (c >= 0x16a0 && c <= 0x16ff) return 3; // runic letters: decoration in chat spam (ᚰ, ᚠ)
  const ch = String.fromCodePoint(c);
  if (RE_MARK.test(ch)) return 2;
  if (RE_FORMAT.test(ch)) return 1;
  if (RE_DECOR.test(ch)) return 3;
  return 0;
}

/**
 * Drops zero-width, format, private-use and combining characters; turns each run of decorative
 * symbols (emoji, dingbats, arrows, box drawing, shapes, non-ASCII math, controls) into one '•'
 * separator; squeezes whitespace runs to one space and trims the ends.
 */
export function stepInvisible(b: CpBuffer, stats: NormalizeStats, spare?: CpBuffer): CpBuffer {
  const out = take(spare, b.length);
  let k = 0;
  let lastSpace = true;
  for (let i = 0; i < b.length; i++) {
    const c = b.cp[i]!;
    const cls = invisibleClass(c);
    if (cls === 0) {
      out.cp[k] = c;
      out.start[k] = b.start[i]!;
      out.end[k] = b.end[i]!;
      k++;
      lastSpace = false;
      continue;
    }
    if (cls === 1) {
      stats.invisible++;
      continue;
    }
    if (cls === 2) {
      stats.combining++;
      continue;
    }
    // Decorative symbols become one '•' (a visible separator), whitespace one space.
    const sep = cls === 3 ? 0x2022 : 0x20;
    if (cls === 3) stats.decorative++;
    if (lastSpace && (k === 0 || out.cp[k - 1] === sep)) continue;
    out.cp[k] = sep;
    out.start[k] = b.start[i]!;
    out.end[k] = b.end[i]!;
    k++;
    lastSpace = true;
  }
  while (k > 0 && (out.cp[k - 1] === 0x20 || out.cp[k - 1] === 0x2022)) k--;
  out.length = k;
  return out;
}

// ---- step 4: confusables skeleton + lower case -----------------------------------------------

/** TR39 confusables → ASCII prototype for non-ASCII, non-CJK characters; then lower case. */
export function stepConfusables(b: CpBuffer, stats: NormalizeStats, spare?: CpBuffer): CpBuffer {
  let out = take(spare, b.length + 4);
  for (let i = 0; i < b.length; i++) {
    const c = b.cp[i]!;
    const s = b.start[i]!;
    const e = b.end[i]!;
    if (c < 0x80) {
      out = push(out, c >= 0x41 && c <= 0x5a ? c + 32 : c, s, e);
      continue;
    }
    if (isCjk(c)) {
      out = push(out, c, s, e);
      continue;
    }
    const t = CONFUSABLES.get(c);
    if (t) {
      stats.confusables++;
      for (const d of t) out = push(out, d >= 0x41 && d <= 0x5a ? d + 32 : d, s, e);
      continue;
    }
    const lower = String.fromCodePoint(c).toLowerCase();
    const l = lower.codePointAt(0)!;
    out = push(out, lower.length === (l > 0xffff ? 2 : 1) ? l : c, s, e);
  }
  return out;
}

// ---- step 5: traditional → simplified --------------------------------------------------------

/** Traditional Chinese (and TW/HK variants) → simplified, one character to one character. */
export function stepT2S(b: CpBuffer, stats: NormalizeStats, spare?: CpBuffer): CpBuffer {
  // most text has no traditional character: look before copying
  let any = false;
  for (let i = 0; i < b.length && !any; i++) any = hasFlag(b.cp[i]!, F_T2S);
  if (!any) return b;
  const out = take(spare, b.length);
  for (let i = 0; i < b.length; i++) {
    const c = b.cp[i]!;
    let d = c;
    if (c >= 0x3400) {
      const m = T2S.get(c);
      if (m !== undefined) {
        d = m;
        stats.t2s++;
      }
    }
    out.cp[i] = d;
    out.start[i] = b.start[i]!;
    out.end[i] = b.end[i]!;
  }
  out.length = b.length;
  return out;
}

// ---- step 6: numerals ------------------------------------------------------------------------

function isNumeralish(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || CHINESE_NUMERALS.has(c);
}

function isRunSeparator(c: number): boolean {
  return c === 0x20 || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x2f;
}

/**
 * Circled and dingbat digits → decimal digits (always). Chinese numerals → digits inside runs of at
 * least five numerals (ASCII digits count; single spaces, '-', '.', '_', '/' may sit between them)
 * that contain at least one Chinese numeral: "加扣扣一二三四五六" → "加扣扣123456".
 */
export function stepNumerals(b: CpBuffer, stats: NormalizeStats, spare?: CpBuffer): CpBuffer {
  // nothing to do without a circled digit or a Chinese numeral: look before copying
  let any = false;
  for (let i = 0; i < b.length && !any; i++) any = hasFlag(b.cp[i]!, F_NUMERAL);
  if (!any) return b;
  let out = take(spare, b.length + 4);
  let i = 0;
  while (i < b.length) {
    const c = b.cp[i]!;
    const circ = c >= 0x2400 ? CIRCLED_DIGITS.get(c) : undefined;
    if (circ !== undefined) {
      stats.numerals++;
      for (let j = 0; j < circ.length; j++) out = push(out, circ.charCodeAt(j), b.start[i]!, b.end[i]!);
      i++;
      continue;
    }
    if (!CHINESE_NUMERALS.has(c)) {
      out = push(out, c, b.start[i]!, b.end[i]!);
      i++;
      continue;
    }
    // A Chinese numeral: scan back over already-emitted digits and forward over the run.
    let numerals = 0;
    for (let j = out.length - 1; j >= 0; j--) {
      const d = out.cp[j]!;
      if (d >= 0x30 && d <= 0x39) numerals++;
      else if (!(isRunSeparator(d) && j > 0 && out.cp[j - 1]! >= 0x30 && out.cp[j - 1]! <= 0x39)) break;
    }
    let j = i;
    while (j < b.length) {
      const d = b.cp[j]!;
      if (isNumeralish(d) || (CIRCLED_DIGITS.has(d) && d >= 0x2400)) numerals++;
      else if (!(isRunSeparator(d) && j + 1 < b.length && isNumeralish(b.cp[j + 1]!))) break;
      j++;
    }
    const fold = numerals >= 5;
    for (let k = i; k < j; k++) {
      const d = b.cp[k]!;
      const v = CHINESE_NUMERALS.get(d);
      const circ2 = d >= 0x2400 ? CIRCLED_DIGITS.get(d) : undefined;
      if (circ2 !== undefined) {
        stats.numerals++;
        for (let q = 0; q < circ2.length; q++) out = push(out, circ2.charCodeAt(q), b.start[k]!, b.end[k]!);
      } else if (fold && v !== undefined) {
        stats.numerals++;
        out = push(out, 0x30 + v, b.start[k]!, b.end[k]!);
      } else out = push(out, d, b.start[k]!, b.end[k]!);
    }
    i = j;
  }
  return out;
}

// ---- step 7: collapse spaced-out letters and digit groups ------------------------------------

const CJK_SENTENCE_PUNCT = new Set([0x2c, 0x2e, 0x21, 0x3f, 0x3b, 0x3a, 0xff0c, 0xff01, 0xff1f]);

function wordClass(c: number): number {
  if (isAsciiAlnum(c)) return 1;
  if (isCjk(c)) return 2;
  if (c >= 0x80 && /^[\p{L}\p{N}]$/u.test(String.fromCodePoint(c))) return 1;
  return 0;
}

const CS = {
  ts: new Int32Array(256),
  te: new Int32Array(256),
  tc: new Int8Array(256),
  drop: new Uint8Array(256),
};

/**
 * Joins single letters/characters separated by spaces or symbols ("加 薇 信" → "加薇信",
 * "v x" → "vx", "q.q" → "qq") and phone-like digit groups ("138-1234-5678" → "13812345678").
 * A gap is at most three separator characters; between two CJK characters sentence punctuation
 * (，。！？) is not a separator, so ordinary short sentences keep their punctuation.
 */
export function stepCollapse(b: CpBuffer, stats: NormalizeStats, spare?: CpBuffer): CpBuffer {
  const n = b.length;
  let separators = false;
  for (let q = 0; q < n && !separators; q++) if (wordClass(b.cp[q]!) === 0) separators = true;
  if (!separators) return b;
  // Tokens: [start, end) runs of one word class (CJK characters are each their own run of length
  // counted as the whole CJK run, so "加" alone is single but "你好" is not).
  // scratch of one call (the step is synchronous): token starts and ends, token classes, drop marks
  if (CS.ts.length < n + 1) {
    const cap = Math.max(n + 1, CS.ts.length * 2);
    CS.ts = new Int32Array(cap);
    CS.te = new Int32Array(cap);
    CS.tc = new Int8Array(cap);
    CS.drop = new Uint8Array(cap);
  }
  const ts = CS.ts;
  const te = CS.te;
  const tc = CS.tc;
  let nt = 0;
  let i = 0;
  while (i < n) {
    const cls = wordClass(b.cp[i]!);
    if (cls === 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && wordClass(b.cp[j]!) === cls) j++;
    ts[nt] = i;
    te[nt] = j;
    tc[nt] = cls;
    nt++;
    i = j;
  }
  const drop = CS.drop;
  drop.fill(0, 0, n);
  let dropped = 0;
  const gapOk = (a: number, z: number, cjk: boolean): boolean => {
    if (z - a < 1 || z - a > 3) return false;
    for (let k = a; k < z; k++) if (cjk && CJK_SENTENCE_PUNCT.has(b.cp[k]!)) return false;
    return true;
  };
  // Spaced-out single letters / characters: a chain of at least two single tokens with small gaps.
  for (let t = 0; t + 1 < nt; t++) {
    const single = te[t]! - ts[t]! === 1 && te[t + 1]! - ts[t + 1]! === 1;
    if (!single) continue;
    const cjk = tc[t] === 2 || tc[t + 1] === 2;
    if (tc[t] !== tc[t + 1] && !(tc[t] === 1 && tc[t + 1] === 1)) continue;
    if (!gapOk(te[t]!, ts[t + 1]!, cjk)) continue;
    // In Latin text, two isolated single letters are common ("a b"); require a symbol in the gap,
    // or a chain of at least three singles.
    if (!cjk) {
      let symbol = false;
      for (let k = te[t]!; k < ts[t + 1]!; k++) if (b.cp[k] !== 0x20) symbol = true;
      const chain3 =
        (t + 2 < nt && te[t + 2]! - ts[t + 2]! === 1 && gapOk(te[t + 1]!, ts[t + 2]!, false)) ||
        (t > 0 && te[t - 1]! - ts[t - 1]! === 1 && gapOk(te[t - 1]!, ts[t]!, false));
      if (!symbol && !chain3) continue;
    }
    for (let k = te[t]!; k < ts[t + 1]!; k++) {
      if (drop[k]) continue;
      drop[k] = 1;
      dropped++;
    }
  }
  // Spaced single letters right before an id ("h k x594" → "hkx594"): two or more single Latin
  // letters, then a Latin token with digits, each gap at most three separators.
  for (let t = 1; t + 1 < nt; t++) {
    if (tc[t] !== 1 || tc[t + 1] !== 1 || tc[t - 1] !== 1) continue;
    if (te[t]! - ts[t]! !== 1 || te[t - 1]! - ts[t - 1]! !== 1) continue;
    if (!gapOk(te[t - 1]!, ts[t]!, false) || !gapOk(te[t]!, ts[t + 1]!, false)) continue;
    let digit = false;
    for (let k = ts[t + 1]!; k < te[t + 1]!; k++) if (b.cp[k]! >= 0x30 && b.cp[k]! <= 0x39) digit = true;
    if (!digit || te[t + 1]! - ts[t + 1]! > 12) continue;
    for (let k = te[t - 1]!; k < ts[t + 1]!; k++) {
      if (k >= ts[t]! && k < te[t]!) continue;
      if (drop[k]) continue;
      drop[k] = 1;
      dropped++;
    }
  }
  // Phone-like digit groups: consecutive all-digit tokens with 1-char gaps of space - . _ / and at
  // least 7 digits in total.
  let t = 0;
  while (t < nt) {
    if (!isDigits(b, ts[t]!, te[t]!)) {
      t++;
      continue;
    }
    let u = t;
    let digits = te[t]! - ts[t]!;
    while (
      u + 1 < nt &&
      isDigits(b, ts[u + 1]!, te[u + 1]!) &&
      ts[u + 1]! - te[u]! === 1 &&
      isRunSeparator(b.cp[te[u]!]!)
    ) {
      u++;
      digits += te[u]! - ts[u]!;
    }
    if (u > t && digits >= 7) {
      for (let v = t; v < u; v++) {
        if (drop[te[v]!]) continue;
        drop[te[v]!] = 1;
        dropped++;
      }
    }
    t = u + 1;
  }
  if (dropped === 0) return b;
  stats.collapsed += dropped;
  const out = take(spare, n - dropped);
  let k = 0;
  for (let q = 0; q < n; q++) {
    if (drop[q]) continue;
    out.cp[k] = b.cp[q]!;
    out.start[k] = b.start[q]!;
    out.end[k] = b.end[q]!;
    k++;
  }
  out.length = k;
  return out;
}

function isDigits(b: CpBuffer, s: number, e: number): boolean {
  for (let k = s; k < e; k++) {
    const c = b.cp[k]!;
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

// ---- pipeline --------------------------------------------------------------------------------

type Step = (b: CpBuffer, stats: NormalizeStats, spare?: CpBuffer) => CpBuffer;

export const STEPS: Readonly<Record<StepName, Step>> = {
  nfkc: stepNfkc,
  halfwidth: stepHalfwidth,
  invisible: stepInvisible,
  confusables: stepConfusables,
  t2s: stepT2S,
  numerals: stepNumerals,
  collapse: stepCollapse,
};

/** Runs one named step alone on a string (for tests and for operators exploring a message). */
export function applyStep(name: StepName, text: string): string {
  return fromBuffer(STEPS[name](toBuffer(text), emptyStats())).text;
}

/** Runs the whole pipeline (or the listed steps in pipeline order) and keeps the offset map. */
export function normalize(text: string, steps: readonly StepName[] = STEP_NAMES): Normalized {
  return run(text, steps, false);
}

/**
 * As `normalize`, for the scoring hot path: `starts` / `ends` are views of a module buffer that the
 * next `normalizeShared` call overwrites, so read them before normalising again.
 */
export function normalizeShared(text: string): Normalized {
  return run(text, STEP_NAMES, true);
}

/**
 * True when nfkc, halfwidth, invisible and confusables would change nothing: every code point is
 * printable ASCII other than an upper-case letter, or a unified Han character (basic block or
 * extension A), and every space stands alone between two other characters.
 */
function isPlain(b: CpBuffer): boolean {
  const n = b.length;
  for (let i = 0; i < n; i++) {
    const c = b.cp[i]!;
    if (c > 0x20 && c < 0x7f) {
      if (c >= 0x41 && c <= 0x5a) return false;
      continue;
    }
    if (c === 0x20) {
      if (i === 0 || i === n - 1 || b.cp[i - 1] === 0x20) return false;
      continue;
    }
    if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf)) continue;
    return false;
  }
  return true;
}

// Two code-point buffers, used in turn by the steps of one (synchronous) call and kept between
// calls: allocating typed-array backing stores per message was most of normalisation's cost.
let POOL_A = alloc(256);
let POOL_B = alloc(256);

function run(text: string, steps: readonly StepName[], shared: boolean): Normalized {
  const stats = emptyStats();
  let b = toBuffer(text, POOL_A);
  // Two buffers, used in turn: each step writes into the spare one.
  let spare = take(POOL_B, b.length + 8);
  // plain text (see `isPlain`) is left as it is by the first four steps: they are skipped
  const plain = steps === STEP_NAMES && isPlain(b);
  let changed = false;
  for (const name of STEP_NAMES) {
    if (steps !== STEP_NAMES && !steps.includes(name)) continue;
    if (plain && (name === 'nfkc' || name === 'halfwidth' || name === 'invisible' || name === 'confusables'))
      continue;
    const r = STEPS[name](b, stats, spare);
    if (r !== b) {
      spare = b;
      b = r;
      changed = true;
    }
  }
  // plain text that no step changed is its own normalisation: no string to build
  const out = plain && !changed && shared ? identityOf(text, stats) : fromBuffer(b, stats, shared);
  // keep the grown buffers (a step may have replaced a pooled one with a larger one), unless a
  // very long text made them large: then they are let go
  if (b.cp.length > MAX_POOLED || spare.cp.length > MAX_POOLED) {
    POOL_A = alloc(256);
    POOL_B = alloc(256);
  } else {
    POOL_A = b.cp.length >= spare.cp.length ? b : spare;
    POOL_B = POOL_A === b ? spare : b;
  }
  return out;
}

/** Maps a [start, end) span of the normalised text back to the original text's offsets. */
export function toOriginalSpan(n: Normalized, start: number, end: number): { start: number; end: number } {
  if (n.starts.length === 0) return { start: 0, end: 0 };
  const s = Math.max(0, Math.min(start, n.starts.length - 1));
  const e = Math.max(s, Math.min(end, n.ends.length) - 1);
  return { start: n.starts[s]!, end: n.ends[e]! };
}
