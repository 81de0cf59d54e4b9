import { appendAuditInTx } from '../audit/index.ts';
import type { RevokeReason, TxOut } from './core.ts';
import type { SessionsTable } from './schema.ts';
import type { IdentityService } from './service.ts';
import { identityStore as q } from './store.ts';
import { sessionView, type SessionView } from './views.ts';

/** Tells the platform which sessions ended: one by one, or all of the account's at once. */
export function announceRevoked(
  out: TxOut,
  account: string,
  sessions: string[],
  reason: RevokeReason,
  all: boolean,
): void {
  for (const id of sessions) out.emit({ type: 'session.revoked', account, session: id, reason });
  if (all) {
    if (sessions.length) out.webhook('sessions.revoked_all', { account, sessions, reason });
  } else for (const id of sessions) out.webhook('session.revoked', { account, session: id, reason });
}

/**
 * Ends sessions. One by one (`all` false) the platform gets `session.revoked` per session; `all` (every
 * live session of the account) it gets one `sessions.revoked_all`.
 */
export function revokeSessions(
  id: IdentityService,
  accountId: string,
  ids: string[],
  reason: RevokeReason,
  opts: { actor?: string | undefined; all: boolean },
): Promise<string[]> {
  return id.tx(async (tx, out) => {
    const t = id.now();
    const done = await q.revokeSessions(tx, ids, reason, t);
    announceRevoked(out, accountId, done, reason, opts.all);
    if (opts.actor && done.length)
      await appendAuditInTx(tx, {
        actor: opts.actor,
        action: 'session.revoke',
        subject: accountId,
        data: { sessions: done, reason },
        at: t,
      });
    return done;
  });
}

/**
 * Sessions of an account that are live now or were created in [from, to] (live or not), oldest first:
 * what an owner reviews after a compromise.
 */
export async function sessionsForReview(
  id: IdentityService,
  accountId: string,
  from: number,
  to: number,
): Promise<Array<SessionView & { revokedAt: number | null; revokedReason: string | null }>> {
  const t = id.now();
  const byId = new Map<string, SessionsTable>();
  for (const s of await q.sessionsCreatedBetween(id.db, accountId, from, to)) byId.set(s.id, s);
  for (const s of await q.liveSessions(id.db, accountId, t)) byId.set(s.id, s);
  return [...byId.values()]
    .sort((a, b) => a.created_at - b.created_at)
    .map((s) => ({ ...sessionView(s), revokedAt: s.revoked_at, revokedReason: s.revoked_reason }));
}
