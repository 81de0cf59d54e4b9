/** SQL of the content part: user reports, reporter reputation and the operator review queue. */
import type { Db } from '../store/db.ts';
import { reporterWeight, type ReportVote } from './reports.ts';

export interface QueueItem {
  id: number;
  text: string;
  reporters: number;
  weight: number;
  status: string;
  createdAt: number;
  decidedBy: string | null;
  decidedAt: number | null;
}

export const contentStore = {
  /** Stored labels after `seq`, in order (learning them again into a fresh model). */
  labelsAfter(db: Db, seq: number, limit: number) {
    return db
      .selectFrom('content_labels')
      .select(['seq', 'text', 'label', 'source'])
      .where('seq', '>', seq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  },
  /**
   * The text of a reported message from the engine's event log (read only): the `message.sent` event
   * whose id is `messageId` (the default message id), sent by `sender`. Undefined when unknown.
   */
  async reportedText(db: Db, messageId: string, sender: string): Promise<string | undefined> {
    const row = await db
      .selectFrom('events')
      .select(['payload', 'type', 'account'])
      .where('id', '=', messageId)
      .executeTakeFirst();
    if (!row || row.type !== 'message.sent' || row.account !== sender) return undefined;
    try {
      const p = JSON.parse(row.payload) as { text?: unknown };
      return typeof p.text === 'string' && p.text.trim() !== '' ? p.text : undefined;
    } catch {
      return undefined;
    }
  },

  /** Records one report; false when this reporter already reported this message. */
  async addReport(
    db: Db,
    r: { messageId: string; textKey: string; sender: string; reporter: string; reason: string; at: number },
  ): Promise<boolean> {
    const res = await db
      .insertInto('content_reports')
      .values({
        message_id: r.messageId,
        text_key: r.textKey,
        sender: r.sender,
        reporter: r.reporter,
        reason: r.reason,
        at: r.at,
      })
      .onConflict((oc) => oc.columns(['message_id', 'reporter']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  },

  /** Every report on a text with its reporter's current weight. */
  async votes(db: Db, textKey: string): Promise<ReportVote[]> {
    const rows = await db
      .selectFrom('content_reports as r')
      .leftJoin('content_reporters as p', 'p.reporter', 'r.reporter')
      .select(['r.reporter', 'r.sender', 'p.confirmed', 'p.rejected'])
      .where('r.text_key', '=', textKey)
      .orderBy('r.seq')
      .limit(10_000)
      .execute();
    return rows.map((x) => ({
      reporter: x.reporter,
      sender: x.sender,
      weight: reporterWeight(Number(x.confirmed ?? 0), Number(x.rejected ?? 0)),
    }));
  },

  /** Queues a text for review once (a text already queued or decided is left alone). */
  async enqueue(
    db: Db,
    item: { textKey: string; text: string; reporters: number; weight: number; at: number },
  ) {
    await db
      .insertInto('content_report_queue')
      .values({
        text_key: item.textKey,
        text: item.text.slice(0, 4096),
        reporters: item.reporters,
        weight: item.weight,
        status: 'pending',
        created_at: item.at,
        decided_by: null,
        decided_at: null,
      })
      .onConflict((oc) => oc.column('text_key').doNothing())
      .execute();
    // keep the counts current while it waits
    await db
      .updateTable('content_report_queue')
      .set({ reporters: item.reporters, weight: item.weight })
      .where('text_key', '=', item.textKey)
      .where('status', '=', 'pending')
      .execute();
  },

  async queue(db: Db, status: string, limit: number): Promise<QueueItem[]> {
    const rows = await db
      .selectFrom('content_report_queue')
      .selectAll()
      .where('status', '=', status)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toItem);
  },

  async item(db: Db, id: number): Promise<(QueueItem & { textKey: string }) | undefined> {
    const r = await db
      .selectFrom('content_report_queue')
      .selectAll()
      .where('seq', '=', id)
      .executeTakeFirst();
    return r ? { ...toItem(r), textKey: r.text_key } : undefined;
  },

  /**
   * Decides a pending item and moves its reporters' reputation, in one transaction. Returns false
   * when the item was not pending (decided before).
   */
  async decide(
    db: Db,
    id: number,
    status: 'confirmed' | 'rejected',
    actor: string,
    at: number,
  ): Promise<boolean> {
    return db.transaction().execute(async (tx) => {
      const upd = await tx
        .updateTable('content_report_queue')
        .set({ status, decided_by: actor, decided_at: at })
        .where('seq', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(upd.numUpdatedRows) === 0) return false;
      const item = await tx
        .selectFrom('content_report_queue')
        .select('text_key')
        .where('seq', '=', id)
        .executeTakeFirstOrThrow();
      const reporters = await tx
        .selectFrom('content_reports')
        .select('reporter')
        .distinct()
        .where('text_key', '=', item.text_key)
        .execute();
      for (const { reporter } of reporters) {
        await tx
          .insertInto('content_reporters')
          .values({ reporter, confirmed: 0, rejected: 0 })
          .onConflict((oc) => oc.column('reporter').doNothing())
          .execute();
        await tx
          .updateTable('content_reporters')
          .set((eb) =>
            status === 'confirmed'
              ? { confirmed: eb('confirmed', '+', 1) }
              : { rejected: eb('rejected', '+', 1) },
          )
          .where('reporter', '=', reporter)
          .execute();
      }
      return true;
    });
  },
};

function toItem(r: {
  seq: number;
  text: string;
  reporters: number;
  weight: number;
  status: string;
  created_at: number;
  decided_by: string | null;
  decided_at: number | null;
}): QueueItem {
  return {
    id: Number(r.seq),
    text: r.text,
    reporters: Number(r.reporters),
    weight: Number(r.weight),
    status: r.status,
    createdAt: Number(r.created_at),
    decidedBy: r.decided_by,
    decidedAt: r.decided_at === null ? null : Number(r.decided_at),
  };
}
