import type Database from 'better-sqlite3';
import type { Driver } from 'kysely';

/** How long a transaction waits for the write lock in all (the connection's busy timeout), ms. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * BEGIN IMMEDIATE without putting the event loop to sleep. Another connection to the same file (the
 * pre-send check's log worker, engine/check-log.ts) may hold the write lock; SQLite's busy handler then
 * sleeps the calling thread 1, 2, 5, 10, 15, 20, 25 … ms between tries, and on the main thread every
 * check waiting behind it slept too (waits of 50–230 ms measured in a mass incident, while the lock was
 * held for about a millisecond). Here the BEGIN is tried with no busy timeout and, while the lock is
 * taken, tried again on the next turns of the event loop (then every millisecond), so checks run in
 * between; after `BUSY_TIMEOUT_MS` it fails with SQLITE_BUSY as before. The driver's own lock keeps the
 * connection to this transaction meanwhile, so no other statement runs with the busy timeout off.
 *
 * A PRAGMA takes effect when prepared (SQLite runs it while compiling), so each is prepared anew. The
 * timeout's PRAGMA and the BEGIN run in one `exec`, which makes no statement object and no result rows:
 * better-sqlite3's `pragma()` made both, and the two of them cost each transaction about 20 µs (exec of
 * the three statements: about 2 µs).
 */
export function yieldOnBusy(driver: Driver, sqlite: Database.Database): Driver {
  const begin = 'PRAGMA busy_timeout = 0; BEGIN IMMEDIATE';
  const restore = `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`;
  driver.beginTransaction = async () => {
    const t0 = performance.now();
    try {
      for (let n = 0; ; n++) {
        try {
          sqlite.exec(begin);
          return;
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
      sqlite.exec(restore);
    }
  };
  return driver;
}
