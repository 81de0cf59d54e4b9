import type { AnyDb, PartMigrations } from '../store/migrations.ts';

export const ROLES = ['viewer', 'analyst', 'responder', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** An operator of the web console (not a platform account: operators never appear to the engine). */
export interface ConsoleOperatorsTable {
  id: string;
  handle: string;
  password_hash: string;
  role: Role;
  /** The TOTP secret, sealed with the server's secret key (context `operator-totp|<id>`). */
  totp_sealed: string;
  /** The last accepted TOTP time step (a code works once). */
  totp_last_step: number;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
}

/** A console sign-in: the cookie holds the token, the table only its SHA-256 hash. */
export interface ConsoleSessionsTable {
  id: string;
  operator_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  revoked_at: number | null;
  ip: string;
  user_agent: string;
}

export interface ConsoleTables {
  console_operators: ConsoleOperatorsTable;
  console_sessions: ConsoleSessionsTable;
}

export const consoleMigrations: PartMigrations = {
  '1500_console_operators': () => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('console_operators')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('handle', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('totp_sealed', 'text', (c) => c.notNull())
        .addColumn('totp_last_step', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('disabled_at', 'bigint')
        .execute();
      await db.schema
        .createTable('console_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('operator_id', 'text', (c) => c.notNull().references('console_operators.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('user_agent', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('console_sessions_operator')
        .on('console_sessions')
        .columns(['operator_id', 'created_at'])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('console_sessions').execute();
      await db.schema.dropTable('console_operators').execute();
    },
  }),
};
