import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { pdqDihedralImage, pdqHashFile, readImageFile } from './decode.ts';
import type { PdqDihedral } from './pdq.ts';
import {
  hammingDistance,
  jaroszWindow,
  pdqDihedralFromLuma,
  pdqFromHex,
  pdqFromPixels,
  pdqToHex,
  popcount32,
} from './pdq.ts';

/** shared/datasets/pdq sits beside the project root (or beside the main checkout of a worktree). */
function findData(): string | undefined {
  if (process.env.GATEHOUSE_DATASETS) return join(process.env.GATEHOUSE_DATASETS, 'pdq');
  for (let d = import.meta.dirname; ; d = dirname(d)) {
    const c = join(d, 'shared/datasets/pdq');
    if (existsSync(join(c, 'expected.csv'))) return c;
    if (dirname(d) === d) return undefined;
  }
}
const DATA = findData() ?? '';
const HAVE_DATA = existsSync(join(DATA, 'expected.csv'));
/** In CI (GATEHOUSE_REQUIRE_SERVICES=1) the reference data must be there: missing data fails. */
const REQUIRED = process.env.GATEHOUSE_REQUIRE_SERVICES === '1';

interface Row {
  file: string;
  impl: string;
  hex: string;
  quality: number | undefined;
}

function expectedRows(): Row[] {
  assert.ok(HAVE_DATA, 'shared/datasets/pdq/expected.csv not found (set GATEHOUSE_DATASETS)');
  return readFileSync(join(DATA, 'expected.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const [file, impl, hex, q] = l.split(',');
      return { file: file!, impl: impl!, hex: hex!, quality: q ? Number(q) : undefined };
    });
}

describe(
  'PDQ against the reference hashes (shared/datasets/pdq/expected.csv)',
  { skip: HAVE_DATA || REQUIRED ? false : 'shared/datasets/pdq not found: skipped' },
  () => {
    it('every image is within 10 bits of every reference hash, and quality matches', async (t) => {
      const rows = expectedRows();
      assert.ok(rows.length >= 30);
      const cache = new Map<string, Awaited<ReturnType<typeof pdqHashFile>>>();
      let max = 0;
      for (const r of rows) {
        let got = cache.get(r.file);
        if (!got) {
          got = await pdqHashFile(join(DATA, r.file));
          cache.set(r.file, got);
        }
        const d = hammingDistance(got.hash, pdqFromHex(r.hex)!);
        max = Math.max(max, d);
        assert.ok(d <= 10, `${r.file} (${r.impl}): ${d} bits from the reference`);
        if (r.quality !== undefined) assert.ok(Math.abs(got.quality - r.quality) <= 2, `${r.file} quality`);
      }
      // Featureless image: quality far below the banking threshold.
      assert.ok(cache.get('misc/small.jpg')!.quality < 50);
      assert.ok(max <= 10);
      t.diagnostic(`largest distance to a reference hash: ${max} bits over ${rows.length} rows`);
    });

    it('the eight dihedral hashes from one DCT match the dih/ references', async (t) => {
      const rows = expectedRows().filter((r) => r.file.startsWith('dih/'));
      const d = await pdqDihedralImage(await readImageFile(join(DATA, 'dih/bridge-1-original.jpg')));
      const byFile: Record<string, keyof Omit<PdqDihedral, 'quality'>> = {
        'dih/bridge-1-original.jpg': 'original',
        'dih/bridge-2-rotate-90.jpg': 'rotate90',
        'dih/bridge-3-rotate-180.jpg': 'rotate180',
        'dih/bridge-4-rotate-270.jpg': 'rotate270',
        'dih/bridge-5-flipx.jpg': 'flipX',
        'dih/bridge-6-flipy.jpg': 'flipY',
        'dih/bridge-7-flip-plus-1.jpg': 'flipPlus1',
        'dih/bridge-8-flip-minus-1.jpg': 'flipMinus1',
      };
      assert.equal(rows.length, 8);
      let max = 0;
      for (const r of rows) {
        const key = byFile[r.file]!;
        const ref = pdqFromHex(r.hex)!;
        const dist = hammingDistance(d[key], ref);
        assert.ok(dist <= 10, `${key}: ${dist} bits from ${r.file}`);
        max = Math.max(max, dist);
        // and every other transform is far from it (unrelated-looking)
        for (const other of Object.values(byFile)) {
          if (other !== key) assert.ok(hammingDistance(d[other], ref) > 64, `${other} vs ${r.file}`);
        }
      }
      assert.equal(d.quality, 100);
      t.diagnostic(`largest dihedral distance: ${max} bits`);
    });
  },
);

/** A deterministic test picture: random soft blobs (a seeded LCG), quality well above 50. */
function synthetic(w: number, h: number, seed = 7): Uint8Array {
  let st = seed;
  const rnd = () => (st = (Math.imul(st, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const blobs = Array.from({ length: 40 }, () => ({
    x: rnd() * w,
    y: rnd() * h,
    r: 8 + rnd() * w * 0.15,
    c: [rnd() * 200 - 100, rnd() * 200 - 100, rnd() * 200 - 100],
  }));
  const px = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = [128, 128, 128];
      for (const b of blobs) {
        const g = Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.r * b.r));
        for (let k = 0; k < 3; k++) v[k]! += b.c[k]! * g;
      }
      for (let k = 0; k < 3; k++) px[(y * w + x) * 3 + k] = Math.max(0, Math.min(255, v[k]!));
    }
  }
  return px;
}

/** Pixel-space symmetries of a square n × n RGB image: new(x, y) = old(map(x, y)). */
const SYMMETRIES: Record<
  keyof Omit<PdqDihedral, 'quality'>,
  (x: number, y: number, n: number) => [number, number]
> = {
  original: (x, y) => [x, y],
  rotate90: (x, y, n) => [n - 1 - y, x], // counter-clockwise
  rotate180: (x, y, n) => [n - 1 - x, n - 1 - y],
  rotate270: (x, y, n) => [y, n - 1 - x],
  flipX: (x, y, n) => [x, n - 1 - y], // top ↔ bottom
  flipY: (x, y, n) => [n - 1 - x, y], // left ↔ right
  flipPlus1: (x, y) => [y, x], // transpose
  flipMinus1: (x, y, n) => [n - 1 - y, n - 1 - x], // anti-transpose
};

function transformSquare(
  px: Uint8Array,
  n: number,
  map: (x: number, y: number, n: number) => [number, number],
) {
  const out = new Uint8Array(px.length);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const [sx, sy] = map(x, y, n);
      out.set(px.subarray((sy * n + sx) * 3, (sy * n + sx) * 3 + 3), (y * n + x) * 3);
    }
  }
  return out;
}

describe('PDQ internals', () => {
  it('hex round trip and Hamming distance', () => {
    const hex = 'd8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22';
    const h = pdqFromHex(hex)!;
    assert.equal(pdqToHex(h), hex);
    assert.equal(pdqFromHex(hex.toUpperCase()) && pdqToHex(pdqFromHex(hex.toUpperCase())!), hex);
    assert.equal(pdqFromHex('xyz'), undefined);
    assert.equal(pdqFromHex(hex.slice(1)), undefined);
    assert.equal(hammingDistance(h, h), 0);
    const g = Uint16Array.from(h);
    g[0]! ^= 0b1011;
    g[15]! ^= 0x8000;
    assert.equal(hammingDistance(h, g), 4);
    assert.equal(popcount32(0xffffffff), 32);
    assert.equal(popcount32(0x80000001), 2);
  });

  it('Jarosz window is ceil(dimension / 128)', () => {
    assert.equal(jaroszWindow(1), 1);
    assert.equal(jaroszWindow(128), 1);
    assert.equal(jaroszWindow(129), 2);
    assert.equal(jaroszWindow(1024), 8);
  });

  it('a flat image has quality 0; a detailed one has 128 bits set', () => {
    const flat = new Uint8Array(100 * 80 * 3).fill(77);
    assert.equal(pdqFromPixels(flat, 100, 80, 3).quality, 0);
    const px = synthetic(300, 200);
    const r = pdqFromPixels(px, 300, 200, 3);
    assert.ok(r.quality >= 50, `quality ${r.quality}`);
    let bits = 0;
    for (const w of r.hash) bits += popcount32(w);
    assert.equal(bits, 128);
  });

  it('grey, grey+alpha, RGB and RGBA inputs agree', () => {
    const w = 64;
    const h = 48;
    const grey = new Uint8Array(w * h);
    for (let i = 0; i < grey.length; i++) grey[i] = (i * 37) % 251;
    const rgb = new Uint8Array(w * h * 3);
    const rgba = new Uint8Array(w * h * 4);
    const ga = new Uint8Array(w * h * 2);
    for (let i = 0; i < grey.length; i++) {
      rgb.fill(grey[i]!, i * 3, i * 3 + 3);
      rgba.fill(grey[i]!, i * 4, i * 4 + 3);
      ga[i * 2] = grey[i]!;
    }
    const a = pdqToHex(pdqFromPixels(grey, w, h, 1).hash);
    assert.equal(pdqToHex(pdqFromPixels(ga, w, h, 2).hash), a);
    assert.ok(hammingDistance(pdqFromPixels(rgb, w, h, 3).hash, pdqFromHex(a)!) <= 2);
    assert.ok(hammingDistance(pdqFromPixels(rgba, w, h, 4).hash, pdqFromHex(a)!) <= 2);
    assert.throws(() => pdqFromPixels(new Uint8Array(5), w, h, 3), RangeError);
  });

  it('each dihedral hash from the DCT equals the hash of the transformed pixels', () => {
    // 320 = 64 × 5: odd Jarosz window (3) and sample points symmetric under mirroring, so the
    // DCT-domain transforms are exact up to float rounding.
    const n = 320;
    const px = synthetic(n, n);
    const luma = new Float32Array(n * n);
    for (let i = 0; i < n * n; i++)
      luma[i] = 0.299 * px[i * 3]! + 0.587 * px[i * 3 + 1]! + 0.114 * px[i * 3 + 2]!;
    const dih = pdqDihedralFromLuma(luma, n, n);
    for (const [name, map] of Object.entries(SYMMETRIES)) {
      const direct = pdqFromPixels(transformSquare(px, n, map), n, n, 3).hash;
      const key = name as keyof typeof SYMMETRIES;
      assert.ok(hammingDistance(dih[key], direct) <= 2, `${name}: ${hammingDistance(dih[key], direct)}`);
      for (const other of Object.keys(SYMMETRIES) as Array<keyof typeof SYMMETRIES>) {
        if (other !== key) assert.ok(hammingDistance(dih[other], direct) > 64, `${other} vs ${name}`);
      }
    }
  });
});
