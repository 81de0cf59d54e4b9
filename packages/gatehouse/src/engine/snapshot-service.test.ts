// The engine's snapshot file: the timer's snapshot and the one taken at close never write the
// temporary file at the same time (one used to find it renamed away by the other: ENOENT at close).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { InProcessBus } from '../bus/index.ts';
import { createLogger } from '../log/index.ts';
import { tempDir, testStore } from '../testing/index.ts';
import { EngineService } from './service.ts';

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
