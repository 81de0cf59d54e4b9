import assert from 'node:assert/strict';
import { it } from 'node:test';
import { benchImage } from './bench.ts';

// A smoke run: the benchmark works end to end. No speed is asserted here (that is the benchmark's job).
it('benchImage runs at a tiny scale and reports both figures', { timeout: 60_000 }, async () => {
  const lines: string[] = [];
  const r = await benchImage({ scale: 0.001, log: (s) => lines.push(s) });
  assert.ok(r.pdqHashesPerSecond > 0);
  assert.ok(r.bankLookupsPerSecond > 0);
  assert.ok(lines.some((l) => l.startsWith('bank:')));
});
