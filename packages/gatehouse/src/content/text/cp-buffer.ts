/**
 * The code-point buffer the normalisation steps work on: each code point with the [start, end) UTF-16
 * offsets of the original text it came from, and the conversions from and to strings.
 */

/** A code-point buffer with the original offsets of each code point. */
export interface CpBuffer {
  cp: Int32Array;
  start: Int32Array;
  end: Int32Array;
  length: number;
}

/** What each step changed, by count: signals of evasion for the model and for explanations. */
export interface NormalizeStats {
  nfkc: number;
  halfwidth: number;
  invisible: number;
  combining: number;
  decorative: number;
  confusables: number;
  t2s: number;
  numerals: number;
  collapsed: number;
}

export interface Normalized {
  /** The normalised text. */
  text: string;
  /** For each UTF-16 unit of `text`: start offset (UTF-16) in the original text. */
  starts: Int32Array;
  /** For each UTF-16 unit of `text`: end offset (exclusive) in the original text. */
  ends: Int32Array;
  stats: NormalizeStats;
}

export function emptyStats(): NormalizeStats {
  return {
    nfkc: 0,
    halfwidth: 0,
    invisible: 0,
    combining: 0,
    decorative: 0,
    confusables: 0,
    t2s: 0,
    numerals: 0,
    collapsed: 0,
  };
}

export function alloc(capacity: number): CpBuffer {
  capacity = Math.max(16, capacity);
  // One backing store for the three arrays: allocation dominates the cost on short messages.
  const all = new Int32Array(capacity * 3);
  return {
    cp: all.subarray(0, capacity),
    start: all.subarray(capacity, capacity * 2),
    end: all.subarray(capacity * 2),
    length: 0,
  };
}

export function take(spare: CpBuffer | undefined, capacity: number): CpBuffer {
  if (spare && spare.cp.length >= capacity) {
    spare.length = 0;
    return spare;
  }
  return alloc(capacity);
}

export function push(b: CpBuffer, cp: number, s: number, e: number): CpBuffer {
  if (b.length === b.cp.length) {
    const n = alloc(Math.max(16, b.cp.length * 2));
    n.cp.set(b.cp);
    n.start.set(b.start);
    n.end.set(b.end);
    n.length = b.length;
    b = n;
  }
  b.cp[b.length] = cp;
  b.start[b.length] = s;
  b.end[b.length] = e;
  b.length++;
  return b;
}

/** Splits a string into code points (lone surrogates become U+FFFD) with their offsets. */
export function toBuffer(text: string, into?: CpBuffer): CpBuffer {
  const b = take(into, text.length);
  let k = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    const s = i;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    b.cp[k] = c;
    b.start[k] = s;
    b.end[k] = i + 1;
    k++;
  }
  b.length = k;
  return b;
}

/** Code points a pooled buffer may keep between calls (scored texts are bounded well below this). */
export const MAX_POOLED = 65_536;
let UNITS = new Uint16Array(256);
let OFFSETS = new Int32Array(512);
/**
 * Offset views are made once per length, not per call (a typed-array view is an object): views of
 * OFFSETS (dropped when it grows) and of IDENTITY (0, 1, 2, …; never written), for lengths up to
 * VIEW_CAP. Like OFFSETS they are shared: read them before normalising again.
 */
const VIEW_CAP = 1024;
const SHARED_VIEWS: Array<[Int32Array, Int32Array] | undefined> = [];
const IDENTITY = Int32Array.from({ length: VIEW_CAP + 1 }, (_, i) => i);
const IDENTITY_VIEWS: Array<[Int32Array, Int32Array] | undefined> = [];

/**
 * Builds the UTF-16 string and per-unit offset maps from a buffer. With `shared`, the offset maps
 * are views of one module buffer, valid only until the next shared call (the scoring hot path,
 * which reads them synchronously): no allocation of backing stores per message.
 */
export function fromBuffer(b: CpBuffer, stats: NormalizeStats = emptyStats(), shared = false): Normalized {
  let units = 0;
  for (let i = 0; i < b.length; i++) units += b.cp[i]! > 0xffff ? 2 : 1;
  // a very long text gets its own buffer (the pooled one stays small)
  if (UNITS.length < units && units <= MAX_POOLED) UNITS = new Uint16Array(Math.max(units, UNITS.length * 2));
  const u = UNITS.length >= units ? UNITS : new Uint16Array(units);
  let starts: Int32Array;
  let ends: Int32Array;
  if (shared && units <= MAX_POOLED) {
    if (OFFSETS.length < units * 2) {
      OFFSETS = new Int32Array(Math.max(units * 2, OFFSETS.length * 2));
      SHARED_VIEWS.length = 0;
    }
    const v = units <= VIEW_CAP ? SHARED_VIEWS[units] : undefined;
    if (v !== undefined) {
      starts = v[0];
      ends = v[1];
    } else {
      starts = OFFSETS.subarray(0, units);
      ends = OFFSETS.subarray(units, units * 2);
      if (units <= VIEW_CAP) SHARED_VIEWS[units] = [starts, ends];
    }
  } else {
    const all = new Int32Array(units * 2);
    starts = all.subarray(0, units);
    ends = all.subarray(units);
  }
  let k = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b.cp[i]!;
    if (c > 0xffff) {
      const v = c - 0x10000;
      u[k] = 0xd800 + (v >> 10);
      starts[k] = b.start[i]!;
      ends[k] = b.end[i]!;
      k++;
      u[k] = 0xdc00 + (v & 0x3ff);
    } else u[k] = c;
    starts[k] = b.start[i]!;
    ends[k] = b.end[i]!;
    k++;
  }
  let text = '';
  for (let i = 0; i < units; i += 8192)
    text += String.fromCharCode.apply(null, u.subarray(i, Math.min(units, i + 8192)) as unknown as number[]);
  return { text, starts, ends, stats };
}

/** The normalisation of a text that normalises to itself (BMP only): offsets map unit to unit. */
export function identityOf(text: string, stats: NormalizeStats): Normalized {
  const n = text.length;
  if (n <= VIEW_CAP) {
    // the identity map of a short text: views of one constant 0, 1, 2, … array, made once per length
    let v = IDENTITY_VIEWS[n];
    if (v === undefined) v = IDENTITY_VIEWS[n] = [IDENTITY.subarray(0, n), IDENTITY.subarray(1, n + 1)];
    return { text, starts: v[0], ends: v[1], stats };
  }
  if (OFFSETS.length < n * 2 && n <= MAX_POOLED) {
    OFFSETS = new Int32Array(Math.max(n * 2, OFFSETS.length * 2));
    SHARED_VIEWS.length = 0;
  }
  const all = OFFSETS.length >= n * 2 ? OFFSETS : new Int32Array(n * 2);
  const starts = all.subarray(0, n);
  const ends = all.subarray(n, n * 2);
  for (let i = 0; i < n; i++) {
    starts[i] = i;
    ends[i] = i + 1;
  }
  return { text, starts, ends, stats };
}
