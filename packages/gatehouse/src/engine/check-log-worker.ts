// The check-log worker: writes pre-send check events and decisions with its own SQLite connection.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { openStore } from '../store/index.ts';
import { writeCheckBatch } from './persist.ts';
import type { NewEvent } from './store.ts';
import type { Decision } from './types.ts';

const { database, sync } = workerData as { database: Config['database']; sync: 'FULL' | 'NORMAL' };
const store = openStore(database, { sqliteSynchronous: sync });
let chain: Promise<void> = Promise.resolve();

parentPort!.on('message', (m: { seq: number; events: NewEvent[]; decisions: Decision[] }) => {
  chain = chain.then(async () => {
    try {
      const duplicates = await writeCheckBatch(store.db, m.events, m.decisions, Date.now());
      parentPort!.postMessage({ seq: m.seq, ok: true, duplicates });
    } catch (e) {
      parentPort!.postMessage({ seq: m.seq, ok: false, error: (e as Error).message });
    }
  });
});
