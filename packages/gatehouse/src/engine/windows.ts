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

export class WindowCounters {
  readonly k: number;
  fineTags: Int32Array;
  fine: Int32Array;
  coarseTags: Int32Array;
  coarse: Int32Array;

  constructor(metrics: number) {
    this.k = metrics;
    this.fineTags = new Int32Array(FINE_N).fill(-1);
    this.fine = new Int32Array(FINE_N * metrics);
    this.coarseTags = new Int32Array(COARSE_N).fill(-1);
    this.coarse = new Int32Array(COARSE_N * metrics);
  }

  add(metric: number, t: number, n = 1): void {
    const k = this.k;
    let idx = Math.floor(t / FINE_MS);
    let slot = idx % FINE_N;
    let tag = this.fineTags[slot]!;
    if (tag !== idx) {
      if (tag < idx) {
        this.fineTags[slot] = idx;
        this.fine.fill(0, slot * k, slot * k + k);
        this.fine[slot * k + metric] = n;
      }
    } else this.fine[slot * k + metric]! += n;
    idx = Math.floor(t / COARSE_MS);
    slot = idx % COARSE_N;
    tag = this.coarseTags[slot]!;
    if (tag !== idx) {
      if (tag < idx) {
        this.coarseTags[slot] = idx;
        this.coarse.fill(0, slot * k, slot * k + k);
        this.coarse[slot * k + metric] = n;
      }
    } else this.coarse[slot * k + metric]! += n;
  }

  /** Sum of `metric` over the window (W1, W10 or W60) ending at time t. */
  sum(metric: number, t: number, window: number): number {
    const k = this.k;
    let s = 0;
    if (window === W1) {
      const end = Math.floor(t / FINE_MS);
      for (let idx = end - 5; idx <= end; idx++) {
        const slot = idx % FINE_N;
        if (this.fineTags[slot] === idx) s += this.fine[slot * k + metric]!;
      }
      return s;
    }
    const end = Math.floor(t / COARSE_MS);
    const nb = window === W10 ? 5 : 30;
    for (let idx = end - nb + 1; idx <= end; idx++) {
      const slot = idx % COARSE_N;
      if (this.coarseTags[slot] === idx) s += this.coarse[slot * k + metric]!;
    }
    return s;
  }

  toJSON(): unknown {
    return {
      k: this.k,
      ft: Array.from(this.fineTags),
      f: Array.from(this.fine),
      ct: Array.from(this.coarseTags),
      c: Array.from(this.coarse),
    };
  }

  static fromJSON(j: { k: number; ft: number[]; f: number[]; ct: number[]; c: number[] }): WindowCounters {
    const w = new WindowCounters(j.k);
    w.fineTags.set(j.ft);
    w.fine.set(j.f);
    w.coarseTags.set(j.ct);
    w.coarse.set(j.c);
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
