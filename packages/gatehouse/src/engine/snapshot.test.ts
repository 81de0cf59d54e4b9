// The incremental snapshot: begun at one instant, read out a line at a time while the engine goes on
// applying events (and evicting entries), it is still exactly that instant's state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeEvents } from './bench.ts';
import { BoundedMap } from './bounded.ts';
import { Engine } from './engine.ts';
import type { SnapshotRecord } from './snapshot.ts';
import { LexiconContentAnalyzer } from './test-content.ts';
import type { EngineEvent } from './types.ts';

const normal = (recs: unknown): SnapshotRecord[] => JSON.parse(JSON.stringify(recs)) as SnapshotRecord[];

test('a snapshot read out while events flow (and entries are evicted) is the state of the instant it began', () => {
  const { warm, timed } = makeEvents(300, 4000, 7);
  let clock = 0;
  const opts = {
    content: new LexiconContentAnalyzer(),
    now: () => clock,
    limits: { maxAccounts: 500, maxSessions: 500 },
  };
  const engine = new Engine(opts);
  const apply = (ev: EngineEvent) => {
    clock = ev.time;
    engine.process(ev, { receivedAt: ev.time });
  };
  const half = timed.length / 2;
  for (const ev of warm) apply(ev);
  for (const ev of timed.slice(0, half)) apply(ev);
  const expected = normal(engine.snapshot());

  // the rest of the traffic, and 400 accounts never seen before (the maps rotate: entries are evicted)
  const rest: EngineEvent[] = timed.slice(half);
  const t = rest.at(-1)!.time;
  for (let i = 0; i < 400; i++)
    rest.push({
      id: `fresh-${i}`,
      type: 'identity.login.succeeded',
      time: t,
      account: `fresh-${i}`,
      session: `fresh-${i}-s`,
      method: 'password',
      device: { id: `fresh-${i}-d` },
      ip: `192.0.2.${i % 250}`,
    });

  const snap = engine.beginSnapshot();
  const lines: string[] = [];
  let i = 0;
  for (let r = snap.lines.next(); !r.done; r = snap.lines.next()) {
    lines.push(r.value);
    for (let k = 0; k < 4 && i < rest.length; k++) apply(rest[i++]!);
  }
  assert.ok(i > rest.length / 2, `only ${i} events applied during the read-out`);
  assert.ok(snap.copiedEarly() > 0, 'the engine reached for entries before their turn');
  const got = lines.map((l) => JSON.parse(l) as SnapshotRecord);
  assert.deepEqual(got, expected);

  // the engine went on: its state is not the snapshot's; the snapshot restores as the instant's does
  for (; i < rest.length; i++) apply(rest[i]!);
  assert.notDeepEqual(normal(engine.snapshot()), expected);
  assert.deepEqual(
    normal(Engine.restore(got, opts).snapshot()),
    normal(Engine.restore(expected, opts).snapshot()),
  );
  // nobody watches the maps any more: a second snapshot can begin
  engine.beginSnapshot().abort();
});

test('a bounded map tells its watcher of an entry before handing it out, replacing, deleting or evicting it', () => {
  const m = new BoundedMap<string, number>(4);
  m.set('a', 1).set('b', 2);
  const seen: string[] = [];
  m.watch((k, v) => seen.push(`${k}=${v}`));
  assert.throws(() => m.watch(() => undefined), /already watched/);
  assert.equal(m.peek('a'), 1);
  assert.deepEqual(seen, [], 'peek does not tell');
  m.get('a');
  m.set('b', 3);
  m.delete('b');
  m.set('c', 4);
  m.set('d', 5); // the young generation is full: the old one ({ }) goes; then { a, c } become old
  m.set('e', 6);
  m.set('f', 7); // { a, c } are evicted
  assert.deepEqual(seen, ['a=1', 'b=2', 'b=3', 'a=1', 'c=4']);
  m.unwatch();
  m.get('e');
  assert.equal(seen.length, 5);
});
