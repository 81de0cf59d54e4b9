import type { Db } from '../../store/db.ts';
import type { EnqueueWebhook } from '../../webhooks/index.ts';
import { errorText, type Channel, type OutgoingMessage, type SendOutcome } from './types.ts';

export type { EnqueueWebhook } from '../../webhooks/index.ts';

/**
 * In-app notices go through the platform, as the response part's owner notices always have: an
 * `owner.notify` webhook (signed, ordered per account, retried by the webhook dispatcher) whose `text`
 * is the notice in both languages, plus the notice itself (`notice`: id, kind, locale, title, body, url).
 * The webhook id is derived from the delivery, so a retry after a crash does not enqueue it twice.
 * It never carries the "this wasn't me" link: whoever holds a session sees in-app notices, and that
 * may be the intruder.
 */
export class InAppChannel implements Channel {
  readonly name = 'inapp' as const;
  readonly delivery = 'platform (owner.notify webhook)';
  private readonly db: Db;
  private readonly enqueue: EnqueueWebhook;
  private readonly onCommit: () => void;
  constructor(db: Db, enqueue: EnqueueWebhook, onCommit: () => void = () => undefined) {
    this.db = db;
    this.enqueue = enqueue;
    this.onCommit = onCommit;
  }
  async send(m: OutgoingMessage): Promise<SendOutcome> {
    const id = `msg_${m.id}`;
    try {
      await this.db.transaction().execute((tx) =>
        this.enqueue(tx, {
          id,
          type: 'owner.notify',
          account: m.account,
          payload: {
            account: m.account,
            text: { en: m.inapp.text.en, zh: m.inapp.text['zh-CN'] },
            decision: null,
            notice: m.inapp.notice,
          },
        }),
      );
      this.onCommit();
      return { ok: true, ref: id };
    } catch (e) {
      // already enqueued by an earlier attempt whose result was not recorded
      if (/unique|duplicate/i.test(String((e as Error).message))) return { ok: true, ref: id };
      return {
        ok: false,
        permanent: false,
        scope: 'transport',
        code: 'DB',
        error: errorText((e as Error).message),
      };
    }
  }
}
