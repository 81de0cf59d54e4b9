/**
 * Test-only (PostgreSQL): two transactions interleaved on purpose. A does its work and stays open; B
 * starts and goes as far as it can; a reader runs; then A commits. Used to show that logs read "by seq
 * after the last one read" never let a reader pass a row that commits late.
 */
import { sql } from 'kysely';
import type { Db, Tx } from '../store/index.ts';
import { until } from './receiver.ts';

/** A transaction that does `work` and then stays open until `commit()` is called. */
export function heldTx(db: Db, work: (tx: Tx) => Promise<unknown>) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let worked!: (pid: number) => void;
  const reached = new Promise<number>((r) => (worked = r));
  const done = db.transaction().execute(async (tx) => {
    const r = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
    await work(tx);
    worked(r.rows[0]!.pid);
    await gate;
  });
  done.catch(() => undefined);
  return {
    /** A's backend, once `work` is done (rejects if it failed). */
    ready: Promise.race([reached, done.then(() => 0)]),
    commit: async () => {
      release();
      await done;
    },
  };
}

/**
 * Starts B (`work`, which commits on its own) and resolves once B has either finished or something is
 * waiting for a lock held by A's backend `aPid`: the positive signal that B has gone as far as it can
 * before A commits. Without append-order locks A holds none, so only B's commit ends the wait.
 */
export async function racing(
  db: Db,
  aPid: number,
  work: () => Promise<unknown>,
): Promise<{ done: Promise<void> }> {
  let finished = false;
  const done = work().then(() => {
    finished = true;
  });
  done.catch(() => undefined);
  await until(async () => {
    if (finished) return true;
    const w = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
      where ${aPid}::int = any(pg_blocking_pids(pid))`.execute(db);
    return w.rows[0]!.n > 0;
  }, 'transaction B to commit or to wait for A');
  // wrapped: an async function returning `done` itself would wait for B to commit
  return { done };
}

/** Runs the interleaving: A appends and waits; B races; `between` reads; A commits; B finishes. */
export async function interleave(
  db: Db,
  a: (tx: Tx) => Promise<unknown>,
  b: () => Promise<unknown>,
  between: () => Promise<void>,
): Promise<void> {
  const held = heldTx(db, a);
  try {
    const aPid = await held.ready;
    const raced = await racing(db, aPid, b);
    await between();
    await held.commit();
    await raced.done;
  } finally {
    await held.commit().catch(() => undefined);
  }
}
