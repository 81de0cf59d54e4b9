import type { Generated } from 'kysely';
import { seqColumn, type AnyDb, type PartMigrations } from '../store/migrations.ts';

export interface IncidentsTable {
  id: string;
  kind: string;
  title: string;
  status: string;
  /** The campaign or mass-event key the incident tracks (unique: one incident per key). */
  source_key: string;
  opened_at: number;
  updated_at: number;
  closed_at: number | null;
  /** JSON: running counts and content samples. */
  facts: string;
}

export interface IncidentAccountsTable {
  incident_id: string;
  account: string;
  first_seen: number;
}

export interface IncidentTimelineTable {
  seq: Generated<number>;
  incident_id: string;
  at: number;
  kind: string;
  summary: string;
  data: string;
}

export interface IncidentNotesTable {
  id: string;
  incident_id: string;
  author: string;
  text: string;
  at: number;
}

export interface IncidentTables {
  incidents: IncidentsTable;
  incident_accounts: IncidentAccountsTable;
  incident_timeline: IncidentTimelineTable;
  incident_notes: IncidentNotesTable;
}

export const incidentMigrations: PartMigrations = {
  '0400_incidents': (dialect) => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('incidents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('source_key', 'text', (c) => c.notNull().unique())
        .addColumn('opened_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('closed_at', 'bigint')
        .addColumn('facts', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('incident_accounts')
        .addColumn('incident_id', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('incident_accounts_pk', ['incident_id', 'account'])
        .execute();
      await db.schema
        .createIndex('incident_accounts_account')
        .on('incident_accounts')
        .column('account')
        .execute();
      await db.schema
        .createTable('incident_timeline')
        .addColumn('seq', seqColumn(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('incident_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('incident_timeline_incident')
        .on('incident_timeline')
        .columns(['incident_id', 'seq'])
        .execute();
      await db.schema
        .createTable('incident_notes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('incident_id', 'text', (c) => c.notNull())
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: AnyDb) {
      for (const t of ['incident_notes', 'incident_timeline', 'incident_accounts', 'incidents'])
        await db.schema.dropTable(t).execute();
    },
  }),
};
