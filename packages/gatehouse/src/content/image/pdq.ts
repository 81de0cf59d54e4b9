/**
 * PDQ perceptual hashing (pure, no I/O), written from the published algorithm description
 * (Meta's "The TMK+PDQF video-hashing algorithm and the PDQ image-hashing algorithm"):
 *
 *   1. RGB → luminance Y = 0.299 R + 0.587 G + 0.114 B (floats);
 *   2. two X-then-Y passes of a 1-D box filter whose window is ceil(dimension / 128) — Jarosz's
 *      tent-filter approximation — then point-sampling at 64 × 64 cell centres;
 *   3. quality: the sum of quantised absolute gradients of the 64 × 64 image, divided by 90,
 *      capped at 100;
 *   4. a DCT of the 64 × 64 image keeping frequencies 1..16 in each direction (16 × 16, no DC);
 *   5. bit (i, j) is 1 when coefficient (i, j) is above the median of all 256 coefficients.
 *
 * A hash is 16 words of 16 bits; word i holds DCT row i (vertical frequency i + 1), bit j of the
 * word is column j. Hex form (the one ThreatExchange and HMA use): word 15 first, 4 hex digits each.
 */

/** 256-bit PDQ hash: 16 words of 16 bits, word i = DCT row i. */
export type PdqHash = Uint16Array;

export interface PdqResult {
  hash: PdqHash;
  /** 0..100; below 50 the image is too featureless for the hash to be trusted. */
  quality: number;
}

/** The eight hashes of an image's symmetries (dihedral group D4), all from one DCT. */
export interface PdqDihedral {
  original: PdqHash;
  rotate90: PdqHash;
  rotate180: PdqHash;
  rotate270: PdqHash;
  flipX: PdqHash;
  flipY: PdqHash;
  flipPlus1: PdqHash;
  flipMinus1: PdqHash;
  quality: number;
}

export const PDQ_HASH_WORDS = 16;
export const PDQ_HEX_LENGTH = 64;
/** Below this quality a hash is not trusted (not banked, not matched by default). */
export const PDQ_MIN_QUALITY = 50;

const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;
const WINDOW_DIVISOR = 128;
const JAROSZ_PASSES = 2;

/** 16 × 64 DCT-II basis for frequencies 1..16: D[i][k] = sqrt(2/64) cos(π (i + 1)(2k + 1) / 128). */
const DCT = (() => {
  const d = new Float64Array(16 * 64);
  const scale = Math.sqrt(2 / 64);
  for (let i = 0; i < 16; i++) {
    for (let k = 0; k < 64; k++) d[i * 64 + k] = scale * Math.cos((Math.PI / 128) * (i + 1) * (2 * k + 1));
  }
  return d;
})();

/**
 * Luminance of an 8-bit interleaved image with 1..4 channels (grey, grey+alpha, RGB, RGBA;
 * alpha is ignored, as the reference's "convert to RGB" does).
 */
export function lumaFromPixels(
  data: Uint8Array,
  width: number,
  height: number,
  channels: number,
): Float32Array {
  const n = width * height;
  if (!(channels >= 1 && channels <= 4) || data.length < n * channels) {
    throw new RangeError(`pixel buffer too short for ${width}x${height}x${channels}`);
  }
  const out = new Float32Array(n);
  if (channels >= 3) {
    for (let p = 0, o = 0; p < n; p++, o += channels) {
      out[p] = LUMA_R * data[o]! + LUMA_G * data[o + 1]! + LUMA_B * data[o + 2]!;
    }
  } else {
    for (let p = 0, o = 0; p < n; p++, o += channels) out[p] = data[o]!;
  }
  return out;
}

/** Jarosz window for one dimension: ceil(dimension / 128). */
export function jaroszWindow(dimension: number): number {
  return Math.floor((dimension + WINDOW_DIVISOR - 1) / WINDOW_DIVISOR);
}

/**
 * Box filter along each row. For window W, output i is the mean of inputs
 * [i − (W − h), i + h − 1] clipped to the row, with h = floor((W + 2) / 2): centred for odd W,
 * one more on the right for even W, shrinking at the edges (as in the reference).
 */
function boxAlongRows(src: Float32Array, dst: Float32Array, rows: number, cols: number, w: number): void {
  const half = (w + 2) >> 1;
  const back = w - half;
  const fwd = half - 1;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    const first = Math.min(fwd, cols);
    for (let k = 0; k < first; k++) sum += src[base + k]!;
    // left edge (clipped windows), interior (full window W), right edge (clipped)
    let i = 0;
    const stop = cols - fwd;
    const inv = 1 / w;
    while (i < cols) {
      if (i > back && i < stop) {
        for (; i < stop; i++) {
          sum += src[base + i + fwd]! - src[base + i - back - 1]!;
          dst[base + i] = sum * inv;
        }
        continue;
      }
      const add = i + fwd;
      if (add < cols) sum += src[base + add]!;
      const drop = i - back - 1;
      if (drop >= 0) sum -= src[base + drop]!;
      const lo = i - back > 0 ? i - back : 0;
      const hi = add < cols ? add : cols - 1;
      dst[base + i] = sum / (hi - lo + 1);
      i++;
    }
  }
}

/** The same box filter down each column, done a whole row at a time (cache-friendly). */
function boxAlongCols(
  src: Float32Array,
  dst: Float32Array,
  rows: number,
  cols: number,
  w: number,
  acc: Float64Array,
): void {
  const half = (w + 2) >> 1;
  const back = w - half;
  const fwd = half - 1;
  acc.fill(0, 0, cols);
  const first = Math.min(fwd, rows);
  for (let k = 0; k < first; k++) {
    const b = k * cols;
    for (let j = 0; j < cols; j++) acc[j]! += src[b + j]!;
  }
  for (let i = 0; i < rows; i++) {
    const add = i + fwd;
    const drop = i - back - 1;
    const lo = i - back > 0 ? i - back : 0;
    const hi = add < rows ? add : rows - 1;
    const inv = 1 / (hi - lo + 1);
    const b = i * cols;
    if (add < rows && drop >= 0) {
      const ba = add * cols;
      const bd = drop * cols;
      for (let j = 0; j < cols; j++) {
        const v = acc[j]! + src[ba + j]! - src[bd + j]!;
        acc[j] = v;
        dst[b + j] = v * inv;
      }
    } else {
      if (add < rows) {
        const ba = add * cols;
        for (let j = 0; j < cols; j++) acc[j]! += src[ba + j]!;
      }
      if (drop >= 0) {
        const bd = drop * cols;
        for (let j = 0; j < cols; j++) acc[j]! -= src[bd + j]!;
      }
      for (let j = 0; j < cols; j++) dst[b + j] = acc[j]! * inv;
    }
  }
}

/** The clipped window [lo, hi] of the box filter around index i (see boxAlongRows). */
function windowAt(i: number, n: number, w: number): [number, number] {
  const half = (w + 2) >> 1;
  return [Math.max(0, i - (w - half)), Math.min(n - 1, i + half - 1)];
}

/**
 * Jarosz-filter the luminance and point-sample it down to 64 × 64 (the luma buffer is used as
 * scratch). The reference runs X, Y, X, Y box passes over the whole image and then samples
 * 64 × 64 points; the last X and Y passes together are the mean over a (clipped) rectangle of the
 * first passes' output, so those are computed only at the 64 × 64 sample points.
 */
export function downsample64(luma: Float32Array, width: number, height: number): Float64Array {
  if (!(width >= 1 && height >= 1) || luma.length < width * height) {
    throw new RangeError(`luma buffer too short for ${width}x${height}`);
  }
  const wRows = jaroszWindow(width);
  const wCols = jaroszWindow(height);
  const tmp = new Float32Array(width * height);
  const acc = new Float64Array(width);
  for (let p = 0; p < JAROSZ_PASSES - 1; p++) {
    boxAlongRows(luma, tmp, height, width, wRows);
    boxAlongCols(tmp, luma, height, width, wCols, acc);
  }
  const out = new Float64Array(64 * 64);
  for (let i = 0; i < 64; i++) {
    const [r0, r1] = windowAt(Math.floor(((i + 0.5) * height) / 64), height, wCols);
    for (let j = 0; j < 64; j++) {
      const [c0, c1] = windowAt(Math.floor(((j + 0.5) * width) / 64), width, wRows);
      let sum = 0;
      for (let r = r0; r <= r1; r++) {
        const b = r * width;
        for (let c = c0; c <= c1; c++) sum += luma[b + c]!;
      }
      out[i * 64 + j] = sum / ((r1 - r0 + 1) * (c1 - c0 + 1));
    }
  }
  return out;
}

/** PDQ's image-domain quality metric on the 64 × 64 image (0..100). */
export function qualityOf64(img: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) {
      sum += Math.abs(Math.trunc(((img[i * 64 + j]! - img[(i + 1) * 64 + j]!) * 100) / 255));
    }
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) {
      sum += Math.abs(Math.trunc(((img[i * 64 + j]! - img[i * 64 + j + 1]!) * 100) / 255));
    }
  }
  return Math.min(100, Math.trunc(sum / 90));
}

/** 16 × 16 DCT coefficients B = D A Dᵀ of the 64 × 64 image A. */
export function dct16(img: Float64Array): Float64Array {
  const t = new Float64Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    const di = i * 64;
    for (let k = 0; k < 64; k++) {
      const d = DCT[di + k]!;
      const ak = k * 64;
      for (let j = 0; j < 64; j++) t[di + j]! += d * img[ak + j]!;
    }
  }
  const b = new Float64Array(256);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s += t[i * 64 + k]! * DCT[j * 64 + k]!;
      b[i * 16 + j] = s;
    }
  }
  return b;
}

/** Bits of a 16 × 16 coefficient block: 1 where the coefficient exceeds the median (the 128th smallest). */
export function bitsFromDct(b: Float64Array): PdqHash {
  const sorted = Float64Array.from(b).sort();
  const median = sorted[127]!;
  const h = new Uint16Array(16);
  for (let i = 0; i < 16; i++) {
    let w = 0;
    for (let j = 0; j < 16; j++) if (b[i * 16 + j]! > median) w |= 1 << j;
    h[i] = w;
  }
  return h;
}

/** PDQ hash and quality from a luminance buffer (consumed: it is filtered in place). */
export function pdqFromLuma(luma: Float32Array, width: number, height: number): PdqResult {
  const img = downsample64(luma, width, height);
  return { hash: bitsFromDct(dct16(img)), quality: qualityOf64(img) };
}

/** PDQ hash and quality of an 8-bit interleaved image (1..4 channels). */
export function pdqFromPixels(data: Uint8Array, width: number, height: number, channels: number): PdqResult {
  return pdqFromLuma(lumaFromPixels(data, width, height, channels), width, height);
}

/**
 * The dihedral transforms act on the coefficient block without touching the image. Basis row i
 * is cos(π (i + 1)(2k + 1) / 128); mirroring k → 63 − k multiplies it by (−1)^(i + 1), so a
 * mirror negates the even-indexed frequencies of that axis, and swapping the image axes
 * transposes the block. Each transform is (transpose?, sign(i, j)) applied as
 * out[transpose ? (j, i) : (i, j)] = sign(i, j) · in[i, j]. Names follow PDQ's reference:
 * flipX mirrors top↔bottom (row frequencies), flipY mirrors left↔right, flipPlus1 is the
 * transpose, flipMinus1 the anti-transpose.
 */
function transformDct(
  a: Float64Array,
  transpose: boolean,
  sign: (i: number, j: number) => number,
): Float64Array {
  const b = new Float64Array(256);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      const v = sign(i, j) * a[i * 16 + j]!;
      if (transpose) b[j * 16 + i] = v;
      else b[i * 16 + j] = v;
    }
  }
  return b;
}

const EVEN_NEG = (x: number): number => (x & 1 ? 1 : -1);

/** Hashes of all eight symmetries of the image, from one DCT (as PDQ does). */
export function pdqDihedralFromLuma(luma: Float32Array, width: number, height: number): PdqDihedral {
  const img = downsample64(luma, width, height);
  const a = dct16(img);
  return {
    original: bitsFromDct(a),
    rotate90: bitsFromDct(transformDct(a, true, (_i, j) => EVEN_NEG(j))),
    rotate180: bitsFromDct(transformDct(a, false, (i, j) => ((i + j) & 1 ? -1 : 1))),
    rotate270: bitsFromDct(transformDct(a, true, (i) => EVEN_NEG(i))),
    flipX: bitsFromDct(transformDct(a, false, (i) => EVEN_NEG(i))),
    flipY: bitsFromDct(transformDct(a, false, (_i, j) => EVEN_NEG(j))),
    flipPlus1: bitsFromDct(transformDct(a, true, () => 1)),
    flipMinus1: bitsFromDct(transformDct(a, true, (i, j) => ((i + j) & 1 ? -1 : 1))),
    quality: qualityOf64(img),
  };
}

// ---- hash values -------------------------------------------------------------------------------

const HEX_RE = /^[0-9a-fA-F]{64}$/;

export function isPdqHex(s: string): boolean {
  return HEX_RE.test(s);
}

/** Parses a 64-digit hex PDQ hash; returns undefined if it is not one. */
export function pdqFromHex(s: string): PdqHash | undefined {
  if (!HEX_RE.test(s)) return undefined;
  const h = new Uint16Array(16);
  for (let w = 0; w < 16; w++) h[15 - w] = parseInt(s.slice(w * 4, w * 4 + 4), 16);
  return h;
}

export function pdqToHex(h: PdqHash): string {
  let s = '';
  for (let w = 15; w >= 0; w--) s += h[w]!.toString(16).padStart(4, '0');
  return s;
}

/** Popcount of every 16-bit value. */
export const POPCOUNT16 = (() => {
  const t = new Uint8Array(65536);
  for (let i = 1; i < 65536; i++) t[i] = (i & 1) + t[i >> 1]!;
  return t;
})();

export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Hamming distance of two PDQ hashes (0..256). */
export function hammingDistance(a: PdqHash, b: PdqHash): number {
  let d = 0;
  for (let w = 0; w < 16; w++) d += POPCOUNT16[a[w]! ^ b[w]!]!;
  return d;
}
