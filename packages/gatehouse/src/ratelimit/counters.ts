import { hash } from 'node:crypto';
import { isPostgres, type Db } from '../store/db.ts';

/**
 * One counter an attempt must pass: at most `limit` attempts per fixed window and, with `delay`, a
 * progressive delay once `free` attempts were made in the window: attempt n (n ≥ free) may come only
 * baseMs·2^(n−free) after the previous one (at most capMs).
 */
export interface CounterRule {
  /** Logical key ("signin|hn|zhang.wei|203.0.113.0/24"); stored only as a SHA-256. */
  key: string;
  limit: number;
  windowMs: number;
  delay?: { free: number; baseMs: number; capMs: number };
}

export type Reservation =
  { allowed: true } | { allowed: false; key: string; retryAfterSeconds: number; reason: 'limit' | 'delay' };

/**
 * Where attempt counters live: the database (`AttemptCounters`, the embedded default and any single
 * database) or Redis (`RedisCounters`, when `redisUrl` is set). One contract, tested against both
 * (`counters.test.ts`).
 */
export interface CounterStore {
  /** Counts one attempt against every rule, only if every rule allows it (atomically). */
  reserve(rules: readonly CounterRule[]): Promise<Reservation>;
  /** Gives back one reserved attempt on each key (the attempt turned out not to count). */
  release(keys: readonly string[]): Promise<void>;
  /** Forgets counters (a success resets them). */
  clear(keys: readonly string[]): Promise<void>;
  /** How many attempts a counter holds in its current window (0 when none). */
  count(key: string, windowMs: number): Promise<number>;
}

/**
 * How a counter's logical key is stored (SHA-256, hex) in every store: the database, memory and Redis.
 * One-shot hashing (no Hash object per key): a sign-in hashes five or six keys.
 */
export const hashCounterKey = (key: string): string => hash('sha256', key, 'hex');
const hashKey = hashCounterKey;

/** The wait before attempt number `count` (0-based) of a rule with a progressive delay. */
export function delayBefore(count: number, delay: NonNullable<CounterRule['delay']>): number {
  if (count < delay.free) return 0;
  return Math.min(delay.capMs, delay.baseMs * 2 ** Math.min(count - delay.free, 40));
}

/**
 * Attempt counters in the database. `reserve` counts one attempt against every rule in one transaction,
 * before the attempt is evaluated, and only if every rule allows it: a concurrent burst is serialised by
 * the rows' locks (select … for update on PostgreSQL, the single writer on SQLite), so no more attempts
 * are evaluated than the rules allow. `release` gives an attempt back (it succeeded), `clear` forgets a
 * counter (a success that should reset it).
 */
export class AttemptCounters implements CounterStore {
  private readonly db: Db;
  private readonly now: () => number;
  private reserves = 0;

  constructor(db: Db, now: () => number = Date.now) {
    this.db = db;
    this.now = now;
  }

  async reserve(rules: readonly CounterRule[]): Promise<Reservation> {
    const t = this.now();
    const byKey = new Map(rules.map((r) => [hashKey(r.key), r]));
    const keys = [...byKey.keys()].sort();
    if (keys.length === 0) return { allowed: true };
    if (++this.reserves % 500 === 0) await this.prune(t);
    return this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('rate_counters')
        .values(keys.map((key) => ({ key, window_start: t, count: 0, last_at: 0, expires_at: t })))
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      let qb = tx.selectFrom('rate_counters').selectAll().where('key', 'in', keys).orderBy('key');
      if (isPostgres(tx)) qb = qb.forUpdate();
      const rows = await qb.execute();
      const next: Array<{ key: string; window_start: number; count: number; expires_at: number }> = [];
      for (const row of rows) {
        const rule = byKey.get(row.key)!;
        const fresh = row.window_start + rule.windowMs <= t;
        const start = fresh ? t : row.window_start;
        const count = fresh ? 0 : row.count;
        const retry = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
        if (count >= rule.limit) return refused(rule.key, retry(start + rule.windowMs - t), 'limit');
        if (rule.delay) {
          const wait = delayBefore(count, rule.delay);
          if (wait > 0 && t < row.last_at + wait)
            return refused(rule.key, retry(row.last_at + wait - t), 'delay');
        }
        next.push({
          key: row.key,
          window_start: start,
          count: count + 1,
          expires_at: start + rule.windowMs + (rule.delay?.capMs ?? 0),
        });
      }
      for (const n of next)
        await tx
          .updateTable('rate_counters')
          .set({ window_start: n.window_start, count: n.count, last_at: t, expires_at: n.expires_at })
          .where('key', '=', n.key)
          .execute();
      return { allowed: true } as const;
    });
  }

  /** Gives back one reserved attempt on each key (the attempt turned out not to count). */
  async release(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db
      .updateTable('rate_counters')
      .set((eb) => ({ count: eb('count', '-', 1) }))
      .where('key', 'in', keys.map(hashKey))
      .where('count', '>', 0)
      .execute();
  }

  /** Forgets counters (a success resets them). */
  async clear(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.deleteFrom('rate_counters').where('key', 'in', keys.map(hashKey)).execute();
  }

  /** How many attempts a counter holds in its current window (0 when none). */
  async count(key: string, windowMs: number): Promise<number> {
    const row = await this.db
      .selectFrom('rate_counters')
      .selectAll()
      .where('key', '=', hashKey(key))
      .executeTakeFirst();
    if (!row || row.window_start + windowMs <= this.now()) return 0;
    return row.count;
  }

  private async prune(t: number): Promise<void> {
    await this.db.deleteFrom('rate_counters').where('expires_at', '<', t).execute();
  }
}

function refused(key: string, retryAfterSeconds: number, reason: 'limit' | 'delay'): Reservation {
  return { allowed: false, key, retryAfterSeconds, reason };
}
