/**
 * Character classes of link extraction (parse.ts) and of undoing its evasions (normalize.ts): what can
 * stand in a host, an authority or a path, and which characters read as a dot, a hyphen or nothing.
 */

export function isAsciiAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

export function isCjk(c: number): boolean {
  return (
    (c >= 0x2e80 && c <= 0x9fff) ||
    (c >= 0xac00 && c <= 0xd7af) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xffef) ||
    (c >= 0x1100 && c <= 0x11ff) ||
    (c >= 0x3130 && c <= 0x318f)
  );
}

const LETTER = /[\p{L}\p{M}\p{Nd}]/u;

/**
 * A character that can be part of a host label: ASCII alnum, '-', '_', or a non-CJK letter (Cyrillic,
 * Greek, accented Latin… the homograph cases). CJK characters end a link, since chat text glues them to it.
 */
export function isHostChar(c: number): boolean {
  if (c < 128) return isAsciiAlnum(c) || c === 45 || c === 95;
  if (isCjk(c) || (c >= 0xd800 && c <= 0xdfff) || c === 0xa0 || (c >= 0x2000 && c <= 0x2bff)) return false;
  return LETTER.test(String.fromCharCode(c));
}

/** Characters that end a path (besides whitespace and CJK). */
export function isPathEnd(c: number): boolean {
  if (c <= 32 || c === 127) return true;
  if (c < 128)
    return (
      c === 60 ||
      c === 62 ||
      c === 34 ||
      c === 96 ||
      c === 123 ||
      c === 125 ||
      c === 124 ||
      c === 92 ||
      c === 94
    );
  if (isCjk(c)) return true;
  return (c >= 0x2000 && c <= 0x206f) || (c >= 0x3000 && c <= 0x303f) || c === 0xa0;
}

/** Characters allowed in an authority written after "scheme://". */
export function isAuthorityChar(c: number): boolean {
  if (c < 128)
    return (
      isAsciiAlnum(c) ||
      c === 45 ||
      c === 46 ||
      c === 95 ||
      c === 126 ||
      c === 37 ||
      c === 58 ||
      c === 64 ||
      c === 91 ||
      c === 93 ||
      c === 43 ||
      c === 38 ||
      c === 61 ||
      c === 36
    );
  return isHostChar(c);
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

/**
 * Characters that read as a dot: the ideographic and full-width full stops, and look-alikes (middle
 * dots · ・ ･ ∙ ⋅ ⸱ ꓸ, leaders ‥ ․, Arabic ۔, Syriac ܁ ܂, small ﹒). Only the first five are dots anywhere;
 * the look-alikes count only between two host characters (see dotTokenAt).
 */
export function isUnicodeDot(c: number): boolean {
  switch (c) {
    case 0x3002:
    case 0xff61:
    case 0xff0e:
    case 0xfe52:
    case 0x2024:
    case 0x00b7:
    case 0x0387:
    case 0x2025:
    case 0x06d4:
    case 0x0701:
    case 0x0702:
    case 0x30fb:
    case 0xff65:
    case 0x2219:
    case 0x22c5:
    case 0x2e31:
    case 0x2e33:
    case 0xa4f8:
    case 0x16eb:
      return true;
    default:
      return false;
  }
}

/** "点" / "點" (Chinese for "dot"), and "丶" written for one, read as a dot only between a host and a common TLD. */
export function isDotHanzi(c: number): boolean {
  return c === 0x70b9 || c === 0x9ede || c === 0x4e36;
}

/**
 * Dashes that read as a hyphen in a host name: ‐ ‑ ‒ – — ― ⁃ − ˗ ﹘ ﹣ (the full-width one is undone with
 * the other full-width forms). Only between two host characters ("discord–gift.com"); "1990 – 1995" and
 * "Paris–Berlin" stay as they are unless a link forms.
 */
export function isUnicodeHyphen(c: number): boolean {
  return (
    (c >= 0x2010 && c <= 0x2015) ||
    c === 0x2043 ||
    c === 0x2212 ||
    c === 0x02d7 ||
    c === 0xfe58 ||
    c === 0xfe63
  );
}

export function isFullwidthAlnum(c: number): boolean {
  return (c >= 0xff10 && c <= 0xff19) || (c >= 0xff21 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a);
}

/** A comma standing in for a dot: ASCII, full-width "，" or the enumeration comma "、". */
export function isComma(c: number): boolean {
  return c === 44 || c === 0xff0c || c === 0x3001;
}

const WORDISH = /[\p{L}\p{N}]/u;

/** A character that can sit next to a dot in a host name (ASCII or full-width alnum, or a letter). */
export function isWordish(c: number): boolean {
  if (c < 128) return isAsciiAlnum(c);
  if (isFullwidthAlnum(c)) return true;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  return WORDISH.test(String.fromCharCode(c));
}

/** An ASCII letter's lower-case code; any other code as it is. */
export function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}
