// The check-log worker: writes pre-send check events and decisions with its own SQLite connection, and
// checkpoints the write-ahead log for every connection of the file (see check-log.ts).
import { sql } from 'kysely';
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { openStore } from '../store/index.ts';
import { writeCheckBatch } from './persist.ts';
import type { NewEvent } from './store.ts';
import type { Decision } from './types.ts';

const { database, sync, checkpointMs } = workerData as {
  database: Config['database'];
  sync: 'FULL' | 'NORMAL';
  checkpointMs: number;
};
const store = openStore(database, { sqliteSynchronous: sync });
let chain: Promise<void> = Promise.resolve();

type Msg =
  | { seq: number; kind?: 'write'; events: NewEvent[]; decisions: Decision[] }
  | { seq: number; kind: 'checkpoint' };

/** A PASSIVE checkpoint: copies what it can of the log into the database (never waits for a writer). */
async function checkpoint(): Promise<{ busy: number; log: number; checkpointed: number }> {
  const r = await sql<{
    busy: number;
    log: number;
    checkpointed: number;
  }>`pragma wal_checkpoint(PASSIVE)`.execute(store.db);
  const row = r.rows[0]!;
  return { busy: Number(row.busy), log: Number(row.log), checkpointed: Number(row.checkpointed) };
}

parentPort!.on('message', (m: Msg) => {
  chain = chain.then(async () => {
    try {
      if (m.kind === 'checkpoint')
        parentPort!.postMessage({ seq: m.seq, ok: true, checkpoint: await checkpoint() });
      else {
        const duplicates = await writeCheckBatch(store.db, m.events, m.decisions, Date.now());
        parentPort!.postMessage({ seq: m.seq, ok: true, duplicates });
      }
    } catch (e) {
      parentPort!.postMessage({ seq: m.seq, ok: false, error: (e as Error).message });
    }
  });
});

// The main connection does not checkpoint (its commits run on the event loop that answers checks, and a
// checkpoint writes the log back into the database and syncs it); this thread does, on a timer.
if (checkpointMs > 0) {
  const timer = setInterval(() => {
    chain = chain.then(() =>
      checkpoint().then(
        () => undefined,
        () => undefined,
      ),
    );
  }, checkpointMs);
  timer.unref();
}
