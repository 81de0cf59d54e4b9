// The check-log thread: writes pre-send check events and decisions, each SQLite file open in the process
// with its own connection here, and checkpoints the write-ahead log of each file (see check-log.ts).
import { sql } from 'kysely';
import { parentPort } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { BUSY_TIMEOUT_MS } from '../store/begin.ts';
import { openStore, type Store } from '../store/index.ts';
import { writeCheckBatch } from './persist.ts';
import type { NewEvent } from './store.ts';
import type { Decision } from './types.ts';

/** How long a TRUNCATE checkpoint waits for the writer and readers of the moment, ms. */
const TRUNCATE_WAIT_MS = 20;

type Msg = { seq: number; log: number } & (
  | {
      kind: 'open';
      database: Config['database'];
      sync: 'FULL' | 'NORMAL';
      checkpointMs: number;
      walLimitBytes: number;
    }
  | { kind: 'write'; events: NewEvent[]; decisions: Decision[] }
  | { kind: 'checkpoint' }
  | { kind: 'close' }
);

type Checkpoint = { busy: number; log: number; checkpointed: number; truncated?: boolean };

/** One open file: its connection, and its messages and checkpoints one after another. */
interface Log {
  store: Store;
  chain: Promise<unknown>;
  walLimitBytes: number;
  pageSize?: number;
  timer?: NodeJS.Timeout;
}
const logs = new Map<number, Log>();

async function walCheckpoint(log: Log, mode: 'PASSIVE' | 'TRUNCATE'): Promise<Checkpoint> {
  const r = await sql<Checkpoint>`pragma wal_checkpoint(${sql.raw(mode)})`.execute(log.store.db);
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
async function checkpoint(log: Log): Promise<Checkpoint> {
  const db = log.store.db;
  const r = await walCheckpoint(log, 'PASSIVE');
  log.pageSize ??= Number(Object.values((await sql.raw('pragma page_size').execute(db)).rows[0]!)[0]);
  if (r.log * log.pageSize <= log.walLimitBytes) return r;
  await sql.raw(`pragma busy_timeout = ${TRUNCATE_WAIT_MS}`).execute(db);
  try {
    const t = await walCheckpoint(log, 'TRUNCATE');
    return t.busy === 0 ? { ...t, truncated: true } : r;
  } catch {
    return r;
  } finally {
    await sql.raw(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`).execute(db);
  }
}

function open(m: Extract<Msg, { kind: 'open' }>): void {
  const log: Log = {
    store: openStore(m.database, { sqliteSynchronous: m.sync }),
    chain: Promise.resolve(),
    walLimitBytes: m.walLimitBytes,
  };
  logs.set(m.log, log);
  // The main connection does not checkpoint (its commits run on the event loop that answers checks,
  // and a checkpoint writes the log back into the database and syncs it); this thread does, on a timer.
  if (m.checkpointMs > 0) {
    log.timer = setInterval(() => {
      log.chain = log.chain.then(() => checkpoint(log)).catch(() => undefined);
    }, m.checkpointMs);
    log.timer.unref();
  }
}

async function handle(log: Log, m: Msg): Promise<Record<string, unknown>> {
  if (m.kind === 'checkpoint') return { checkpoint: await checkpoint(log) };
  if (m.kind === 'close') {
    clearInterval(log.timer);
    logs.delete(m.log);
    await log.store.close();
    return {};
  }
  if (m.kind === 'write')
    return { duplicates: await writeCheckBatch(log.store.db, m.events, m.decisions, Date.now()) };
  return {};
}

parentPort!.on('message', (m: Msg) => {
  const reply = (r: Record<string, unknown>) => parentPort!.postMessage({ seq: m.seq, ok: true, ...r });
  const fail = (e: unknown) =>
    parentPort!.postMessage({ seq: m.seq, ok: false, error: (e as Error)?.message ?? String(e) });
  if (m.kind === 'open') {
    try {
      open(m);
      reply({});
    } catch (e) {
      fail(e);
    }
    return;
  }
  const log = logs.get(m.log);
  if (!log) return fail(new Error(`no database open as check log ${m.log}`));
  // each file's messages in the order they came
  log.chain = log.chain.then(() => handle(log, m).then(reply, fail));
});
