import type { AnyDb, PartMigrations } from '../store/migrations.ts';

/** Every action the response part planned: enforced or dry-run, with what it did or would have done. */
export interface ActionsTable {
  id: string;
  decision_id: string;
  account: string;
  kind: string;
  rule: string;
  mode: string;
  params: string;
  status: string;
  detail: string;
  policy_hash: string;
  created_at: number;
}

export interface HoldsTable {
  message_id: string;
  account: string;
  decision_id: string;
  status: string;
  expires_at: number;
  created_at: number;
  resolved_at: number | null;
}

export interface ThrottlesTable {
  account: string;
  per_minute: number;
  until: number;
  decision_id: string;
  created_at: number;
}

export interface QuarantineTable {
  key: string;
  kind: string;
  decision_id: string;
  expires_at: number;
  created_at: number;
  lifted_at: number | null;
}

export interface ChallengesTable {
  id: string;
  account: string;
  decision_id: string;
  session: string | null;
  status: string;
  reason: string;
  created_at: number;
  expires_at: number;
  answered_at: number | null;
  answered_by_session: string | null;
}

export interface RetractionsTable {
  message_id: string;
  account: string;
  session: string | null;
  decision_id: string;
  recipients: string;
  retracted_at: number;
}

export interface PolicyVersionsTable {
  hash: string;
  version: number;
  text: string;
  first_loaded_at: number;
}

export interface ResponseTables {
  response_actions: ActionsTable;
  holds: HoldsTable;
  throttles: ThrottlesTable;
  quarantine: QuarantineTable;
  challenges: ChallengesTable;
  retractions: RetractionsTable;
  policy_versions: PolicyVersionsTable;
}

export const responseMigrations: PartMigrations = {
  '0300_response': () => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('response_actions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('decision_id', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('policy_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('response_actions_once', ['decision_id', 'kind'])
        .execute();
      await db.schema
        .createIndex('response_actions_account')
        .on('response_actions')
        .columns(['account', 'created_at'])
        .execute();
      await db.schema
        .createTable('holds')
        .addColumn('message_id', 'text', (c) => c.primaryKey())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('decision_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('resolved_at', 'bigint')
        .execute();
      await db.schema.createIndex('holds_account').on('holds').columns(['account', 'status']).execute();
      await db.schema
        .createTable('throttles')
        .addColumn('account', 'text', (c) => c.primaryKey())
        .addColumn('per_minute', 'integer', (c) => c.notNull())
        .addColumn('until', 'bigint', (c) => c.notNull())
        .addColumn('decision_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('quarantine')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('decision_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('lifted_at', 'bigint')
        .execute();
      await db.schema
        .createTable('challenges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('decision_id', 'text', (c) => c.notNull())
        .addColumn('session', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('answered_at', 'bigint')
        .addColumn('answered_by_session', 'text')
        .execute();
      await db.schema
        .createIndex('challenges_account')
        .on('challenges')
        .columns(['account', 'status'])
        .execute();
      await db.schema
        .createTable('retractions')
        .addColumn('message_id', 'text', (c) => c.primaryKey())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('session', 'text')
        .addColumn('decision_id', 'text', (c) => c.notNull())
        .addColumn('recipients', 'text', (c) => c.notNull())
        .addColumn('retracted_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('retractions_account')
        .on('retractions')
        .columns(['account', 'retracted_at'])
        .execute();
      await db.schema
        .createTable('policy_versions')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('first_loaded_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: AnyDb) {
      for (const t of [
        'policy_versions',
        'retractions',
        'challenges',
        'quarantine',
        'throttles',
        'holds',
        'response_actions',
      ])
        await db.schema.dropTable(t).execute();
    },
  }),
};
