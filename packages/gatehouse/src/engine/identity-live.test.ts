// A sign-in committed by this process is in the engine's state at once: a pre-send check sent right
// after it (before the consumer has read the log) knows the session and weighs where it came from; the
// consumer then skips its row, and one it applied first is not applied again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IdentityEvent } from '@gatehouse/sdk';
import { InProcessBus } from '../bus/index.ts';
import { createLogger } from '../log/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { tempDir, testStore } from '../testing/index.ts';
import { EngineService } from './service.ts';
import type { SnapshotRecord } from './snapshot.ts';

const client = { kind: 'mobile', name: 'QQ', version: '9.0' };

function signIn(account: string, session: string, ip: string, at: number): IdentityEvent {
  return {
    id: `signin-${session}`,
    time: at,
    account,
    type: 'login.succeeded',
    session,
    method: 'password',
    ip,
    userAgent: 'Mozilla/5.0 (Windows NT 10.0) Firefox/128.0',
    device: { id: `device-${session}`, label: 'Firefox on Windows' },
  };
}

const records = (svc: EngineService) =>
  svc.engine
    .snapshot()
    .filter((r: SnapshotRecord) => r[0] === 'account' || r[0] === 'session')
    .map((r) => JSON.stringify(r))
    .sort();

describeBackends('identity events committed by this process', (backend) => {
  test('a check right after the commit knows the session; the consumer does not apply it twice', async () => {
    const { store, cleanup } = await testStore(backend);
    const { dir, cleanup: rmDir } = tempDir();
    const make = (sub: string) =>
      new EngineService({
        db: store.db,
        bus: new InProcessBus(createLogger('silent')),
        log: createLogger('silent'),
        dataDir: `${dir}/${sub}`,
        snapshotSeconds: 0,
        dialect: backend,
      });
    const svc = make('a');
    let replayed: EngineService | undefined;
    try {
      await svc.start();
      const now = Date.now();
      // a history on the owner's own phone and network
      await svc.ingest(
        Array.from({ length: 30 }, (_, i) => ({
          id: `history-${i}`,
          type: 'message.sent',
          time: now - 3_600_000 + i * 1000,
          account: 'owner',
          recipients: [`friend-${i % 5}`],
          text: `see you at ${i % 12} o'clock`,
          client,
        })),
      );
      await svc.drain();
      const commit = async (events: IdentityEvent[]) => {
        await store.db.transaction().execute(async (tx) => {
          await svc.identityLog.lock(tx);
          await svc.identityLog.append(tx, events);
        });
        svc.identityLog.committed(events);
      };

      // a sign-in from elsewhere; the check follows before any drain
      await commit([signIn('owner', 'sess-new', '203.0.113.77', now)]);
      const a = svc.check({
        id: 'right-after',
        account: 'owner',
        session: 'sess-new',
        recipients: ['friend-1'],
        text: 'hi',
        client,
      });
      const names = (a.signals ?? []).map((s) => s.signal);
      assert.ok(!names.includes('session_unknown'), `the session is known: ${JSON.stringify(a)}`);
      assert.ok(svc.engine.accountRisk('owner'), 'the account is in the state');
      await svc.drain(); // the check in the log (in the order the state saw it)

      // a sign-in the consumer reads before `committed` is told of it: applied once
      const late = signIn('owner', 'sess-late', '198.51.100.9', now + 1000);
      await store.db.transaction().execute(async (tx) => {
        await svc.identityLog.lock(tx);
        await svc.identityLog.append(tx, [late]);
      });
      await svc.drain();
      svc.identityLog.committed([late]);
      await svc.drain();

      // the same log replayed from the start gives the same accounts and sessions
      replayed = make('b');
      await replayed.start();
      await replayed.drain();
      assert.equal(replayed.position, svc.position);
      assert.deepEqual(records(replayed), records(svc));
    } finally {
      await replayed?.close();
      await svc.close();
      await cleanup();
      rmDir();
    }
  });
});
