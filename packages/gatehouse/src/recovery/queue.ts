import { GatehouseError } from '../errors/index.ts';
import { newId } from '../crypto/index.ts';
import { parseDevice, type AccountView, type RequestContext } from '../identity/index.ts';
import { retryTransient, type Tx } from '../store/db.ts';
import { keyActor, type RecoveryContext } from './context.ts';
import type { RecoveryOperatorAppealsTable } from './schema.ts';
import { recoveryStore as q } from './store.ts';

/**
 * Appeals of a sanction. A sanction is the platform's enforcement, not a takeover, so no recovery
 * code, friend or channel can lift it: the appeal waits in the operators' queue, and an operator
 * approves (the account is unfrozen) or denies it (the sanction stays). Every decision is audited.
 */

export interface OperatorAppealView {
  id: string;
  state: RecoveryOperatorAppealsTable['state'];
  createdAt: number;
  decidedAt: number | null;
  /** What the appellant is told. */
  notice: { en: string; zh: string };
}

export interface QueueItem {
  id: string;
  account: { id: string; handle: string };
  state: RecoveryOperatorAppealsTable['state'];
  freezeReason: string | null;
  frozenAt: number;
  statement: string;
  origin: { ip: string; device: string };
  createdAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  note: string | null;
}

const NOTICE = {
  en: 'This account was frozen by the platform’s safety team. Your appeal is in their queue; you will be told of their decision.',
  zh: '该账号已被平台安全团队冻结。您的申诉已进入人工审核队列，审核结果会通知您。',
};

function view(r: RecoveryOperatorAppealsTable): OperatorAppealView {
  return { id: r.id, state: r.state, createdAt: r.created_at, decidedAt: r.decided_at, notice: NOTICE };
}

/**
 * Queues an appeal of a sanction (one pending appeal per freeze: a repeat gets the pending one). After
 * a denial, the appellant cannot queue another for the same freeze until the cool-down has passed (no
 * endless deny/re-appeal loop flooding the queue); a new freeze starts afresh, and operators, who open
 * cases themselves, are never limited.
 */
export async function openOperatorAppeal(
  x: RecoveryContext,
  account: AccountView,
  ctx: RequestContext,
  statement: string,
): Promise<OperatorAppealView> {
  const freezeAt = account.frozenAt ?? 0;
  // Two appeals at the same moment: the one-pending index refuses the second insert (PostgreSQL), or
  // the single writer orders them (SQLite); either way the loser finds the winner's appeal on its
  // second pass and answers with it.
  return retryTransient(
    () =>
      x.tx(async (tx) => {
        const pending = await q.pendingOperatorAppeal(tx, account.id, freezeAt);
        if (pending) return view(pending);
        const t = x.now();
        const denied = await q.lastDeniedOperatorAppeal(tx, account.id, freezeAt);
        if (denied !== null && t < denied + x.opts.deniedAppealCooldownMs) {
          const retryAt = denied + x.opts.deniedAppealCooldownMs;
          throw new GatehouseError('RECOVERY_APPEAL_RECENTLY_DENIED', undefined, {
            extra: { retryAt },
            headers: { 'retry-after': String(Math.max(1, Math.ceil((retryAt - t) / 1000))) },
          });
        }
        const row: RecoveryOperatorAppealsTable = {
          id: newId('apl'),
          account_id: account.id,
          freeze_at: freezeAt,
          statement: statement.normalize('NFC').slice(0, 2000),
          ip: ctx.ip,
          device: parseDevice(ctx.userAgent).label,
          state: 'pending',
          created_at: t,
          decided_at: null,
          decided_by: null,
          note: null,
        };
        await q.insertOperatorAppeal(tx, row);
        await x.emit(
          tx,
          'recovery.sanction_appeal.queued',
          account.id,
          { appeal: row.id, ip: ctx.ip },
          'appellant',
        );
        return view(row);
      }),
    3,
  );
}

export async function queue(
  x: RecoveryContext,
  f: { state?: RecoveryOperatorAppealsTable['state']; limit: number; before?: number; id?: string },
): Promise<QueueItem[]> {
  return (await q.operatorAppeals(x.db, f)).map((r) => ({
    id: r.id,
    account: { id: r.account_id, handle: r.handle },
    state: r.state,
    freezeReason: r.freeze_reason,
    frozenAt: r.freeze_at,
    statement: r.statement,
    origin: { ip: r.ip, device: r.device },
    createdAt: r.created_at,
    decidedAt: r.decided_at,
    decidedBy: r.decided_by,
    note: r.note,
  }));
}

/** An operator decides: approve unfreezes the account (in the same transaction), deny keeps the sanction. */
export async function decide(
  x: RecoveryContext,
  id: string,
  keyId: string,
  decision: 'approved' | 'denied',
  note: string,
): Promise<QueueItem> {
  const a = await q.operatorAppeal(x.db, id);
  if (!a) throw new GatehouseError('RECOVERY_APPEAL_NOT_FOUND');
  if (a.state !== 'pending')
    throw new GatehouseError('RECOVERY_WRONG_STATE', `The appeal is ${a.state}`, {
      extra: { state: a.state, allowed: ['pending'] },
    });
  const actor = keyActor(keyId);
  const t = x.now();
  const mark = async (tx: Tx) => {
    if (!(await q.decideOperatorAppeal(tx, id, { state: decision, decided_at: t, decided_by: actor, note })))
      throw new GatehouseError('RECOVERY_WRONG_STATE', 'The appeal was decided meanwhile');
    await x.emit(tx, `recovery.sanction_appeal.${decision}`, a.account_id, { appeal: id, note }, actor);
  };
  if (decision === 'approved') {
    await x.identity.unfreeze(a.account_id, `sanction appeal ${id} approved: ${note}`, actor, async (tx) => {
      await mark(tx);
      await x.deps.enqueueWebhook?.(tx, {
        type: 'account.unfrozen',
        account: a.account_id,
        payload: {
          account: a.account_id,
          reason: 'sanction appeal approved',
          by: 'operator',
          case: null,
          notice: {
            en: 'Your appeal was accepted: your account is active again.',
            zh: '您的申诉已通过，账号已恢复正常。',
          },
        },
      });
    });
    x.deps.onCommit?.();
  } else await x.tx(mark);
  return (await queue(x, { limit: 1, id }))[0]!;
}
