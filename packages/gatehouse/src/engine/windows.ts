/**
 * Sliding windows as bucketed ring counters, and a bounded "last seen" map for approximate
 * distinct counts. No arrays of events: memory per tracked entity is fixed.
 *
 * Two rings share the metrics of one entity:
 *  - fine:   8 buckets × 10 s  → the 1-minute window (the last 6 buckets)
 *  - coarse: 32 buckets × 2 min → the 10-minute (5 buckets) and 60-minute (30 buckets) windows
 * Buckets are tagged with their absolute index, so a late event lands in its own bucket as long as
 * the ring still covers it (older events are ignored by the windows), and a query at any time t
 * sums only buckets inside [t − window, t].
 */

const FINE_MS = 10_000;
const FINE_N = 8;
const COARSE_MS = 120_000;
const COARSE_N = 32;

export const W1 = 0;
export const W10 = 1;
export const W60 = 2;
export const WINDOW_MS = [60_000, 600_000, 3_600_000] as const;

/**
 * Buffers of window counters are cut from shared 16 KiB slabs, one run of slabs per metric count (so
 * accounts, fingerprints and networks, which live and die at different rates, do not pin each
 * other's slabs): a typed array of its own would be an off-heap allocation per new fingerprint, a
 * large share of the engine's time. A slab is freed when none of its buffers is alive.
 */
const SLAB_INTS = 4096;
const slabs = new Map<number, { buf: ArrayBuffer; at: number }>();

function slabInts(kind: number, n: number): Int32Array {
  if (n > SLAB_INTS >> 2) return new Int32Array(n);
  let s = slabs.get(kind);
  if (s === undefined || s.at + n > SLAB_INTS) {
    s = { buf: new ArrayBuffer(SLAB_INTS * 4), at: 0 };
    slabs.set(kind, s);
  }
  const a = new Int32Array(s.buf, s.at * 4, n);
  s.at += n;
  return a;
}

export class WindowCounters {
  readonly k: number;
  /**
   * One buffer per entity (one allocation, not four): [fine tags | fine counts | coarse tags |
   * coarse counts]; a tag is the bucket's absolute index, −1 when the bucket was never used.
   */
  private readonly buf: Int32Array;
  private readonly fineAt: number;
  private readonly coarseTagsAt: number;
  private readonly coarseAt: number;

  constructor(metrics: number) {
    this.k = metrics;
    this.fineAt = FINE_N;
    this.coarseTagsAt = FINE_N + FINE_N * metrics;
    this.coarseAt = this.coarseTagsAt + COARSE_N;
    const buf = slabInts(metrics, this.coarseAt + COARSE_N * metrics);
    for (let i = 0; i < FINE_N; i++) buf[i] = -1;
    for (let i = this.coarseTagsAt; i < this.coarseAt; i++) buf[i] = -1;
    this.buf = buf;
  }

  add(metric: number, t: number, n = 1): void {
    const k = this.k;
    const buf = this.buf;
    let idx = Math.floor(t / FINE_MS);
    let slot = idx % FINE_N;
    let tag = buf[slot]!;
    if (tag === idx) buf[this.fineAt + slot * k + metric]! += n;
    else if (tag < idx) {
      buf[slot] = idx;
      const at = this.fineAt + slot * k;
      for (let i = 0; i < k; i++) buf[at + i] = 0;
      buf[at + metric] = n;
    }
    idx = Math.floor(t / COARSE_MS);
    slot = idx % COARSE_N;
    tag = buf[this.coarseTagsAt + slot]!;
    if (tag === idx) buf[this.coarseAt + slot * k + metric]! += n;
    else if (tag < idx) {
      buf[this.coarseTagsAt + slot] = idx;
      const at = this.coarseAt + slot * k;
      for (let i = 0; i < k; i++) buf[at + i] = 0;
      buf[at + metric] = n;
    }
  }

  /** Sum of `metric` over the window (W1, W10 or W60) ending at time t. */
  sum(metric: number, t: number, window: number): number {
    const k = this.k;
    const buf = this.buf;
    let s = 0;
    if (window === W1) {
      const end = Math.floor(t / FINE_MS);
      const at = this.fineAt + metric;
      for (let idx = end - 5; idx <= end; idx++) {
        const slot = idx % FINE_N;
        if (buf[slot] === idx) s += buf[at + slot * k]!;
      }
      return s;
    }
    const end = Math.floor(t / COARSE_MS);
    const nb = window === W10 ? 5 : 30;
    const tags = this.coarseTagsAt;
    const at = this.coarseAt + metric;
    for (let idx = end - nb + 1; idx <= end; idx++) {
      const slot = idx % COARSE_N;
      if (buf[tags + slot] === idx) s += buf[at + slot * k]!;
    }
    return s;
  }

  toJSON(): unknown {
    const b = this.buf;
    return {
      k: this.k,
      ft: Array.from(b.subarray(0, this.fineAt)),
      f: Array.from(b.subarray(this.fineAt, this.coarseTagsAt)),
      ct: Array.from(b.subarray(this.coarseTagsAt, this.coarseAt)),
      c: Array.from(b.subarray(this.coarseAt)),
    };
  }

  static fromJSON(j: { k: number; ft: number[]; f: number[]; ct: number[]; c: number[] }): WindowCounters {
    const w = new WindowCounters(j.k);
    w.buf.set(j.ft, 0);
    w.buf.set(j.f, w.fineAt);
    w.buf.set(j.ct, w.coarseTagsAt);
    w.buf.set(j.c, w.coarseAt);
    return w;
  }
}

/**
 * Records `key` as seen at `t` in a bounded last-seen map and returns the previous sighting
 * (or -Infinity). The caller counts the key as new in a window when t − prev exceeds the window.
 * Eviction drops the oldest-inserted key (FIFO by first sighting; cheaper than LRU).
 * This makes distinct counts approximate (an evicted key counts again), bounded by `cap`.
 */
export function touchLastSeen(map: Map<number, number>, cap: number, key: number, t: number): number {
  const prev = map.get(key);
  if (prev === undefined) {
    if (map.size >= cap) map.delete(map.keys().next().value!);
    map.set(key, t);
    return -Infinity;
  }
  if (t > prev) map.set(key, t);
  return prev;
}

/** Adds 1 to the distinct-count metrics (one per window) for which the key is new. */
export function countDistinct(
  w: WindowCounters,
  t: number,
  prev: number,
  m1: number,
  m10: number,
  m60: number,
): void {
  const gap = t - prev;
  if (m1 >= 0 && gap > WINDOW_MS[W1]) w.add(m1, t);
  if (m10 >= 0 && gap > WINDOW_MS[W10]) w.add(m10, t);
  if (m60 >= 0 && gap > WINDOW_MS[W60]) w.add(m60, t);
}

/** Exponential decay factor for elapsed time dt with a half-life. */
export function decay(dt: number, halfLife: number): number {
  return dt <= 0 ? 1 : Math.pow(0.5, dt / halfLife);
}
