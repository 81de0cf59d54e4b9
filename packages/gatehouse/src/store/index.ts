import { Migrator } from 'kysely/migration';
import { auditMigrations } from '../audit/schema.ts';
import { busMigrations } from '../bus/schema.ts';
import { contentMigrations } from '../content/schema.ts';
import { identityMigrations } from '../identity/schema.ts';
import { incidentMigrations } from '../incidents/schema.ts';
import { keysMigrations } from '../keys/schema.ts';
import { responseMigrations } from '../response/schema.ts';
import { webhooksMigrations } from '../webhooks/schema.ts';
import { PartsMigrationProvider, type PartMigrations } from './migrations.ts';
import type { Store } from './db.ts';

export { openStore, lockAppendOrder, isPostgres, type Store, type Db, type Tx, type Dialect } from './db.ts';
export type { DB } from './schema.ts';

/** Every part's migrations, in order. Add a part's migrations here. */
export const MIGRATIONS: PartMigrations[] = [
  busMigrations,
  identityMigrations,
  keysMigrations,
  contentMigrations,
  webhooksMigrations,
  auditMigrations,
  responseMigrations,
  incidentMigrations,
];

export interface MigrationReport {
  applied: string[];
  total: number;
}

/** Applies pending migrations. Throws with the failing migration's name. */
export async function migrate(store: Store): Promise<MigrationReport> {
  const migrator = new Migrator({
    db: store.db,
    provider: new PartsMigrationProvider(store.dialect, MIGRATIONS),
  });
  const { error, results } = await migrator.migrateToLatest();
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (error) {
    const failed = (results ?? []).find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const total = (await migrator.getMigrations()).length;
  return { applied, total };
}

export async function pendingMigrations(store: Store): Promise<string[]> {
  const migrator = new Migrator({
    db: store.db,
    provider: new PartsMigrationProvider(store.dialect, MIGRATIONS),
  });
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}
