import type { Db } from '../store/db.ts';

/** All cluster SQL: partition snapshots and the relay's position. */
export const clusterStore = {
  async snapshot(db: Db, partition: number) {
    return db
      .selectFrom('cluster_snapshots')
      .selectAll()
      .where('partition', '=', partition)
      .executeTakeFirst();
  },

  /** Writes a partition's snapshot unless one written under a newer lease is there already. */
  async putSnapshot(
    db: Db,
    s: {
      partition: number;
      position: number;
      fpPosition: number;
      leaseRev: number;
      applied: string[];
      data: string;
      at: number;
    },
  ): Promise<boolean> {
    const row = {
      partition: s.partition,
      position: s.position,
      lease_rev: s.leaseRev,
      applied: JSON.stringify(s.applied),
      data: s.data,
      taken_at: s.at,
      fp_position: s.fpPosition,
    };
    const r = await db
      .insertInto('cluster_snapshots')
      .values(row)
      .onConflict((oc) =>
        oc
          .column('partition')
          .doUpdateSet({
            position: row.position,
            lease_rev: row.lease_rev,
            applied: row.applied,
            data: row.data,
            taken_at: row.taken_at,
            fp_position: row.fp_position,
          })
          .where('cluster_snapshots.lease_rev', '<=', row.lease_rev),
      )
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  },

  async relayPosition(db: Db, name: string): Promise<number> {
    const r = await db
      .selectFrom('cluster_relay')
      .select('position')
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(r?.position ?? 0);
  },

  async setRelayPosition(db: Db, name: string, position: number): Promise<void> {
    await db
      .insertInto('cluster_relay')
      .values({ name, position })
      .onConflict((oc) => oc.column('name').doUpdateSet({ position }))
      .execute();
  },
};
