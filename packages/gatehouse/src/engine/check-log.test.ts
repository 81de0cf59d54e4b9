// A failed check-log write never drops answered checks: the batch goes back in front and is retried.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeBackends } from '../testing/backends.ts';
import { InProcessBus } from '../bus/index.ts';
import { createLogger } from '../log/index.ts';
import { testStore, tempDir } from '../testing/index.ts';
import { writeCheckBatch } from './persist.ts';
import { EngineService } from './service.ts';
import { until } from '../testing/receiver.ts';

describeBackends('check log', (backend) => {
  test('a check batch whose write fails is retried, not lost', async () => {
    const { store, cleanup } = await testStore(backend);
    const { dir, cleanup: rmDir } = tempDir();
    let failures = 1;
    let writes = 0;
    const svc = new EngineService({
      db: store.db,
      bus: new InProcessBus(createLogger('silent')),
      log: createLogger('silent'),
      dataDir: dir,
      snapshotSeconds: 0,
      dialect: backend,
      checkLog: {
        write: async (events, decisions) => {
          writes++;
          if (failures-- > 0) throw new Error('SQLITE_BUSY: database is locked');
          return writeCheckBatch(store.db, events, decisions, Date.now(), backend);
        },
        close: async () => undefined,
      },
    });
    try {
      const answer = svc.check({
        id: 'chk-retry-1',
        time: Date.now(),
        account: 'acct-retry',
        recipients: ['friend-1'],
        text: 'see you at eight',
        client: { kind: 'mobile', name: 'app', version: '1' },
      });
      assert.equal(answer.verdict, 'allow');
      await until(async () => (writes >= 2 ? true : undefined), 'the retry');
      await svc.flushChecks(); // the retry's write has committed
      const risk = await svc.accountRisk('acct-retry');
      assert.deepEqual(
        risk.events.map((e) => e.id),
        ['chk-retry-1'],
      );
    } finally {
      await svc.close();
      await cleanup();
      rmDir();
    }
  });
});
