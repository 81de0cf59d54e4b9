import { z } from 'zod';
import type { Tx } from '../../store/db.ts';
import { responseStore as q } from '../store.ts';
import { localize } from '../texts.ts';
import type { DecisionInput, SentMessage } from '../types.ts';
import { defineAction } from './action.ts';

/** Records the retraction of the messages not yet retracted; returns those. */
async function retractInTx(
  tx: Tx,
  account: string,
  messages: SentMessage[],
  decisionOf: (m: SentMessage) => string,
  t: number,
): Promise<SentMessage[]> {
  const done = new Set(
    (
      await q.retractedIds(
        tx,
        messages.map((m) => m.id),
      )
    ).map((r) => r.message_id),
  );
  const todo = messages.filter((m) => !done.has(m.id));
  await q.insertRetractions(
    tx,
    todo.map((m) => ({
      message_id: m.id,
      account,
      session: m.session ?? null,
      decision_id: decisionOf(m),
      recipients: JSON.stringify(m.recipients.slice(0, 1000)),
      retracted_at: t,
    })),
  );
  await q.retractHolds(
    tx,
    todo.map((m) => m.id),
    t,
  );
  return todo;
}

/** Takes back what the intruder sent: every message of its session, or since the compromise began. */
export const retractMessages = defineAction({
  kind: 'retract_messages',
  params: z.strictObject({ scope: z.enum(['session', 'since_compromise']).default('session') }),
  async plan(ctx, d, params) {
    const t = ctx.now();
    const { since, messages } = await ctx.intruderMessages(d, params.scope);
    const name = await ctx.displayName(d.account);
    const notice = localize('messageRetracted', { name });
    return {
      detail: {
        scope: params.scope,
        since,
        messages: messages.length,
        messageIds: messages.slice(0, 50).map((m) => m.id),
      },
      apply: async (tx) => {
        const todo = await retractInTx(tx, d.account, messages, () => d.id, t);
        for (const m of todo) {
          await ctx.deps.delivery.enqueueInTx(tx, {
            type: 'message.retract',
            account: d.account,
            payload: {
              message: m.id,
              account: d.account,
              recipients: m.recipients,
              group: m.group ?? null,
              decision: d.id,
              notice,
            },
          });
        }
      },
    };
  },
  // A contained account's later messages: everything its sessions sent that is not yet retracted, in
  // one webhook naming every message (and its recipients) and every decision.
  async planBatch(ctx, ds, params) {
    const t = ctx.now();
    const lead = ds[0]!;
    const bySession = new Map<string, DecisionInput>();
    for (const d of ds) {
      const k = params.scope === 'session' ? (d.session ?? '') : '';
      const prev = bySession.get(k);
      if (!prev || d.time > prev.time) bySession.set(k, d);
    }
    const found = new Map<string, SentMessage>();
    let since = Infinity;
    for (const d of bySession.values()) {
      const r = await ctx.intruderMessages(d, params.scope);
      since = Math.min(since, r.since);
      for (const m of r.messages) found.set(m.id, m);
    }
    const messages = [...found.values()];
    const own = new Map(ds.map((d) => [d.messageId ?? d.eventId, d.id]));
    const name = await ctx.displayName(lead.account);
    const notice = localize('messageRetracted', { name });
    return {
      detail: {
        scope: params.scope,
        since,
        messages: messages.length,
        messageIds: messages.slice(0, 50).map((m) => m.id),
      },
      memberDetail: { scope: params.scope, since, messages: 0, messageIds: [] },
      apply: async (tx) => {
        const todo = await retractInTx(tx, lead.account, messages, (m) => own.get(m.id) ?? lead.id, t);
        if (todo.length === 0) return;
        await ctx.deps.delivery.enqueueInTx(tx, {
          type: 'message.retract',
          account: lead.account,
          payload: {
            // the first message, for receivers that read one; `messages` names them all
            message: todo[0]!.id,
            messages: todo.map((m) => ({ id: m.id, recipients: m.recipients, group: m.group ?? null })),
            account: lead.account,
            recipients: [...new Set(todo.flatMap((m) => m.recipients))],
            group: todo[0]!.group ?? null,
            decision: lead.id,
            decisions: ds.map((d) => d.id),
            notice,
          },
        });
      },
    };
  },
});
