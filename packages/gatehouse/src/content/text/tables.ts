/**
 * Static lookup tables for normalisation, built once when the module loads and never changed after:
 * - traditional → simplified Chinese, one character to one character, from OpenCC's dictionaries
 *   (opencc-js): Taiwan and Hong Kong variants → OpenCC traditional → simplified (TSCharacters);
 * - confusable characters → ASCII prototypes, from Unicode TR39 confusables.txt as packaged by
 *   `unhomoglyph` (nodeca), restricted to targets made of ASCII letters, digits and a few marks;
 * - numerals: Chinese (incl. financial and phone-speak) and circled / dingbat digits;
 * - toneless pinyin of each unified Han character (pinyin-pro), so homophone swaps (薇信 / 威信 for
 *   微信, 晋商 for 禁商) share features.
 */
import { createRequire } from 'node:module';
import { from, to } from 'opencc-js/preset';
import type { DictGroup } from 'opencc-js/core';
import type * as PinyinPro from 'pinyin-pro';

function singleCharPairs(groups: readonly DictGroup[] | undefined, into: Map<number, number>): void {
  for (const group of groups ?? []) {
    for (const dict of group) {
      const pairs: Array<readonly [string, string]> =
        typeof dict === 'string'
          ? dict
              .split('|')
              .map((e) => e.split(' '))
              .filter((p) => p.length >= 2)
              .map((p) => [p[0]!, p[1]!] as const)
          : [...dict];
      for (const [a, b] of pairs) {
        const ca = a.codePointAt(0)!;
        const cb = b.codePointAt(0)!;
        if (a.length !== (ca > 0xffff ? 2 : 1) || b.length !== (cb > 0xffff ? 2 : 1)) continue;
        if (ca !== cb && !into.has(ca)) into.set(ca, cb);
      }
    }
  }
}

function buildT2S(): Map<number, number> {
  const variants = new Map<number, number>();
  singleCharPairs(from.tw, variants);
  singleCharPairs(from.hk, variants);
  const ts = new Map<number, number>();
  singleCharPairs(to.cn, ts);
  const out = new Map<number, number>();
  for (const [a, b] of variants) out.set(a, ts.get(b) ?? b);
  for (const [a, b] of ts) out.set(a, b);
  // Drop identity results and entries whose simplified form is itself traditional in another entry.
  for (const [a, b] of out) if (a === b) out.delete(a);
  return out;
}

/** Traditional (and TW/HK variant) → simplified Chinese, per character. */
export const T2S: ReadonlyMap<number, number> = buildT2S();

export function isHan(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x20000 && cp <= 0x3134f)
  );
}

/** Han, kana, hangul and the ideographic number zero: scored by character n-grams. */
export function isCjk(cp: number): boolean {
  return (
    isHan(cp) ||
    cp === 0x3007 ||
    (cp >= 0x3040 && cp <= 0x30ff) ||
    (cp >= 0xac00 && cp <= 0xd7af) ||
    (cp >= 0x31f0 && cp <= 0x31ff)
  );
}

const NUMERAL_CHARS: Record<string, number> = {
  零: 0,
  〇: 0,
  洞: 0,
  一: 1,
  壹: 1,
  幺: 1,
  二: 2,
  贰: 2,
  两: 2,
  三: 3,
  叁: 3,
  四: 4,
  肆: 4,
  五: 5,
  伍: 5,
  六: 6,
  陆: 6,
  七: 7,
  柒: 7,
  拐: 7,
  八: 8,
  捌: 8,
  九: 9,
  玖: 9,
};

/** Chinese numeral characters (after simplification) → digit value; folded only inside numeral runs. */
export const CHINESE_NUMERALS: ReadonlyMap<number, number> = new Map(
  Object.entries(NUMERAL_CHARS).map(([k, v]) => [k.codePointAt(0)!, v]),
);

function buildCircled(): Map<number, string> {
  const m = new Map<number, string>();
  const range = (first: number, values: number[]) => values.forEach((v, i) => m.set(first + i, String(v)));
  const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  range(0x2776, oneTo(10)); // ❶..❿ dingbat negative circled
  range(0x2780, oneTo(10)); // ➀..➉ dingbat circled sans-serif
  range(0x278a, oneTo(10)); // ➊..➓ dingbat negative circled sans-serif
  range(0x24eb, [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]); // ⓫..⓴
  range(0x24f5, oneTo(10)); // ⓵..⓾ double circled
  m.set(0x24ff, '0'); // ⓿
  m.set(0x24ea, '0'); // ⓪ (NFKC does this too)
  m.set(0x1f10b, '0');
  m.set(0x1f10c, '0');
  range(
    0x3251,
    oneTo(15).map((v) => v + 20),
  ); // ㉑..㉟ (NFKC too; kept for the stand-alone step)
  return m;
}

/** Circled, parenthesised and dingbat digits not all handled by NFKC → their decimal digits. */
export const CIRCLED_DIGITS: ReadonlyMap<number, string> = buildCircled();

const ALLOWED_TARGET = /^[A-Za-z0-9 .,'"\-_/\\|:;()[\]{}<>!?@#$%&*+=~^`]+$/;

function buildConfusables(): Map<number, number[]> {
  const require = createRequire(import.meta.url);
  const data = require('unhomoglyph/data.json') as Record<string, string>;
  const m = new Map<number, number[]>();
  for (const [src, target] of Object.entries(data)) {
    const cp = src.codePointAt(0)!;
    if (src.length !== (cp > 0xffff ? 2 : 1)) continue; // sequences: skip
    if (cp < 0x80 || isCjk(cp) || CIRCLED_DIGITS.has(cp)) continue; // keep ASCII, Han and numerals
    if (MONEY_SIGNS.has(cp)) continue; // keep real currency signs (¥ is not a Y in a money amount)
    // Strip combining marks from the prototype (e.g. ł → l̸ → l) and keep ASCII-only prototypes.
    const base = target.normalize('NFD').replace(/\p{M}/gu, '');
    if (!base || base.length > 3 || !ALLOWED_TARGET.test(base)) continue;
    m.set(
      cp,
      [...base].map((c) => c.codePointAt(0)!),
    );
  }
  return m;
}

/** Currency signs that mean money in chat; other currency signs are used as letters (₳ for A). */
const MONEY_SIGNS = new Set([...'¥￥$£€¢₩₹₽₤₺₿'].map((c) => c.codePointAt(0)!));

/** Letter-like currency signs that TR39 does not list but spam uses as letters. */
const LETTER_SIGNS: Record<string, string> = {
  '₳': 'a',
  '₫': 'd',
  '₵': 'c',
  '₮': 't',
  '₴': 's',
  '₭': 'k',
  '₲': 'g',
  '₦': 'n',
  '฿': 'b',
  '₱': 'p',
  '₥': 'm',
  '₰': 'pf',
};

function buildAll(): Map<number, number[]> {
  const m = buildConfusables();
  for (const [k, v] of Object.entries(LETTER_SIGNS))
    m.set(
      k.codePointAt(0)!,
      [...v].map((c) => c.codePointAt(0)!),
    );
  return m;
}

/** Unicode TR39 confusables (via `unhomoglyph`), non-ASCII source → ASCII prototype code points. */
export const CONFUSABLES: ReadonlyMap<number, readonly number[]> = buildAll();

const HAN_FIRST = 0x4e00;
const HAN_LAST = 0x9fff;

function buildPinyin(): { str: string[]; hash: Int32Array } {
  // loaded here, on first use: pinyin-pro's dictionary is a large module that most processes (every CLI
  // command, every test that never normalises Chinese text) would otherwise parse for nothing
  const { pinyin } = createRequire(import.meta.url)('pinyin-pro') as typeof PinyinPro;
  const str: string[] = new Array<string>(HAN_LAST - HAN_FIRST + 1).fill('');
  const hash = new Int32Array(HAN_LAST - HAN_FIRST + 1);
  for (let c = HAN_FIRST; c <= HAN_LAST; c++) {
    const ch = String.fromCharCode(c);
    const p = pinyin(ch, { toneType: 'none', type: 'string', surname: 'off' });
    if (!p || p === ch || !/^[a-zü]+$/.test(p)) continue;
    str[c - HAN_FIRST] = p;
    let h = 0x811c9dc5;
    for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p.charCodeAt(i), 0x01000193);
    hash[c - HAN_FIRST] = h | 1;
  }
  return { str, hash };
}

/** Built on the first lookup (about 21,000 characters through pinyin-pro). */
let PINYIN: { str: string[]; hash: Int32Array } | undefined;

/** Toneless pinyin hash of a unified Han character (0 when none). */
export function pinyinHash(cp: number): number {
  return cp >= HAN_FIRST && cp <= HAN_LAST ? (PINYIN ??= buildPinyin()).hash[cp - HAN_FIRST]! : 0;
}

/** Toneless pinyin of a unified Han character ('' when none). */
export function pinyinOf(cp: number): string {
  return cp >= HAN_FIRST && cp <= HAN_LAST ? (PINYIN ??= buildPinyin()).str[cp - HAN_FIRST]! : '';
}

/** Common CJK punctuation → its ASCII counterpart (the halfwidth step). */
export const CJK_PUNCT: Record<number, number> = {
  0x3001: 0x2c, // 、 → ,
  0x3002: 0x2e, // 。 → .
  0x300c: 0x22, // 「
  0x300d: 0x22, // 」
  0x300e: 0x22, // 『
  0x300f: 0x22, // 』
  0x3010: 0x5b, // 【
  0x3011: 0x5d, // 】
  0x3014: 0x5b, // 〔
  0x3015: 0x5d, // 〕
  0x3008: 0x3c, // 〈
  0x3009: 0x3e, // 〉
  0x300a: 0x3c, // 《
  0x300b: 0x3e, // 》
  0x2018: 0x27,
  0x2019: 0x27,
  0x201c: 0x22,
  0x201d: 0x22,
  0x2014: 0x2d, // — em dash
  0x2013: 0x2d, // – en dash
  0x2026: 0x2e, // … → .
  0x00b7: 0x2e, // · middle dot
  0x30fb: 0x2e, // ・ katakana middle dot
  0x2022: 0x2e, // • bullet
};
