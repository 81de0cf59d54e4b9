import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOUR, MIN, T0 } from './simulate.ts';
import { WindowCounters, W1, W10, W60 } from './windows.ts';

/** xorshift32: a seeded stream in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

test('window counters: the quiet-metric shortcut gives the sums of a full scan (late, sparse and restored counters)', () => {
  const r = rng(11);
  const live = new WindowCounters(4);
  // a counter restored from JSON does not know its metrics' last times: it always scans
  let scan = WindowCounters.fromJSON(JSON.parse(JSON.stringify(live.toJSON())));
  let t = T0;
  let checked = 0;
  let zeros = 0;
  for (let i = 0; i < 4000; i++) {
    // bursts and long pauses; metric 3 is rare (like reports), metric 0 common
    t += r() < 0.05 ? Math.floor(r() * 3 * HOUR) : Math.floor(r() * 20_000);
    const metric = r() < 0.6 ? 0 : r() < 0.7 ? 1 : r() < 0.9 ? 2 : 3;
    if (metric !== 3 || r() < 0.1) {
      // some events arrive late (up to 40 minutes)
      const at = r() < 0.1 ? t - Math.floor(r() * 40 * MIN) : t;
      const n = 1 + Math.floor(r() * 3);
      live.add(metric, at, n);
      scan.add(metric, at, n);
    }
    for (const q of [t, t + Math.floor(r() * 2 * HOUR)])
      for (let m = 0; m < 4; m++)
        for (const win of [W1, W10, W60]) {
          const a = live.sum(m, q, win);
          assert.equal(a, scan.sum(m, q, win), `metric ${m} window ${win} at step ${i}`);
          checked++;
          if (a === 0) zeros++;
        }
    if (i === 2000) scan = WindowCounters.fromJSON(JSON.parse(JSON.stringify(live.toJSON())));
  }
  assert.ok(checked > 90_000 && zeros > 1000 && zeros < checked - 1000, `${zeros} of ${checked}`);
});
