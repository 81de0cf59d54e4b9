import { z } from 'zod';
import { localize } from '../texts.ts';
import { defineAction } from './action.ts';

/** Warns everyone the intruder wrote to (people and groups) not to trust those messages. */
export const warnRecipients = defineAction({
  kind: 'warn_recipients',
  params: z.strictObject({}),
  async plan(ctx, d, _params, repeat) {
    let { messages } = await ctx.intruderMessages(d, 'since_compromise');
    // already contained: the earlier warning covered what came before; a message the pre-send
    // check stopped reached nobody
    if (repeat) {
      const own = d.messageId ?? d.eventId;
      messages = d.checked ? [] : messages.filter((m) => m.id === own);
    }
    const recipients = [...new Set(messages.flatMap((m) => m.recipients))];
    const groups = [...new Set(messages.flatMap((m) => (m.group ? [m.group.id] : [])))];
    const name = await ctx.displayName(d.account);
    const warning = localize('recipientWarning', { name });
    return {
      detail: { recipients: recipients.length, groups: groups.length, warning },
      apply: async (tx) => {
        if (recipients.length === 0 && groups.length === 0) return;
        await ctx.deps.delivery.enqueueInTx(tx, {
          type: 'recipients.warn',
          account: d.account,
          payload: {
            account: d.account,
            recipients,
            groups,
            messages: messages.map((m) => m.id),
            warning,
            decision: d.id,
          },
        });
      },
    };
  },
  // A contained account's later messages: the recipients of those that were delivered (a message the
  // pre-send check stopped reached nobody), in one warning.
  async planBatch(ctx, ds) {
    const lead = ds[0]!;
    const own = new Set(ds.filter((d) => !d.checked).map((d) => d.messageId ?? d.eventId));
    const messages =
      own.size === 0
        ? []
        : (await ctx.intruderMessages(lead, 'since_compromise')).messages.filter((m) => own.has(m.id));
    const recipients = [...new Set(messages.flatMap((m) => m.recipients))];
    const groups = [...new Set(messages.flatMap((m) => (m.group ? [m.group.id] : [])))];
    const name = await ctx.displayName(lead.account);
    const warning = localize('recipientWarning', { name });
    return {
      detail: { recipients: recipients.length, groups: groups.length, warning },
      memberDetail: { recipients: 0, groups: 0 },
      apply: async (tx) => {
        if (recipients.length === 0 && groups.length === 0) return;
        await ctx.deps.delivery.enqueueInTx(tx, {
          type: 'recipients.warn',
          account: lead.account,
          payload: {
            account: lead.account,
            recipients,
            groups,
            messages: messages.map((m) => m.id),
            warning,
            decision: lead.id,
            decisions: ds.map((d) => d.id),
          },
        });
      },
    };
  },
});
