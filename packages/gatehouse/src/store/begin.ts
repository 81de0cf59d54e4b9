import type Database from 'better-sqlite3';
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';

/** How long a transaction waits for the write lock in all (the connection's busy timeout), ms. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * BEGIN IMMEDIATE, and a write outside a transaction, without putting the event loop to sleep. Another
 * connection to the same file (the pre-send check's log worker, engine/check-log.ts, which also
 * checkpoints the log) may hold the write lock; SQLite's busy handler then sleeps the calling thread 1, 2,
 * 5, 10, 15, 20, 25 … ms between tries, and on the main thread every check waiting behind it slept too
 * (waits of 50–230 ms measured in a mass incident, while the lock was held for about a millisecond). Here
 * the statement is tried with no busy timeout and, while the lock is taken, tried again on the next turns
 * of the event loop (then every millisecond), so checks run in between; after `BUSY_TIMEOUT_MS` it fails
 * with SQLITE_BUSY as before. The driver's own lock keeps the connection to this statement meanwhile, so
 * no other statement runs with the busy timeout off. A PRAGMA takes effect when prepared, so each is run
 * by `exec` (no statement object, no result rows: about 1 µs).
 */
export function yieldOnBusy(driver: Driver, sqlite: Database.Database): Driver {
  driver.beginTransaction = async () => {
    await untilFree(sqlite, () => sqlite.exec('BEGIN IMMEDIATE'));
  };
  // A statement that writes outside a transaction takes the write lock as it runs: the same wait, the
  // same way (notice claims, outbox marks and webhook bookkeeping run so on the main connection).
  const acquire = driver.acquireConnection.bind(driver);
  const wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();
  driver.acquireConnection = async () => {
    const c = await acquire();
    let w = wrapped.get(c);
    if (!w) {
      const run = c.executeQuery.bind(c) as <R>(q: CompiledQuery) => Promise<QueryResult<R>>;
      w = Object.create(c) as DatabaseConnection;
      w.executeQuery = <R>(q: CompiledQuery) =>
        !sqlite.inTransaction && WRITE.test(q.sql) ? untilFree(sqlite, () => run<R>(q)) : run<R>(q);
      wrapped.set(c, w);
    }
    return w;
  };
  return driver;
}

/** A statement that writes (one outside a transaction takes the write lock itself). */
export const WRITE = /^\s*(insert|update|delete|replace)\b/i;

/**
 * Runs `attempt` with the busy timeout off: while another connection holds the write lock it is tried
 * again on the next turns of the event loop (then every millisecond) until `BUSY_TIMEOUT_MS`, and the
 * timeout is restored after. SQLITE_BUSY comes before a statement changes anything (the write lock is
 * taken first), so trying again is safe.
 */
async function untilFree<T>(sqlite: Database.Database, attempt: () => T | Promise<T>): Promise<T> {
  const t0 = performance.now();
  sqlite.exec('PRAGMA busy_timeout = 0');
  try {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        if (
          !String((e as { code?: unknown }).code).startsWith('SQLITE_BUSY') ||
          performance.now() - t0 > BUSY_TIMEOUT_MS
        )
          throw e;
      }
      await new Promise<void>((r) => (n < 3 ? setImmediate(r) : setTimeout(r, 1)));
    }
  } finally {
    sqlite.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}
