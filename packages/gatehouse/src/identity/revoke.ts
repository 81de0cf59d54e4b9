import { appendAuditInTx } from '../audit/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { RevokeReason, TxOut } from './core.ts';
import { assertMayEnd, DEFAULT_END_OTHERS_MIN_AGE_MS, endable, keptNotice } from './session-age.ts';
import type { SessionsTable } from './schema.ts';
import type { IdentityService } from './service.ts';
import { networkOf } from './network.ts';
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

/** What ending one's own sessions did: how many ended, and the older ones a new session had to keep. */
export interface EndedOwn {
  revoked: number;
  kept?: number;
  /** When this session may end the kept ones. */
  keptUntil?: number;
  notice?: { en: string; zh: string };
}

const minAge = (id: IdentityService) => id.opts.endOthersMinAgeMs ?? DEFAULT_END_OTHERS_MIN_AGE_MS;

/** What a change that ends the holder's other sessions may end from `current` (`session-age.ts`). */
export function endableFrom(id: IdentityService, current: SessionsTable, others: readonly SessionsTable[]) {
  return endable(current, others, minAge(id), id.now());
}

/** The answer's fields for older sessions kept signed in. */
export function keptFields(kept: number, keptUntil: number | null): Omit<EndedOwn, 'revoked'> {
  return kept > 0 && keptUntil !== null ? { kept, keptUntil, notice: keptNotice(kept, keptUntil) } : {};
}

/**
 * The account's holder ends its other sessions (`others`) or every session, this one too (`all`), under
 * the new-session rule: a session too new ends only itself and sessions that began after it.
 */
export async function endOwnSessions(
  id: IdentityService,
  accountId: string,
  current: SessionsTable,
  scope: 'others' | 'all',
): Promise<EndedOwn> {
  const live = await q.liveSessions(id.db, accountId, id.now());
  const { end, kept, keptUntil } = endableFrom(
    id,
    current,
    live.filter((s) => s.id !== current.id),
  );
  const ids = [...end.map((s) => s.id), ...(scope === 'all' ? [current.id] : [])];
  const done = await revokeSessions(id, accountId, ids, scope === 'all' ? 'everywhere' : 'others', {
    all: scope === 'all' && kept.length === 0,
  });
  return { revoked: done.length, ...keptFields(kept.length, keptUntil) };
}

/** The account's holder ends one of its sessions from `current` (refused for an older one while too new). */
export async function endOwnSession(
  id: IdentityService,
  accountId: string,
  current: SessionsTable,
  targetId: string,
): Promise<void> {
  const target = await q.sessionById(id.db, targetId);
  if (!target || target.account_id !== accountId || target.revoked_at !== null)
    throw new GatehouseError('SESSION_NOT_FOUND');
  assertMayEnd(current, target, minAge(id), id.now());
  await revokeSessions(id, accountId, [targetId], 'user', { all: false });
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

/** How far back the sessions of the intruder's device are looked for (its first sign-in on the account). */
const DEVICE_RUN_MS = 30 * 86_400_000;

const deviceIdOfSession = (s: SessionsTable): string | undefined => {
  try {
    const id = (JSON.parse(s.device) as { id?: unknown }).id;
    return typeof id === 'string' && /^dev_[0-9a-f]{24}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The sessions of the account on the device `sessionId` signed in on, from that device's first sign-in
 * on the account (within 30 days) to this session, oldest first; just this session when its device is
 * unknown. What one intruder's device did on the account, as far as sessions tell.
 */
export async function deviceRunSessions(
  id: IdentityService,
  accountId: string,
  sessionId: string,
): Promise<SessionsTable[]> {
  const s = await q.sessionById(id.db, sessionId);
  if (!s || s.account_id !== accountId) return [];
  const device = deviceIdOfSession(s);
  if (device === undefined) return [s];
  const run = (
    await q.sessionsCreatedBetween(id.db, accountId, s.created_at - DEVICE_RUN_MS, s.created_at)
  ).filter((o) => o.id !== s.id && deviceIdOfSession(o) === device);
  return [...run, s];
}

/**
 * The device and network an intruder's sessions brought to the account, forgotten (see the service's
 * method). `run` is what `deviceRunSessions` found, oldest first, the suspected session last: its device
 * is forgotten whenever it was first seen (the containment suspects it); its network only when first
 * seen at or after the run's first session, so an owner's network the intruder happened to share stays
 * known. Two reads by id (one when the run is one session), then the deletes.
 */
export async function forgetSessionContexts(
  id: IdentityService,
  accountId: string,
  run: readonly string[],
): Promise<{ device: boolean; network: boolean }> {
  const none = { device: false, network: false };
  const lastId = run.at(-1);
  if (lastId === undefined) return none;
  const s = await q.sessionById(id.db, lastId);
  if (!s || s.account_id !== accountId) return none;
  const first = run[0] !== lastId ? await q.sessionById(id.db, run[0]!) : s;
  const since =
    first && first.account_id === accountId ? Math.min(first.created_at, s.created_at) : s.created_at;
  const device = deviceIdOfSession(s);
  return q.forgetContexts(id.db, accountId, {
    ...(device !== undefined ? { devicePrefix: device.slice(4) } : {}),
    network: networkOf(s.ip),
    since,
  });
}
