/**
 * Where the pre-send check's group commits go. On an SQLite file they are written by a worker thread
 * with its own connection (WAL lets it write beside the main connection), so the fsync of a commit
 * never blocks the event loop that answers checks. On PostgreSQL (asynchronous I/O) and in-memory
 * SQLite they are written on the main thread.
 */
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
  close(): Promise<void>;
}

export function openCheckLog(
  db: Db,
  database: Config['database'] | undefined,
  sync: 'FULL' | 'NORMAL' | undefined,
  log: Logger,
  dialect: Dialect,
): CheckLog {
  if (database?.kind === 'sqlite' && database.path !== ':memory:') {
    try {
      return new WorkerCheckLog(database, sync ?? 'FULL', log);
    } catch (err) {
      log.warn({ err }, 'check-log worker unavailable; writing on the main thread');
    }
  }
  return {
    write: (events, decisions) => writeCheckBatch(db, events, decisions, Date.now(), dialect),
    close: async () => undefined,
  };
}

type Reply = { seq: number; ok: true; duplicates: string[] } | { seq: number; ok: false; error: string };

class WorkerCheckLog implements CheckLog {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<
    number,
    { resolve: (d: string[]) => void; reject: (e: Error) => void }
  >();

  constructor(database: Config['database'], sync: 'FULL' | 'NORMAL', log: Logger) {
    this.worker = new Worker(new URL('./check-log-worker.ts', import.meta.url), {
      workerData: { database, sync },
      execArgv: ['--disable-warning=ExperimentalWarning'],
    });
    this.worker.unref();
    this.worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.seq);
      if (!p) return;
      this.pending.delete(m.seq);
      if (m.ok) p.resolve(m.duplicates);
      else p.reject(new Error(m.error));
    });
    this.worker.on('error', (err) => {
      log.error({ err }, 'check-log worker failed');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  write(events: NewEvent[], decisions: Decision[]): Promise<string[]> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, events, decisions });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
