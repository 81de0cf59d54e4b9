/**
 * Image benchmark: PDQ hashes per second on 512 × 512 JPEGs (decode + hash), and PDQ bank
 * lookups per second (radius 31) at 1,000,000 banked random hashes. `scale` shrinks both.
 */
import { loadSharp } from './decode.ts';
import { median } from '../../bench/index.ts';
import { PdqBank } from './bank.ts';
import { pdqHashImage } from './decode.ts';

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** A 512 × 512 photo-like test image (soft random blobs plus texture), encoded as JPEG once. */
async function syntheticJpeg(seed: number): Promise<Buffer> {
  const n = 512;
  const next = xorshift(seed);
  const rnd = () => next() / 2 ** 32;
  const blobs = Array.from({ length: 24 }, () => ({
    x: rnd() * n,
    y: rnd() * n,
    r: 10 + rnd() * 90,
    c: [rnd() * 220 - 110, rnd() * 220 - 110, rnd() * 220 - 110],
  }));
  const px = Buffer.alloc(n * n * 3);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const v = [128, 128, 128];
      for (const b of blobs) {
        const dx = x - b.x;
        const dy = y - b.y;
        const g = Math.exp(-(dx * dx + dy * dy) / (2 * b.r * b.r));
        v[0]! += b.c[0]! * g;
        v[1]! += b.c[1]! * g;
        v[2]! += b.c[2]! * g;
      }
      const noise = (next() & 31) - 16;
      for (let k = 0; k < 3; k++) px[(y * n + x) * 3 + k] = Math.max(0, Math.min(255, v[k]! + noise));
    }
  }
  const sharp = await loadSharp();
  return sharp(px, { raw: { width: n, height: n, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

export async function benchImage(opts: {
  scale: number;
  log: (s: string) => void;
}): Promise<{ pdqHashesPerSecond: number; bankLookupsPerSecond: number }> {
  const { scale, log } = opts;

  // --- PDQ hashing: decode + hash of 512 × 512 JPEGs -------------------------------------------
  const images = await Promise.all([1, 2, 3, 4].map((s) => syntheticJpeg(s)));
  for (let i = 0; i < 24; i++) await pdqHashImage(images[i % images.length]!); // warm-up (JIT)
  const nHash = Math.max(20, Math.round(400 * scale));
  const rounds = 5;
  const hashRates: number[] = [];
  let t0: number;
  const hcpu0 = process.cpuUsage();
  for (let round = 0; round < rounds; round++) {
    const n = Math.ceil(nHash / rounds);
    t0 = performance.now();
    for (let i = 0; i < n; i++) await pdqHashImage(images[i % images.length]!);
    hashRates.push(n / ((performance.now() - t0) / 1000));
  }
  const pdqHashesPerSecond = median(hashRates);
  const hcpu = process.cpuUsage(hcpu0);
  log(`pdq: ${(nHash / ((hcpu.user + hcpu.system) / 1e6)).toFixed(0)} hashes per CPU-second (all threads)`);
  log(
    `pdq: ${nHash} hashes of 512x512 JPEGs (decode + hash, one at a time), ` +
      `rounds: ${hashRates.map((r) => r.toFixed(0)).join(', ')} /s`,
  );

  // --- bank lookups ------------------------------------------------------------------------------
  const nBank = Math.max(10_000, Math.round(1_000_000 * scale));
  const next = xorshift(12345);
  const bank = new PdqBank();
  const h = new Uint16Array(16);
  for (let i = 0; i < nBank; i++) {
    for (let w = 0; w < 16; w++) h[w] = next() & 0xffff;
    bank.add(h, { label: 'bench' });
  }
  const tb = performance.now();
  bank.buildIndex();
  log(
    `bank: ${nBank} random hashes, index built in ${((performance.now() - tb) / 1000).toFixed(2)} s, ` +
      `${(bank.byteSize / 2 ** 20).toFixed(0)} MiB of typed arrays`,
  );
  // Queries: half random, half near neighbours (0..31 bits) of banked hashes.
  const nQ = Math.max(2000, Math.round(40_000 * scale));
  const queries: Uint16Array[] = [];
  const nextQ = xorshift(999);
  const ids = bank.maxId;
  for (let i = 0; i < nQ; i++) {
    if (i % 2 === 0) {
      const q = new Uint16Array(16);
      for (let w = 0; w < 16; w++) q[w] = nextQ() & 0xffff;
      queries.push(q);
    } else {
      const e = bank.get(1 + (nextQ() % ids))!;
      const q = new Uint16Array(16);
      for (let w = 0; w < 16; w++) q[w] = parseInt(e.hash.slice(60 - 4 * w, 64 - 4 * w), 16);
      const d = nextQ() % 32;
      for (let k = 0; k < d; k++) {
        const b = nextQ() & 255;
        q[b >> 4]! ^= 1 << (b & 15);
      }
      queries.push(q);
    }
  }
  for (let i = 0; i < Math.min(500, nQ); i++) bank.match(queries[i]!, 31); // warm-up
  let found = 0;
  const lookRates: number[] = [];
  const per = Math.ceil(nQ / rounds);
  const cpu0 = process.cpuUsage();
  for (let round = 0; round < rounds; round++) {
    const part = queries.slice(round * per, (round + 1) * per);
    t0 = performance.now();
    for (const q of part) found += bank.match(q, 31).length;
    lookRates.push(part.length / ((performance.now() - t0) / 1000));
  }
  const bankLookupsPerSecond = median(lookRates);
  const cpu = process.cpuUsage(cpu0);
  log(
    `bank: ${(nQ / ((cpu.user + cpu.system) / 1e6)).toFixed(0)} lookups per CPU-second (less sensitive to load)`,
  );
  log(
    `bank: ${nQ} lookups (radius 31, half random, half near neighbours), ${found} matches, ` +
      `rounds: ${lookRates.map((r) => r.toFixed(0)).join(', ')} /s`,
  );
  return { pdqHashesPerSecond, bankLookupsPerSecond };
}
