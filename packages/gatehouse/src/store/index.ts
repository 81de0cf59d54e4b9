import { sql, type DatabaseIntrospector } from 'kysely';
import { Migrator } from 'kysely/migration';
import { auditMigrations } from '../audit/schema.ts';
import { busMigrations } from '../bus/schema.ts';
import { contentMigrations } from '../content/schema.ts';
import { identityMigrations } from '../identity/schema.ts';
import { incidentMigrations } from '../incidents/schema.ts';
import { keysMigrations } from '../keys/schema.ts';
import { recoveryMigrations } from '../recovery/schema.ts';
import { responseMigrations } from '../response/schema.ts';
import { webhooksMigrations } from '../webhooks/schema.ts';
import { engineMigrations } from '../engine/schema.ts';
import { notifyMigrations } from '../notify/schema.ts';
import { oauthMigrations } from '../oauth/schema.ts';
import { rateLimitMigrations } from '../ratelimit/schema.ts';
import { consoleMigrations } from '../console/schema.ts';
import { clusterMigrations } from '../cluster/schema.ts';
import { PartsMigrationProvider, type PartMigrations } from './migrations.ts';
import type { Db, Store } from './db.ts';

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
  engineMigrations,
  recoveryMigrations,
  notifyMigrations,
  oauthMigrations,
  rateLimitMigrations,
  consoleMigrations,
  clusterMigrations,
];

export interface MigrationReport {
  applied: string[];
  total: number;
}

/**
 * The migrator, with its bookkeeping tables in the connection's own schema on PostgreSQL (without it,
 * Kysely may find another schema's migration tables on the same server and not create its own).
 */
export async function migratorFor(store: Store): Promise<Migrator> {
  let migrationTableSchema: string | undefined;
  if (store.dialect === 'postgres') {
    const r = await sql<{ s: string }>`select current_schema() as s`.execute(store.db);
    migrationTableSchema = r.rows[0]?.s;
  }
  return new Migrator({
    db: migrationTableSchema ? ownSchemaOnly(store.db, migrationTableSchema) : store.db,
    provider: new PartsMigrationProvider(store.dialect, MIGRATIONS),
    // parts add migrations independently: a newer part's lower-numbered migration still applies
    allowUnorderedMigrations: true,
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
}

/**
 * The store as the migrator sees it on PostgreSQL: its introspector lists only the own schema's tables.
 * Kysely's migrator asks whether its bookkeeping tables exist by listing every column of every table of
 * every schema on the server, on each migrate and each readiness check: seconds per call on a server
 * that holds many schemas (a test server: over ten seconds with a hundred), and an error when another
 * schema is dropped meanwhile.
 */
function ownSchemaOnly(db: Db, schema: string): Db {
  const introspection: DatabaseIntrospector = {
    getSchemas: async () => [{ name: schema }],
    getTables: async () => {
      const r = await sql<{ name: string; kind: string }>`
        select c.relname as name, c.relkind as kind from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'v', 'p', 'f')`.execute(db);
      return r.rows.map((t) => ({
        name: t.name,
        schema,
        isView: t.kind === 'v',
        isForeign: t.kind === 'f',
        columns: [],
      }));
    },
  };
  return new Proxy(db, {
    get(target, p) {
      if (p === 'introspection') return introspection;
      const v: unknown = Reflect.get(target, p, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Applies pending migrations. Throws with the failing migration's name. */
export async function migrate(store: Store): Promise<MigrationReport> {
  const migrator = await migratorFor(store);
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
  const migrator = await migratorFor(store);
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** The database's readiness (for /readyz): it answers, and every migration has run. */
export async function storeReadyCheck(store: Store): Promise<{ ok: boolean; [k: string]: unknown }> {
  await store.ping();
  // cheap on a shared server too: the migrator looks at its own schema only (ownSchemaOnly)
  const pending = (await pendingMigrations(store)).length;
  return { ok: pending === 0, dialect: store.dialect, pendingMigrations: pending };
}
