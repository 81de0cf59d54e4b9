// The background lane: loops that take turns there let I/O in between their slices, and every loop
// gets its turns.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { laneStats, laneTurn, SLICE_MS } from './lane.ts';

/** Synchronous work of `ms` (a database call on SQLite is synchronous like this). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** A loop of `units` units of synchronous work, each longer than a slice, taking turns in the lane. */
async function backgroundLoop(name: string, units: number, log: string[]): Promise<void> {
  for (let i = 0; i < units; i++) {
    await laneTurn();
    busy(SLICE_MS + 1);
    log.push(name);
  }
}

test('a request that arrives while background loops have work is answered between their slices', async () => {
  const log: string[] = [];
  const server = createServer((_req, res) => {
    log.push('request');
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // a connection warmed up first, so the request below is one read on the server's side
    await (await fetch(url)).text();
    log.length = 0;
    const answered = fetch(url).then((r) => r.text());
    const loops = Promise.all(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => backgroundLoop(n, 15, log)),
    );
    assert.equal(await answered, 'ok');
    const at = log.indexOf('request');
    assert.ok(at >= 0, 'the request was answered');
    // 120 units of synchronous work in eight loops: a loop that never let the event loop turn would have
    // run them all before the request, and loops that each yielded on their own (the old slicing) ran a
    // unit of EVERY loop per turn of the event loop, eight before the request could be read
    assert.ok(at <= 5, `the request was answered after ${at} of 120 background units`);
    await loops;
    assert.equal(log.filter((x) => x !== 'request').length, 120);
  } finally {
    server.close();
  }
});

test('loops waiting for the lane take turns first come, first served, each a whole slice', async () => {
  const log: string[] = [];
  await Promise.all([backgroundLoop('a', 4, log), backgroundLoop('b', 4, log), backgroundLoop('c', 4, log)]);
  assert.equal(log.length, 12);
  // no loop runs twice in a row while another waits
  for (let i = 1; i < log.length - 2; i++) assert.notEqual(log[i], log[i - 1], log.join(''));
});

test('within a slice, work goes on without waiting for another turn', async () => {
  await laneTurn();
  const before = laneStats().waits;
  await laneTurn();
  await laneTurn();
  assert.equal(laneStats().waits, before, 'a call inside the current slice does not queue');
  busy(SLICE_MS + 1);
  await laneTurn();
  assert.equal(laneStats().waits, before + 1, 'a call after the slice is used up waits for a turn');
});

test('a loop that asks to go first is resumed ahead of the loops already waiting', async () => {
  const log: string[] = [];
  busy(SLICE_MS + 1);
  const later = [laneTurn().then(() => log.push('a')), laneTurn().then(() => log.push('b'))];
  const first = laneTurn(true).then(() => log.push('first'));
  await Promise.all([...later, first]);
  assert.deepEqual(log, ['first', 'a', 'b']);
});
