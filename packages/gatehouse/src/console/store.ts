import type { Db, Tx } from '../store/db.ts';
import type { ConsoleOperatorsTable, ConsoleSessionsTable, Role } from './schema.ts';

type Q = Db | Tx;

export const consoleStore = {
  insertOperator(q: Q, row: ConsoleOperatorsTable) {
    return q.insertInto('console_operators').values(row).execute();
  },
  operatorByHandle(q: Q, handle: string) {
    return q.selectFrom('console_operators').selectAll().where('handle', '=', handle).executeTakeFirst();
  },
  operatorById(q: Q, id: string) {
    return q.selectFrom('console_operators').selectAll().where('id', '=', id).executeTakeFirst();
  },
  operators(q: Q) {
    return q.selectFrom('console_operators').selectAll().orderBy('created_at').execute();
  },
  async setRole(q: Q, id: string, role: Role, now: number): Promise<boolean> {
    const r = await q
      .updateTable('console_operators')
      .set({ role, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
  async disable(q: Q, id: string, now: number): Promise<boolean> {
    const r = await q
      .updateTable('console_operators')
      .set({ disabled_at: now, updated_at: now })
      .where('id', '=', id)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
  /** Accepts a TOTP step only if it is later than the last accepted one (a code counts once, even in a race). */
  async acceptTotpStep(q: Q, id: string, step: number): Promise<boolean> {
    const r = await q
      .updateTable('console_operators')
      .set({ totp_last_step: step })
      .where('id', '=', id)
      .where('totp_last_step', '<', step)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
  insertSession(q: Q, row: ConsoleSessionsTable) {
    return q.insertInto('console_sessions').values(row).execute();
  },
  sessionByHash(q: Q, tokenHash: string) {
    return q
      .selectFrom('console_sessions as s')
      .innerJoin('console_operators as o', 'o.id', 's.operator_id')
      .select([
        's.id as session_id',
        's.expires_at',
        's.revoked_at',
        's.last_seen_at',
        'o.id as operator_id',
        'o.handle',
        'o.role',
        'o.disabled_at',
      ])
      .where('s.token_hash', '=', tokenHash)
      .executeTakeFirst();
  },
  touchSession(q: Q, id: string, now: number) {
    return q.updateTable('console_sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
  },
  revokeSession(q: Q, id: string, now: number) {
    return q
      .updateTable('console_sessions')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
  },
  revokeOperatorSessions(q: Q, operatorId: string, now: number) {
    return q
      .updateTable('console_sessions')
      .set({ revoked_at: now })
      .where('operator_id', '=', operatorId)
      .where('revoked_at', 'is', null)
      .execute();
  },
};
