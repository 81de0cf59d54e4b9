/**
 * A common TLD written with look-alike characters ("discord-gift.c0m"): the TLD the reader is meant to
 * type. Such a host resolves nowhere as written (normalize.ts reads it as the TLD, flag tld-lookalike).
 */
import { isWordish, lower } from './chars.ts';

/**
 * TLDs of three or more letters that are written with look-alike characters ("c0m", "corn", "0rg",
 * "n3t", "t0p"); two-letter ones are left out ("v2.c0" is a version, not "v2.co").
 */
const LOOKALIKE_TLDS = new Set(['com', 'net', 'org', 'top', 'xyz', 'vip', 'club', 'site', 'shop', 'info']);

/**
 * The TLD that the label at k spells with look-alike characters (0 for o, 1 for l, 3 for e, "rn" for
 * m, "vv" for w), and the label's end; undefined when the label is plain or spells no common TLD.
 */
export function lookalikeTldAt(t: string, k: number, end: number): { tld: string; end: number } | undefined {
  let j = k;
  let folded = '';
  let changed = false;
  while (j < end && j - k < 8) {
    const c = lower(t.charCodeAt(j));
    if (c === 114 && j + 1 < end && lower(t.charCodeAt(j + 1)) === 110) {
      folded += 'm';
      changed = true;
      j += 2;
    } else if (c === 118 && j + 1 < end && lower(t.charCodeAt(j + 1)) === 118) {
      folded += 'w';
      changed = true;
      j += 2;
    } else if (c === 48 || c === 49 || c === 51) {
      folded += c === 48 ? 'o' : c === 49 ? 'l' : 'e';
      changed = true;
      j++;
    } else if (c >= 97 && c <= 122) {
      folded += String.fromCharCode(c);
      j++;
    } else break;
  }
  if (!changed || (j < end && isWordish(t.charCodeAt(j))) || !/[a-z]/i.test(t.slice(k, j))) return undefined;
  return LOOKALIKE_TLDS.has(folded) ? { tld: folded, end: j } : undefined;
}
