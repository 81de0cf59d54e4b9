/**
 * A message the pre-send check stopped (block or contain) that the platform delivered all the same: the
 * check's answer came after the platform's timeout, so it failed open and reported the message through
 * `POST /v1/events` with the same id (docs/integrating.md, "Timeouts and fail-open"). That report is not
 * a mere duplicate: the message reached its recipients, while the log says the check stopped it — and a
 * stopped message is never retracted nor its recipients warned. So the report is appended once more, as
 * `delivered:<id>` (its payload naming the platform's message id, `messageId`), in the same
 * transaction: the consumer (or an engine worker) judges it as a delivered message — on a contained
 * account `contain`, whose response retracts it and warns its recipients; otherwise a later containment
 * retracts it with the session's other messages — and the message log counts it as delivered once (the
 * check's own row stays stopped). The engine judges the copy from the account's windows as the check
 * left them (`pipeline.ts`): the message is not counted twice, nor its risk weighed twice. A second
 * report of the same message adds nothing (the id is taken).
 * Should the report reach the log before the check's own record (its group commit was slow), the check's
 * decision is written without `checked` (persist.ts `writeCheckBatch`): the message is delivered there too.
 */
import type { MessageSentEvent } from '@gatehouse/sdk';
import type { Dialect, Tx } from '../store/db.ts';
import { engineStore, type NewEvent } from './store.ts';
import { DELIVERED_PREFIX } from './types.ts';

/** Appends the reported messages among `rows` (not `inserted`: already logged) that the check had stopped. */
export async function appendLateDeliveries(
  tx: Tx,
  rows: readonly NewEvent[],
  inserted: ReadonlySet<string>,
  now: number,
  dialect: Dialect | undefined,
): Promise<number> {
  const again = rows.filter((r) => r.type === 'message.sent' && !inserted.has(r.id)).map((r) => r.id);
  if (again.length === 0) return 0;
  const late: NewEvent[] = [];
  for (let i = 0; i < again.length; i += 500)
    for (const r of await engineStore.stoppedChecks(tx, again.slice(i, i + 500))) {
      const ev = JSON.parse(r.payload) as MessageSentEvent;
      const id = `${DELIVERED_PREFIX}${r.id}`;
      late.push({
        id,
        type: 'message.sent',
        account: r.account,
        time: r.time,
        received_at: now,
        origin: 'api',
        payload: JSON.stringify({ ...ev, id, messageId: ev.messageId ?? ev.id }),
      });
    }
  if (late.length === 0) return 0;
  return (await engineStore.append(tx, late, dialect)).size;
}
