/**
 * Confusable skeletons for domain labels (Unicode TR39 "skeleton", tuned for host names).
 *
 * The mapping data is the TR39 confusables prototype table shipped by the `unhomoglyph` npm package
 * (generated from unicode.org's confusables.txt). On top of it we fold case, drop combining marks and add
 * a few ASCII look-alikes that matter in host names but are not in TR39 (e.g. "cl" for "d", "vv" for "w").
 * Both sides of a comparison go through the same function, so only equality of skeletons matters.
 */
import data from 'unhomoglyph/data.json' with { type: 'json' };

const TR39 = data as Record<string, string>;

/** ASCII folds applied to every skeleton (written here, not taken from any other tool). */
const ASCII_FOLD: Record<string, string> = {
  '0': 'o',
  '1': 'l',
  i: 'l',
  m: 'rn',
  w: 'vv',
  d: 'cl',
  '|': 'l',
};

const ascii: string[] = [];
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c).toLowerCase();
  ascii.push(ASCII_FOLD[ch] ?? ch);
}

function foldAscii(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c < 128 ? ascii[c]! : s[i]!;
  }
  return out;
}

/** Code point → final skeleton string, for every non-ASCII character TR39 maps. Built once. */
const table = new Map<number, string>();
for (const [k, v] of Object.entries(TR39)) {
  const cp = k.codePointAt(0)!;
  if (cp < 128 || k.length !== String.fromCodePoint(cp).length) continue;
  let out = v.toLowerCase();
  // prototypes are already fixed points in TR39; one more round settles case-folded forms
  let next = '';
  for (const ch of out) {
    const m = TR39[ch];
    next += m !== undefined && (ch.codePointAt(0) ?? 0) >= 128 ? m.toLowerCase() : ch;
  }
  out = foldAscii(next);
  table.set(cp, out);
}

function isMark(cp: number): boolean {
  return (
    (cp >= 0x300 && cp <= 0x36f) ||
    (cp >= 0x1ab0 && cp <= 0x1aff) ||
    (cp >= 0x1dc0 && cp <= 0x1dff) ||
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    (cp >= 0xfe20 && cp <= 0xfe2f)
  );
}

/** The confusable skeleton of a host label (or any short string). Lower-case ASCII input is fast. */
export function skeleton(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 128) {
      plain = false;
      break;
    }
  }
  if (plain) return foldAscii(s);
  let out = '';
  for (const ch of s.normalize('NFD')) {
    const cp = ch.codePointAt(0)!;
    if (cp < 128) out += ascii[cp]!;
    else if (isMark(cp)) continue;
    else {
      const m = table.get(cp);
      if (m !== undefined) out += m;
      else {
        const low = ch.toLowerCase();
        const m2 = low !== ch ? table.get(low.codePointAt(0)!) : undefined;
        out += m2 ?? low;
      }
    }
  }
  return out;
}

/** True when a single character's skeleton equals another's (used to classify one-letter swaps). */
export function sameGlyph(a: string, b: string): boolean {
  return a !== b && skeleton(a) === skeleton(b);
}

export type Script =
  'latin' | 'cyrillic' | 'greek' | 'han' | 'kana' | 'hangul' | 'arabic' | 'hebrew' | 'other';

const SCRIPT_TESTS: Array<[Script, RegExp]> = [
  ['latin', /\p{Script=Latin}/u],
  ['cyrillic', /\p{Script=Cyrillic}/u],
  ['greek', /\p{Script=Greek}/u],
  ['han', /\p{Script=Han}/u],
  ['kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['hangul', /\p{Script=Hangul}/u],
  ['arabic', /\p{Script=Arabic}/u],
  ['hebrew', /\p{Script=Hebrew}/u],
];

/** The scripts of the letters in a string (digits, hyphens and dots are "common" and not counted). */
export function scriptsOf(s: string): Script[] {
  const seen = new Set<Script>();
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 128) {
      if ((cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90)) seen.add('latin');
      continue;
    }
    if (!/\p{L}/u.test(ch)) continue;
    let found: Script = 'other';
    for (const [name, re] of SCRIPT_TESTS) {
      if (re.test(ch)) {
        found = name;
        break;
      }
    }
    seen.add(found);
  }
  return [...seen];
}

/**
 * Mixed scripts that browsers (and TR39's "highly restrictive" level) do not allow in one label set:
 * Latin may only mix with the CJK scripts; every other combination of two or more scripts is mixed.
 */
export function isMixedScript(scripts: readonly Script[]): boolean {
  if (scripts.length < 2) return false;
  const cjk = new Set<Script>(['han', 'kana', 'hangul']);
  const rest = scripts.filter((s) => s !== 'latin' && !cjk.has(s));
  if (rest.length === 0) return scripts.includes('kana') && scripts.includes('hangul');
  return true;
}
