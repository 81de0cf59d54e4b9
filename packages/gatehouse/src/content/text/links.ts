/**
 * Links are not spam evidence by themselves: the text model never sees them. Every link the URL part
 * finds (with all its de-obfuscation) is blanked to spaces of the same length before normalisation,
 * in training and in scoring alike, so offsets (intent spans) do not move and "see you tonight
 * <news link>" scores as "see you tonight". Whether a link is risky is the URL part's verdict
 * (lookalike, blocklist, lure words, …), reported next to the text score, never inside it.
 */
import { isDotHanzi, isUnicodeDot, isZeroWidth } from '../url/chars.ts';
import { extractUrls } from '../url/parse.ts';

function alnum(c: number): boolean {
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  return (c >= 0xff10 && c <= 0xff19) || (c >= 0xff21 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a);
}

/**
 * Quick test: can the text hold a link at all? "://", "%2", a non-ASCII dot-like mark or 点 (丶), a dot
 * between two letters or digits, or a dot (or comma) before a lower-case word after a few spaces
 * ("qq . com"). Ordinary sentences ("Hi. See you") skip the link scan.
 */
export function mayHoldLink(t: string): boolean {
  const n = t.length;
  // ", word": how a sentence goes on, never a link by itself (a comma stands for a dot only right
  // before the TLD, "gift,com"); the text is scanned only when something else in it can be one
  let commaWord = false;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c < 128) {
      if (c === 46 || c === 44) {
        if (i === 0 || i + 1 >= n) continue;
        let j = i + 1;
        while (j < n && j - i <= 3 && (t.charCodeAt(j) === 32 || t.charCodeAt(j) === 10)) j++;
        const d = j < n ? t.charCodeAt(j) : 0;
        if (j === i + 1 ? alnum(d) && (c === 46 || (d >= 97 && d <= 122)) : d >= 97 && d <= 122) {
          if (c === 46 || j === i + 1) return true;
          commaWord = true;
          continue;
        }
        if (c === 46 && t.charCodeAt(i - 1) === 32 && alnum(d)) return true;
      } else if (c === 58) {
        if (t.charCodeAt(i + 1) === 47) return true;
      } else if (c === 37) {
        if (t.charCodeAt(i + 1) === 50) return true;
      } else if (c === 91 || c === 40 || c === 123 || c === 60) {
        // "[.]", "(dot)", "{.}", "<.>"
        const d = t.charCodeAt(i + 1) | 32;
        if (d === 46 || d === 100) return true;
      } else if (c === 32 && (t.charCodeAt(i + 1) | 32) === 100 && (t.charCodeAt(i + 2) | 32) === 111)
        return true; // " dot "
      else if (
        c >= 65 &&
        c <= 122 &&
        i + 2 < n &&
        t.charCodeAt(i + 1) === 116 &&
        t.charCodeAt(i + 2) === 116
      ) {
        // "http", "hxxp" without the ":" next to them are still scanned ("hxxps://")
        if (t.startsWith('tp', i + 2) || t.startsWith('p:', i + 3) || t.startsWith('ps', i + 3)) return true;
      }
      continue;
    }
    // a dot-like mark or 点 right after a letter or digit (ASCII or full-width: "ｑｑ．ｃｏｍ")
    if (i > 0 && alnum(t.charCodeAt(i - 1)) && (isUnicodeDot(c) || isDotHanzi(c) || c === 0x3000))
      return true;
  }
  return commaWord && mayFormLink(t);
}

/**
 * Whether the URL scan (url/parse.ts) can find anything at all in `t`: each link it finds has a
 * scheme's ":" (or "：") or a host's dot, and a dot comes only from ".", a dot look-alike, 点 / 點,
 * "%2E", a comma right before a TLD, or the word "dot". Broad on purpose (any "." not at the end
 * counts): it only narrows the ", word" case above, and must never say no where the scan finds a link.
 */
function mayFormLink(t: string): boolean {
  const n = t.length;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c < 128) {
      if (c === 58 || c === 37) return true;
      if (c === 46) {
        let j = i + 1;
        while (j < n && (isLinkSpace(t.charCodeAt(j)) || t.charCodeAt(j) === 46)) j++;
        if (j < n) return true;
      } else if (c === 44) {
        const d = i + 1 < n ? t.charCodeAt(i + 1) : 0;
        if (d >= 97 && d <= 122) return true;
      } else if ((c | 32) === 100 && (t.charCodeAt(i + 1) | 32) === 111 && (t.charCodeAt(i + 2) | 32) === 116)
        return true;
      continue;
    }
    if (c === 0xff1a || c === 0xff05 || isDotHanzi(c) || isUnicodeDot(c)) return true;
  }
  return false;
}

function isLinkSpace(c: number): boolean {
  return c === 32 || c === 0x3000 || c === 0xa0 || c === 9 || c === 10 || c === 13 || isZeroWidth(c);
}

/** The text with every link replaced by spaces (same length); the text itself when it has none. */
export function maskLinks(text: string): string {
  if (!mayHoldLink(text)) return text;
  const urls = extractUrls(text, { maxUrls: 64 }).urls;
  if (urls.length === 0) return text;
  let out = '';
  let at = 0;
  for (const u of urls) {
    if (u.start < at) continue;
    out += text.slice(at, u.start) + ' '.repeat(u.end - u.start);
    at = u.end;
  }
  return out + text.slice(at);
}
