import { GatehouseError } from '../errors/index.ts';
import { responseStore as q } from './store.ts';
import type { ResponseDeps } from './types.ts';

/** Held messages: an operator releases one; the sweeper expires those whose time has come. */
export class Holds {
  private readonly d: ResponseDeps;
  private readonly now: () => number;
  constructor(deps: ResponseDeps, now: () => number) {
    this.d = deps;
    this.now = now;
  }

  /** An operator releases a held message. */
  async release(messageId: string, actor: string): Promise<void> {
    const t = this.now();
    await this.d.db.transaction().execute(async (tx) => {
      const h = await q.hold(tx, messageId);
      if (!h || h.status !== 'held') throw new GatehouseError('HOLD_NOT_FOUND');
      await q.resolveHold(tx, messageId, 'released', t);
      await this.d.delivery.enqueueInTx(tx, {
        type: 'message.release',
        account: h.account,
        payload: { message: messageId, account: h.account },
      });
      await this.d.audit.appendInTx(tx, {
        actor,
        action: 'hold.release',
        subject: h.account,
        data: { message: messageId },
      });
    });
  }

  /**
   * An operator confirms a hold: the message was bad and is never delivered; the platform is told as for
   * an expired hold (it drops the message).
   */
  async confirm(messageId: string, actor: string): Promise<void> {
    const t = this.now();
    await this.d.db.transaction().execute(async (tx) => {
      const h = await q.hold(tx, messageId);
      if (!h || h.status !== 'held') throw new GatehouseError('HOLD_NOT_FOUND');
      await q.resolveHold(tx, messageId, 'confirmed', t);
      await this.d.delivery.enqueueInTx(tx, {
        type: 'message.expire',
        account: h.account,
        payload: { message: messageId, account: h.account },
      });
      await this.d.audit.appendInTx(tx, {
        actor,
        action: 'hold.confirm',
        subject: h.account,
        data: { message: messageId },
      });
    });
  }

  /** Expires holds whose time has come and tells the platform; how many. */
  async expire(): Promise<number> {
    const t = this.now();
    const holds = await q.expiredHolds(this.d.db, t);
    for (const h of holds) {
      await this.d.db.transaction().execute(async (tx) => {
        const r = await q.resolveHold(tx, h.message_id, 'expired', t);
        if (Number(r.numUpdatedRows) > 0)
          await this.d.delivery.enqueueInTx(tx, {
            type: 'message.expire',
            account: h.account,
            payload: { message: h.message_id, account: h.account },
          });
      });
    }
    return holds.length;
  }
}
