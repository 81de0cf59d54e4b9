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

  set(account: string, perMinute: number, until: number): void {
    this.live.set(account, { perMinute, until, windowStart: 0, count: 0 });
  }

  delete(account: string): void {
    this.live.delete(account);
  }

  /** Loads the throttles in force after a restart. */
  async restore(db: Db, now: number): Promise<void> {
    for (const r of await q.liveThrottles(db, now)) this.set(r.account, r.per_minute, r.until);
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
