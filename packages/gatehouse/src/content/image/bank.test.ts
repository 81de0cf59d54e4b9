import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatehouseError } from '../../errors/index.ts';
import { PdqBank } from './bank.ts';
import { HashBank, Sha256Bank } from './hash-bank.ts';
import type { PdqHash } from './pdq.ts';
import { hammingDistance, pdqToHex } from './pdq.ts';

/** Seeded xorshift32, so failures reproduce. */
function rng(seed: number): () => number {
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

function randomHash(next: () => number): PdqHash {
  const h = new Uint16Array(16);
  for (let i = 0; i < 16; i++) h[i] = next() & 0xffff;
  return h;
}

function flipBits(h: PdqHash, bits: number[]): PdqHash {
  const g = Uint16Array.from(h);
  for (const b of bits) g[b >> 4]! ^= 1 << (b & 15);
  return g;
}

/** d distinct random bit positions. */
function randomBits(next: () => number, d: number): number[] {
  const set = new Set<number>();
  while (set.size < d) set.add(next() & 255);
  return [...set];
}

/** d flips spread as evenly as possible over the 16 segments (the hardest case for a pigeonhole). */
function spreadOverSegments(next: () => number, d: number): number[] {
  const bits: number[] = [];
  const per = Array.from({ length: 16 }, (_, s) => Math.floor(d / 16) + (s < d % 16 ? 1 : 0));
  const order = [...per.keys()].sort(() => (next() & 1 ? 1 : -1));
  order.forEach((seg, k) => {
    const n = per[k]!;
    const used = new Set<number>();
    while (used.size < n) used.add(next() & 15);
    for (const b of used) bits.push(seg * 16 + b);
  });
  return bits;
}

/** d flips spread evenly over the 8 pairs, each pair's share split evenly over its two segments. */
function spreadOverPairs(next: () => number, d: number): number[] {
  const bits: number[] = [];
  for (let k = 0; k < 8; k++) {
    const dk = Math.floor(d / 8) + (k < d % 8 ? 1 : 0);
    const a = Math.ceil(dk / 2);
    for (const [seg, n] of [
      [2 * k, a],
      [2 * k + 1, dk - a],
    ] as const) {
      const used = new Set<number>();
      while (used.size < n) used.add(next() & 15);
      for (const b of used) bits.push(seg * 16 + b);
    }
  }
  return bits;
}

/** Flips n distinct random bits of segment seg. */
function segmentBits(next: () => number, seg: number, n: number): number[] {
  const used = new Set<number>();
  while (used.size < n) used.add(next() & 15);
  return [...used].map((b) => seg * 16 + b);
}

/**
 * The tightest case for radius r = 8t + 7: one pair k at distance t split as (a, t − a), every
 * other pair at t + 1 split so that no probe can reach it. The planted hash (at distance exactly
 * r) is then reachable only through pair k, by the one route the proof promises.
 */
function onlyOneRoute(next: () => number, t: number, k: number, a: number): number[] {
  const bits: number[] = [...segmentBits(next, 2 * k, a), ...segmentBits(next, 2 * k + 1, t - a)];
  for (let p = 0; p < 8; p++) {
    if (p === k) continue;
    const hi = Math.ceil((t + 1) / 2);
    const first = next() & 1 ? hi : t + 1 - hi;
    bits.push(...segmentBits(next, 2 * p, first), ...segmentBits(next, 2 * p + 1, t + 1 - first));
  }
  return bits;
}

function same(a: ReturnType<PdqBank['match']>, b: ReturnType<PdqBank['match']>): void {
  assert.deepEqual(
    a.map((m) => [m.id, m.distance]),
    b.map((m) => [m.id, m.distance]),
  );
}

describe('PdqBank: MIH gives exactly the brute-force results', () => {
  it('100,000 random hashes plus planted neighbours at distances 0..40, radii 0..31', () => {
    const next = rng(20261128);
    const bank = new PdqBank();
    for (let i = 0; i < 100_000; i++) bank.add(randomHash(next), { label: `r${i}` });
    const queries: PdqHash[] = [];
    const planters = [randomBits, spreadOverSegments, spreadOverPairs];
    for (let qn = 0; qn < 60; qn++) {
      const q = randomHash(next);
      queries.push(q);
      for (let d = 0; d <= 40; d += 1 + (qn % 3)) {
        const planter = planters[(qn + d) % 3]!;
        const h = flipBits(q, planter(next, d));
        assert.equal(hammingDistance(h, q), d);
        bank.add(h, { label: `near${qn}:${d}`, source: 'planted' });
      }
    }
    let total = 0;
    const radii = [0, 1, 7, 8, 15, 16, 23, 24, 30, 31];
    for (const [i, q] of queries.entries()) {
      const r = radii[i % radii.length]!;
      const fast = bank.match(q, r);
      same(fast, bank.matchBruteForce(q, r));
      for (const m of fast) assert.ok(m.distance <= r);
      total += fast.length;
      // also at the default radius 31
      same(bank.match(q), bank.matchBruteForce(q));
    }
    // random queries (no planted neighbours) find nothing, like brute force
    for (let i = 0; i < 20; i++) {
      const q = randomHash(next);
      same(bank.match(q), bank.matchBruteForce(q));
    }
    assert.ok(total > 100, `planted neighbours found: ${total}`);
  });

  it('finds neighbours reachable by only one route (the tight cases of the proof)', () => {
    const next = rng(99);
    const bank = new PdqBank();
    for (let i = 0; i < 20_000; i++) bank.add(randomHash(next));
    const cases: Array<{ q: PdqHash; id: number; r: number; what: string }> = [];
    for (const t of [0, 1, 2, 3]) {
      const r = 8 * t + 7;
      for (let a = 0; a <= t; a++) {
        for (let k = 0; k < 8; k++) {
          const q = randomHash(next);
          const h = flipBits(q, onlyOneRoute(next, t, k, a));
          assert.equal(hammingDistance(h, q), r);
          cases.push({ q, id: bank.add(h), r, what: `t=${t} pair=${k} split=${a}/${t - a}` });
        }
      }
    }
    bank.buildIndex(); // all planted hashes in the index (not in the linearly scanned pending range)
    for (const { q, id, r, what } of cases) {
      const m = bank.match(q, r);
      assert.ok(
        m.some((x) => x.id === id && x.distance === r),
        what,
      );
      same(m, bank.matchBruteForce(q, r));
      assert.ok(!bank.match(q, r - 1).some((x) => x.id === id));
    }
  });

  it('stays exact through adds after the index build, removals and compaction', () => {
    const next = rng(7);
    const bank = new PdqBank();
    const base = randomHash(next);
    const ids: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const h = i % 5 === 0 ? flipBits(base, randomBits(next, i % 33)) : randomHash(next);
      ids.push(bank.add(h));
    }
    same(bank.match(base), bank.matchBruteForce(base)); // builds the index
    for (let i = 0; i < 300; i++) bank.add(flipBits(base, randomBits(next, i % 32))); // pending range
    same(bank.match(base), bank.matchBruteForce(base));
    for (let i = 0; i < ids.length; i += 3) assert.equal(bank.remove(ids[i]!), true);
    assert.equal(bank.remove(ids[0]!), false);
    same(bank.match(base), bank.matchBruteForce(base));
    for (let i = 1; i < ids.length; i += 3) bank.remove(ids[i]!); // > 1/4 dead: compaction
    const m = bank.match(base);
    same(m, bank.matchBruteForce(base));
    assert.ok(m.length > 0);
    assert.equal(bank.get(ids[0]!), undefined);
    assert.ok(bank.get(ids[2]!));
    assert.equal(bank.size, 5300 - Math.ceil(5000 / 3) - Math.ceil(4999 / 3));
  });
});

describe('PdqBank basics', () => {
  const hex = 'd8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22';

  it('add, get, list, match with labels and sources', () => {
    const bank = new PdqBank();
    const id = bank.add(hex, { label: 'bridge', source: 'test', quality: 100 });
    assert.equal(id, 1);
    assert.deepEqual(bank.get(id), { id, hash: hex, label: 'bridge', source: 'test', quality: 100 });
    assert.deepEqual(
      bank.list().map((e) => e.label),
      ['bridge'],
    );
    const m = bank.match('d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b23');
    assert.equal(m.length, 1);
    assert.equal(m[0]!.distance, 1);
    assert.equal(m[0]!.label, 'bridge');
  });

  it('matchAny reports each entry once, at its smallest distance, with the query index', () => {
    const bank = new PdqBank();
    const next = rng(11);
    const a = randomHash(next);
    const b = randomHash(next);
    const ida = bank.add(flipBits(a, [1, 2, 3]));
    const idb = bank.add(flipBits(b, [7]));
    const m = bank.matchAny([a, b, flipBits(a, [1])]);
    assert.deepEqual(
      m.map((x) => [x.id, x.distance, x.query]),
      [
        [idb, 1, 1],
        [ida, 2, 2],
      ],
    );
  });

  it('refuses hashes with quality below 50, bad hex and bad radii with typed errors', () => {
    const bank = new PdqBank();
    assert.throws(
      () => bank.add(hex, { quality: 49 }),
      (e) => isGatehouseError(e) && e.code === 'PDQ_LOW_QUALITY' && /featureless/.test(e.message),
    );
    assert.equal(bank.add(hex, { quality: 50 }), 1);
    assert.throws(
      () => bank.add('abc'),
      (e) => isGatehouseError(e) && e.code === 'PDQ_HASH_INVALID',
    );
    assert.throws(
      () => bank.match(hex, 32),
      (e) => isGatehouseError(e) && e.code === 'BAD_REQUEST',
    );
    assert.throws(
      () => bank.match(hex, -1),
      (e) => isGatehouseError(e) && e.code === 'BAD_REQUEST',
    );
    assert.equal(bank.match(hex, 0).length, 1);
  });
});

describe('Sha256Bank and HashBank', () => {
  const sha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

  it('exact SHA-256 matches, case-insensitive, with removal', () => {
    const b = new Sha256Bank();
    const id = b.add(sha.toUpperCase(), { label: 'empty file' });
    assert.deepEqual(b.match(sha), [{ id, sha256: sha, label: 'empty file', source: '' }]);
    assert.deepEqual(b.match(sha.replace('e3', 'e4')), []);
    assert.equal(b.remove(id), true);
    assert.deepEqual(b.match(sha), []);
    assert.throws(
      () => b.add('nope'),
      (e) => isGatehouseError(e) && e.code === 'BAD_REQUEST',
    );
  });

  it('one id space over both kinds', () => {
    const b = new HashBank();
    const h = pdqToHex(randomHash(rng(3)));
    const a = b.add({ type: 'pdq', value: h, label: 'x' });
    const c = b.add({ type: 'sha256', value: sha, label: 'y', source: 's' });
    assert.deepEqual([a, c], [1, 2]);
    assert.deepEqual(
      b.list().map((e) => [e.id, e.type, e.label]),
      [
        [1, 'pdq', 'x'],
        [2, 'sha256', 'y'],
      ],
    );
    assert.equal(b.remove(2), true);
    assert.equal(b.remove(2), false);
    assert.equal(b.get(1)!.value, h);
    assert.equal(b.add({ type: 'pdq', value: h }), 3);
  });
});
