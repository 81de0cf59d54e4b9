import { isPostgres, type Db, type Tx } from '../store/db.ts';
import { oauthStore as q, type AppRefs } from './store.ts';

/** The app whose rows a write touches: named, or found from a row of it or from a grant's rows. */
export type AppRef = { client: string } | { row: { model: string; id: string } } | { grant: string };

interface Pending {
  run: (tx: Tx) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  app: AppRef | undefined;
}

/**
 * Durable group commit for the provider's writes. Every write waits for its own commit, as before, but
 * the writes that arrive in the same turn of the event loop (many requests' token saves, code
 * consumptions) share one transaction, so one commit (one fsync on SQLite with synchronous=FULL, one
 * round trip on PostgreSQL) serves them all. Nothing is acknowledged before it is committed: a caller's
 * promise settles only after the transaction holding its write has committed.
 *
 * If the shared transaction fails, each write of it is retried alone in its own transaction, so one
 * bad write (a constraint, a hook that throws) fails only its own caller.
 *
 * One transaction at a time: the writes that arrive while one is under way (its statements, its
 * commit, the log's fsync) wait and go together in the next. Started on every turn instead, a token
 * request's three writes met few others (2.6 writes per commit measured at 16 requests in flight), and
 * each transaction's BEGIN and COMMIT cost more CPU than its writes.
 *
 * Lock order (PostgreSQL): a transaction first share-locks the rows of every app its writes touch (one
 * statement, in app id order, `oauthStore.lockAppsForSave`), then writes. The kill switch (killswitch.ts)
 * takes the same app row first (its update) and the app's grants, tokens and codes after, so the two
 * always meet at the app row: one waits for the other, neither holds a row the other needs. Taken
 * lazily at a write's turn instead, the app lock came after rows an earlier write of the batch had
 * locked (a consumed code, a deleted token, the outbox's append lock): a deadlock with the kill switch.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;
  private readonly db: Db;
  /** Commits so far and the writes they carried (for the benchmark's notes and tests). */
  readonly stats = { commits: 0, writes: 0 };

  constructor(db: Db) {
    this.db = db;
  }

  /** Per transaction: the status of each app, read under its lock (see `appStatus`). */
  private readonly statusIn = new WeakMap<Tx, Map<string, Promise<string | undefined>>>();

  /**
   * Runs `fn` inside a transaction shared with the other writes of this turn; settles after the commit.
   * `app`: the app whose grants, tokens or codes `fn` writes or deletes (its lock comes first).
   */
  write<T>(fn: (tx: Tx) => Promise<T>, app?: AppRef): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject, app });
      this.schedule();
    });
  }

  /**
   * An app's status as read in one transaction of this group commit, under the app's lock until the
   * commit (PostgreSQL: taken before the writes for the apps they name; SQLite's write lock is held from
   * `BEGIN IMMEDIATE`), so it cannot change before the transaction ends and every save of the
   * transaction may use it.
   */
  appStatus(tx: Tx, clientId: string): Promise<string | undefined> {
    let m = this.statusIn.get(tx);
    if (!m) this.statusIn.set(tx, (m = new Map()));
    let s = m.get(clientId);
    if (!s) m.set(clientId, (s = q.appStatusForSave(tx, clientId)));
    return s;
  }

  /** The app locks of a transaction's writes, before any of them runs (PostgreSQL; see the class). */
  private async lockApps(tx: Tx, writes: Pending[]): Promise<void> {
    if (!isPostgres(tx)) return;
    const refs: AppRefs = { clients: [], rows: [], grants: [] };
    for (const { app } of writes) {
      if (!app) continue;
      if ('client' in app) refs.clients.push(app.client);
      else if ('row' in app) refs.rows.push(app.row);
      else refs.grants.push(app.grant);
    }
    if (refs.clients.length + refs.rows.length + refs.grants.length === 0) return;
    const m = new Map<string, Promise<string | undefined>>();
    for (const a of await q.lockAppsForSave(tx, refs)) m.set(a.id, Promise.resolve(a.status));
    // a named app that is not there: known absent (no lock to take)
    for (const c of refs.clients) if (!m.has(c)) m.set(c, Promise.resolve(undefined));
    this.statusIn.set(tx, m);
  }

  private run(batch: Pending[]): Promise<unknown[]> {
    return this.db.transaction().execute(async (tx) => {
      await this.lockApps(tx, batch);
      const out: unknown[] = [];
      for (const p of batch) out.push(await p.run(tx));
      return out;
    });
  }

  /** A transaction on the next turn, unless one is under way (its end schedules the next). */
  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.flushing = true;
    try {
      await this.commit(batch);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    let results: unknown[];
    try {
      results = await this.run(batch);
    } catch {
      // nothing of the batch was committed: each write again, alone
      await Promise.all(
        batch.map((p) =>
          this.run([p]).then(([v]) => {
            this.stats.commits++;
            this.stats.writes++;
            p.resolve(v);
          }, p.reject),
        ),
      );
      return;
    }
    this.stats.commits++;
    this.stats.writes += batch.length;
    batch.forEach((p, i) => p.resolve(results[i]));
  }
}
