import type { MessageSentEvent } from '@gatehouse/sdk';
import { appendAuditInTx } from '../../audit/index.ts';
import { GatehouseError } from '../../errors/index.ts';
import type { Db } from '../../store/db.ts';
import type { SessionsTable } from '../schema.ts';
import { mfaStore as m } from '../mfa/store.ts';
import { sessionView, type Authenticated, type IdentityService, type SessionView } from '../service.ts';
import { identityStore as q } from '../store.ts';

/**
 * Probation sessions: a session from a cross-device approval whose two ends did not look near each other
 * (identity/qr). For its probation (24 h by default) it cannot change the password, recovery factors or
 * second factors, cannot authorise apps, cannot approve other QR logins, and the pre-send check holds its
 * messages to anyone outside the account's close circle (its friends) and to groups. It ends early when
 * the owner confirms it from an older session that is not on probation.
 *
 * The pre-send check is synchronous: it reads an in-memory index of probation sessions, updated at once by
 * this process and re-read from the database every few seconds (other processes' sessions).
 */

const REFRESH_MS = 5_000;

export const PROBATION_REASON = {
  signal: 'probation_session',
  en: 'This session began with a QR approval from another network; for now it may message only friends',
  zh: '此会话来自异地扫码确认，目前只能给好友发消息',
};

export class Probation {
  private readonly db: Db;
  private readonly now: () => number;
  private readonly until = new Map<string, number>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;
  private duringLoad: Map<string, number | null> | undefined;

  constructor(db: Db, now: () => number) {
    this.db = db;
    this.now = now;
  }

  /** Throws SESSION_ON_PROBATION while the session is on probation. */
  assertNot(session: Pick<SessionsTable, 'probation_until'>): void {
    if (session.probation_until !== null && session.probation_until > this.now())
      throw new GatehouseError('SESSION_ON_PROBATION', undefined, {
        extra: {
          probationUntil: session.probation_until,
          zh: '此会话来自异地扫码确认，确认前不能修改凭据、找回方式或授权应用',
        },
      });
  }

  /**
   * Told of every probation this process begins or ends, so the scale-out shape can tell the engine
   * workers that answer the account's checks at once (cluster/); not told of what `apply` loads.
   */
  onChange: ((sessionId: string, until: number | null) => void) | undefined;

  note(sessionId: string, until: number | null): void {
    this.apply(sessionId, until);
    this.onChange?.(sessionId, until);
  }

  /** A probation begun or ended by another process (or by this one: `note`). */
  apply(sessionId: string, until: number | null): void {
    if (until === null) this.until.delete(sessionId);
    else this.until.set(sessionId, until);
    // a re-read in flight may have missed it: it is applied again after the re-read
    this.duringLoad?.set(sessionId, until);
  }

  /** Re-reads the index (all live probation sessions). */
  async refresh(): Promise<void> {
    this.loading ??= (async () => {
      const t = this.now();
      const during = (this.duringLoad = new Map());
      const rows = await m.probationSessions(this.db, t);
      this.until.clear();
      for (const r of rows) this.until.set(r.id, r.probation_until!);
      for (const [id, u] of during) this.apply(id, u);
      this.loadedAt = t;
    })().finally(() => {
      this.loading = undefined;
      this.duringLoad = undefined;
    });
    return this.loading;
  }

  onProbation(sessionId: string, now = this.now()): boolean {
    if (now - this.loadedAt > REFRESH_MS) void this.refresh().catch(() => undefined);
    const u = this.until.get(sessionId);
    return u !== undefined && u > now;
  }

  /**
   * The pre-send check's part: a message from a probation session to a group or to anyone not a friend
   * is held (`isFriend` answers from the engine's view of the account's friendships).
   */
  gate(
    ev: Pick<MessageSentEvent, 'account' | 'session' | 'recipients' | 'group'>,
    now: number,
    isFriend: (account: string, other: string) => boolean,
  ): typeof PROBATION_REASON | undefined {
    if (!ev.session || !this.onProbation(ev.session, now)) return undefined;
    const strangers = ev.group !== undefined || (ev.recipients ?? []).some((r) => !isFriend(ev.account, r));
    return strangers ? PROBATION_REASON : undefined;
  }
}

/**
 * Ends the probation of one of the account's sessions: only from another session, itself not on
 * probation and older than the one it vouches for (the owner's phone, not the newcomer).
 */
export async function confirmSession(
  id: IdentityService,
  auth: Authenticated,
  sessionId: string,
): Promise<SessionView> {
  id.probation.assertNot(auth.session);
  const s = await q.sessionById(id.db, sessionId);
  if (!s || s.account_id !== auth.account.id || s.revoked_at !== null)
    throw new GatehouseError('SESSION_NOT_FOUND');
  if (s.id === auth.session.id || auth.session.created_at >= s.created_at)
    throw new GatehouseError(
      'CHALLENGE_SESSION_TOO_NEW',
      'Confirm a new session from one of your sessions that is older than it',
    );
  const t = id.now();
  await id.tx(async (tx, out) => {
    await m.setProbation(tx, s.id, null, null);
    out.emit({ type: 'session.confirmed', account: auth.account.id, session: s.id, by: auth.session.id });
    await appendAuditInTx(tx, {
      actor: `account:${auth.account.id}`,
      action: 'session.probation_confirmed',
      subject: auth.account.id,
      data: { session: s.id, by: auth.session.id },
      at: t,
    });
  }, t);
  id.probation.note(s.id, null);
  return sessionView({ ...s, probation_until: null, probation_reason: null });
}
