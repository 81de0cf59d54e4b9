import { newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Tx } from '../store/db.ts';
import { CATALOGUE, isNoticeKind, type NoticeInput } from './catalogue.ts';
import { notifyStore as q } from './store.ts';

/** A function that enqueues a notice inside the caller's transaction (what producers are given). */
export type EnqueueNotice = (tx: Tx, notice: NoticeInput) => Promise<{ id: string; created: boolean }>;

const MAX_RECIPIENTS = 20;

/**
 * Writes a notice to the notify outbox inside the caller's transaction, like webhooks' enqueueInTx: it
 * commits or rolls back with the change that causes it, and once committed the notify dispatcher plans
 * it (language, channels, addresses, hourly limit, coalescing) and delivers it, retrying, even if this
 * process dies first. The parameters are checked against the kind's schema. A notice with the same
 * kind, account and key as one already enqueued is not enqueued again (returns the first one's id).
 * Call the dispatcher's poke() after commit for prompt delivery (otherwise its next poll finds it).
 */
export async function enqueueNoticeInTx(
  tx: Tx,
  notice: NoticeInput,
  at = Date.now(),
): Promise<{ id: string; created: boolean }> {
  if (!isNoticeKind(notice.kind))
    throw new GatehouseError(
      'VALIDATION_FAILED',
      `unknown notice kind "${String(notice.kind).slice(0, 60)}"`,
    );
  const def = CATALOGUE[notice.kind];
  const parsed = def.params.safeParse(notice.params);
  if (!parsed.success)
    throw new GatehouseError('VALIDATION_FAILED', `invalid parameters for notice ${notice.kind}`, {
      extra: { issues: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  if (typeof notice.account !== 'string' || !notice.account || notice.account.length > 200)
    throw new GatehouseError('VALIDATION_FAILED', 'a notice needs the account it is for');
  const to = notice.to?.slice(0, MAX_RECIPIENTS).filter((r) => r.address.length <= 320);
  const key = notice.key ?? newId('k', 12);
  const dedup = `${notice.kind}|${notice.account}|${key}`.slice(0, 500);
  const id = newId('ntf');
  const created = await q.insertNotice(tx, {
    id,
    kind: notice.kind,
    account_id: notice.account,
    dedup_key: dedup,
    params: JSON.stringify(parsed.data),
    recipients: to ? JSON.stringify(to) : null,
    session: notice.session ?? null,
    critical: def.critical ? 1 : 0,
    state: 'new',
    not_before: at,
    lease_until: null,
    planned_at: null,
    counted: 0,
    coalesced_into: null,
    locale: null,
    outcome: null,
    created_at: at,
  });
  if (created) return { id, created };
  const first = await q.noticeByKey(tx, dedup);
  return { id: first?.id ?? id, created: false };
}
