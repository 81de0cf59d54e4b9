import { appendAuditInTx } from '../audit/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { rateLimited } from '../ratelimit/index.ts';
import type { Tx } from '../store/db.ts';
import type { RequestContext } from './core.ts';
import type { SessionsTable } from './schema.ts';
import type { Authenticated, IdentityService } from './service.ts';
import { identityStore as q } from './store.ts';

/**
 * Who may do what with a session: holding a session is not being the owner. Changing how the account is
 * recovered needs the password proved within the last few minutes (a password sign-in, or
 * re-authentication: POST /v1/me/reauth); saying "it was me" to a
 * suspicion needs a session older than the suspicious activity, or a second factor or recovery code
 * proved in this session (step-up) after the question was asked.
 */

const DEFAULT_REAUTH_MS = 10 * 60_000;

export async function reauthenticate(
  id: IdentityService,
  auth: Authenticated,
  password: string,
  ctx: RequestContext,
): Promise<{ until: number }> {
  const a = await q.accountById(id.db, auth.account.id);
  if (!a) throw new GatehouseError('ACCOUNT_NOT_FOUND');
  const ticket = await id.guard.reserve({ handleKey: a.handle_key, ip: ctx.ip, accountId: a.id });
  if (!ticket.allowed) throw rateLimited(ticket.retryAfterSeconds);
  if (!(await id.hasher.verify(a.password_hash, password))) throw new GatehouseError('INVALID_CREDENTIALS');
  await id.guard.succeeded(ticket);
  const t = id.now();
  await id.db.transaction().execute(async (tx) => {
    await q.setReauth(tx, auth.session.id, 'reauth_at', t);
    await appendAuditInTx(tx, {
      actor: `account:${a.id}`,
      action: 'session.reauthenticated',
      subject: a.id,
      data: { session: auth.session.id, ip: ctx.ip },
      at: t,
    });
  });
  return { until: t + (id.opts.reauthMs ?? DEFAULT_REAUTH_MS) };
}

export function requireReauth(id: IdentityService, session: SessionsTable): void {
  // a probation session changes nothing about how the account is protected, password or not
  id.probation.assertNot(session);
  const window = id.opts.reauthMs ?? DEFAULT_REAUTH_MS;
  // a password sign-in is a proof of the password too (a session from a QR or device approval is not)
  const signedIn = session.method === 'password' ? session.created_at : 0;
  const last = Math.max(session.reauth_at ?? 0, session.step_up_at ?? 0, signedIn);
  if (last + window > id.now()) return;
  throw new GatehouseError(
    'REAUTH_REQUIRED',
    'Confirm your password first (POST /v1/me/reauth), then repeat this change',
    {
      extra: { reauthPath: '/v1/me/reauth', zh: '请先再次输入密码确认（POST /v1/me/reauth），然后重新操作' },
    },
  );
}

export async function markStepUp(
  id: IdentityService,
  accountId: string,
  sessionId: string,
  method: string,
  tx?: Tx,
): Promise<void> {
  const t = id.now();
  const run = async (x: Tx) => {
    await q.setReauth(x, sessionId, 'step_up_at', t);
    await appendAuditInTx(x, {
      actor: `account:${accountId}`,
      action: 'session.stepped_up',
      subject: accountId,
      data: { session: sessionId, method },
      at: t,
    });
  };
  if (tx) await run(tx);
  else await id.db.transaction().execute(run);
}

export async function assertMayConfirm(
  id: IdentityService,
  sessionId: string,
  opts: { since: number; suspected: readonly string[]; askedAt: number },
): Promise<void> {
  const s = await q.sessionById(id.db, sessionId);
  if (!s) throw new GatehouseError('SESSION_INVALID');
  if (s.step_up_at !== null && s.step_up_at >= opts.askedAt) return;
  const suspected = opts.suspected.includes(s.id);
  if (!suspected && s.created_at < opts.since) return;
  throw new GatehouseError(
    suspected ? 'CHALLENGE_SUSPECTED_SESSION' : 'CHALLENGE_SESSION_TOO_NEW',
    suspected
      ? 'Answer from another of your sessions, not the one under suspicion'
      : 'This session began after the activity in question; answer from a session you had before it, or step up with a recovery code first (POST /v1/me/step-up)',
    {
      extra: {
        sessionCreatedAt: s.created_at,
        activitySince: opts.since,
        stepUpPath: '/v1/me/step-up',
      },
    },
  );
}
