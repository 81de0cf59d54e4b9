import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/index.ts';
import type { DB } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;

export interface Store {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
  ping(): Promise<void>;
}

// int8 (bigint) columns hold epoch milliseconds and counters: parse them as numbers, not strings.
pg.types.setTypeParser(20, (v) => Number(v));

export function openStore(
  database: Config['database'],
  opts: { sqliteSynchronous?: 'FULL' | 'NORMAL' } = {},
): Store {
  if (database.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: database.url, max: 10 });
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
  sqlite.pragma(`synchronous = ${opts.sqliteSynchronous ?? 'FULL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    dialect: 'sqlite',
    close: () => db.destroy(),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
  };
}

/**
 * Kysely prepares every query anew; preparing costs more than running a small query. Queries are built
 * from a fixed set of shapes, so caching prepared statements by SQL text (bounded) is safe and fast:
 * the driver runs one statement at a time on the single connection.
 */
function withStatementCache(sqlite: Database.Database, max = 500) {
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
      return st;
    },
  };
}

/**
 * Serialises the appends to ordered logs (audit chain, webhook feed) across concurrent transactions on
 * PostgreSQL: a transaction-scoped advisory lock, held until commit, so sequence numbers are assigned in
 * commit order. One lock for every such log, so transactions that append to several cannot deadlock.
 * SQLite needs nothing: it has a single writer.
 */
export async function lockAppendOrder(tx: Tx): Promise<void> {
  if (isPostgres(tx)) {
    await sql`select pg_advisory_xact_lock(7216354001)`.execute(tx);
  }
}

/** True when the transaction runs on PostgreSQL. */
export function isPostgres(q: Db | Tx): boolean {
  return q.getExecutor().adapter instanceof PostgresAdapter;
}
