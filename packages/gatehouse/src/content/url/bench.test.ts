import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchUrl, benchUrls } from './bench.ts';

test('the URL benchmark runs (smoke, tiny scale)', async () => {
  const lines: string[] = [];
  const r = await benchUrl({ scale: 0.01, log: (l) => lines.push(l) });
  assert.ok(r.urlAnalysesPerSecond > 0);
  assert.match(lines[0]!, /lookalike/);
  assert.equal(benchUrls(50, ['discord']).length, 50);
});
