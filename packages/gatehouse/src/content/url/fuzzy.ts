/**
 * Lookalikes that take more than one edit: Damerau–Levenshtein (optimal string alignment) distance
 * over confusable skeletons, scaled by the brand label's length ("steamcomunety", "steamcomnvnity",
 * "dlscocrd", "discbrd"), and brand labels contained with an edit or two inside longer names next to
 * lure words ("nitrogiff", "steamcommunlty-trade-offer"). Also the lure-word and TLD-risk signals.
 * Pure functions; the dnstwist-style families in lookalike.ts run first and name the simple cases.
 */
import type { BrandIndex, Target } from './brands.ts';
import { skeleton } from './confusables.ts';

/** Words that bait a click in a host name or path (exact in compounds, one edit off when 5+ letters). */
export const LURE_WORDS: readonly string[] = [
  'gift',
  'gifts',
  'nitro',
  'free',
  'trade',
  'trades',
  'offer',
  'login',
  'signin',
  'verify',
  'verification',
  'claim',
  'reward',
  'rewards',
  'bonus',
  'airdrop',
  'giveaway',
  'promo',
  'skins',
  'wallet',
  'connect',
  'secure',
  'support',
  'unlock',
  '礼包',
  '领取',
  '免费',
  '福利',
  '兑换',
  '中奖',
  '激活',
];

/** TLDs far more common on throwaway phishing hosts than on established sites. */
export const RISKY_TLDS: ReadonlySet<string> = new Set([
  'xyz',
  'top',
  'icu',
  'cyou',
  'vip',
  'club',
  'site',
  'online',
  'shop',
  'buzz',
  'rest',
  'fun',
  'monster',
  'cfd',
  'sbs',
  'click',
  'link',
  'work',
  'gift',
  'gifts',
  'ru',
  'su',
  'pw',
  'ws',
  'cc',
  'store',
  'live',
  'life',
  'today',
  'space',
  'website',
  'pro',
  'win',
  'bid',
  'loan',
  'zip',
]);

const ROW = 80;
const R0 = new Int32Array(ROW);
const R1 = new Int32Array(ROW);
const R2 = new Int32Array(ROW);
const R3 = new Int32Array(ROW);

/** Optimal-string-alignment distance (Damerau–Levenshtein with adjacent transpositions), capped at max+1. */
export function osaDistance(a: string, b: string, max: number): number {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  const small = lb < ROW;
  let prev2 = small ? R0 : new Int32Array(lb + 1);
  let prev = small ? R1 : new Int32Array(lb + 1);
  let cur = small ? R2 : new Int32Array(lb + 1);
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const cb = b.charCodeAt(j - 1);
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ca === cb ? 0 : 1));
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb)
        v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[lb]!;
}

/**
 * Edits allowed for a whole label against a brand label of `len` characters (about one in five, at most
 * 3). Below 10 characters the edits must come with a lure word or a risky TLD (see fuzzyBrand).
 */
export function allowedEdits(len: number): number {
  return len >= 14 ? 3 : len >= 10 ? 2 : len >= 6 ? 1 : 0;
}

/** Edits allowed for a brand label found inside a longer name (stricter: the rest is free text). */
export function allowedInside(len: number): number {
  return len >= 12 ? 2 : len >= 8 ? 1 : 0;
}

/**
 * The best approximate occurrence of `pat` inside `text` (any start, any end) with at most `max`
 * edits: { start, end, dist } or null. O(|text|·|pat|).
 */
export function fuzzyFind(
  text: string,
  pat: string,
  max: number,
): { start: number; end: number; dist: number } | null {
  const m = pat.length;
  const n = text.length;
  if (m === 0 || n + max < m) return null;
  // column DP over the pattern; start[] tracks where each alignment began in text
  const small = m < ROW;
  let prevD = small ? R0 : new Int32Array(m + 1);
  let prevS = small ? R1 : new Int32Array(m + 1);
  let curD = small ? R2 : new Int32Array(m + 1);
  let curS = small ? R3 : new Int32Array(m + 1);
  for (let i = 0; i <= m; i++) {
    prevD[i] = i;
    prevS[i] = 0;
  }
  let best: { start: number; end: number; dist: number } | null = null;
  if (prevD[m]! <= max) best = { start: 0, end: 0, dist: prevD[m]! };
  for (let j = 1; j <= n; j++) {
    curD[0] = 0;
    curS[0] = j;
    const c = text.charCodeAt(j - 1);
    for (let i = 1; i <= m; i++) {
      const sub = prevD[i - 1]! + (pat.charCodeAt(i - 1) === c ? 0 : 1);
      const del = prevD[i]! + 1; // text char skipped
      const ins = curD[i - 1]! + 1; // pattern char missing
      if (sub <= del && sub <= ins) {
        curD[i] = sub;
        curS[i] = prevS[i - 1]!;
      } else if (del <= ins) {
        curD[i] = del;
        curS[i] = prevS[i]!;
      } else {
        curD[i] = ins;
        curS[i] = curS[i - 1]!;
      }
    }
    const d = curD[m]!;
    if (
      d <= max &&
      (best === null || d < best.dist || (d === best.dist && j - curS[m]! > best.end - best.start))
    )
      best = { start: curS[m]!, end: j, dist: d };
    let t = prevD;
    prevD = curD;
    curD = t;
    t = prevS;
    prevS = curS;
    curS = t;
  }
  return best;
}

/**
 * The skeleton with its multi-letter folds (m → rn, w → vv, d → cl) folded back to one letter, so an
 * edit costs one whatever the letters: "myethermwalet" is 2 edits from "myetherwallet", not 4.
 */
export function compactSkeleton(sk: string): string {
  return sk.replaceAll('rn', 'm').replaceAll('vv', 'w').replaceAll('cl', 'd');
}

const LURE_COMPACT: readonly string[] = LURE_WORDS.map((w) => compactSkeleton(skeleton(w)));
const LURE_BY_LEN = byLen(LURE_WORDS);
const LURE_RE = new RegExp([...LURE_WORDS].sort((a, b) => b.length - a.length).join('|'), 'g');
const LURE_BY_LEN_FOLDED = byLen(LURE_COMPACT);
interface Prepared {
  t: Target;
  /** compact skeleton */
  c: string;
  /** allowed edits for the whole label / inside a longer one */
  whole: number;
  inside: number;
}
const PREPARED = new WeakMap<BrandIndex, Prepared[]>();
function prepared(idx: BrandIndex): Prepared[] {
  let p = PREPARED.get(idx);
  if (p === undefined) {
    p = idx.targets.map((t) => ({
      t,
      c: compactSkeleton(t.skel),
      whole: t.kind === 'domain' && t.len >= 6 ? allowedEdits(t.len) : -1,
      inside: t.kind === 'domain' ? allowedInside(t.len) : 0,
    }));
    PREPARED.set(idx, p);
  }
  return p;
}

/** Lure words by length, for the one-edit look-up. */
function lureCandidates(len: number, folded: boolean): readonly number[] {
  const m = folded ? LURE_BY_LEN_FOLDED : LURE_BY_LEN;
  return m.get(len) ?? NONE;
}
const NONE: readonly number[] = [];
function byLen(list: readonly string[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  list.forEach((w, i) => {
    for (const L of [w.length - 1, w.length, w.length + 1]) {
      const a = m.get(L) ?? [];
      a.push(i);
      m.set(L, a);
    }
  });
  return m;
}

/**
 * Is `w` a lure word: exactly, or one edit off ("giff", "verlfy")? `folded`: `w` is a compact skeleton
 * and is compared with the lure words' skeletons.
 */
export function lureWord(w: string, folded = false): string | undefined {
  const list = folded ? LURE_COMPACT : LURE_WORDS;
  for (const i of lureCandidates(w.length, folded)) {
    const l = list[i]!;
    if (w === l) return LURE_WORDS[i];
    if (l.length < 4 || w.length < 4) continue;
    // 4-letter lures keep their first three letters ("giff" for gift; not "tree" for free)
    if (l.length === 4 && !w.startsWith(l.slice(0, 3))) continue;
    if (osaDistance(w, l, 1) <= 1) return LURE_WORDS[i];
  }
  return undefined;
}

/** Lure words inside host labels and path segments (substrings of 4+ letters, or whole CJK terms). */
export function lureWordsIn(host: string, path: string): string[] {
  const out: string[] = [];
  let p = path;
  if (p.includes('%')) {
    try {
      p = decodeURIComponent(p);
    } catch {
      // a broken escape: scan as written
    }
  }
  const hay = p.length > 1 ? `${host} ${p.slice(0, 512).toLowerCase()}` : host;
  LURE_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = LURE_RE.exec(hay)) !== null) if (!out.includes(m[0])) out.push(m[0]);
  // a one-edit lure as a whole hyphen token ("free-giff", "verlfy-login")
  if (out.length === 0 && host.includes('-'))
    for (const tok of host.split(/[-.]/))
      if (tok.length >= 4 && tok.length <= 12) {
        const l = lureWord(tok);
        if (l !== undefined && !out.includes(l)) out.push(l);
      }
  return out;
}

export interface FuzzyMatch {
  target: Target;
  rule: 'edit-distance' | 'fuzzy-combo';
  distance: number;
  /** the rest of the label around a contained brand, split into words */
  words?: string[];
  /** lure words in that rest */
  lures?: string[];
  positions?: number[];
}

/**
 * A brand label within `allowedEdits(len)` of the whole skeleton label (hyphens dropped), or contained
 * with `allowedInside(len)` edits in a longer label whose rest is lure or dictionary words, hyphen
 * separated, or (for 8+ letter brands) anything of 3+ letters. `sk` is the label's skeleton.
 */
export function fuzzyBrand(sk: string, idx: BrandIndex, baited: boolean): FuzzyMatch | null {
  const bare = compactSkeleton(sk.replaceAll('-', ''));
  if (bare.length < 5 || bare.length > 63) return null;
  const hist = HIST;
  hist.fill(0);
  for (let i = 0; i < bare.length; i++) hist[bare.charCodeAt(i) & 127]!++;
  let best: FuzzyMatch | null = null;
  const prep = prepared(idx);
  for (const { t, c: ts, whole: k } of prep) {
    if (k < 0 || (t.len < 10 && !baited)) continue;
    if (Math.abs(bare.length - ts.length) > k || overlap(hist, ts) < ts.length - k) continue;
    const d = osaDistance(bare, ts, k);
    if (d <= k && d > 0 && (best === null || d < best.distance))
      best = { target: t, rule: 'edit-distance', distance: d };
  }
  if (best) return best;
  for (const { t, c: ts, inside: k } of prep) {
    if (ts.length < 5 || bare.length < ts.length + 3) continue;
    if (overlap(hist, ts) < ts.length - k) continue;
    let f: { start: number; end: number; dist: number } | null = null;
    if (k === 0) {
      const at = bare.indexOf(ts);
      if (at >= 0) f = { start: at, end: at + ts.length, dist: 0 };
    } else f = fuzzyFind(bare, ts, k);
    if (!f) continue;
    const rest = [bare.slice(0, f.start), bare.slice(f.end)].filter((w) => w.length > 0);
    if (rest.length === 0) continue;
    const lures: string[] = [];
    let allKnown = true;
    for (const w of rest) {
      const l = lureWord(w, true) ?? splitLure(w);
      if (l !== undefined) lures.push(l);
      else if (!idx.dictionary.has(w)) allKnown = false;
    }
    // an exact keyword or brand inside needs a lure next to it (the plain cases are lookalike.ts's);
    // a misspelt one a lure, or dictionary words and hyphens around it
    if (f.dist === 0 ? lures.length === 0 : !(lures.length > 0 || (allKnown && sk.includes('-')))) continue;
    if (best === null || f.dist < best.distance)
      best = {
        target: t,
        rule: 'fuzzy-combo',
        distance: f.dist,
        words: rest,
        lures,
        positions: [f.start, f.end],
      };
  }
  return best;
}

const HIST = new Int32Array(128);

/** How many characters of `t` the label's character histogram can cover (an upper bound on matches). */
function overlap(hist: Int32Array, t: string): number {
  let n = 0;
  const used = USED;
  used.fill(0);
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i) & 127;
    if (used[c]! < hist[c]!) {
      used[c]!++;
      n++;
    }
  }
  return n;
}
const USED = new Int32Array(128);

/** A word made of lure words glued together ("freegift", "tradeoffer"), one edit allowed in total. */
function splitLure(w: string): string | undefined {
  for (const l of LURE_COMPACT) {
    if (l.length < 4 || !w.startsWith(l.slice(0, 3))) continue;
    for (let cut = 3; cut < w.length - 2; cut++) {
      const a = w.slice(0, cut);
      const b = w.slice(cut);
      const la = lureWord(a, true);
      const lb = la === undefined ? undefined : lureWord(b, true);
      if (la !== undefined && lb !== undefined) return `${la}+${lb}`;
    }
  }
  return undefined;
}
