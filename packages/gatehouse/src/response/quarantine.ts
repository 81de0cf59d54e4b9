import { GatehouseError } from '../errors/index.ts';
import type { Tx } from '../store/db.ts';
import { responseStore as q } from './store.ts';
import type { ResponseDeps } from './types.ts';

/** Content quarantined platform-wide: listed, lifted by an operator, expired, restored to the engine. */
export class Quarantine {
  private readonly d: ResponseDeps;
  private readonly now: () => number;
  constructor(deps: ResponseDeps, now: () => number) {
    this.d = deps;
    this.now = now;
  }

  async list() {
    return (await q.liveQuarantine(this.d.db, this.now())).map((r) => ({
      key: r.key,
      kind: r.kind,
      decision: r.decision_id,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
    }));
  }

  async lift(key: string, actor: string): Promise<void> {
    const t = this.now();
    await this.d.db.transaction().execute(async (tx) => {
      const decision = await q.liftQuarantine(tx, key, t);
      if (decision === undefined) throw new GatehouseError('NOT_FOUND', `no live quarantine for ${key}`);
      await this.d.audit.appendInTx(tx, { actor, action: 'quarantine.lift', subject: key, data: {} });
      await this.lifted(tx, key, 'operator', decision, t);
    });
    this.d.onCommit?.();
    this.d.engine.unquarantine(key);
  }

  /** The platform is told of a quarantine that ended early (one that expired was announced with its end). */
  private lifted(
    tx: Tx,
    key: string,
    reason: 'operator' | 'organic',
    decision: string,
    at: number,
  ): Promise<void> {
    return this.d.delivery.enqueueInTx(tx, {
      type: 'content.quarantine_lifted',
      // the same decision's quarantine may be set again (and lifted again) later: the lift's time too
      id: `quarantine_lifted:${key}:${decision}:${at}`,
      at,
      payload: { keys: [key], reason, decision },
    });
  }

  /**
   * Lifts quarantines whose time has come, and those that gave way to organic spread; how many. Every
   * quarantine here came from a decision (two compromised senders of a card nobody had sent before, early
   * in its spread): once the engine sees owners passing the text or site along organically and no
   * campaign holds it, its quarantine would only hold those owners, so it is lifted (audited, with the
   * counts). A picture is never lifted this way (a bank's hit is bad in itself); the content of each
   * message is still judged on its own.
   */
  async expire(): Promise<number> {
    const t = this.now();
    const expired = await q.expiredQuarantine(this.d.db, t);
    for (const r of expired) {
      await q.liftQuarantine(this.d.db, r.key, t);
      this.d.engine.unquarantine(r.key);
    }
    let organic = 0;
    if (this.d.engine.organic)
      for (const r of await q.liveQuarantine(this.d.db, t)) {
        if (r.kind === 'i' || !this.d.engine.organic(r.key)) continue;
        const done = await this.d.db.transaction().execute(async (tx) => {
          if ((await q.liftQuarantine(tx, r.key, t)) === undefined) return false;
          await this.lifted(tx, r.key, 'organic', r.decision_id, t);
          await this.d.audit.appendInTx(tx, {
            actor: 'system',
            action: 'quarantine.lift',
            subject: r.key,
            data: { reason: 'organic', decision: r.decision_id },
          });
          return true;
        });
        this.d.engine.unquarantine(r.key);
        if (done) organic++;
      }
    if (organic > 0) this.d.onCommit?.();
    return expired.length + organic;
  }

  /** Re-applies live quarantines to the engine after a restart; how many. */
  async restore(): Promise<number> {
    const live = await q.liveQuarantine(this.d.db, this.now());
    for (const r of live) this.d.engine.quarantine(r.key);
    return live.length;
  }
}
