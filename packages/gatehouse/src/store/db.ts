import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Driver,
  type SqliteDialectConfig,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import type { Config } from '../config/index.ts';
import { BUSY_TIMEOUT_MS, WRITE, yieldOnBusy } from './begin.ts';
import { GroupCommitDialect, WalSync } from './group-commit.ts';
import { SqliteLiteralLimitCompiler } from './sqlite-compiler.ts';
import type { DB } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;

export interface Store {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
  ping(): Promise<void>;
  /** SQLite with group commit: the log's fsyncs (tests and metrics). */
  wal?: WalSync;
}

// int8 (bigint) columns hold epoch milliseconds and counters: parse them as numbers, not strings.
pg.types.setTypeParser(20, (v) => Number(v));

export function openStore(
  database: Config['database'],
  opts: { sqliteSynchronous?: 'FULL' | 'NORMAL' } = {},
): Store {
  if (database.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: database.url, max: 10 });
    // A connection the server closed (a restart, a failover, an idle timeout) is dropped from the pool
    // and the next query opens a new one; the query or transaction that was using it fails with the
    // error. Without these listeners its 'error' event ended the process: an idle connection's reaches
    // the pool, a checked-out one's (inside a transaction, between two statements) the client
    // (cluster/restarts.test.ts: every role died when PostgreSQL restarted).
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      close: () => db.destroy(),
      ping: async () => {
        await sql`select 1`.execute(db);
      },
    };
  }
  if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true });
  const sqlite = new Database(database.path);
  sqlite.pragma('journal_mode = WAL');
  // FULL on a file: group commit (store/group-commit.ts) — NORMAL's COMMIT plus an fsync of the log off
  // the event loop before the transaction resolves: FULL's durability without blocking on the disk
  const groupCommit = (opts.sqliteSynchronous ?? 'FULL') === 'FULL' && database.path !== ':memory:';
  sqlite.pragma(`synchronous = ${groupCommit ? 'NORMAL' : (opts.sqliteSynchronous ?? 'FULL')}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const wal = groupCommit ? new WalSync(database.path) : undefined;
  let dialect: SqliteDialect;
  if (wal) {
    const gc: GroupCommitDialect = new GroupCommitDialect(
      { database: withStatementCache(sqlite, () => gc.driver.wrote()) },
      wal,
    );
    yieldOnBusy(gc.driver, sqlite);
    dialect = gc;
  } else dialect = new YieldingSqliteDialect({ database: withStatementCache(sqlite) }, sqlite);
  // LIMIT and OFFSET numbers in the SQL: a bound one made SQLite compile the statement again at each run
  dialect.createQueryCompiler = () => new SqliteLiteralLimitCompiler();
  const db = new Kysely<DB>({ dialect });
  return {
    db,
    dialect: 'sqlite',
    ...(wal ? { wal } : {}),
    close: async () => {
      await db.destroy();
      await wal?.close();
    },
    ping: async () => {
      await sql`select 1`.execute(db);
    },
  };
}

/** SQLite whose transactions wait for the write lock without blocking the event loop (begin.ts). */
class YieldingSqliteDialect extends SqliteDialect {
  private readonly sqlite: Database.Database;
  constructor(config: SqliteDialectConfig, sqlite: Database.Database) {
    super(config);
    this.sqlite = sqlite;
  }
  override createDriver(): Driver {
    return yieldOnBusy(super.createDriver(), this.sqlite);
  }
}

/**
 * Kysely prepares every query anew; preparing costs more than running a small query. Queries are built
 * from a fixed set of shapes, so caching prepared statements by SQL text (bounded) is safe and fast:
 * the driver runs one statement at a time on the single connection.
 */
function withStatementCache(sqlite: Database.Database, onWrite?: () => void, max = 500) {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      // Transactions take the write lock when they begin: a deferred transaction that reads and then
      // writes fails at once with SQLITE_BUSY_SNAPSHOT (the busy timeout does not apply) when another
      // connection (the check-log worker) committed in between. IMMEDIATE waits its turn instead.
      const text = sqlText === 'begin' ? 'begin immediate' : sqlText;
      let st = cache.get(text);
      if (!st) {
        st = sqlite.prepare(text);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(text, st);
      }
      // a COMMIT, or a write outside a transaction, reaches the log now (group commit waits for it); an
      // UPDATE, DELETE or INSERT with RETURNING is a statement that returns rows and writes
      if (
        onWrite &&
        (text === 'commit' ||
          (!sqlite.inTransaction && !TX_CONTROL.test(text) && (!st.reader || WRITE.test(text))))
      )
        onWrite();
      return st;
    },
  };
}

const TX_CONTROL = /^\s*(begin|rollback|savepoint|release)\b/i;

const APPEND_ORDER_LOCK = 721635400;

/**
 * Serialises the appends to ordered logs (audit chain, webhook feed, bus outbox) across concurrent
 * transactions on PostgreSQL: a transaction-scoped advisory lock, held until commit, so sequence numbers
 * are assigned in commit order. One lock for every such log, so transactions that append to several
 * cannot deadlock. Advisory locks are per database, so the lock is keyed by the schema the tables live
 * in: Gatehouse instances in other schemas of the same database do not wait for each other.
 * SQLite needs nothing: it has a single writer.
 */
export async function lockAppendOrder(tx: Tx): Promise<void> {
  if (isPostgres(tx)) {
    await sql`select pg_advisory_xact_lock(${APPEND_ORDER_LOCK}, hashtext(current_schema()))`.execute(tx);
  }
}

/**
 * A failure that running the same transaction again can cure: a PostgreSQL deadlock victim (40P01), a
 * serialization failure (40001), a lock not available (55P03), a key another transaction inserted
 * meanwhile (23505), or SQLite busy.
 */
export function transientDbError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === '40P01' ||
    code === '40001' ||
    code === '55P03' ||
    code === '23505' ||
    (typeof code === 'string' && code.startsWith('SQLITE_BUSY'))
  );
}

/**
 * Runs a transaction again while it fails transiently (`transientDbError`), up to `attempts` tries,
 * waiting a jittered, doubling moment between them (an immediate retry tends to meet the same
 * competing writer in the same embrace). `run` must build everything it writes anew: a rolled-back
 * try leaves nothing behind. `onRetry` hears of each failed try that is run again (logs, counts); `when`
 * narrows what is tried again (`lockConflict`: a change whose unique violation is the answer).
 */
export async function retryTransient<T>(
  run: () => Promise<T>,
  attempts: number,
  onRetry?: (e: unknown, attempt: number) => void,
  when: (e: unknown) => boolean = transientDbError,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if (attempt >= attempts || !when(e)) throw e;
      onRetry?.(e, attempt);
      await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** Math.min(attempt, 6)));
    }
  }
}

/** A deadlock victim or a serialization failure (PostgreSQL 40P01, 40001): the same change may succeed. */
export function lockConflict(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * A failure to reach the database at all: the connection refused, reset or ended (a PostgreSQL restart,
 * 57P01 admin shutdown, 57P03 starting up, 08xxx connection exceptions) or the pool's wait timed out.
 */
export function storeUnreachable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string')
    return (
      code === 'ECONNREFUSED' ||
      code === 'ECONNRESET' ||
      code === 'EPIPE' ||
      code === 'ETIMEDOUT' ||
      code === '57P01' ||
      code === '57P02' ||
      code === '57P03' ||
      code.startsWith('08')
    );
  const message = e instanceof Error ? e.message : '';
  return /^Connection terminated|^timeout exceeded when trying to connect|Client has encountered a connection error/.test(
    message,
  );
}

/** True when the transaction runs on PostgreSQL. */
export function isPostgres(q: Db | Tx): boolean {
  return q.getExecutor().adapter instanceof PostgresAdapter;
}
