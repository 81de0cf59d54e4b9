import type { Generated } from 'kysely';
import { seqColumn, type AnyDb, type PartMigrations } from '../store/migrations.ts';

/** The event log: every accepted platform / identity event, in acceptance order. */
export interface EventsTable {
  seq: Generated<number>;
  /** Client-chosen event id (the idempotency key). */
  id: string;
  type: string;
  account: string;
  /** Event time (epoch ms). */
  time: number;
  received_at: number;
  /** Where it came from: "api" (POST /v1/events), "check" (pre-send check), "identity" (bus). */
  origin: string;
  /** The parsed event as JSON. */
  payload: string;
}

/** Engine decisions other than `allow`, with their reasons and signals. */
export interface DecisionsTable {
  seq: Generated<number>;
  event_id: string;
  event_type: string;
  account: string;
  session: string | null;
  action: string;
  risk: number;
  logit: number;
  /** JSON: the decision (reasons, signals, campaigns). */
  detail: string;
  time: number;
  created_at: number;
}

export interface EngineTables {
  events: EventsTable;
  engine_decisions: DecisionsTable;
}

export const engineMigrations: PartMigrations = {
  '0500_engine': (dialect) => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('events')
        .addColumn('seq', seqColumn(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_account').on('events').columns(['account', 'seq']).execute();
      await db.schema
        .createTable('engine_decisions')
        .addColumn('seq', seqColumn(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('event_id', 'text', (c) => c.notNull().unique())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('session', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('risk', 'real', (c) => c.notNull())
        .addColumn('logit', 'real', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('engine_decisions_account')
        .on('engine_decisions')
        .columns(['account', 'seq'])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('engine_decisions').execute();
      await db.schema.dropTable('events').execute();
    },
  }),
};
