/**
 * Undoes the tricks people use to slip links past filters: full-width letters, ideographic and other
 * Unicode dots, "[.]" / "(dot)" / " dot ", spaces around dots, zero-width characters. Produces the cleaned
 * text plus, for every cleaned character, its offset in the original and which trick produced it.
 * One linear pass with bounded look-ahead; no regular expressions on the text.
 */

export const F_FULLWIDTH = 1;
export const F_UNICODE_DOT = 2;
export const F_BRACKET_DOT = 4;
export const F_DOT_WORD = 8;
export const F_SPACED_DOT = 16;
export const F_ZERO_WIDTH = 32;
export const F_DEFANGED = 64;
export const F_NO_SCHEME = 128;

export type ObfuscationFlag =
  | 'fullwidth'
  | 'unicode-dot'
  | 'bracket-dot'
  | 'dot-word'
  | 'spaced-dot'
  | 'zero-width'
  | 'defanged-scheme'
  | 'no-scheme';

const FLAG_NAMES: Array<[number, ObfuscationFlag]> = [
  [F_FULLWIDTH, 'fullwidth'],
  [F_UNICODE_DOT, 'unicode-dot'],
  [F_BRACKET_DOT, 'bracket-dot'],
  [F_DOT_WORD, 'dot-word'],
  [F_SPACED_DOT, 'spaced-dot'],
  [F_ZERO_WIDTH, 'zero-width'],
  [F_DEFANGED, 'defanged-scheme'],
  [F_NO_SCHEME, 'no-scheme'],
];

/** Flag bits → names. */
export function flagNames(bits: number): ObfuscationFlag[] {
  const out: ObfuscationFlag[] = [];
  for (const [b, name] of FLAG_NAMES) if (bits & b) out.push(name);
  return out;
}

/** Bits that mean someone hid a link on purpose ('no-scheme' alone is ordinary writing). */
export const HIDING_FLAGS =
  F_FULLWIDTH | F_UNICODE_DOT | F_BRACKET_DOT | F_DOT_WORD | F_SPACED_DOT | F_ZERO_WIDTH | F_DEFANGED;

export interface Normalized {
  /** cleaned text */
  text: string;
  /** map[i] = offset in the original of cleaned char i; map[text.length] = end of the scanned original. null = identity */
  map: Int32Array | null;
  /** trick bits per cleaned char; null = none */
  flags: Uint8Array | null;
  /** true when the input was longer than the scan limit and only its start was cleaned */
  truncated: boolean;
}

export function isZeroWidth(c: number): boolean {
  return (
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x2060 && c <= 0x2069) ||
    (c >= 0x202a && c <= 0x202e) ||
    c === 0xfeff ||
    c === 0x00ad ||
    c === 0x180e ||
    c === 0x034f
  );
}

function isUnicodeDot(c: number): boolean {
  return c === 0x3002 || c === 0xff61 || c === 0xff0e || c === 0xfe52 || c === 0x2024;
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

function isFullwidthAlnum(c: number): boolean {
  return (c >= 0xff10 && c <= 0xff19) || (c >= 0xff21 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a);
}

const WORDISH = /[\p{L}\p{N}]/u;

/** A character that can sit next to a dot in a host name (ASCII or full-width alnum, or a letter). */
function isWordish(c: number): boolean {
  if (c < 128) return isAsciiAlnum(c);
  if (isFullwidthAlnum(c)) return true;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  return WORDISH.test(String.fromCharCode(c));
}

function isSpace(c: number): boolean {
  return c === 32 || c === 0x3000 || c === 0xa0 || c === 9;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** Length of a dot written in an obfuscated way at i ("[.]", "(dot)", "。", …), 0 if none. Sets lastDotFlag. */
let lastDotFlag = 0;
function dotTokenAt(t: string, i: number, end: number): number {
  const c = t.charCodeAt(i);
  if (c === 46) {
    lastDotFlag = 0;
    return 1;
  }
  if (isUnicodeDot(c)) {
    lastDotFlag = F_UNICODE_DOT;
    return 1;
  }
  let close = -1;
  if (c === 91 || c === 0xff3b) close = c === 91 ? 93 : 0xff3d;
  else if (c === 40 || c === 0xff08) close = c === 40 ? 41 : 0xff09;
  else if (c === 123) close = 125;
  else if (c === 60) close = 62;
  if (close < 0 || i + 2 >= end) return 0;
  const d = t.charCodeAt(i + 1);
  if ((d === 46 || isUnicodeDot(d)) && t.charCodeAt(i + 2) === close) {
    lastDotFlag = F_BRACKET_DOT;
    return 3;
  }
  if (
    i + 4 < end &&
    lower(d) === 100 &&
    lower(t.charCodeAt(i + 2)) === 111 &&
    lower(t.charCodeAt(i + 3)) === 116 &&
    t.charCodeAt(i + 4) === close
  ) {
    lastDotFlag = F_BRACKET_DOT;
    return 5;
  }
  return 0;
}

/** Common TLDs accepted after "name. tld" (a space only after the dot), where sentences also put one. */
// two-letter English words ("it. me too", "so. co-op") are left out on purpose
const SPACED_TLDS = new Set([
  'com',
  'net',
  'org',
  'cn',
  'ru',
  'xyz',
  'top',
  'vip',
  'club',
  'site',
  'online',
  'shop',
  'cc',
  'tk',
]);

function lowerTldAt(t: string, k: number, end: number): boolean {
  let j = k;
  while (j < end && j - k < 8) {
    const c = t.charCodeAt(j);
    if (c >= 97 && c <= 122) j++;
    else break;
  }
  if (j === k) return false;
  if (j < end && isWordish(t.charCodeAt(j))) return false;
  return SPACED_TLDS.has(t.slice(k, j));
}

/** "the dot com bubble": a few English words that are never a host name before " dot ". */
const STOP_WORDS = new Set([
  'a',
  'an',
  'the',
  'this',
  'that',
  'my',
  'your',
  'our',
  'his',
  'her',
  'its',
  'their',
  'one',
  'no',
  'and',
  'or',
  'of',
  'in',
  'on',
  'at',
  'to',
  'is',
]);

function stopWordBefore(t: string, i: number): boolean {
  let a = i;
  while (a > 0 && i - a < 6 && isAsciiAlnum(t.charCodeAt(a - 1))) a--;
  if (a > 0 && isAsciiAlnum(t.charCodeAt(a - 1))) return false;
  return STOP_WORDS.has(t.slice(a, i).toLowerCase());
}

function needsWork(t: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c >= 128 || c === 91 || c === 40 || c === 123 || c === 60) return true;
    if (c === 32 && i + 1 < end) {
      const n = t.charCodeAt(i + 1);
      if (n === 46 || n === 100 || n === 68 || n === 32) return true;
      if (i > 0 && t.charCodeAt(i - 1) === 46) return true;
    }
  }
  return false;
}

/** Cleans at most `limit` characters of `t`. */
export function normalize(t: string, limit = Infinity): Normalized {
  const truncated = t.length > limit;
  const end = truncated ? limit : t.length;
  if (!needsWork(t, end)) return { text: truncated ? t.slice(0, end) : t, map: null, flags: null, truncated };
  const map = new Int32Array(end + 1);
  const flags = new Uint8Array(end + 1);
  const parts: string[] = [];
  let n = 0;
  let pending = 0;
  let prev = 0; // last emitted char code
  const emit = (ch: string, from: number, f: number) => {
    map[n] = from;
    flags[n] = f | pending;
    pending = 0;
    parts.push(ch);
    prev = ch.charCodeAt(0);
    n++;
  };
  const skipZw = (k: number) => {
    while (k < end && isZeroWidth(t.charCodeAt(k))) k++;
    return k;
  };
  let i = 0;
  while (i < end) {
    const c = t.charCodeAt(i);
    if (isZeroWidth(c)) {
      pending |= F_ZERO_WIDTH;
      i++;
      continue;
    }
    const prevWord = n > 0 && isAsciiAlnum(prev);
    if (prevWord && c !== 46 && !isSpace(c)) {
      const len = dotTokenAt(t, i, end);
      if (len > 0) {
        const k = skipZw(i + len);
        if (k < end && isWordish(t.charCodeAt(k))) {
          emit('.', i, lastDotFlag);
          i += len;
          continue;
        }
        if (k < end && isSpace(t.charCodeAt(k)) && lastDotFlag === F_UNICODE_DOT) {
          // "qq。 com"
          let m = k;
          while (m < end && m - k < 3 && isSpace(t.charCodeAt(m))) m++;
          if (lowerTldAt(t, m, end)) {
            emit('.', i, F_SPACED_DOT | F_UNICODE_DOT);
            i = m;
            continue;
          }
        }
      }
    }
    if (prevWord && c === 46 && i + 1 < end && isSpace(t.charCodeAt(i + 1))) {
      // "qq. com": only before a common lower-case TLD, since sentences end like this too
      let m = i + 1;
      while (m < end && m - i <= 3 && isSpace(t.charCodeAt(m))) m++;
      if (lowerTldAt(t, m, end)) {
        emit('.', i, F_SPACED_DOT);
        i = m;
        continue;
      }
    }
    if (prevWord && isSpace(c)) {
      let j = i;
      while (j < end && j - i < 3 && isSpace(t.charCodeAt(j))) j++;
      // " dot "
      if (
        j + 3 < end &&
        lower(t.charCodeAt(j)) === 100 &&
        lower(t.charCodeAt(j + 1)) === 111 &&
        lower(t.charCodeAt(j + 2)) === 116 &&
        isSpace(t.charCodeAt(j + 3))
      ) {
        let k = j + 3;
        while (k < end && k - (j + 3) < 3 && isSpace(t.charCodeAt(k))) k++;
        if (k < end && isWordish(t.charCodeAt(k)) && !stopWordBefore(t, i)) {
          emit('.', i, F_DOT_WORD);
          i = k;
          continue;
        }
      }
      // "qq . com", "qq [.] com"
      const len = j < end ? dotTokenAt(t, j, end) : 0;
      if (len > 0) {
        let k = j + len;
        while (k < end && k - (j + len) < 3 && isSpace(t.charCodeAt(k))) k++;
        if (
          k < end &&
          isWordish(t.charCodeAt(k)) &&
          (k > j + len || lastDotFlag !== 0 || lowerTldAt(t, k, end))
        ) {
          emit('.', i, F_SPACED_DOT | lastDotFlag);
          i = k;
          continue;
        }
      }
    }
    if (c >= 0xff01 && c <= 0xff5e) {
      emit(String.fromCharCode(c - 0xfee0), i, c === 0xff0e ? F_UNICODE_DOT : F_FULLWIDTH);
      i++;
      continue;
    }
    if (c === 0x3000) {
      emit(' ', i, 0);
      i++;
      continue;
    }
    if (isUnicodeDot(c) && c !== 0x3002 && c !== 0xff61) {
      emit('.', i, F_UNICODE_DOT);
      i++;
      continue;
    }
    emit(t[i]!, i, 0);
    i++;
  }
  map[n] = end;
  flags[n] = pending;
  return { text: parts.join(''), map: map.subarray(0, n + 1), flags: flags.subarray(0, n + 1), truncated };
}
