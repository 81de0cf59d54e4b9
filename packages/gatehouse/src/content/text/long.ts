/**
 * Long messages, scored whole at a bounded cost. A spammer who puts 64 KiB of filler before the link
 * must not get a clean verdict, and scoring a megabyte must not cost a megabyte of n-grams. So a long
 * text is compacted into a sample of at most `max` units: its head, a window around every link found
 * anywhere in it (the link scan is linear), and its tail, joined by newlines. The segment table maps
 * sample offsets back to the original, so intent spans still point into the message as sent.
 */
import { extractUrls } from '../url/parse.ts';

/** One piece of the sample: sample[at, at + len) is original[from, from + len). */
export interface Segment {
  at: number;
  from: number;
  len: number;
}

export interface Compacted {
  text: string;
  /** Empty when the text was short enough to keep whole. */
  segments: Segment[];
  /** Links found in the whole original text (before any cut). */
  links: number;
}

/** Scan at most this much of a message for links (longer bodies are refused upstream by bodyLimit). */
export const MAX_LINK_SCAN = 4 * 1024 * 1024;
const WINDOW = 96;
const SEP = '\n';

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** Keeps `text` whole when it fits in `max` units; else head + windows around links + tail. */
export function compactText(text: string, max: number): Compacted {
  if (text.length <= max) return { text, segments: [], links: 0 };
  const ex = extractUrls(text, { maxScan: MAX_LINK_SCAN, maxUrls: 64 });
  const head = Math.floor(max / 2);
  const tail = Math.floor(max / 8);
  const ranges: Array<[number, number]> = [[0, head]];
  for (const u of ex.urls) {
    if (u.end <= head) continue;
    ranges.push([Math.max(0, u.start - WINDOW), Math.min(text.length, u.end + WINDOW)]);
  }
  ranges.push([text.length - tail, text.length]);
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + SEP.length) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  const parts: string[] = [];
  const segments: Segment[] = [];
  let at = 0;
  for (let [a, b] of merged) {
    if (at >= max) break;
    if (a > 0 && a < text.length && isHigh(text.charCodeAt(a - 1))) a++; // never start on a low surrogate
    b = Math.min(b, a + (max - at));
    if (b < text.length && b > a && isHigh(text.charCodeAt(b - 1))) b--;
    if (b <= a) continue;
    if (parts.length > 0) {
      parts.push(SEP);
      at += SEP.length;
    }
    parts.push(text.slice(a, b));
    segments.push({ at, from: a, len: b - a });
    at += b - a;
  }
  return { text: parts.join(''), segments, links: ex.urls.length };
}

/** Maps an offset in the compacted sample back to the original text. */
export function toOriginalOffset(c: Compacted, k: number): number {
  if (c.segments.length === 0) return k;
  let lo = 0;
  let hi = c.segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (c.segments[mid]!.at <= k) lo = mid;
    else hi = mid - 1;
  }
  const s = c.segments[lo]!;
  return s.from + Math.min(Math.max(0, k - s.at), s.len);
}
