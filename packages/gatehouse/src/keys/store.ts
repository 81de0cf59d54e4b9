import type { Db } from '../store/db.ts';
import type { ApiKeysTable } from './schema.ts';

export const keysStore = {
  insert(db: Db, k: ApiKeysTable) {
    return db.insertInto('api_keys').values(k).execute();
  },
  byId(db: Db, id: string) {
    return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  },
  list(db: Db) {
    return db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
  },
  async revoke(db: Db, id: string, now: number): Promise<boolean> {
    const r = await db
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },
  touch(db: Db, id: string, now: number) {
    return db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
  },
};
