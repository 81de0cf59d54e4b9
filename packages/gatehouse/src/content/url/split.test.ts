import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SplitLinkBuffer } from './split.ts';

/** Two (sender, conversation) pairs whose buffer keys hash alike, found by search. */
function collidingPairs(): [[string, string], [string, string]] {
  const buf = new SplitLinkBuffer();
  const seen = new Map<number, string>();
  const hash = (buf as unknown as { hashOf(s: string, c: string): number }).hashOf.bind(buf);
  for (let i = 0; ; i++) {
    const s = `u${i}`;
    const h = hash(s, 'g:1');
    const other = seen.get(h);
    if (other !== undefined)
      return [
        [other, 'g:1'],
        [s, 'g:1'],
      ];
    seen.set(h, s);
  }
}

test('pairs whose keys hash alike keep their own tails (a chain per key), and evict as separate entries', () => {
  const [[s1, c1], [s2, c2]] = collidingPairs();
  const buf = new SplitLinkBuffer({ maxKeys: 4, maxGapMs: 60_000 });
  assert.deepEqual(buf.take(s1, c1, 'open discord-gift', 1000), []);
  assert.deepEqual(buf.take(s2, c2, 'see steam-trade.', 1001), []);
  assert.equal(buf.size, 2);
  // each sender's next message joins with its own tail only
  assert.deepEqual(
    buf.take(s2, c2, 'ru/offer', 1002).map((l) => l.host),
    ['steam-trade.ru'],
  );
  assert.deepEqual(
    buf.take(s1, c1, '.com/nitro', 1003).map((l) => l.host),
    ['discord-gift.com'],
  );
  // a message that ends in no host character forgets the pair's tail, and only that pair's
  buf.take(s1, c1, 'open nitro-pro', 1004);
  buf.take(s2, c2, 'ok! ', 1005);
  assert.equal(buf.size, 1);
  assert.deepEqual(
    buf.take(s1, c1, 'mo.xyz', 1006).map((l) => l.host),
    ['nitro-promo.xyz'],
  );
  // capacity counts pairs, not keys: two more pairs rotate the young generation out
  buf.take('a', 'g:2', 'x1', 1007);
  buf.take('b', 'g:2', 'x2', 1008);
  buf.take('c', 'g:2', 'x3', 1009);
  assert.ok(buf.size <= 4);
});
