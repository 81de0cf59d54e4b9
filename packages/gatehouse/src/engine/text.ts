/**
 * Allocation-light text utilities for the hot path: a 53-bit string hash, a one-pass text
 * normaliser that yields the content fingerprint and the dominant writing system, and network
 * prefixes of IP addresses.
 */

/** A fast non-cryptographic 53-bit hash of a string (two 32-bit multiply lanes, mixed). */
export function hash53(s: string, seed = 0): number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x85ebca6b ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return finish(a, b);
}

function finish(a: number, b: number): number {
  a ^= a >>> 15;
  a = Math.imul(a, 0x2c1b3c6d);
  a ^= b >>> 13;
  b ^= b >>> 16;
  b = Math.imul(b, 0x297a2d39);
  b ^= a >>> 15;
  a = Math.imul(a ^ (a >>> 12), 0x27d4eb2d);
  return (b & 0x1fffff) * 0x100000000 + (a >>> 0);
}

export const SCRIPTS = ['latin', 'han', 'kana', 'hangul', 'cyrillic', 'arabic', 'thai', 'other'] as const;
export type Script = (typeof SCRIPTS)[number];
export const NUM_SCRIPTS = SCRIPTS.length;
const S_LATIN = 0;
const S_HAN = 1;
const S_KANA = 2;
const S_HANGUL = 3;
const S_CYRILLIC = 4;
const S_ARABIC = 5;
const S_THAI = 6;
const S_OTHER = 7;

export interface TextFeatures {
  /** 53-bit hash of the normalised text (0 when it is too short to fingerprint). */
  fingerprint: number;
  /** Length of the normalised text (letters only). */
  length: number;
  /** Dominant script index into SCRIPTS, or -1 when the text has no letters. */
  script: number;
}

const scriptCounts = new Int32Array(NUM_SCRIPTS);
const NORM_CAP = 4096;
/** The normalised letters of the last textFeatures() call (first NORM_CAP of them). */
const norm = new Uint16Array(NORM_CAP);
let normLen = 0;

/** "http://" or "https://" (any case) at i. */
function isUrlAt(t: string, i: number): boolean {
  if (
    (t.charCodeAt(i + 1) | 0x20) !== 0x74 ||
    (t.charCodeAt(i + 2) | 0x20) !== 0x74 ||
    (t.charCodeAt(i + 3) | 0x20) !== 0x70
  )
    return false;
  return t.startsWith('://', i + 4) || ((t.charCodeAt(i + 4) | 0x20) === 0x73 && t.startsWith('://', i + 5));
}

/** "www." (any case) at i, at the start of a word. */
function isWwwAt(t: string, i: number): boolean {
  if (i > 0 && t.charCodeAt(i - 1) > 0x20) return false;
  return (
    (t.charCodeAt(i + 1) | 0x20) === 0x77 &&
    (t.charCodeAt(i + 2) | 0x20) === 0x77 &&
    t.charCodeAt(i + 3) === 0x2e
  );
}

/** Minimum normalised length for a text to get a fingerprint (shorter texts are too generic). */
export const MIN_FINGERPRINT_LENGTH = 8;

/**
 * Normalises a text for fingerprinting in one pass: URLs, digits, whitespace, punctuation, symbols
 * and emoji are dropped; ASCII and full-width Latin letters are lower-cased; everything else that
 * is a letter is kept. So "Win ¥888 NOW!! http://a.xyz" and "win 999 now http://b.top" share a
 * fingerprint. Also counts letters per script to find the dominant writing system.
 */
export function textFeatures(text: string, out: TextFeatures): TextFeatures {
  scriptCounts.fill(0);
  let a = 0x9e3779b9;
  let b = 0x85ebca6b;
  let n = 0;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    let c = text.charCodeAt(i);
    let s: number;
    if (c < 0x80) {
      if ((c | 0x20) === 0x68 && isUrlAt(text, i)) {
        while (i + 1 < len && text.charCodeAt(i + 1) > 0x20) i++;
        continue;
      }
      if ((c | 0x20) === 0x77 && isWwwAt(text, i)) {
        while (i + 1 < len && text.charCodeAt(i + 1) > 0x20) i++;
        continue;
      }
      if (c >= 0x61 && c <= 0x7a) s = S_LATIN;
      else if (c >= 0x41 && c <= 0x5a) {
        c += 32;
        s = S_LATIN;
      } else continue;
    } else if (c >= 0x4e00 && c <= 0x9fff) s = S_HAN;
    else if (c >= 0x3040 && c <= 0x30ff) s = S_KANA;
    else if (c >= 0xac00 && c <= 0xd7af) s = S_HANGUL;
    else if (c >= 0x3400 && c <= 0x4dbf) s = S_HAN;
    else if (c >= 0xf900 && c <= 0xfaff) s = S_HAN;
    else if (c >= 0xff21 && c <= 0xff3a) {
      c = c - 0xff21 + 0x61;
      s = S_LATIN;
    } else if (c >= 0xff41 && c <= 0xff5a) {
      c = c - 0xff41 + 0x61;
      s = S_LATIN;
    } else if (c >= 0x00c0 && c <= 0x024f) {
      if (c === 0xd7 || c === 0xf7) continue;
      s = S_LATIN;
    } else if (c >= 0x0400 && c <= 0x04ff) s = S_CYRILLIC;
    else if (c >= 0x0600 && c <= 0x06ff) s = S_ARABIC;
    else if (c >= 0x0e00 && c <= 0x0e7f) s = S_THAI;
    else if (c >= 0x1100 && c <= 0x11ff) s = S_HANGUL;
    else if (
      c < 0xc0 || // Latin-1 punctuation and symbols
      (c >= 0x2000 && c <= 0x2bff) || // general punctuation, symbols, arrows, math
      (c >= 0x3000 && c <= 0x303f) || // CJK punctuation
      (c >= 0xd800 && c <= 0xdfff) || // surrogates (emoji and other astral symbols)
      (c >= 0xfe00 && c <= 0xfe6f) || // variation selectors, small forms
      c >= 0xff00 // full-width punctuation, digits, specials
    )
      continue;
    else s = S_OTHER;
    scriptCounts[s]!++;
    if (n < NORM_CAP) norm[n] = c;
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    n++;
  }
  let best = -1;
  let bestN = 0;
  for (let s = 0; s < NUM_SCRIPTS; s++) {
    if (scriptCounts[s]! > bestN) {
      bestN = scriptCounts[s]!;
      best = s;
    }
  }
  normLen = Math.min(n, NORM_CAP);
  out.fingerprint = n >= MIN_FINGERPRINT_LENGTH ? finish(a, b) : 0;
  out.length = n;
  out.script = best;
  return out;
}

/** Minimum normalised length for near-duplicate keys (shorter texts are too generic). */
export const MIN_SHINGLE_LENGTH = 16;
const MINHASHES = 8;
const SEEDS = [
  0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f, 0x165667b1, 0xd3a2646c, 0xfd7046c5, 0xb55a4f09,
];
const mins = new Uint32Array(MINHASHES);

/**
 * Near-duplicate keys of the text last passed to textFeatures(): a MinHash (8 permutations) over
 * its normalised character 3-gram shingles, cut into 4 bands of 2 minima (locality-sensitive
 * hashing). Two texts share a band with probability 1 − (1 − J²)⁴ for shingle-set Jaccard
 * similarity J: ≈ 0.99 at J = 0.8 (a few words changed), ≈ 0.04 at J = 0.1. Keys are "s:<band>:<hex>".
 * Returns undefined when the text is too short.
 */
export function nearDuplicateKeysOfLast(): string[] | undefined {
  const n = normLen;
  if (n < MIN_SHINGLE_LENGTH) return undefined;
  mins.fill(0xffffffff);
  for (let i = 0; i + 2 < n; i++) {
    let h = Math.imul(norm[i]! ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ norm[i + 1]!, 0xc2b2ae35);
    h = Math.imul(h ^ norm[i + 2]!, 0x27d4eb2f);
    for (let j = 0; j < MINHASHES; j++) {
      let x = Math.imul(h ^ SEEDS[j]!, 0x2c1b3c6d);
      x ^= x >>> 15;
      x = Math.imul(x, 0x297a2d39) >>> 0;
      if (x < mins[j]!) mins[j] = x;
    }
  }
  const out: string[] = [];
  for (let b = 0; b < MINHASHES; b += 2) {
    const k = (Math.imul(mins[b]! ^ 0x5bd1e995, 0x01000193) ^ mins[b + 1]!) >>> 0;
    out.push(`s:${b >> 1}:${k.toString(16)}`);
  }
  return out;
}

/**
 * The network of an IP address: IPv4 → "a.b.c.0/24", IPv6 → "x:y:z::/48" (IPv4-mapped IPv6 is
 * treated as IPv4). Unparseable input is returned as is (so it still keys a bucket).
 */
export function networkOf(ip: string): string {
  let s = ip.trim().toLowerCase();
  if (s.startsWith('::ffff:') && s.includes('.')) s = s.slice(7);
  if (s.includes('.') && !s.includes(':')) {
    const p = s.split('.');
    if (p.length === 4) return `${p[0]}.${p[1]}.${p[2]}.0/24`;
    return s;
  }
  if (!s.includes(':')) return s;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const dbl = s.indexOf('::');
  let groups: string[];
  if (dbl >= 0) {
    const head = s.slice(0, dbl).split(':').filter(Boolean);
    const tail = s
      .slice(dbl + 2)
      .split(':')
      .filter(Boolean);
    groups = [...head, ...new Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  } else groups = s.split(':');
  const g = (i: number) => (groups[i] ?? '0').replace(/^0+(?=.)/, '');
  return `${g(0)}:${g(1)}:${g(2)}::/48`;
}
