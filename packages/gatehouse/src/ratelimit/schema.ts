import type { AnyDb, PartMigrations } from '../store/migrations.ts';

/**
 * Shared attempt counters (sign-in, re-authentication, recovery answers and appeals): one row per
 * counter key (a SHA-256 of the logical key, so no handle or address is stored), counted in the database
 * so that every process serving the same database sees the same counts and a concurrent burst is counted
 * before any attempt is evaluated.
 */
export interface RateCountersTable {
  key: string;
  window_start: number;
  count: number;
  last_at: number;
  /** When the row can be pruned (window end plus the longest delay). */
  expires_at: number;
}

export interface RateLimitTables {
  rate_counters: RateCountersTable;
}

export const rateLimitMigrations: PartMigrations = {
  '0600_rate_counters': () => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('rate_counters')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('last_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('rate_counters_expiry').on('rate_counters').column('expires_at').execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('rate_counters').execute();
    },
  }),
};
