/**
 * Links split across two consecutive messages of one sender in one conversation: "discord-gift" then
 * ".com/nitro", or "steam-trade." then "ru". `linksAcross` is the pure join; `SplitLinkBuffer` keeps the
 * small per-conversation tail it needs (bounded in keys, characters and age).
 *
 * A join is tried only where the cut looks like one inside a host: the first message ends without
 * trailing space in a host character or a dot-like mark, the second starts without leading space, and
 * either side of the cut has a dot (or "点"), or the first message's last word already has a hyphen or a
 * dot. "check my" + "discord.com" is two messages, not "mydiscord.com".
 */
import { analyzeParsed, type UrlAnalysis, type UrlContext } from './analyze.ts';
import { isHostChar } from './chars.ts';
import { extractUrls } from './parse.ts';

/** How much of the previous message is kept and joined (characters). */
export const TAIL_CHARS = 256;

export interface SplitLink extends UrlAnalysis {
  /** The link as the two messages spell it together. */
  raw: string;
  /** Where it starts in the previous message's tail and ends in the new message (UTF-16 offsets). */
  startInPrevious: number;
  endInNext: number;
  split: true;
}

function dotLike(c: number): boolean {
  // . 。 ． ｡ · 点 點 , %
  return (
    c === 46 ||
    c === 0x3002 ||
    c === 0xff0e ||
    c === 0xff61 ||
    c === 0x00b7 ||
    c === 0x70b9 ||
    c === 0x9ede ||
    c === 44 ||
    c === 37
  );
}

function lastWordHasMark(prev: string): boolean {
  let k = prev.length;
  while (k > 0 && prev.length - k < 64) {
    const c = prev.charCodeAt(k - 1);
    if (c === 45 || c === 46) return true;
    if (!isHostChar(c)) return false;
    k--;
  }
  return false;
}

/** Is the cut between `prev` and `next` one that could be inside a host name? */
export function mayJoin(prev: string, next: string): boolean {
  if (prev.length === 0 || next.length === 0) return false;
  const a = prev.charCodeAt(prev.length - 1);
  const b = next.charCodeAt(0);
  if (!(isHostChar(a) || dotLike(a)) || !(isHostChar(b) || dotLike(b))) return false;
  return dotLike(a) || dotLike(b) || lastWordHasMark(prev);
}

/**
 * Links that exist only when `prev` (the sender's previous message in this conversation) and `next`
 * are read as one text: those crossing the cut. Pure; never throws.
 */
export function linksAcross(prev: string, next: string, ctx: UrlContext = {}): SplitLink[] {
  try {
    const tail = prev.length > TAIL_CHARS ? prev.slice(prev.length - TAIL_CHARS) : prev;
    const head = next.length > TAIL_CHARS ? next.slice(0, TAIL_CHARS) : next;
    if (!mayJoin(tail, head)) return [];
    const cut = tail.length;
    const out: SplitLink[] = [];
    for (const u of extractUrls(tail + head, { maxUrls: 8 }).urls) {
      if (u.start >= cut || u.end <= cut) continue;
      out.push({
        ...analyzeParsed(u.parsed, ctx),
        raw: u.raw,
        startInPrevious: prev.length - (cut - u.start),
        endInNext: u.end - cut,
        split: true,
      });
    }
    return out;
  } catch {
    return [];
  }
}

/** The links across two messages, with the previous message's tail they were read against. */
export interface SplitLinks {
  /** The end of the previous message (at most TAIL_CHARS) that `links` join with the new one. */
  previous: string;
  links: SplitLink[];
}

export interface SplitLinkBufferOptions {
  /** Conversations remembered at once (oldest dropped first). Default 100,000. */
  maxKeys?: number;
  /** A previous message older than this is not joined (ms). Default 2 minutes. */
  maxGapMs?: number;
}

/** No links across the cut (shared, frozen). */
const NONE: SplitLinks = Object.freeze({ previous: '', links: [] as SplitLink[] });

interface Tail {
  sender: string;
  conversation: string;
  tail: string;
  at: number;
  /** Another (sender, conversation) whose key hashes alike (rare): a chain per hash. */
  next: Tail | undefined;
}

/**
 * The buffer's key: a 30-bit hash of (sender, conversation), a small integer the Map keys without
 * building, flattening and hashing a joined string per message. Keys that hash alike share a
 * chain, so the buffer holds exactly what a map keyed by the pair would.
 */
function pairHash(sender: string, conversation: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < sender.length; i++) h = Math.imul(h ^ sender.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0xffff, 0x01000193);
  for (let i = 0; i < conversation.length; i++) h = Math.imul(h ^ conversation.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 2;
}

function find(m: Map<number, Tail>, h: number, sender: string, conversation: string): Tail | undefined {
  for (let e = m.get(h); e !== undefined; e = e.next)
    if (e.sender === sender && e.conversation === conversation) return e;
  return undefined;
}

/** Unlinks `t` (present in `m` under `h`). */
function unlink(m: Map<number, Tail>, h: number, t: Tail): void {
  const first = m.get(h)!;
  if (first === t) {
    if (t.next === undefined) m.delete(h);
    else m.set(h, t.next);
  } else {
    let e = first;
    while (e.next !== t) e = e.next!;
    e.next = t.next;
  }
  t.next = undefined;
}

/**
 * The last message tail per (sender, conversation): `take` returns the links split across the
 * previous message and this one, and remembers this one's tail. Memory: maxKeys × TAIL_CHARS.
 * Two generations (the young one is dropped into the old one at half the capacity, the old one is
 * evicted whole): O(1) per message, no per-eviction scan of a big Map. Only a tail that can begin a
 * host (it ends in a host character or a dot-like mark) is kept.
 */
export class SplitLinkBuffer {
  private young = new Map<number, Tail>();
  private old = new Map<number, Tail>();
  /** Entries (pairs) per generation; a chain holds several under one Map key. */
  private youngN = 0;
  private oldN = 0;
  private readonly half: number;
  private readonly maxGapMs: number;

  constructor(opts: SplitLinkBufferOptions = {}) {
    this.half = Math.max(1, Math.floor((opts.maxKeys ?? 100_000) / 2));
    this.maxGapMs = opts.maxGapMs ?? 120_000;
  }

  /** The split links between this sender's previous message in `conversation` and `text`. */
  take(
    sender: string,
    conversation: string,
    text: string,
    at: number,
    ctx: UrlContext | (() => UrlContext) = {},
  ): SplitLink[] {
    return this.takeJoined(sender, conversation, text, at, ctx).links;
  }

  /** As `take`, with the previous message's tail the links were read against. */
  takeJoined(
    sender: string,
    conversation: string,
    text: string,
    at: number,
    ctx: UrlContext | (() => UrlContext) = {},
  ): SplitLinks {
    const h = pairHash(sender, conversation);
    let entry = find(this.young, h, sender, conversation);
    const inYoung = entry !== undefined;
    if (!inYoung && this.oldN > 0) {
      entry = find(this.old, h, sender, conversation);
      if (entry !== undefined) {
        unlink(this.old, h, entry);
        this.oldN--;
      }
    }
    const prevTail = entry?.tail;
    const prevAt = entry?.at ?? 0;
    const last = text.length > 0 ? text.charCodeAt(text.length - 1) : 32;
    if (isHostChar(last) || dotLike(last)) {
      const tail = text.length > TAIL_CHARS ? text.slice(-TAIL_CHARS) : text;
      if (entry !== undefined) {
        entry.tail = tail;
        entry.at = at;
        if (!inYoung) this.insert(h, entry);
      } else this.insert(h, { sender, conversation, tail, at, next: undefined });
    } else if (inYoung) {
      unlink(this.young, h, entry!);
      this.youngN--;
    }
    if (prevTail === undefined || at - prevAt > this.maxGapMs || at < prevAt) return NONE;
    // the lists are read only for a cut that can be inside a host (most messages end the check here)
    if (!mayJoin(prevTail, text)) return NONE;
    const links = linksAcross(prevTail, text, typeof ctx === 'function' ? ctx() : ctx);
    return links.length === 0 ? NONE : { previous: prevTail, links };
  }

  private insert(h: number, t: Tail): void {
    if (this.youngN >= this.half) {
      this.old = this.young;
      this.oldN = this.youngN;
      this.young = new Map();
      this.youngN = 0;
    }
    t.next = this.young.get(h);
    this.young.set(h, t);
    this.youngN++;
  }

  /** The key of a pair (for tests of pairs that hash alike). */
  hashOf(sender: string, conversation: string): number {
    return pairHash(sender, conversation);
  }

  get size(): number {
    return this.youngN + this.oldN;
  }
}
