import type { Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';
import type { Dialect } from './db.ts';

/** A part's migrations: name → builder. Names sort in application order ("0001_identity", …). */
export type PartMigrations = Record<string, (dialect: Dialect) => Migration>;

/** Dialect-specific column type for an auto-incrementing 64-bit sequence primary key. */
export function seqColumn(dialect: Dialect): 'integer' | 'bigserial' {
  return dialect === 'sqlite' ? 'integer' : 'bigserial';
}

export class PartsMigrationProvider implements MigrationProvider {
  private readonly parts: PartMigrations[];
  private readonly dialect: Dialect;
  constructor(dialect: Dialect, parts: PartMigrations[]) {
    this.dialect = dialect;
    this.parts = parts;
  }
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const part of this.parts) {
      for (const [name, build] of Object.entries(part)) {
        if (out[name]) throw new Error(`duplicate migration name ${name}`);
        out[name] = build(this.dialect);
      }
    }
    return out;
  }
}

export type AnyDb = Kysely<unknown>;
