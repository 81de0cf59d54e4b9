import type { Db } from '../store/db.ts';
import { responseStore as q } from './store.ts';

/**
 * The pre-send check's throttle gate: throttles in force, mirrored in memory so the synchronous check
 * can count a throttled account's messages and say to hold those over its rate.
 */
export class ThrottleGate {
  private readonly live = new Map<
    string,
    { perMinute: number; until: number; windowStart: number; count: number }
  >();
  private changedDuringSync: Set<string> | undefined;

  /**
   * Told of every throttle this process sets or lifts (null), so the scale-out shape can tell the
   * processes that answer the account's checks (cluster/); not told of what `apply` or `restore` load.
   */
  onChange: ((account: string, t: { perMinute: number; until: number } | null) => void) | undefined;

  set(account: string, perMinute: number, until: number): void {
    this.apply(account, perMinute, until);
    this.onChange?.(account, { perMinute, until });
  }

  delete(account: string): void {
    this.apply(account, null, 0);
    this.onChange?.(account, null);
  }

  /** A throttle set (or lifted: null) by another process; a throttle already in force keeps its count. */
  apply(account: string, perMinute: number | null, until: number): void {
    this.changedDuringSync?.add(account);
    if (perMinute === null) return void this.live.delete(account);
    const t = this.live.get(account);
    if (t && t.perMinute === perMinute) t.until = until;
    else this.live.set(account, { perMinute, until, windowStart: 0, count: 0 });
  }

  /**
   * Makes the gate the throttles in force in the database (a backstop for a change announced while
   * this process could not hear it); throttles already in force keep their counts.
   */
  async sync(db: Db, now: number): Promise<void> {
    // a change applied while the rows are read is newer than they are: it stays as it is
    const changed = (this.changedDuringSync = new Set());
    let rows: Awaited<ReturnType<typeof q.liveThrottles>>;
    try {
      rows = await q.liveThrottles(db, now);
    } finally {
      this.changedDuringSync = undefined;
    }
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.account);
      if (!changed.has(r.account)) this.apply(r.account, r.per_minute, r.until);
    }
    for (const a of this.live.keys()) if (!seen.has(a) && !changed.has(a)) this.live.delete(a);
  }

  /** Loads the throttles in force after a restart (a sync of an empty gate). */
  restore(db: Db, now: number): Promise<void> {
    return this.sync(db, now);
  }

  /** Counts a message of the account; a reason to hold it when the account is over its rate. */
  readonly gate = (account: string, now: number): { signal: string; en: string; zh: string } | undefined => {
    const t = this.live.get(account);
    if (!t) return undefined;
    if (t.until <= now) {
      this.live.delete(account);
      return undefined;
    }
    if (now - t.windowStart >= 60_000) {
      t.windowStart = now;
      t.count = 0;
    }
    t.count++;
    if (t.count <= t.perMinute) return undefined;
    return {
      signal: 'throttled',
      en: `the account is limited to ${t.perMinute} messages a minute`,
      zh: `该账号被限制为每分钟最多 ${t.perMinute} 条消息`,
    };
  };
}
