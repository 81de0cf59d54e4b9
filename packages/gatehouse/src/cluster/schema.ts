import type { AnyDb, PartMigrations } from '../store/migrations.ts';

/** One partition's engine state as of a stream position (written by its owner, read by the next one). */
export interface ClusterSnapshotsTable {
  partition: number;
  /** The last stream sequence number the state includes. */
  position: number;
  /** Revision of the lease under which it was written (a stale owner never overwrites a newer one). */
  lease_rev: number;
  /** JSON: ids after `position` that the state already includes (pre-send checks applied live). */
  applied: string;
  /** Base64 of the gzip'd snapshot records (engine/snapshot.ts), one JSON record per line. */
  data: string;
  taken_at: number;
  /** The last stream sequence of the fingerprint sightings (`<name>.fp`) the state includes. */
  fp_position: number;
}

/** How far the relay has published the event log onto the stream. */
export interface ClusterRelayTable {
  name: string;
  position: number;
}

export interface ClusterTables {
  cluster_snapshots: ClusterSnapshotsTable;
  cluster_relay: ClusterRelayTable;
}

export const clusterMigrations: PartMigrations = {
  '1600_cluster': () => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('cluster_snapshots')
        .addColumn('partition', 'integer', (c) => c.primaryKey())
        .addColumn('position', 'bigint', (c) => c.notNull())
        .addColumn('lease_rev', 'bigint', (c) => c.notNull())
        .addColumn('applied', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('taken_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('cluster_relay')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('position', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('cluster_relay').execute();
      await db.schema.dropTable('cluster_snapshots').execute();
    },
  }),
  '1601_cluster_sightings': () => ({
    async up(db: AnyDb) {
      await db.schema
        .alterTable('cluster_snapshots')
        .addColumn('fp_position', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.alterTable('cluster_snapshots').dropColumn('fp_position').execute();
    },
  }),
};
