/**
 * Hash banks (pure, no I/O).
 *
 * PdqBank: PDQ hashes with labels, nearest matches within Hamming distance r ≤ 31 by multi-index
 * hashing (MIH); results are identical to a brute-force scan. (Sha256Bank, exact matches of file
 * digests, and HashBank, both with one id space, are in hash-bank.ts.)
 *
 * Layout (no object per hash): hashes are 8 × u32 per slot in one Uint32Array; ids, qualities and
 * liveness are typed arrays; labels and sources are arrays of (shared) strings.
 *
 * ## MIH scheme and why it is exact
 *
 * The 256 bits are cut into 16 segments of 16 bits (segment s = 16-bit word s of the hash; PDQ's
 * own hash words) and the segments are paired as (2k, 2k + 1) — pair k is the 32-bit word k. For
 * each segment s there is one index: entries bucketed by the value of segment s (CSR layout:
 * `starts` offsets over 65,536 buckets, then the entries' slots), and beside every entry the
 * value of its partner segment s ^ 1, stored inline as a u16.
 *
 * Claim: for a radius r, let t = floor(r / 8) and ρ = floor(t / 2). If d(q, h) ≤ r then there is
 * a segment s with d_s(q, h) ≤ ρ and d_{s^1}(q, h) ≤ t − d_s(q, h).
 * Proof: the 8 pairs partition the bits, so the pair distances D_0 … D_7 sum to d ≤ r. If every
 * D_k were ≥ t + 1 the sum would be ≥ 8t + 8 > r (as r ≤ 8t + 7); so some pair k has D_k ≤ t.
 * Let s be the segment of that pair with the smaller distance and p = s ^ 1 the other:
 * 2 d_s ≤ d_s + d_p = D_k ≤ t gives d_s ≤ floor(t / 2) = ρ, and d_p = D_k − d_s ≤ t − d_s. ∎
 *
 * Search: for each segment s, probe every bucket value v within ρ bits of q_s (for r ≤ 31, t ≤ 3
 * and ρ ≤ 1: the exact value and its 16 one-bit flips; for r ≤ 15 the exact value only); in the
 * bucket, keep entries whose inline partner is within t − popcount(v ^ q_s) of q_p, and verify
 * those with the full 256-bit distance ≤ r. By the claim every h with d(q, h) ≤ r is reached
 * (through the pair k and segment s of the proof: its entry sits in bucket h_s, which is probed
 * because d_s ≤ ρ, and its partner passes because d_p ≤ t − d_s); every reported h was verified,
 * so nothing else is reported. Hence MIH returns exactly the brute-force set; both sort by
 * (distance, id). (The plain 16-segment pigeonhole only gives "some segment within
 * floor(31/16) = 1", which probes the same 17 values per segment but must verify ~100× more
 * candidates; the partner filter rejects ~99 % of them with a few bit operations.)
 *
 * Updates: adds after the last index build sit in a small pending range scanned linearly;
 * removals clear a live flag. The index is rebuilt (counting sort, O(16 n)) lazily at the next
 * query once pending > max(1024, n/8) or dead > n/4 (with compaction).
 */
import { GatehouseError } from '../../errors/index.ts';
import type { PdqHash } from './pdq.ts';
import { PDQ_MIN_QUALITY, pdqFromHex, pdqToHex, popcount32 } from './pdq.ts';

export const MAX_RADIUS = 31;
export const DEFAULT_RADIUS = 31;
/** Quality recorded for a hash whose quality is unknown (e.g. imported from a hash list). */
export const QUALITY_UNKNOWN = 255;

export interface AddOptions {
  label?: string;
  source?: string;
  /** PDQ quality 0..100 if known; below 50 the hash is refused (PDQ_LOW_QUALITY). */
  quality?: number;
  /** Explicit id (loading a bank file); must be above every id already in the bank. */
  id?: number;
}

export interface PdqEntry {
  id: number;
  hash: string;
  label: string;
  source: string;
  quality: number | undefined;
}

export interface PdqMatch extends PdqEntry {
  distance: number;
}

function toHash(h: PdqHash | string): PdqHash {
  if (typeof h !== 'string') {
    if (h.length !== 16) throw new GatehouseError('PDQ_HASH_INVALID', 'a PDQ hash has 16 words of 16 bits');
    return h;
  }
  const p = pdqFromHex(h.trim());
  if (!p) throw new GatehouseError('PDQ_HASH_INVALID', `not a PDQ hash: "${h.slice(0, 80)}"`);
  return p;
}

function checkRadius(r: number): number {
  if (!Number.isInteger(r) || r < 0 || r > MAX_RADIUS) {
    throw new GatehouseError('BAD_REQUEST', `radius must be an integer in 0..${MAX_RADIUS}`);
  }
  return r;
}

// Scratch space for one query's probes (16 segments × 17 bucket values); queries are synchronous.
const PROBE_START = new Int32Array(16 * 17);
const PROBE_END = new Int32Array(16 * 17);
const PROBE_PARTNER = new Uint16Array(16 * 17);
const PROBE_LIMIT = new Uint8Array(16 * 17);
const SINK = new Uint16Array(1);
let CANDIDATES = new Int32Array(4096);

/** Appends an index entry to the query's candidate list (grown as needed); returns the new length. */
function addCandidate(e: number, n: number): number {
  if (n === CANDIDATES.length) {
    const bigger = new Int32Array(n * 2);
    bigger.set(CANDIDATES);
    CANDIDATES = bigger;
  }
  CANDIDATES[n] = e;
  return n + 1;
}

export class PdqBank {
  private words = new Uint32Array(8 * 1024);
  private ids = new Uint32Array(1024);
  private quality = new Uint8Array(1024);
  private live = new Uint8Array(1024);
  private labels: string[] = [];
  private sources: string[] = [];
  private slots = 0;
  private dead = 0;
  private lastId = 0;
  // index over slots [0, indexed)
  private indexed = 0;
  private starts = new Uint32Array(0);
  private entrySlot = new Uint32Array(0);
  private entryPartner = new Uint16Array(0);

  /** Number of live hashes. */
  get size(): number {
    return this.slots - this.dead;
  }

  /** Highest id used so far. */
  get maxId(): number {
    return this.lastId;
  }

  private grow(min: number): void {
    let cap = this.ids.length;
    if (min <= cap) return;
    while (cap < min) cap *= 2;
    const w = new Uint32Array(cap * 8);
    w.set(this.words.subarray(0, this.slots * 8));
    this.words = w;
    const ids = new Uint32Array(cap);
    ids.set(this.ids.subarray(0, this.slots));
    this.ids = ids;
    const q = new Uint8Array(cap);
    q.set(this.quality.subarray(0, this.slots));
    this.quality = q;
    const l = new Uint8Array(cap);
    l.set(this.live.subarray(0, this.slots));
    this.live = l;
  }

  /** Adds a hash; returns its id. Refuses (PDQ_LOW_QUALITY) a hash whose known quality is < 50. */
  add(hash: PdqHash | string, opts: AddOptions = {}): number {
    const h = toHash(hash);
    const q = opts.quality;
    if (q !== undefined) {
      if (!(Number.isInteger(q) && q >= 0 && q <= 100)) {
        throw new GatehouseError('BAD_REQUEST', 'quality must be an integer in 0..100');
      }
      if (q < PDQ_MIN_QUALITY) {
        throw new GatehouseError(
          'PDQ_LOW_QUALITY',
          `quality ${q} is below ${PDQ_MIN_QUALITY}: the image is too featureless for its hash to identify it ` +
            '(it would match unrelated flat images); not banked',
          { extra: { quality: q, minQuality: PDQ_MIN_QUALITY } },
        );
      }
    }
    let id: number;
    if (opts.id !== undefined) {
      if (!Number.isInteger(opts.id) || opts.id <= this.lastId || opts.id > 0xffffffff) {
        throw new GatehouseError(
          'BANK_FILE_INVALID',
          `id ${opts.id} must be an integer above ${this.lastId}`,
        );
      }
      id = opts.id;
    } else id = this.lastId + 1;
    this.grow(this.slots + 1);
    const s = this.slots++;
    for (let k = 0; k < 8; k++) this.words[s * 8 + k] = (h[2 * k]! | (h[2 * k + 1]! << 16)) >>> 0;
    this.ids[s] = id;
    this.quality[s] = q ?? QUALITY_UNKNOWN;
    this.live[s] = 1;
    this.labels[s] = opts.label ?? '';
    this.sources[s] = opts.source ?? '';
    this.lastId = id;
    return id;
  }

  private slotOf(id: number): number {
    let lo = 0;
    let hi = this.slots - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.ids[mid]!;
      if (v === id) return this.live[mid] ? mid : -1;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  has(id: number): boolean {
    return this.slotOf(id) >= 0;
  }

  /** Removes the entry with this id; false if there is none. */
  remove(id: number): boolean {
    const s = this.slotOf(id);
    if (s < 0) return false;
    this.live[s] = 0;
    this.labels[s] = '';
    this.sources[s] = '';
    this.dead++;
    return true;
  }

  private hashAt(s: number): PdqHash {
    const h = new Uint16Array(16);
    for (let k = 0; k < 8; k++) {
      const w = this.words[s * 8 + k]!;
      h[2 * k] = w & 0xffff;
      h[2 * k + 1] = w >>> 16;
    }
    return h;
  }

  private entryAt(s: number): PdqEntry {
    const q = this.quality[s]!;
    return {
      id: this.ids[s]!,
      hash: pdqToHex(this.hashAt(s)),
      label: this.labels[s]!,
      source: this.sources[s]!,
      quality: q === QUALITY_UNKNOWN ? undefined : q,
    };
  }

  get(id: number): PdqEntry | undefined {
    const s = this.slotOf(id);
    return s < 0 ? undefined : this.entryAt(s);
  }

  /** Live entries in id order. */
  *entries(): IterableIterator<PdqEntry> {
    for (let s = 0; s < this.slots; s++) if (this.live[s]) yield this.entryAt(s);
  }

  list(): PdqEntry[] {
    return [...this.entries()];
  }

  /** Drops removed slots (ids and order are kept) and rebuilds the index. */
  compact(): void {
    let o = 0;
    for (let s = 0; s < this.slots; s++) {
      if (!this.live[s]) continue;
      if (o !== s) {
        this.words.copyWithin(o * 8, s * 8, s * 8 + 8);
        this.ids[o] = this.ids[s]!;
        this.quality[o] = this.quality[s]!;
        this.live[o] = 1;
        this.labels[o] = this.labels[s]!;
        this.sources[o] = this.sources[s]!;
      }
      o++;
    }
    this.live.fill(0, o, this.slots);
    this.labels.length = o;
    this.sources.length = o;
    this.slots = o;
    this.dead = 0;
    this.buildIndex();
  }

  /** Builds the 16 segment indexes over all slots (counting sort per segment). */
  buildIndex(): void {
    const n = this.slots;
    const starts = new Uint32Array(16 * 65537);
    const entrySlot = new Uint32Array(16 * n);
    const entryPartner = new Uint16Array(16 * n);
    const words = this.words;
    const cursor = new Uint32Array(65536);
    for (let seg = 0; seg < 16; seg++) {
      const wk = seg >> 1;
      const shift = (seg & 1) * 16;
      const pshift = 16 - shift;
      const base = seg * 65537;
      for (let s = 0; s < n; s++) starts[base + 1 + ((words[s * 8 + wk]! >>> shift) & 0xffff)]!++;
      for (let v = 0; v < 65536; v++) starts[base + v + 1]! += starts[base + v]!;
      cursor.set(starts.subarray(base, base + 65536));
      const off = seg * n;
      for (let s = 0; s < n; s++) {
        const w = words[s * 8 + wk]!;
        const e = off + cursor[(w >>> shift) & 0xffff]!++;
        entrySlot[e] = s;
        entryPartner[e] = (w >>> pshift) & 0xffff;
      }
    }
    this.starts = starts;
    this.entrySlot = entrySlot;
    this.entryPartner = entryPartner;
    this.indexed = n;
  }

  private maintain(): void {
    if (this.dead > 0 && this.dead * 4 > this.slots) this.compact();
    else if (this.slots - this.indexed > Math.max(1024, this.indexed >> 3)) this.buildIndex();
  }

  /** Full distance of slot s to the query words, or a value > r as soon as it exceeds r. */
  private distance(s: number, q: Uint32Array, r: number): number {
    const w = this.words;
    const b = s * 8;
    let d = popcount32(w[b]! ^ q[0]!) + popcount32(w[b + 1]! ^ q[1]!);
    if (d > r) return d;
    d += popcount32(w[b + 2]! ^ q[2]!) + popcount32(w[b + 3]! ^ q[3]!);
    if (d > r) return d;
    d += popcount32(w[b + 4]! ^ q[4]!) + popcount32(w[b + 5]! ^ q[5]!);
    if (d > r) return d;
    return d + popcount32(w[b + 6]! ^ q[6]!) + popcount32(w[b + 7]! ^ q[7]!);
  }

  private queryWords(hash: PdqHash | string): Uint32Array {
    const h = toHash(hash);
    const q = new Uint32Array(8);
    for (let k = 0; k < 8; k++) q[k] = (h[2 * k]! | (h[2 * k + 1]! << 16)) >>> 0;
    return q;
  }

  private results(found: number[], dist: Map<number, number>): PdqMatch[] {
    const out: PdqMatch[] = [];
    for (const s of found) out.push({ ...this.entryAt(s), distance: dist.get(s)! });
    out.sort((a, b) => a.distance - b.distance || a.id - b.id);
    return out;
  }

  /**
   * Every live hash within Hamming distance `radius` (default 31, at most 31) of the query,
   * nearest first (ties by id). Exact: identical to matchBruteForce.
   */
  match(hash: PdqHash | string, radius = DEFAULT_RADIUS): PdqMatch[] {
    const r = checkRadius(radius);
    const q = this.queryWords(hash);
    this.maintain();
    const dist = new Map<number, number>();
    const t = r >> 3;
    const rho = t >> 1;
    const starts = this.starts;
    const entrySlot = this.entrySlot;
    const entryPartner = this.entryPartner;
    const live = this.live;
    const n = this.indexed;
    if (n > 0) {
      // Phase 1: the bucket range of every probe (independent loads, so the CPU overlaps the
      // cache misses). Phase 2: touch the first partner of each non-empty bucket, for the same
      // reason. Phase 3: scan the buckets.
      const perSeg = rho >= 1 ? 17 : 1;
      let np = 0;
      for (let seg = 0; seg < 16; seg++) {
        const w = q[seg >> 1]!;
        const shift = (seg & 1) * 16;
        const qs = (w >>> shift) & 0xffff;
        const qp = (w >>> (16 - shift)) & 0xffff;
        const base = seg * 65537;
        const off = seg * n;
        for (let flip = -1; flip < perSeg - 1; flip++) {
          const v = flip < 0 ? qs : qs ^ (1 << flip);
          const a = off + starts[base + v]!;
          const b = off + starts[base + v + 1]!;
          if (a === b) continue;
          PROBE_START[np] = a;
          PROBE_END[np] = b;
          PROBE_PARTNER[np] = qp;
          PROBE_LIMIT[np] = flip < 0 ? t : t - 1;
          np++;
        }
      }
      let touch = 0;
      for (let i = 0; i < np; i++) touch ^= entryPartner[PROBE_START[i]!]! ^ entryPartner[PROBE_END[i]! - 1]!;
      SINK[0] = touch;
      // Scan: keep entries whose partner differs in at most `lim` bits (lim ≤ 3: clear the lowest
      // set bit lim times and test for zero — no table look-up), then verify those few.
      let nc = 0;
      for (let i = 0; i < np; i++) {
        const qp = PROBE_PARTNER[i]!;
        const lim = PROBE_LIMIT[i]!;
        const end = PROBE_END[i]!;
        let e = PROBE_START[i]!;
        if (lim >= 3) {
          for (; e < end; e++) {
            let x = entryPartner[e]! ^ qp;
            x &= x - 1;
            x &= x - 1;
            if ((x & (x - 1)) === 0) nc = addCandidate(e, nc);
          }
        } else if (lim === 2) {
          for (; e < end; e++) {
            let x = entryPartner[e]! ^ qp;
            x &= x - 1;
            if ((x & (x - 1)) === 0) nc = addCandidate(e, nc);
          }
        } else if (lim === 1) {
          for (; e < end; e++) {
            const x = entryPartner[e]! ^ qp;
            if ((x & (x - 1)) === 0) nc = addCandidate(e, nc);
          }
        } else {
          for (; e < end; e++) if (entryPartner[e] === qp) nc = addCandidate(e, nc);
        }
      }
      for (let c = 0; c < nc; c++) {
        const s = entrySlot[CANDIDATES[c]!]!;
        if (!live[s] || dist.has(s)) continue;
        const d = this.distance(s, q, r);
        if (d <= r) dist.set(s, d);
      }
    }
    for (let s = n; s < this.slots; s++) {
      if (!live[s]) continue;
      const d = this.distance(s, q, r);
      if (d <= r) dist.set(s, d);
    }
    return this.results([...dist.keys()], dist);
  }

  /**
   * Matches several queries at once (e.g. the eight dihedral hashes of an image, to catch rotated
   * or mirrored copies): every entry within the radius of any query, once, at its smallest
   * distance, with the index of the (first) query that reached it.
   */
  matchAny(
    hashes: ReadonlyArray<PdqHash | string>,
    radius = DEFAULT_RADIUS,
  ): Array<PdqMatch & { query: number }> {
    const best = new Map<number, PdqMatch & { query: number }>();
    hashes.forEach((h, query) => {
      for (const m of this.match(h, radius)) {
        const prev = best.get(m.id);
        if (!prev || m.distance < prev.distance) best.set(m.id, { ...m, query });
      }
    });
    return [...best.values()].sort((a, b) => a.distance - b.distance || a.id - b.id);
  }

  /** The same answer as match() by scanning every hash (tests, and a cross-check). */
  matchBruteForce(hash: PdqHash | string, radius = DEFAULT_RADIUS): PdqMatch[] {
    const r = checkRadius(radius);
    const q = this.queryWords(hash);
    const dist = new Map<number, number>();
    for (let s = 0; s < this.slots; s++) {
      if (!this.live[s]) continue;
      const d = this.distance(s, q, r);
      if (d <= r) dist.set(s, d);
    }
    return this.results([...dist.keys()], dist);
  }

  /** Bytes held by the typed arrays (hashes, metadata and index), for reports. */
  get byteSize(): number {
    return (
      this.words.byteLength +
      this.ids.byteLength +
      this.quality.byteLength +
      this.live.byteLength +
      this.starts.byteLength +
      this.entrySlot.byteLength +
      this.entryPartner.byteLength
    );
  }
}
