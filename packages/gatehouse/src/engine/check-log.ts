/**
 * Where the pre-send check's group commits go. On an SQLite file they are written by a worker thread
 * with its own connection (WAL lets it write beside the main connection), so the fsync of a commit
 * never blocks the event loop that answers checks. On PostgreSQL (asynchronous I/O) and in-memory
 * SQLite they are written on the main thread.
 *
 * The same worker checkpoints the write-ahead log (PASSIVE, every `CHECKPOINT_MS`), and the main
 * connection's automatic checkpoint is turned off while it runs: SQLite runs an automatic checkpoint
 * inside the COMMIT that takes the log past 1,000 pages, on whichever connection that is, and a
 * checkpoint copies the log into the database file and syncs it. On the main connection that held the
 * event loop, and every check waiting behind it, for tens of milliseconds at a time in a mass incident
 * (docs/scenarios.md). When the worker stops, the main connection checkpoints itself again. Under steady
 * writes a PASSIVE checkpoint never lets SQLite start the log over, so a log past `WAL_LIMIT_BYTES` is
 * truncated (check-log-worker.ts): the file stays within its bound instead of growing with every write.
 */
import { sql } from 'kysely';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import type { Db, Dialect } from '../store/db.ts';
import { writeCheckBatch } from './persist.ts';
import type { NewEvent } from './store.ts';
import type { Decision } from './types.ts';

export interface CheckLog {
  /** Writes a batch; resolves with the ids that were already in the log. */
  write(events: NewEvent[], decisions: Decision[]): Promise<string[]>;
  /** A checkpoint of the write-ahead log now, where this log runs them (the SQLite worker). */
  checkpoint?(): Promise<CheckpointResult>;
  close(): Promise<void>;
}

/**
 * `pragma wal_checkpoint`'s answer: frames in the log, and how many of them are now in the database;
 * `truncated`: the log was over its bound and is empty now.
 */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
  truncated?: boolean;
}

/** How often the worker checkpoints the write-ahead log, ms. */
export const CHECKPOINT_MS = 1000;
/**
 * The write-ahead log's bound: past it, the worker's checkpoint truncates the log (check-log-worker.ts).
 * A truncation holds the write lock while it syncs the database and cuts the file, and the main
 * connection's writes wait that long (on later turns of its event loop, store/begin.ts), so truncations
 * are kept rare: a replay creating accounts as fast as it can wrote ~18 MB
 * of log a second (one truncation every half minute at this bound, far fewer at a live phase's rate), and
 * the file stays within about half a gigabyte instead of growing with every write (2.7 GB in a
 * 50,000-account replay).
 */
export const WAL_LIMIT_BYTES = 512 * 1024 * 1024;

/** The worker's timings, set by tests. */
export interface CheckLogTimings {
  checkpointMs?: number;
  walLimitBytes?: number;
}
/** SQLite's default automatic checkpoint (pages), restored on the main connection when the worker stops. */
const AUTO_CHECKPOINT_PAGES = 1000;

export function openCheckLog(
  db: Db,
  database: Config['database'] | undefined,
  sync: 'FULL' | 'NORMAL' | undefined,
  log: Logger,
  dialect: Dialect,
  timings: CheckLogTimings = {},
): CheckLog {
  if (database?.kind === 'sqlite' && database.path !== ':memory:') {
    try {
      return new WorkerCheckLog(db, database, sync ?? 'FULL', log, timings);
    } catch (err) {
      log.warn({ err }, 'check-log worker unavailable; writing on the main thread');
    }
  }
  return {
    write: (events, decisions) => writeCheckBatch(db, events, decisions, Date.now(), dialect),
    close: async () => undefined,
  };
}

type Reply =
  | { seq: number; ok: true; duplicates?: string[]; checkpoint?: CheckpointResult }
  | { seq: number; ok: false; error: string };
type Pending = { resolve: (r: Extract<Reply, { ok: true }>) => void; reject: (e: Error) => void };

/** How long the thread stays after its last log closed, for the next one to open (ms). */
const THREAD_IDLE_MS = 10_000;

/**
 * The process's one check-log thread. Every SQLite file open in the process has its own connection in it
 * (one in a server; the tests and the simulator open hundreds one after another, and starting a thread
 * costs about a quarter of a second of CPU, loading Kysely and the event catalogue). It goes when no log
 * has used it for `THREAD_IDLE_MS`, or when it fails: then each of its logs falls back to the main
 * thread and a later log starts a new one.
 */
class CheckLogThread {
  private static current: CheckLogThread | undefined;

  static acquire(): CheckLogThread {
    const t = (CheckLogThread.current ??= new CheckLogThread());
    t.users++;
    if (t.idle) clearTimeout(t.idle);
    t.idle = undefined;
    return t;
  }

  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly failed = new Set<(err: Error) => void>();
  private seq = 0;
  private users = 0;
  private idle: NodeJS.Timeout | undefined;
  private dead: Error | undefined;
  private nextLog = 0;

  private constructor() {
    this.worker = new Worker(new URL('./check-log-worker.ts', import.meta.url), {
      execArgv: ['--disable-warning=ExperimentalWarning'],
    });
    this.worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.seq);
      if (!p) return;
      this.pending.delete(m.seq);
      if (this.pending.size === 0) this.worker.unref();
      if (m.ok) p.resolve(m);
      else p.reject(new Error(m.error));
    });
    // each log says it (its own logger), and goes on on the main thread
    this.worker.on('error', (err) => {
      this.die(err);
      for (const f of this.failed) f(err);
    });
    // kept alive only while an answer is awaited (after the listeners: a listener refs its port again)
    this.worker.unref();
  }

  private die(err: Error): void {
    this.dead = err;
    if (CheckLogThread.current === this) CheckLogThread.current = undefined;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.worker.unref();
  }

  /** A log id for a new connection; `onFail` is told when the thread fails. */
  open(onFail: (err: Error) => void): number {
    this.failed.add(onFail);
    return ++this.nextLog;
  }

  ask(m: Record<string, unknown>): Promise<Extract<Reply, { ok: true }>> {
    if (this.dead) return Promise.reject(this.dead);
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, ...m });
    });
  }

  release(onFail: (err: Error) => void): void {
    this.failed.delete(onFail);
    if (--this.users > 0 || this.dead) return;
    this.idle = setTimeout(() => {
      if (this.users > 0) return;
      this.die(new Error('the check-log thread stopped'));
      void this.worker.terminate();
    }, THREAD_IDLE_MS);
    this.idle.unref();
  }
}

class WorkerCheckLog implements CheckLog {
  private readonly thread: CheckLogThread;
  private readonly id: number;
  private readonly db: Db;
  private readonly log: Logger;
  /** Set once the main connection no longer checkpoints by itself. */
  private readonly handedOver: Promise<void>;
  /** The thread failed or could not open the file: writes go on the main thread, as on PostgreSQL. */
  private fallback = false;
  private readonly onFail = (err: Error) => {
    this.log.error({ err }, 'check-log thread failed; writing on the main thread');
    this.fallback = true;
    void this.autoCheckpoint(AUTO_CHECKPOINT_PAGES);
  };

  constructor(
    db: Db,
    database: Config['database'],
    sync: 'FULL' | 'NORMAL',
    log: Logger,
    timings: CheckLogTimings,
  ) {
    this.db = db;
    this.log = log;
    this.thread = CheckLogThread.acquire();
    this.id = this.thread.open(this.onFail);
    // the thread takes its messages in order: the writes sent after this find the connection open
    const opened = this.thread.ask({
      kind: 'open',
      log: this.id,
      database,
      sync,
      checkpointMs: timings.checkpointMs ?? CHECKPOINT_MS,
      walLimitBytes: timings.walLimitBytes ?? WAL_LIMIT_BYTES,
    });
    this.handedOver = opened.then(
      () => this.autoCheckpoint(0),
      (err) => {
        log.error({ err }, 'the check-log thread could not open the database; writing on the main thread');
        this.fallback = true;
      },
    );
  }

  /** The main connection's automatic checkpoint (0: off). A failure is logged: it costs latency only. */
  private async autoCheckpoint(pages: number): Promise<void> {
    try {
      await sql`pragma wal_autocheckpoint = ${sql.raw(String(pages))}`.execute(this.db);
    } catch (err) {
      this.log.warn({ err, pages }, 'could not set the automatic checkpoint');
    }
  }

  async write(events: NewEvent[], decisions: Decision[]): Promise<string[]> {
    if (this.fallback) return writeCheckBatch(this.db, events, decisions, Date.now(), 'sqlite');
    return (await this.thread.ask({ kind: 'write', log: this.id, events, decisions })).duplicates ?? [];
  }

  async checkpoint(): Promise<CheckpointResult> {
    await this.handedOver;
    const r = await this.thread.ask({ kind: 'checkpoint', log: this.id });
    return r.checkpoint!;
  }

  async close(): Promise<void> {
    await this.handedOver;
    // its writes were sent before this: the thread answers them first, then closes the connection
    await this.thread.ask({ kind: 'close', log: this.id }).catch(() => undefined);
    this.thread.release(this.onFail);
    await this.autoCheckpoint(AUTO_CHECKPOINT_PAGES);
  }
}
