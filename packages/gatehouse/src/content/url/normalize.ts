/**
 * Undoes the tricks people use to slip links past filters: full-width letters, ideographic and other
 * Unicode dots, "[.]" / "(dot)" / " dot ", spaces around dots, zero-width characters. Produces the cleaned
 * text plus, for every cleaned character, its offset in the original and which trick produced it.
 * One linear pass with bounded look-ahead; no regular expressions on the text.
 */

import {
  isAsciiAlnum,
  isComma,
  isDotHanzi,
  isFullwidthAlnum,
  isUnicodeDot,
  isUnicodeHyphen,
  isWordish,
  isZeroWidth,
  lower,
} from './chars.ts';
import { lookalikeTldAt } from './tld-lookalike.ts';

export const F_FULLWIDTH = 1;
export const F_UNICODE_DOT = 2;
export const F_BRACKET_DOT = 4;
export const F_DOT_WORD = 8;
export const F_SPACED_DOT = 16;
export const F_ZERO_WIDTH = 32;
export const F_DEFANGED = 64;
export const F_NO_SCHEME = 128;
export const F_ENCODED_DOT = 256;
export const F_COMMA_DOT = 512;
export const F_UNICODE_HYPHEN = 1024;
export const F_TLD_LOOKALIKE = 2048;
export const F_APP_LINK = 4096;
/** A link taken out of another link's query (a redirect): where the reader lands; not hiding by itself. */
export const F_REDIRECT = 8192;

export type ObfuscationFlag =
  | 'fullwidth'
  | 'unicode-dot'
  | 'bracket-dot'
  | 'dot-word'
  | 'spaced-dot'
  | 'zero-width'
  | 'defanged-scheme'
  | 'no-scheme'
  | 'encoded-dot'
  | 'comma-dot'
  | 'unicode-hyphen'
  | 'tld-lookalike'
  | 'app-link'
  | 'redirect';

const FLAG_NAMES: Array<[number, ObfuscationFlag]> = [
  [F_FULLWIDTH, 'fullwidth'],
  [F_UNICODE_DOT, 'unicode-dot'],
  [F_BRACKET_DOT, 'bracket-dot'],
  [F_DOT_WORD, 'dot-word'],
  [F_SPACED_DOT, 'spaced-dot'],
  [F_ZERO_WIDTH, 'zero-width'],
  [F_DEFANGED, 'defanged-scheme'],
  [F_NO_SCHEME, 'no-scheme'],
  [F_ENCODED_DOT, 'encoded-dot'],
  [F_COMMA_DOT, 'comma-dot'],
  [F_UNICODE_HYPHEN, 'unicode-hyphen'],
  [F_TLD_LOOKALIKE, 'tld-lookalike'],
  [F_APP_LINK, 'app-link'],
  [F_REDIRECT, 'redirect'],
];

/** Flag bits → names. */
export function flagNames(bits: number): ObfuscationFlag[] {
  const out: ObfuscationFlag[] = [];
  for (const [b, name] of FLAG_NAMES) if (bits & b) out.push(name);
  return out;
}

/** Bits that mean someone hid a link on purpose ('no-scheme' alone is ordinary writing). */
export const HIDING_FLAGS =
  F_FULLWIDTH |
  F_UNICODE_DOT |
  F_BRACKET_DOT |
  F_DOT_WORD |
  F_SPACED_DOT |
  F_ZERO_WIDTH |
  F_DEFANGED |
  F_ENCODED_DOT |
  F_COMMA_DOT |
  F_UNICODE_HYPHEN |
  F_TLD_LOOKALIKE |
  F_APP_LINK;

export interface Normalized {
  /** cleaned text */
  text: string;
  /** map[i] = offset in the original of cleaned char i; map[text.length] = end of the scanned original. null = identity */
  map: Int32Array | null;
  /** trick bits per cleaned char; null = none */
  flags: Uint16Array | null;
  /** true when the input was longer than the scan limit and only its start was cleaned */
  truncated: boolean;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 0x3000 || c === 0xa0 || c === 9 || c === 10 || c === 13;
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
  if (c === 37 && i + 2 < end && t.charCodeAt(i + 1) === 50 && lower(t.charCodeAt(i + 2)) === 101) {
    // "%2E", a percent-encoded dot
    lastDotFlag = F_ENCODED_DOT;
    return 3;
  }
  if (c === 37 && i + 4 < end && t.startsWith('252', i + 1) && lower(t.charCodeAt(i + 4)) === 101) {
    // "%252E", encoded twice
    lastDotFlag = F_ENCODED_DOT;
    return 5;
  }
  if (isDotHanzi(c)) {
    // "discord-gift点com": only before a common TLD (…点赞, 3点半 are ordinary Chinese)
    if (tldEnd(t, skipSpaces(t, i + 1, end), end) < 0) return 0;
    lastDotFlag = F_DOT_WORD;
    return 1;
  }
  if (isComma(c) && i + 1 < end && COMMA_TLDS.has(tldWord(t, i + 1, end))) {
    // "discord-gift,com", "discord-gift，com": a comma for the dot, only before a TLD that is no English word
    lastDotFlag = F_COMMA_DOT;
    return 1;
  }
  let close = -1;
  if (c === 91 || c === 0xff3b) close = c === 91 ? 93 : 0xff3d;
  else if (c === 40 || c === 0xff08) close = c === 40 ? 41 : 0xff09;
  else if (c === 123) close = 125;
  else if (c === 60) close = 62;
  if (close < 0 || i + 2 >= end) return 0;
  const d = t.charCodeAt(i + 1);
  if ((d === 46 || isUnicodeDot(d) || isDotHanzi(d)) && t.charCodeAt(i + 2) === close) {
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

/** TLDs a comma may stand in front of ("gift,com"): none is an English word ("gross,net" stays text). */
const COMMA_TLDS = new Set(['com', 'cn', 'xyz', 'ru', 'cc', 'tk', 'gg', 'vip', 'icu', 'cyou']);

/** The lower-case ASCII word at k when a non-word character (or the end) follows it, else ''. */
function tldWord(t: string, k: number, end: number): string {
  let j = k;
  while (j < end && j - k < 8) {
    const c = t.charCodeAt(j);
    if (c >= 97 && c <= 122) j++;
    else break;
  }
  if (j === k || (j < end && isWordish(t.charCodeAt(j)))) return '';
  return t.slice(k, j);
}

/**
 * End of a common TLD written at k, either plainly ("com") or letter by letter ("c o m", one space
 * between letters); -1 when there is none.
 */
function tldEnd(t: string, k: number, end: number): number {
  const w = tldWord(t, k, end);
  if (w !== '') return SPACED_TLDS.has(w) ? k + w.length : -1;
  return spacedTldEnd(t, k, end);
}

/** "c o m": single lower-case letters one space apart that spell a common TLD; -1 when not. */
function spacedTldEnd(t: string, k: number, end: number): number {
  let word = '';
  let j = k;
  while (j < end && word.length < 8) {
    const c = t.charCodeAt(j);
    if (c < 97 || c > 122) break;
    if (j + 1 < end && isWordish(t.charCodeAt(j + 1))) return -1;
    word += t[j];
    j++;
    // go on only to another single letter ("c o m now" stops before "now")
    if (
      j + 1 < end &&
      t.charCodeAt(j) === 32 &&
      isLowerAscii(t.charCodeAt(j + 1)) &&
      (j + 2 >= end || !isWordish(t.charCodeAt(j + 2)))
    )
      j++;
    else break;
  }
  return word.length >= 2 && SPACED_TLDS.has(word) ? j : -1;
}

/**
 * A host written one character at a time, one space apart: "w w w . b e t 8 8 8 . c o m",
 * "d i s c o r d - g i f t . c o m", "q q - s a f e 。c n". Returns the end of the run in `t` and its
 * characters (dots as ".") with their offsets, or undefined: at least four letters or digits, a dot, a
 * common TLD last, so "a b c d", "I . O . U" and words spelled out ("h e l l o . c o m e") stay text.
 */
function letterSpacedHost(
  t: string,
  i: number,
  end: number,
): { end: number; host: string; at: number[] } | undefined {
  let host = '';
  const at: number[] = [];
  let alnum = 0;
  let dots = 0;
  let j = i;
  let lastDot = -1;
  for (;;) {
    const c = t.charCodeAt(j);
    let unit = '';
    if (isAsciiAlnum(c) || c === 45) unit = String.fromCharCode(lower(c));
    else if (c === 46 || isUnicodeDot(c) || isDotHanzi(c)) unit = '.';
    if (unit === '') break;
    // one character, then a space (or a dot written right after it: "8 8 8. c o m", "e 。c n")
    const next = j + 1 < end ? t.charCodeAt(j + 1) : 32;
    if (unit !== '.' && isWordish(next) && !(isUnicodeDot(next) || isDotHanzi(next))) break;
    if (unit === '.') {
      if (host.length === 0 || host.endsWith('.')) return undefined;
      dots++;
      lastDot = host.length;
    } else if (unit !== '-') alnum++;
    host += unit;
    at.push(j);
    j++;
    if (j < end && t.charCodeAt(j) === 32) j++;
    else if (!(j < end && (unit === '.' || isUnicodeDot(t.charCodeAt(j)) || isDotHanzi(t.charCodeAt(j)))))
      break;
    if (j >= end || host.length > 64) break;
  }
  if (alnum < 4 || dots === 0 || lastDot < 0) return undefined;
  const tld = host.slice(lastDot + 1);
  if (!SPACED_TLDS.has(tld) || !/[a-z]/.test(host.slice(0, lastDot))) return undefined;
  // the run ends after the TLD's last letter (a space after it stays)
  let e = j;
  while (e > i && t.charCodeAt(e - 1) === 32) e--;
  return { end: e, host, at };
}

function isLowerAscii(c: number): boolean {
  return c >= 97 && c <= 122;
}

/**
 * For "点" and "," standing in for a dot: the label before holds a letter and, for a comma, is at least
 * four characters long ("5点com" is a time, "yes,cn" a sentence).
 */
function wordBefore(t: string, i: number): boolean {
  let a = i;
  let letter = false;
  while (a > 0 && i - a < 64) {
    const c = t.charCodeAt(a - 1);
    if (!isAsciiAlnum(c) && c !== 45) break;
    if (c > 57) letter = true;
    a--;
  }
  return letter && (lastDotFlag !== F_COMMA_DOT || i - a >= 4);
}

function skipSpaces(t: string, k: number, end: number): number {
  let m = k;
  while (m < end && m - k < 3 && isSpace(t.charCodeAt(m))) m++;
  return m;
}

function lowerTldAt(t: string, k: number, end: number): boolean {
  return tldEnd(t, k, end) >= 0;
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

/**
 * A cheap pre-check: could `t` hold a link, plain or written around a dot ("。", "点", "%2E", ",com",
 * "(dot)")? False only when no dot of any spelling follows a host character. Callers skip the full
 * extraction for texts where it is false (most chat: "。" after a Chinese character is no link).
 */
export function mayHoldLink(t: string): boolean {
  const end = t.length;
  for (let i = 0; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c === 46) return true;
    // "scheme://" with no dot after it: an app link carrying its page in base64 (deep-link.ts)
    if (c === 58 && i + 2 < end && t.charCodeAt(i + 1) === 47 && t.charCodeAt(i + 2) === 47) return true;
    if (c < 128) {
      if (c === 37) {
        if (i + 1 < end && t.charCodeAt(i + 1) === 50) return true;
      } else if (c === 44) {
        if (i > 0 && i + 1 < end && isAsciiAlnum(t.charCodeAt(i - 1)) && isLowerAscii(t.charCodeAt(i + 1)))
          return true;
      } else if ((c === 100 || c === 68) && i + 2 < end) {
        if (lower(t.charCodeAt(i + 1)) === 111 && lower(t.charCodeAt(i + 2)) === 116) return true;
      }
      continue;
    }
    if (isComma(c) && i > 0 && i + 1 < end) {
      // "discord-gift，com": a full-width or enumeration comma for the dot
      if (isAsciiAlnum(t.charCodeAt(i - 1)) && isLowerAscii(t.charCodeAt(i + 1))) return true;
      continue;
    }
    if (isUnicodeDot(c) || isDotHanzi(c)) {
      let k = i;
      while (k > 0 && i - k < 3 && (isSpace(t.charCodeAt(k - 1)) || isZeroWidth(t.charCodeAt(k - 1)))) k--;
      const p = k > 0 ? t.charCodeAt(k - 1) : 0;
      if (isAsciiAlnum(p) || isFullwidthAlnum(p) || p === 45 || (p >= 128 && isWordish(p) && p < 0x2e80))
        return true;
    }
  }
  return false;
}

function needsWork(t: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c >= 128 || c === 91 || c === 40 || c === 123 || c === 60) return true;
    if ((c === 32 || c === 10 || c === 13) && i + 1 < end) {
      const n = t.charCodeAt(i + 1);
      if (n === 46 || n === 100 || n === 68 || n === 32) return true;
      if (i > 0 && t.charCodeAt(i - 1) === 46) return true;
    } else if (c === 37) {
      if (i + 1 < end && t.charCodeAt(i + 1) === 50) return true;
    } else if (c === 44) {
      if (i > 0 && i + 1 < end && isAsciiAlnum(t.charCodeAt(i - 1)) && isLowerAscii(t.charCodeAt(i + 1)))
        return true;
    } else if (c === 46 && i + 2 < end && t.charCodeAt(i + 2) === 32) return true;
    else if (c === 46 && i > 0 && isAsciiAlnum(t.charCodeAt(i - 1)) && lookalikeTldAt(t, i + 1, end))
      return true;
  }
  return false;
}

/** Cleans at most `limit` characters of `t`. */
export function normalize(t: string, limit = Infinity): Normalized {
  const truncated = t.length > limit;
  const end = truncated ? limit : t.length;
  if (!needsWork(t, end)) return { text: truncated ? t.slice(0, end) : t, map: null, flags: null, truncated };
  const map = new Int32Array(end + 1);
  const flags = new Uint16Array(end + 1);
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
    if (!prevWord && prev !== 46 && isAsciiAlnum(c) && i + 2 < end && t.charCodeAt(i + 1) === 32) {
      const run = letterSpacedHost(t, i, end);
      if (run) {
        for (let k = 0; k < run.host.length; k++) emit(run.host[k]!, run.at[k]!, F_SPACED_DOT);
        i = run.end;
        continue;
      }
    }
    if (prevWord && isUnicodeHyphen(c)) {
      const k = skipZw(i + 1);
      if (k < end && (isAsciiAlnum(t.charCodeAt(k)) || isFullwidthAlnum(t.charCodeAt(k)))) {
        emit('-', i, F_UNICODE_HYPHEN);
        i++;
        continue;
      }
    }
    if (prevWord && c !== 46 && !isSpace(c)) {
      let len = dotTokenAt(t, i, end);
      if (len > 0 && (lastDotFlag === F_DOT_WORD || lastDotFlag === F_COMMA_DOT) && !wordBefore(t, i))
        len = 0;
      if (len > 0) {
        const k = skipZw(i + len);
        if (k < end && isWordish(t.charCodeAt(k))) {
          emit('.', i, lastDotFlag);
          i += len;
          continue;
        }
        if (
          k < end &&
          isSpace(t.charCodeAt(k)) &&
          (lastDotFlag === F_UNICODE_DOT || lastDotFlag === F_DOT_WORD)
        ) {
          // "qq。 com", "qq点 com"
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
    if (prev === 46 && n >= 2 && isAsciiAlnum(parts[n - 2]!.charCodeAt(0)) && isAsciiAlnum(c)) {
      // "discord-gift.c0m", "steamcommunity.corn": a common TLD written with look-alike characters
      const l = lookalikeTldAt(t, i, end);
      if (l) {
        for (let k = 0; k < l.tld.length; k++) emit(l.tld[k]!, Math.min(i + k, l.end - 1), F_TLD_LOOKALIKE);
        i = l.end;
        continue;
      }
    }
    if (prev === 46 && isLowerAscii(c) && n >= 2 && isAsciiAlnum(parts[n - 2]!.charCodeAt(0))) {
      // "qq.c o m": a TLD spelled letter by letter after a host's dot
      const e = spacedTldEnd(t, i, end);
      if (e > i + 1 && e - i > 2) {
        for (let k = i; k < e; k++) if (t.charCodeAt(k) !== 32) emit(t[k]!, k, F_SPACED_DOT);
        i = e;
        continue;
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
