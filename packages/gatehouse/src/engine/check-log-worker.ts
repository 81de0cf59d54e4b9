// The check-log worker: writes pre-send check events and decisions with its own SQLite connection, and
// checkpoints the write-ahead log for every connection of the file (see check-log.ts).
import { sql } from 'kysely';
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { BUSY_TIMEOUT_MS } from '../store/begin.ts';
import { openStore } from '../store/index.ts';
import { writeCheckBatch } from './persist.ts';
import type { NewEvent } from './store.ts';
import type { Decision } from './types.ts';

const { database, sync, checkpointMs, walLimitBytes } = workerData as {
  database: Config['database'];
  sync: 'FULL' | 'NORMAL';
  checkpointMs: number;
  walLimitBytes: number;
};
const store = openStore(database, { sqliteSynchronous: sync });
let chain: Promise<void> = Promise.resolve();
let pageSize: number | undefined;

/** How long a TRUNCATE checkpoint waits for the writer and readers of the moment, ms. */
const TRUNCATE_WAIT_MS = 20;

type Msg =
  | { seq: number; kind?: 'write'; events: NewEvent[]; decisions: Decision[] }
  | { seq: number; kind: 'checkpoint' };

type Checkpoint = { busy: number; log: number; checkpointed: number; truncated?: boolean };

async function walCheckpoint(mode: 'PASSIVE' | 'TRUNCATE'): Promise<Checkpoint> {
  const r = await sql<Checkpoint>`pragma wal_checkpoint(${sql.raw(mode)})`.execute(store.db);
  const row = r.rows[0]!;
  return { busy: Number(row.busy), log: Number(row.log), checkpointed: Number(row.checkpointed) };
}

/**
 * A PASSIVE checkpoint: copies what it can of the log into the database (never waits for a writer).
 * Under steady writes that alone never lets the log start over — SQLite restarts it only when a writer
 * finds every frame copied, and new commits land between the checkpoints — so the file grew without
 * bound (216 MB for a 5 MB database while a replay created 2,000 accounts; 2.7 GB at 50,000). A log past
 * `walLimitBytes` is truncated: a TRUNCATE checkpoint, which waits at most `TRUNCATE_WAIT_MS` for the
 * writer and readers of the moment and otherwise tries again at the next turn of the timer. While it
 * holds the write lock the main connection's writes wait on later turns of its event loop (begin.ts).
 */
async function checkpoint(): Promise<Checkpoint> {
  const r = await walCheckpoint('PASSIVE');
  pageSize ??= Number(Object.values((await sql.raw('pragma page_size').execute(store.db)).rows[0]!)[0]);
  if (r.log * pageSize <= walLimitBytes) return r;
  await sql.raw(`pragma busy_timeout = ${TRUNCATE_WAIT_MS}`).execute(store.db);
  try {
    const t = await walCheckpoint('TRUNCATE');
    return t.busy === 0 ? { ...t, truncated: true } : r;
  } catch {
    return r;
  } finally {
    await sql.raw(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`).execute(store.db);
  }
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
