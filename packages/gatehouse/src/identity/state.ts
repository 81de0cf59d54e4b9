import { appendAuditInTx } from '../audit/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Tx } from '../store/db.ts';
import type { AccountsTable, FreezeKind } from './schema.ts';
import { announceRevoked } from './revoke.ts';
import type { AccountView, IdentityService } from './service.ts';
import { identityStore as q } from './store.ts';

export interface FreezeOptions {
  /** containment (default: the owner may appeal) or sanction (appeals go to operators). */
  kind?: FreezeKind;
  /** When the compromise began, when the freezer knows it (a containment's window starts there). */
  since?: number;
  /**
   * When the containment was decided (the decision's time), carried by `account.frozen`: the engine marks
   * the victim's contacts from then. Default: the freeze's own time.
   */
  decidedAt?: number;
  /** Runs inside the change's transaction; `changed` is false when the account already was in that state. */
  also?: (tx: Tx, changed: boolean) => Promise<void>;
}

/**
 * Freezes, unfreezes or deletes an account in one transaction with its sessions' end, its events, its
 * platform webhooks, its audit entry, the state hooks (recovery closes cases) and the caller's `also`.
 * Freezing a frozen account changes nothing, except that a sanction overrides a containment.
 */
export async function setState(
  id: IdentityService,
  accountId: string,
  state: AccountsTable['state'],
  reason: string,
  actor = 'system',
  opts: FreezeOptions,
): Promise<AccountView> {
  const t = id.now();
  const kind: FreezeKind = opts.kind ?? 'containment';
  await id.tx(async (tx, out) => {
    // the hooks and the caller's `also` write to other parts' outboxes (appeal cases, notices)
    out.noticed();
    const a = await q.accountById(tx, accountId);
    if (!a) throw new GatehouseError('ACCOUNT_NOT_FOUND');
    if (a.state === 'deleted') throw new GatehouseError('ACCOUNT_DELETED');
    if (a.state === state) {
      const upgrade = state === 'frozen' && kind === 'sanction' && a.freeze_kind !== 'sanction';
      if (upgrade) {
        await q.setFreezeKind(tx, accountId, 'sanction', reason, t);
        await appendAuditInTx(tx, {
          actor,
          action: 'account.freeze',
          subject: accountId,
          data: { reason, kind, was: a.freeze_kind ?? 'containment' },
          at: t,
        });
      }
      await opts.also?.(tx, upgrade);
      if (upgrade)
        for (const hook of id.stateHooks)
          await hook(tx, { account: accountId, from: 'frozen', to: 'frozen', kind, reason, actor, at: t });
      return;
    }
    const frozen = state === 'frozen';
    await q.setState(
      tx,
      accountId,
      state,
      state === 'active' ? null : reason,
      t,
      frozen ? { kind, since: opts.since !== undefined && opts.since <= t ? opts.since : null } : undefined,
    );
    if (frozen || state === 'deleted') {
      const ids = (await q.liveSessions(tx, accountId, t)).map((s) => s.id);
      const why = frozen ? 'frozen' : 'deleted';
      announceRevoked(out, accountId, await q.revokeSessions(tx, ids, why, t), why, true);
    }
    if (frozen)
      out.emit({
        type: 'account.frozen',
        account: accountId,
        reason,
        kind,
        ...(opts.decidedAt !== undefined ? { decidedAt: opts.decidedAt } : {}),
      });
    else if (state === 'active') out.emit({ type: 'account.unfrozen', account: accountId, reason });
    else out.emit({ type: 'account.deleted', account: accountId });
    const action = frozen ? 'freeze' : state === 'active' ? 'unfreeze' : 'delete';
    await appendAuditInTx(tx, {
      actor,
      action: `account.${action}`,
      subject: accountId,
      data: frozen ? { reason, kind } : { reason },
      at: t,
    });
    // the caller's own change first (a case that restores the account closes itself), then the hooks
    await opts.also?.(tx, true);
    for (const hook of id.stateHooks)
      await hook(tx, {
        account: accountId,
        from: a.state,
        to: state,
        kind: frozen ? kind : null,
        reason,
        actor,
        at: t,
      });
  });
  return id.getAccount(accountId);
}
