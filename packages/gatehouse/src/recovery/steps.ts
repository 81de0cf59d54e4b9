import { GatehouseError } from '../errors/index.ts';
import { revertSecondFactors, type RequestContext } from '../identity/index.ts';
import { requireContainment } from './cases.ts';
import { accountActor, APPELLANT, wrongState, type CaseView, type RecoveryContext } from './context.ts';
import { CURRENT_PLEDGE } from './pledge.ts';
import { buildReport, type OwnerReport } from './report.ts';
import { planRestore, RESTORE_EVENT_TYPES, type RestorePlan } from './restore.ts';
import type { RecoveryCasesTable } from './schema.ts';
import { recoveryStore as q } from './store.ts';

/**
 * The steps after verification: pledge, new password, session review, finish. Password and finish run
 * only while the account is still in the freeze the case was opened for, checked inside their own
 * transaction; a case verified by friends alone waits out its delay before the pledge.
 */

export interface ReviewSession {
  id: string;
  method: string;
  /** The device, as in the sign-in part's session lists. */
  device: { label: string; browser?: string; os?: string; deviceType?: string };
  ip: string;
  createdAt: number;
  live: boolean;
  duringCompromise: boolean;
  revokedReason: string | null;
}

/** Every step answers the same shape: the case (with what to do next) and the step's own members. */
export type StepAnswer<T extends object = object> = { case: CaseView } & T;

export async function acceptPledge(
  x: RecoveryContext,
  c: RecoveryCasesTable,
  version: string,
  ctx: RequestContext,
): Promise<StepAnswer> {
  x.requireState(c, ['verified']);
  const t = x.now();
  if (c.ready_at !== null && c.ready_at > t) {
    const retryAfterSeconds = Math.ceil((c.ready_at - t) / 1000);
    throw new GatehouseError(
      'RECOVERY_WAITING',
      `The appeal goes on at ${new Date(c.ready_at).toISOString()}`,
      {
        headers: { 'retry-after': String(retryAfterSeconds) },
        extra: { readyAt: c.ready_at, retryAfterSeconds },
      },
    );
  }
  if (version !== CURRENT_PLEDGE.version)
    throw new GatehouseError('RECOVERY_PLEDGE_OUTDATED', undefined, {
      extra: { current: CURRENT_PLEDGE.version },
    });
  await x.tx(async (tx) => {
    if (
      !(await q.transition(tx, c.id, ['verified'], {
        state: 'pledged',
        pledge_version: version,
        pledged_at: t,
        pledge_ip: ctx.ip,
        updated_at: t,
      }))
    )
      throw wrongState((await q.caseById(tx, c.id))!, ['verified']);
    await x.record(tx, c, APPELLANT, 'pledged', { version, ip: ctx.ip });
  });
  return { case: await x.view(await x.mustCase(c.id)) };
}

/** The forced new password: the strength rules (breached list included), and not the old one. */
export async function changePassword(
  x: RecoveryContext,
  c: RecoveryCasesTable,
  password: string,
  ctx: RequestContext,
): Promise<StepAnswer<{ revokedSessions: number }>> {
  x.requireState(c, ['pledged']);
  await x.limit([{ key: `recovery|password|case|${c.id}`, limit: x.opts.attemptsPerIp }]);
  const t = x.now();
  const r = await x.identity.resetPassword(c.account_id, password, {
    actor: accountActor(c.account_id),
    also: async (tx) => {
      await requireContainment(x, c, tx);
      if (!(await q.transition(tx, c.id, ['pledged'], { password_changed_at: t, updated_at: t })))
        throw wrongState((await q.caseById(tx, c.id))!, ['pledged']);
      await x.record(tx, c, APPELLANT, 'password_changed', { ip: ctx.ip });
    },
  });
  x.deps.onCommit?.();
  return { case: await x.view(await x.mustCase(c.id)), revokedSessions: r.revoked };
}

/** Sessions (and app grants, where the OAuth part is wired) for the owner to keep or revoke. */
export async function sessionsForReview(x: RecoveryContext, c: RecoveryCasesTable) {
  x.requireState(c, ['pledged']);
  const rows = await x.identity.sessionsForReview(c.account_id, c.window_start, c.window_end);
  const sessions: ReviewSession[] = rows.map((s) => ({
    id: s.id,
    method: s.method,
    device: s.device,
    ip: s.ip,
    createdAt: s.createdAt,
    live: s.revokedAt === null,
    duringCompromise: s.createdAt >= c.window_start && s.createdAt <= c.window_end,
    revokedReason: s.revokedReason,
  }));
  const grants = x.deps.grants
    ? await x.deps.grants.list(c.account_id, { start: c.window_start, end: c.window_end })
    : null;
  return {
    sessions,
    grants,
    mustRevoke: sessions.filter((s) => s.live && s.duringCompromise).map((s) => s.id),
  };
}

/**
 * The owner keeps or revokes every live session. A session that already ended (the intruder's, at the
 * freeze) may be named under `revoke`: it stays ended. The refusal names each session that is the cause.
 */
export async function reviewSessions(
  x: RecoveryContext,
  c: RecoveryCasesTable,
  decision: { keep: string[]; revoke: string[]; keepGrants?: string[]; revokeGrants?: string[] },
  ctx: RequestContext,
): Promise<StepAnswer> {
  x.requireState(c, ['pledged']);
  if (c.password_changed_at === null)
    throw new GatehouseError('RECOVERY_STEP_INCOMPLETE', 'Set a new password first', {
      extra: { missing: ['password'] },
    });
  const review = await sessionsForReview(x, c);
  const live = review.sessions.filter((s) => s.live);
  const ended = new Set(review.sessions.filter((s) => !s.live).map((s) => s.id));
  const keep = new Set(decision.keep);
  const revoke = new Set(decision.revoke);
  const undecided = live.filter((s) => !keep.has(s.id) && !revoke.has(s.id)).map((s) => s.id);
  const unknown = [...keep, ...revoke].filter(
    (id) => !live.some((s) => s.id === id) && !(revoke.has(id) && ended.has(id)),
  );
  const both = [...keep].filter((id) => revoke.has(id));
  const forced = [...keep].filter((id) => review.mustRevoke.includes(id));
  const grants = review.grants ?? [];
  const keepG = new Set(decision.keepGrants ?? []);
  const revokeG = new Set(decision.revokeGrants ?? []);
  const undecidedGrants = grants.filter((g) => !keepG.has(g.id) && !revokeG.has(g.id)).map((g) => g.id);
  if (undecided.length || unknown.length || both.length || forced.length || undecidedGrants.length) {
    const describe = (id: string) => {
      const s = review.sessions.find((r) => r.id === id);
      return s ? `${id} (${s.device.label}, ${s.ip})` : id;
    };
    const parts = [
      ...(undecided.length ? [`not decided: ${undecided.map(describe).join(', ')}`] : []),
      ...(unknown.length ? [`not a session of this account: ${unknown.join(', ')}`] : []),
      ...(both.length ? [`both kept and revoked: ${both.join(', ')}`] : []),
      ...(forced.length ? [`from the compromise, must be revoked: ${forced.map(describe).join(', ')}`] : []),
      ...(undecidedGrants.length ? [`app grants not decided: ${undecidedGrants.join(', ')}`] : []),
    ];
    throw new GatehouseError('RECOVERY_SESSIONS_UNDECIDED', parts.join('; '), {
      extra: { undecided, unknown, both, mustRevoke: forced, undecidedGrants },
    });
  }
  const alreadyEnded = [...revoke].filter((id) => ended.has(id));
  for (const id of revoke)
    if (!ended.has(id)) await x.identity.revokeSession(c.account_id, id, 'user', accountActor(c.account_id));
  for (const id of revokeG) await x.deps.grants?.revoke(c.account_id, id);
  const t = x.now();
  await x.tx(async (tx) => {
    if (!(await q.transition(tx, c.id, ['pledged'], { sessions_reviewed_at: t, updated_at: t })))
      throw wrongState((await q.caseById(tx, c.id))!, ['pledged']);
    await x.record(tx, c, APPELLANT, 'sessions_reviewed', {
      kept: [...keep],
      revoked: [...revoke].filter((id) => !ended.has(id)),
      ...(alreadyEnded.length ? { alreadyEnded } : {}),
      endedDuringCompromise: review.sessions.filter((s) => s.duringCompromise).map((s) => s.id),
      grantsKept: [...keepG],
      grantsRevoked: [...revokeG],
      grantsAvailable: review.grants !== null,
      ip: ctx.ip,
    });
  });
  return { case: await x.view(await x.mustCase(c.id)) };
}

/**
 * Unfreezes the account and closes the case as restored, in one transaction with the restore instruction
 * to the platform (account.restore webhook) worked out from the account's events in the window, and the
 * revert of recovery-factor changes made inside the window. Every other open case of the account closes.
 */
export async function finish(
  x: RecoveryContext,
  c: RecoveryCasesTable,
  ctx: RequestContext,
): Promise<StepAnswer<{ report: OwnerReport }>> {
  x.requireState(c, ['pledged']);
  const missing = [
    ...(c.password_changed_at === null ? ['password'] : []),
    ...(c.sessions_reviewed_at === null ? ['sessions'] : []),
  ];
  if (missing.length)
    throw new GatehouseError('RECOVERY_STEP_INCOMPLETE', `Still to do: ${missing.join(', ')}`, {
      extra: { missing },
    });
  await requireContainment(x, c);
  const events = await x.deps.eventLog?.between(c.account_id, c.window_start, c.window_end, {
    types: RESTORE_EVENT_TYPES,
  });
  const plan: RestorePlan | null = events ? planRestore(events) : null;
  const needed = plan !== null && plan.friends.length + plan.groups.length + plan.profile.length > 0;
  // the sessions the owner named as not theirs at the review: what they removed comes back
  const reviewed = await x.caseStep(c.id, 'sessions_reviewed');
  const intruderSessions = [reviewed?.revoked, reviewed?.alreadyEnded].flatMap((l) =>
    Array.isArray(l) ? l.filter((id): id is string => typeof id === 'string') : [],
  );
  const t = x.now();
  await x.identity.unfreeze(
    c.account_id,
    `appeal ${c.id} restored`,
    accountActor(c.account_id),
    async (tx, changed) => {
      if (!changed) await requireContainment(x, c, tx);
      let sent = false;
      // The platform froze the account on Gatehouse's word (account.frozen); it is told to unfreeze it
      // first, then what to restore (webhooks about one account are delivered in order).
      await x.deps.enqueueWebhook?.(tx, {
        type: 'account.unfrozen',
        account: c.account_id,
        payload: {
          account: c.account_id,
          by: 'owner',
          case: c.id,
          reason: 'appeal restored',
          notice: {
            en: 'Your account is yours again. Read what happened while it was out of your hands, and follow the advice at the end.',
            zh: '您的账号已恢复。请阅读账号失控期间发生的情况，并按报告末尾的建议操作。',
          },
        },
      });
      if (needed && x.deps.enqueueWebhook) {
        await x.deps.enqueueWebhook(tx, {
          type: 'account.restore',
          account: c.account_id,
          payload: {
            case: c.id,
            account: c.account_id,
            window: { start: c.window_start, end: c.window_end },
            friends: plan.friends,
            groups: plan.groups,
            profile: plan.profile,
          },
        });
        sent = true;
      }
      // recovery settings and sign-in factors changed inside a known window are the intruder's: undone
      // (a passkey the intruder registered would sign it straight back in)
      const factorsReverted =
        c.window_basis === 'default'
          ? null
          : await q.revertFactors(tx, c.account_id, c.window_start, c.window_end, t);
      const signInFactors =
        c.window_basis === 'default'
          ? null
          : await revertSecondFactors(
              tx,
              c.account_id,
              { from: c.window_start, to: c.window_end, caseId: c.id, intruderSessions },
              t,
            );
      const restore = plan ? { ...plan, sent: sent || !needed } : null;
      if (
        !(await q.transition(tx, c.id, ['pledged'], {
          state: 'restored',
          restore: JSON.stringify(restore),
          closed_at: t,
          updated_at: t,
        }))
      )
        throw wrongState((await q.caseById(tx, c.id))!, ['pledged']);
      await x.record(tx, c, APPELLANT, 'restore', {
        plan,
        sent: restore?.sent ?? false,
        factorsReverted,
        signInFactors,
        ...(plan === null ? { why: 'event log not available' } : {}),
        ...(needed && !sent ? { why: 'webhook delivery not available' } : {}),
      });
      await x.record(tx, c, APPELLANT, 'restored', { ip: ctx.ip });
    },
  );
  x.deps.onCommit?.();
  const done = await x.mustCase(c.id);
  return { case: await x.view(done), report: await buildReport(x, done) };
}
