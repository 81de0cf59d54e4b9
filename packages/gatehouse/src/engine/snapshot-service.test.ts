// The engine's snapshot file: the timer's snapshot and the one taken at close never write the
// temporary file at the same time (one used to find it renamed away by the other: ENOENT at close);
// a snapshot written while pre-send checks go on is of one instant: restored elsewhere and caught up
// from the log, it gives the live state (no check lost, none applied twice).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { InProcessBus } from '../bus/index.ts';
import { createLogger } from '../log/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { tempDir, testStore } from '../testing/index.ts';
import type { SnapshotRecord } from './snapshot.ts';
import { EngineService, toRow } from './service.ts';
import { engineStore } from './store.ts';

test('snapshots asked for at once are written one after another, each complete', async () => {
  const { store, cleanup } = await testStore('sqlite');
  const { dir, cleanup: rmDir } = tempDir();
  const svc = new EngineService({
    db: store.db,
    bus: new InProcessBus(createLogger('silent')),
    log: createLogger('silent'),
    dataDir: dir,
    snapshotSeconds: 0,
    dialect: 'sqlite',
  });
  try {
    await svc.start();
    await svc.ingest(
      Array.from({ length: 50 }, (_, i) => ({
        id: `snap-${i}`,
        type: 'message.sent',
        time: Date.now(),
        account: `acct-${i % 7}`,
        recipients: ['friend-1'],
        text: `hello ${i}`,
      })),
    );
    const all = await Promise.all([svc.snapshot(), svc.snapshot(), svc.snapshot()]);
    for (const s of all) assert.ok(s.bytes > 0);
    assert.ok(existsSync(svc.snapshotPath));
    assert.ok(!existsSync(`${svc.snapshotPath}.tmp`));
  } finally {
    await svc.close();
    await cleanup();
    rmDir();
  }
});

/** The state with its records in a fixed order (the maps' order differs after a restore). */
function stateOf(svc: EngineService): { stats: unknown; records: string[] } {
  const records = svc.engine
    .snapshot()
    .filter((r: SnapshotRecord) => r[0] === 'account' || r[0] === 'session' || r[0] === 'fingerprint')
    .map((r) => JSON.stringify(r))
    .sort();
  return { stats: svc.engine.getStats(), records };
}

describeBackends('engine snapshot while checks flow', (backend) => {
  test('is of the instant it began: restored and caught up from the log, it is the live state', async () => {
    const { store, cleanup } = await testStore(backend);
    const { dir, cleanup: rmDir } = tempDir();
    const make = (dataDir: string) =>
      new EngineService({
        db: store.db,
        bus: new InProcessBus(createLogger('silent')),
        log: createLogger('silent'),
        dataDir,
        snapshotSeconds: 0,
        dialect: backend,
      });
    const svc = make(join(dir, 'a'));
    let other: EngineService | undefined;
    try {
      await svc.start();
      const now = Date.now();
      const client = { kind: 'mobile', name: 'QQ', version: '9.0' };
      for (let b = 0; b < 3; b++)
        await svc
          .ingest(
            Array.from({ length: 1000 }, (_, i) => ({
              id: `flow-${b}-${i}`,
              type: 'message.sent',
              time: now - 60_000 + b * 1000 + i,
              // 1,600 accounts: their read-out takes several 4 ms slices even on a quiet, fast machine
              // (400 once fitted in one, and the yields below were 1)
              account: `acct-${(b * 1000 + i) % 1600}`,
              recipients: [`friend-${(i * 7) % 50}`, `friend-${(i * 13) % 50}`],
              text: `hello ${b} ${i} see you at ${i % 24}:00`,
              client,
            })),
          )
          .then((a) => assert.equal(a.accepted, 1000));
      await svc.drain();
      // checks from the same accounts go on while the snapshot is written
      let writing = true;
      const snap = svc.snapshot().finally(() => {
        writing = false;
      });
      let checks = 0;
      while (writing) {
        svc.check({
          id: `during-${checks}`,
          // spread over the accounts (797 is prime to 1,600): many reach one before its turn
          account: `acct-${(checks * 797) % 1600}`,
          recipients: ['friend-1'],
          text: `on my way ${checks}`,
          client,
        });
        checks++;
        await yieldToLoop();
      }
      const written = await snap;
      assert.ok(checks > 0 && written.yields > 1, `${checks} checks, ${written.yields} yields`);
      assert.ok(written.copiedEarly > 0, 'checks reached for accounts before their turn');
      // the snapshot as it was written, in another data directory
      mkdirSync(join(dir, 'b', 'engine'), { recursive: true });
      copyFileSync(svc.snapshotPath, join(dir, 'b', 'engine', 'snapshot.json.gz'));
      await svc.drain(); // the checks are in the log

      other = make(join(dir, 'b'));
      await other.start(); // restores the snapshot, then applies the log after its position
      assert.equal(other.position, svc.position);
      assert.deepEqual(stateOf(other), stateOf(svc));
    } finally {
      await other?.close();
      await svc.close();
      await cleanup();
      rmDir();
    }
  });
});

describeBackends('a drain beside the consumer loop', (backend) => {
  test('returns only once a check row that loop claimed is in the state', async () => {
    const { store, cleanup } = await testStore(backend);
    const { dir, cleanup: rmDir } = tempDir();
    // the payloads of the last two rows are read slowly: whichever loop claimed one is still waiting
    // for it when the other loop has finished its rows
    const slow = (payload: unknown) =>
      typeof payload !== 'string'
        ? 0
        : payload.includes('"elsewhere-19"')
          ? 200
          : payload.includes('"elsewhere-18"')
            ? 100
            : 0;
    const db = store.db.withPlugin({
      transformQuery: (a) => a.node,
      transformResult: async (a) => {
        const rows = a.result.rows as Array<Record<string, unknown>>;
        const ms = rows.length === 1 ? slow(rows[0]!.payload) : 0;
        if (ms > 0) await new Promise((r) => setTimeout(r, ms));
        return a.result;
      },
    });
    const svc = new EngineService({
      db,
      bus: new InProcessBus(createLogger('silent')),
      log: createLogger('silent'),
      dataDir: dir,
      snapshotSeconds: 0,
      dialect: backend,
    });
    try {
      await svc.start();
      // check rows written by another process (or before a restart): this one must fetch each payload
      const now = Date.now();
      const rows = Array.from({ length: 20 }, (_, i) =>
        toRow(
          {
            id: `elsewhere-${i}`,
            type: 'message.sent',
            time: now - 1000 + i,
            account: `acct-${i}`,
            recipients: ['friend-1'],
            text: `checked elsewhere ${i}`,
            urls: [],
            attachments: [],
            client: { kind: 'mobile', name: 'QQ', version: '9.0' },
          },
          now,
          'check',
        ),
      );
      await store.db.transaction().execute((tx) => engineStore.append(tx, rows, backend));
      // a drain (a snapshot's, a test's) while polls and commits start the loop
      let drained = false;
      const drain = svc.drain().finally(() => {
        drained = true;
      });
      for (let pokes = 0; !drained && pokes < 10; pokes++) {
        await yieldToLoop(); // the drain's own loop has begun reading
        svc.poke();
      }
      await drain;
      const last = await engineStore.lastSeq(store.db);
      assert.equal(svc.position, last);
      for (let i = 0; i < 20; i++)
        assert.ok(svc.engine.accountRisk(`acct-${i}`), `acct-${i} is in the state`);
    } finally {
      await svc.close();
      await cleanup();
      rmDir();
    }
  });
});
