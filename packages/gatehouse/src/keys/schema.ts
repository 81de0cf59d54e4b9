import type { AnyDb, PartMigrations } from '../store/migrations.ts';

export interface ApiKeysTable {
  id: string;
  name: string;
  key_hash: string;
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface KeysTables {
  api_keys: ApiKeysTable;
}

export const keysMigrations: PartMigrations = {
  '0003_api_keys': () => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('api_keys').execute();
    },
  }),
};
